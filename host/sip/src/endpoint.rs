//! The SIP endpoint: binds the transport, runs the dispatcher that feeds the
//! transaction layer, answers requests outside any call, and routes in-dialog requests
//! to the call that owns the dialog.
//!
//! **Security:** no request from the network can start an outbound call. An INVITE
//! outside a dialog is refused: 403 (and a log line naming the source) when it comes
//! from an address that is neither a configured trunk nor a phone registered with
//! digest authentication, 480 from those, unless it comes from a trunk while someone
//! takes calls ([`Endpoint::take_calls`]): then it becomes an [`IncomingCall`] for the
//! call layer, which answers only the host's own numbers and puts them through to
//! agents' phones only.
//! REGISTER goes to the [`Registrar`] when there is one.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use rsip::prelude::*;
use rsip::{Header, Method, SipMessage};
use tokio::sync::mpsc;

use crate::dialog::DialogId;
use crate::incoming::{IncomingCall, number_called};
use crate::registrar::Registrar;
use crate::transaction::{ServerTransaction, Timers, TransactionLayer};
use crate::transport::{Inbound, Transport};

/// What the endpoint needs to start.
#[derive(Debug, Clone)]
pub struct EndpointConfig {
    /// UDP listeners.
    pub udp: Vec<SocketAddr>,
    /// TCP listeners.
    pub tcp: Vec<SocketAddr>,
    /// Transaction timers.
    pub timers: Timers,
    /// Sent in User-Agent and Server headers.
    pub user_agent: String,
    /// Addresses of configured trunks: with registered phones, the only sources whose
    /// INVITEs are not 403.
    pub trusted: Vec<IpAddr>,
    /// The registrar for phones; without one, REGISTER gets 405.
    pub registrar: Option<Arc<Registrar>>,
}

/// What a call's task hears from its dialog.
#[derive(Debug)]
pub(crate) enum DialogEvent {
    /// A request inside the dialog (BYE, re-INVITE, INFO, ...), to be answered.
    Request(Box<ServerTransaction>),
    /// The ACK for a 2xx we sent (to a re-INVITE).
    Ack,
    /// A 2xx to our INVITE retransmitted after its transaction ended: ACK it again.
    Retransmitted2xx,
}

/// The SIP endpoint. Cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) layer: Arc<TransactionLayer>,
    pub(crate) user_agent: String,
    trusted: Mutex<Vec<IpAddr>>,
    registrar: Option<Arc<Registrar>>,
    dialogs: Mutex<HashMap<DialogId, mpsc::UnboundedSender<DialogEvent>>>,
    /// Who takes trunks' calls (the host's own numbers), when anyone does.
    inbound: Mutex<Option<mpsc::UnboundedSender<IncomingCall>>>,
}

impl Endpoint {
    /// Binds the listeners and starts the dispatcher.
    ///
    /// # Errors
    /// When a listener cannot be bound.
    pub async fn bind(config: EndpointConfig) -> std::io::Result<Endpoint> {
        let (transport, inbound) = Transport::bind(&config.udp, &config.tcp).await?;
        let endpoint = Endpoint {
            inner: Arc::new(Inner {
                layer: TransactionLayer::new(transport, config.timers),
                user_agent: config.user_agent,
                trusted: Mutex::new(config.trusted),
                registrar: config.registrar,
                dialogs: Mutex::new(HashMap::new()),
                inbound: Mutex::new(None),
            }),
        };
        tokio::spawn(endpoint.clone().dispatch(inbound));
        Ok(endpoint)
    }

    /// The transport, for its local addresses.
    pub fn transport(&self) -> &Transport {
        self.inner.layer.transport()
    }

    /// Trusts one more trunk address (a DNS name resolved after start).
    pub fn trust(&self, ip: IpAddr) {
        let mut trusted = self.inner.trusted.lock().unwrap();
        if !trusted.contains(&ip) {
            trusted.push(ip);
        }
    }

    /// Hands every trunk's call over from now on, as an [`IncomingCall`] on the
    /// returned channel, for its taker to answer or refuse (the numbers are the
    /// taker's business). Without a taker, or from phones, calls are refused with 480.
    pub fn take_calls(&self) -> mpsc::UnboundedReceiver<IncomingCall> {
        let (calls, receiver) = mpsc::unbounded_channel();
        *self.inner.inbound.lock().unwrap() = Some(calls);
        receiver
    }

    /// Live (client, server) transactions and dialogs, for metrics and leak checks.
    pub fn live(&self) -> (usize, usize, usize) {
        let (clients, servers) = self.inner.layer.live();
        (clients, servers, self.inner.dialogs.lock().unwrap().len())
    }

    /// Waits until every request received has had its final response sent; call it
    /// before the process exits.
    pub async fn flush(&self) {
        self.inner.layer.flush().await;
    }

    pub(crate) fn register_dialog(&self, id: DialogId) -> mpsc::UnboundedReceiver<DialogEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.dialogs.lock().unwrap().insert(id, tx);
        rx
    }

    pub(crate) fn forget_dialog(&self, id: &DialogId) {
        self.inner.dialogs.lock().unwrap().remove(id);
    }

    fn to_dialog(&self, id: &DialogId, event: DialogEvent) -> Result<(), DialogEvent> {
        let sender = self.inner.dialogs.lock().unwrap().get(id).cloned();
        match sender {
            Some(sender) => sender.send(event).map_err(|e| e.0),
            None => Err(event),
        }
    }

    async fn dispatch(self, mut inbound: mpsc::Receiver<Inbound>) {
        while let Some(Inbound { message, peer }) = inbound.recv().await {
            match message {
                SipMessage::Response(response) => {
                    let Some(stray) = self.inner.layer.on_response(response) else {
                        continue;
                    };
                    let is_2xx_invite = stray.status_code.code() / 100 == 2
                        && stray.cseq_header().ok().and_then(|c| c.method().ok())
                            == Some(Method::Invite);
                    if is_2xx_invite && let Some(id) = DialogId::of_response(&stray) {
                        let _ = self.to_dialog(&id, DialogEvent::Retransmitted2xx);
                    }
                }
                SipMessage::Request(request) => {
                    let Some(request) = self.inner.layer.on_request(request) else {
                        continue;
                    };
                    if request.method == Method::Ack {
                        if let Some(id) = DialogId::of_incoming(&request) {
                            let _ = self.to_dialog(&id, DialogEvent::Ack);
                        }
                        continue;
                    }
                    let transaction = self.inner.layer.receive_request(request, peer);
                    self.on_new_request(transaction);
                }
            }
        }
    }

    fn on_new_request(&self, transaction: ServerTransaction) {
        let request = &transaction.request;
        let has_to_tag = request
            .to_header()
            .ok()
            .and_then(|to| to.tag().ok().flatten())
            .is_some();
        if has_to_tag {
            let Some(id) = DialogId::of_incoming(request) else {
                transaction.reply(481, "Call/Transaction Does Not Exist", Vec::new());
                return;
            };
            if let Err(DialogEvent::Request(transaction)) =
                self.to_dialog(&id, DialogEvent::Request(Box::new(transaction)))
            {
                transaction.reply(481, "Call/Transaction Does Not Exist", Vec::new());
            }
            return;
        }
        match request.method {
            Method::Options => transaction.reply(200, "OK", vec![allow_header()]),
            Method::Invite => {
                let source = transaction.peer.addr;
                let from_trunk = self.inner.trusted.lock().unwrap().contains(&source.ip());
                let from_phone = self
                    .inner
                    .registrar
                    .as_ref()
                    .is_some_and(|r| r.is_registered_source(source));
                if from_trunk || from_phone {
                    let called = number_called(request).unwrap_or_default();
                    let taker = from_trunk
                        .then(|| self.inner.inbound.lock().unwrap().clone())
                        .flatten();
                    let Some(taker) = taker else {
                        tracing::info!(%source, from_trunk, called = %called.escape_debug(), "inbound call refused: none taken (480)");
                        transaction.reply(480, "Temporarily Unavailable", Vec::new());
                        return;
                    };
                    if let Err(refused) =
                        taker.send(IncomingCall::new(self.clone(), transaction, called))
                    {
                        refused.0.refuse(480, "Temporarily Unavailable");
                    }
                } else {
                    // One line per refusal with the source, for fail2ban and the like.
                    tracing::warn!(
                        source_ip = %source.ip(),
                        source_port = source.port(),
                        "SIP INVITE refused: unknown source {source}"
                    );
                    transaction.reply(403, "Forbidden", Vec::new());
                }
            }
            Method::Register => match &self.inner.registrar {
                Some(registrar) => {
                    tokio::spawn(registrar.clone().handle(transaction));
                }
                None => transaction.reply(405, "Method Not Allowed", vec![allow_header()]),
            },
            Method::Bye | Method::Cancel | Method::PRack | Method::Update | Method::Info => {
                transaction.reply(481, "Call/Transaction Does Not Exist", Vec::new());
            }
            _ => transaction.reply(405, "Method Not Allowed", vec![allow_header()]),
        }
    }
}

fn allow_header() -> Header {
    Header::Allow(rsip::headers::Allow::new(
        "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO",
    ))
}
