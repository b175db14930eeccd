//! A simulated far end's one UDP socket: datagrams in, parsed by
//! `ringhost_sip::message`, routed by Call-ID to the task that owns that call or
//! registration; a new INVITE handed to the UAS ([`crate::uas`]); what belongs to no
//! task answered here (OPTIONS 200, 481, 405), as the host's endpoint does.
//!
//! Routing by Call-ID alone is enough for a user agent that never forks: every call the
//! sim takes and every registration it makes has a Call-ID of its own.
//!
//! Sends never wait: a datagram the kernel cannot take at once is dropped like one
//! lost on the network, and the retransmission schedule covers it. That keeps every
//! handler synchronous.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use ringhost_media::RtpPorts;
use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Method, Request, Response, SipMessage};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::record::Recorder;
use crate::uas::{self, Role};

/// What the sim says it is, in User-Agent and Server headers.
pub(crate) const USER_AGENT: &str = "ringhost-sim";

/// A message for the task that owns its Call-ID.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A request, and where it came from (responses go back there).
    Request(Request, SocketAddr),
    /// A response to one of the task's requests.
    Response(Response),
}

/// The socket, the Call-ID routes and every task of one far end. Shared by those tasks;
/// its owner ([`crate::SimCarrier`], [`crate::SimPhone`]) calls [`SimSocket::stop`] when
/// dropped.
pub(crate) struct SimSocket {
    socket: UdpSocket,
    local: SocketAddr,
    /// User part of the Contact the far end gives.
    pub(crate) user: String,
    /// Where answered calls bind their RTP.
    pub(crate) ports: RtpPorts,
    /// Decides what each call does and hears how it went.
    pub(crate) role: Arc<dyn Role>,
    /// What answered calls heard, when a test asks.
    pub(crate) recorder: Recorder,
    routes: Mutex<HashMap<String, mpsc::UnboundedSender<Inbound>>>,
    /// Aborted all at once by `stop`: the receiving loop, calls, registration.
    tasks: Mutex<JoinSet<()>>,
    stopped: AtomicBool,
}

impl std::fmt::Debug for SimSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSocket")
            .field("local", &self.local)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl SimSocket {
    /// Binds `addr` and starts receiving.
    ///
    /// # Errors
    /// When the address cannot be bound.
    pub(crate) async fn bind(
        addr: SocketAddr,
        user: &str,
        ports: RtpPorts,
        role: Arc<dyn Role>,
    ) -> std::io::Result<Arc<SimSocket>> {
        let socket = UdpSocket::bind(addr).await?;
        let local = socket.local_addr()?;
        let sim = Arc::new(SimSocket {
            socket,
            local,
            user: user.to_owned(),
            ports,
            role,
            recorder: Recorder::default(),
            routes: Mutex::new(HashMap::new()),
            tasks: Mutex::new(JoinSet::new()),
            stopped: AtomicBool::new(false),
        });
        sim.spawn(sim.clone().receive());
        Ok(sim)
    }

    /// The bound address.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends one datagram, without waiting (see the module's docs).
    pub(crate) fn send(&self, bytes: &[u8], to: SocketAddr) {
        if let Err(error) = self.socket.try_send_to(bytes, to) {
            tracing::debug!(%error, %to, "SIP datagram not sent");
        }
    }

    /// Routes messages with this Call-ID to the returned inbox until
    /// [`SimSocket::unroute`].
    pub(crate) fn route(&self, call_id: &str) -> mpsc::UnboundedReceiver<Inbound> {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.routes).insert(call_id.to_owned(), tx);
        rx
    }

    /// Forgets a Call-ID: its messages are answered as strangers' again.
    pub(crate) fn unroute(&self, call_id: &str) {
        lock(&self.routes).remove(call_id);
    }

    /// Runs a task until it ends or the socket stops.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut tasks = lock(&self.tasks);
        // Checked under the lock that `stop` takes, so no task starts after it.
        if self.stopped.load(Ordering::Relaxed) {
            return;
        }
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task);
    }

    /// Stops every task: calls end without a BYE, as when a phone loses power.
    pub(crate) fn stop(&self) {
        let mut tasks = lock(&self.tasks);
        self.stopped.store(true, Ordering::Relaxed);
        tasks.abort_all();
    }

    async fn receive(self: Arc<Self>) {
        let mut buf = vec![0u8; 65_536];
        loop {
            let (len, source) = match self.socket.recv_from(&mut buf).await {
                Ok(received) => received,
                Err(error) => {
                    // An ICMP error for an earlier send, on some systems: not fatal.
                    tracing::debug!(%error, "SIP socket receive error");
                    continue;
                }
            };
            let message = match ringhost_sip::message::parse(&buf[..len]) {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!(%source, %error, "malformed SIP datagram dropped");
                    continue;
                }
            };
            self.dispatch(message, source);
        }
    }

    fn dispatch(self: &Arc<Self>, message: SipMessage, source: SocketAddr) {
        // `parse` checked that Call-ID is there.
        let Ok(call_id) = message.call_id_header().map(|c| c.value().to_owned()) else {
            return;
        };
        let route = lock(&self.routes).get(&call_id).cloned();
        let request = match message {
            SipMessage::Response(response) => {
                match route {
                    Some(route) => {
                        let _ = route.send(Inbound::Response(response));
                    }
                    None => tracing::debug!(%source, call_id, "stray SIP response dropped"),
                }
                return;
            }
            SipMessage::Request(request) => request,
        };
        if let Some(route) = route {
            let _ = route.send(Inbound::Request(request, source));
            return;
        }
        let in_dialog = has_to_tag(&request);
        match request.method {
            Method::Invite if !in_dialog => uas::accept(self, request, source),
            Method::Ack => {}
            Method::Options => self.answer(&request, source, 200, vec![allow()]),
            Method::Invite | Method::Bye | Method::Cancel => {
                self.answer(&request, source, 481, vec![])
            }
            _ if in_dialog => self.answer(&request, source, 481, vec![]),
            _ => self.answer(&request, source, 405, vec![allow()]),
        }
    }

    /// A response to a request that belongs to no call.
    fn answer(&self, request: &Request, to: SocketAddr, code: u16, extra: Vec<Header>) {
        let response = response(request, code, &ringhost_sip::ids::tag(), extra, Vec::new());
        self.send(response.to_string().as_bytes(), to);
    }
}

/// A response to `request` (RFC 3261 8.2.6), built by the SIP crate's one way, with
/// the sim's Server header.
pub(crate) fn response(
    request: &Request,
    code: u16,
    to_tag: &str,
    mut extra: Vec<Header>,
    body: Vec<u8>,
) -> Response {
    extra.push(Header::Server(rsip::headers::Server::new(USER_AGENT)));
    ringhost_sip::message::response_to(request, code, reason(code), to_tag, extra, body)
}

/// The reason phrase of each code the sim sends.
fn reason(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        200 => "OK",
        405 => "Method Not Allowed",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        _ => "Unexpected",
    }
}

/// What the sim understands, for OPTIONS and 405.
pub(crate) fn allow() -> Header {
    Header::Allow(rsip::headers::Allow::new(
        "INVITE, ACK, CANCEL, BYE, OPTIONS",
    ))
}

/// Whether a request's To carries a tag: it is inside a dialog (RFC 3261 12.2).
pub(crate) fn has_to_tag(request: &Request) -> bool {
    request
        .to_header()
        .ok()
        .and_then(|to| to.tag().ok().flatten())
        .is_some()
}

/// The CSeq number of a message, 0 when unreadable (`parse` checked it is there).
pub(crate) fn cseq(headers: &rsip::Headers) -> u32 {
    headers
        .iter()
        .find_map(|h| match h {
            Header::CSeq(cseq) => cseq.seq().ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// A poisoned lock only means a panic elsewhere; the maps inside are still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
