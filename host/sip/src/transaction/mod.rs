//! Transaction layer (RFC 3261 section 17): the four state machines of figures 5 to 8,
//! each in its own module, and the layer that matches messages to them.
//!
//! Each transaction is a task that owns its state and its timers (lettered as in the
//! RFC: A to K, plus RFC 6026's L and M). The layer keeps a map from transaction key to
//! the task's inbox; the transport's dispatcher routes a message by key, and a message
//! that matches no transaction goes to the layer above (a new request, or a 2xx
//! retransmission for the dialog).
//!
//! Timers run on tokio's clock, so tests drive them with `tokio::time::pause`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsip::prelude::*;
use rsip::{Method, Request, Response};
use tokio::sync::mpsc;

use crate::transport::{Peer, Transport};

mod client_invite;
mod client_non_invite;
mod server_invite;
mod server_non_invite;

/// The base timer values of RFC 3261 section 17.1.1.1 and table 4.
#[derive(Debug, Clone, Copy)]
pub struct Timers {
    /// Round-trip estimate: first retransmission interval.
    pub t1: Duration,
    /// Longest retransmission interval for non-INVITE requests and INVITE responses.
    pub t2: Duration,
    /// Longest time a message may stay in the network.
    pub t4: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl Timers {
    /// 64*T1: timers B, F, H, J, L and M.
    pub(crate) fn transaction_timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// What a client transaction reports to its transaction user.
#[derive(Debug)]
pub enum ClientEvent {
    /// A response, provisional or final; for INVITE, 2xx retransmissions too.
    Response(Response),
    /// No final response in time (timer B or F).
    Timeout,
    /// The request could not be sent.
    TransportError(String),
}

/// A request in flight: its events arrive on [`ClientTransaction::events`].
pub struct ClientTransaction {
    /// Responses and failures, in order.
    pub events: mpsc::UnboundedReceiver<ClientEvent>,
}

/// A request received: answer it with [`ServerTransaction::respond`]. Dropping it
/// without a final response answers 500, so that no request is left hanging.
#[derive(Debug)]
pub struct ServerTransaction {
    /// The request that opened the transaction.
    pub request: Request,
    /// Where it came from; responses go back there.
    pub peer: Peer,
    responses: mpsc::UnboundedSender<Response>,
    answered: AtomicBool,
}

impl ServerTransaction {
    /// Sends a response, provisional or final, through the transaction.
    pub fn respond(&self, response: Response) {
        if response.status_code.code() >= 200 {
            self.answered.store(true, Ordering::Relaxed);
        }
        // The task ends only after a final response, so a send to it cannot fail
        // while a response is still due.
        let _ = self.responses.send(response);
    }

    /// Answers with a bodiless response carrying `extra` headers.
    pub fn reply(&self, code: u16, reason: &str, extra: Vec<rsip::Header>) {
        let response = crate::message::response_to(
            &self.request,
            code,
            reason,
            &crate::ids::tag(),
            extra,
            Vec::new(),
        );
        self.respond(response);
    }
}

impl Drop for ServerTransaction {
    fn drop(&mut self) {
        if !self.answered.load(Ordering::Relaxed) && self.request.method != Method::Ack {
            tracing::warn!(method = %self.request.method, "request left unanswered: 500");
            self.reply(500, "Server Internal Error", Vec::new());
        }
    }
}

/// Matches responses to client transactions: the top Via's branch and the CSeq method
/// (17.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClientKey {
    branch: String,
    // rsip's Method is not Hash; its name is.
    method: String,
}

/// Matches requests to server transactions: branch, sent-by and method, an ACK
/// matching its INVITE (17.2.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ServerKey {
    branch: String,
    sent_by: String,
    method: String,
}

/// The transaction layer shared by the endpoint.
pub struct TransactionLayer {
    transport: Transport,
    timers: Timers,
    clients: Mutex<HashMap<ClientKey, mpsc::UnboundedSender<Response>>>,
    servers: Mutex<HashMap<ServerKey, mpsc::UnboundedSender<Request>>>,
    /// Server transactions whose final response has not left yet.
    unanswered: AtomicUsize,
    answered: tokio::sync::Notify,
}

impl TransactionLayer {
    /// A layer sending through `transport`.
    pub fn new(transport: Transport, timers: Timers) -> Arc<TransactionLayer> {
        Arc::new(TransactionLayer {
            transport,
            timers,
            clients: Mutex::new(HashMap::new()),
            servers: Mutex::new(HashMap::new()),
            unanswered: AtomicUsize::new(0),
            answered: tokio::sync::Notify::new(),
        })
    }

    /// The transport this layer sends through.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The timer values in force.
    pub fn timers(&self) -> Timers {
        self.timers
    }

    /// Number of live client and server transactions, for metrics and leak tests.
    pub fn live(&self) -> (usize, usize) {
        (
            self.clients.lock().unwrap().len(),
            self.servers.lock().unwrap().len(),
        )
    }

    /// Waits until every request received so far has had its final response handed to
    /// the transport, so that a process about to exit loses no answer (a 200 to a BYE).
    pub async fn flush(&self) {
        loop {
            let notified = self.answered.notified();
            if self.unanswered.load(Ordering::Acquire) == 0 {
                return;
            }
            notified.await;
        }
    }

    /// Marks one server transaction's final response as sent.
    fn final_sent(&self) {
        self.unanswered.fetch_sub(1, Ordering::AcqRel);
        self.answered.notify_waiters();
    }

    /// Sends `request` to `peer` as a new client transaction. The request's top Via
    /// must carry a fresh branch.
    pub fn send_request(self: &Arc<Self>, request: Request, peer: Peer) -> ClientTransaction {
        let (events_tx, events) = mpsc::unbounded_channel();
        let key = client_key_of(&request.headers, request.method);
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        if let Some(key) = &key {
            self.clients.lock().unwrap().insert(key.clone(), inbox_tx);
        }
        let layer = self.clone();
        tokio::spawn(async move {
            if request.method == Method::Invite {
                client_invite::run(&layer, request, peer, inbox, events_tx).await;
            } else {
                client_non_invite::run(&layer, request, peer, inbox, events_tx).await;
            }
            if let Some(key) = key {
                layer.clients.lock().unwrap().remove(&key);
            }
        });
        ClientTransaction { events }
    }

    /// Routes a response to its client transaction. Returns it when none matches: a 2xx
    /// retransmitted after its transaction ended belongs to the dialog.
    pub fn on_response(&self, response: Response) -> Option<Response> {
        let method = response.cseq_header().ok()?.method().ok()?;
        let Some(key) = client_key_of(&response.headers, method) else {
            return Some(response);
        };
        route(&self.clients, &key, response)
    }

    /// Routes a request to the server transaction it belongs to (a retransmission, an
    /// ACK for a non-2xx final response). Returns it when it starts a new transaction,
    /// or is an ACK for a 2xx (which belongs to the dialog).
    pub fn on_request(&self, request: Request) -> Option<Request> {
        let Some(key) = server_key_of(&request) else {
            return Some(request);
        };
        route(&self.servers, &key, request)
    }

    /// Opens the server transaction for a new request; the transaction user answers
    /// through the returned handle.
    pub fn receive_request(self: &Arc<Self>, request: Request, peer: Peer) -> ServerTransaction {
        let key = server_key_of(&request);
        let (inbox_tx, inbox) = mpsc::unbounded_channel();
        if let Some(key) = &key {
            self.servers.lock().unwrap().insert(key.clone(), inbox_tx);
        }
        let (responses_tx, responses) = mpsc::unbounded_channel();
        let layer = self.clone();
        let method = request.method;
        self.unanswered.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            let mut final_sent = FinalSent(Some(&layer));
            if method == Method::Invite {
                server_invite::run(&layer, peer, inbox, responses, &mut final_sent).await;
            } else {
                server_non_invite::run(&layer, peer, inbox, responses, &mut final_sent).await;
            }
            drop(final_sent);
            if let Some(key) = key {
                layer.servers.lock().unwrap().remove(&key);
            }
        });
        ServerTransaction {
            request,
            peer,
            responses: responses_tx,
            answered: AtomicBool::new(false),
        }
    }

    async fn send(&self, peer: Peer, bytes: &bytes::Bytes) -> std::io::Result<()> {
        self.transport.send(peer, bytes.clone()).await
    }

    /// A client transaction's first send: the request's bytes to keep for
    /// retransmissions, or `None` (reported as a transport error) when it cannot go.
    async fn send_first(
        &self,
        peer: Peer,
        request: &Request,
        events: &mpsc::UnboundedSender<ClientEvent>,
    ) -> Option<bytes::Bytes> {
        let bytes = bytes::Bytes::from(request.to_string());
        if let Err(error) = self.send(peer, &bytes).await {
            let _ = events.send(ClientEvent::TransportError(error.to_string()));
            return None;
        }
        Some(bytes)
    }
}

/// Hands `message` to the transaction under `key`; gives it back when there is none
/// (or it just ended), for the layer above.
fn route<K: Eq + std::hash::Hash, M>(
    map: &Mutex<HashMap<K, mpsc::UnboundedSender<M>>>,
    key: &K,
    message: M,
) -> Option<M> {
    let inbox = map.lock().unwrap().get(key).cloned();
    match inbox {
        Some(inbox) => inbox.send(message).err().map(|returned| returned.0),
        None => Some(message),
    }
}

/// Counts a server transaction's final response as sent, once: when
/// [`FinalSent::mark`] is called, or when the transaction ends without one.
pub(crate) struct FinalSent<'a>(Option<&'a TransactionLayer>);

impl FinalSent<'_> {
    pub(crate) fn mark(&mut self) {
        if let Some(layer) = self.0.take() {
            layer.final_sent();
        }
    }
}

impl Drop for FinalSent<'_> {
    fn drop(&mut self) {
        self.mark();
    }
}

fn top_via(headers: &rsip::Headers) -> Option<rsip::typed::Via> {
    headers.iter().find_map(|h| match h {
        rsip::Header::Via(via) => via.typed().ok(),
        _ => None,
    })
}

fn client_key_of(headers: &rsip::Headers, method: Method) -> Option<ClientKey> {
    let via = top_via(headers)?;
    Some(ClientKey {
        branch: via.branch()?.to_string(),
        method: method.to_string(),
    })
}

fn server_key_of(request: &Request) -> Option<ServerKey> {
    let via = top_via(&request.headers)?;
    let branch = via.branch()?.to_string();
    // Only RFC 3261 branches identify a transaction; RFC 2543 peers are not supported
    // for matching, so their retransmissions look like new requests.
    if !branch.starts_with("z9hG4bK") {
        return None;
    }
    let method = match request.method {
        Method::Ack => Method::Invite,
        other => other,
    };
    Some(ServerKey {
        branch,
        sent_by: via.uri.host_with_port.to_string(),
        method: method.to_string(),
    })
}

#[cfg(test)]
mod tests;
