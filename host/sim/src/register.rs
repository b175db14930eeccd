//! A phone's registration with the host's registrar (RFC 3261 10.2): REGISTER, the 401's
//! digest challenge answered (RFC 7616, RFC 8760: the first challenge in an algorithm
//! `ringhost_sip::digest` speaks, so SHA-256 when the registrar offers it first), the
//! 200, and a refresh at half the granted time.
//!
//! Every round starts without credentials and answers a fresh challenge: the host's
//! nonces are stateless and short-lived, and a phone that reuses one only saves a round
//! trip the demo does not need.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use ringhost_sip::digest::Challenge;
use rsip::headers::UntypedHeader as _;
use rsip::{Header, Method, Request, Response};
use tokio::sync::mpsc;

use crate::retransmit::Retransmit;
use crate::socket::{Inbound, SimSocket, USER_AGENT};
use crate::uas::answers;

/// What the phone asks for.
const EXPIRES: Duration = Duration::from_secs(300);
/// How long to wait before trying again when a refresh fails.
const RETRY: Duration = Duration::from_secs(5);

/// Who registers, where.
pub(crate) struct Account {
    /// The host's registrar.
    pub registrar: SocketAddr,
    /// The user name: the address of record's user part, and the digest user.
    pub user: String,
    /// The digest password.
    pub password: String,
}

/// One phone's registration: its Call-ID, From tag and CSeq stay the same across
/// refreshes, as RFC 3261 10.2.4 asks.
pub(crate) struct Registration {
    socket: Arc<SimSocket>,
    account: Account,
    call_id: String,
    from_tag: String,
    seq: u32,
    inbox: mpsc::UnboundedReceiver<Inbound>,
}

impl Registration {
    /// A registration whose responses come through `socket`.
    pub(crate) fn new(socket: Arc<SimSocket>, account: Account) -> Registration {
        let call_id = ringhost_sip::ids::call_id(&socket.local_addr().ip().to_string());
        let inbox = socket.route(&call_id);
        Registration {
            socket,
            account,
            call_id,
            from_tag: ringhost_sip::ids::tag(),
            seq: 0,
            inbox,
        }
    }

    /// One round: REGISTER, the challenge answered, the 200. Returns how long the
    /// registrar granted.
    ///
    /// # Errors
    /// No response, no challenge the phone can answer, or a refusal.
    pub(crate) async fn register(&mut self) -> anyhow::Result<Duration> {
        let mut authorization = None;
        let mut answered = false;
        // The first REGISTER is challenged; a stale nonce (the registrar's clock moved
        // on between the two) earns one more try.
        for _ in 0..3 {
            let response = self.send(authorization.take()).await?;
            match response.status_code.code() {
                200..=299 => return Ok(self.granted(&response)),
                401 => {}
                _ => bail!(
                    "REGISTER of {} refused: {}",
                    self.account.user,
                    response.status_code
                ),
            }
            let challenge = response
                .headers
                .iter()
                .find_map(|h| match h {
                    Header::WwwAuthenticate(c) => Challenge::parse(c.value()),
                    _ => None,
                })
                .context("the 401 carries no digest challenge in MD5 or SHA-256")?;
            if answered && !challenge.stale {
                bail!(
                    "REGISTER of {} refused: the registrar challenged the answer again",
                    self.account.user
                );
            }
            answered = true;
            let credentials = challenge.answer(
                &self.account.user,
                &self.account.password,
                "REGISTER",
                &self.uri(),
            );
            authorization = Some(credentials.to_header_value());
        }
        bail!("REGISTER of {} never accepted", self.account.user)
    }

    /// Refreshes the registration at half of each granted time until the socket stops;
    /// `registered` hears each grant.
    pub(crate) async fn keep(
        mut self,
        granted: Duration,
        registered: impl Fn(Duration) + Send + 'static,
    ) {
        let mut wait = refresh_after(granted);
        loop {
            tokio::time::sleep(wait).await;
            wait = match self.register().await {
                Ok(granted) => {
                    registered(granted);
                    refresh_after(granted)
                }
                Err(error) => {
                    tracing::warn!(user = %self.account.user, %error, "registration refresh failed");
                    RETRY
                }
            };
        }
    }

    /// Sends one REGISTER until a final response comes (timers E and F).
    async fn send(&mut self, authorization: Option<String>) -> anyhow::Result<Response> {
        self.seq += 1;
        let request = self.request(authorization)?.to_string();
        let registrar = self.account.registrar;
        self.socket.send(request.as_bytes(), registrar);
        let mut schedule = Retransmit::start();
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(schedule.next()) => {
                    if !schedule.fire() {
                        bail!("no response to REGISTER from {registrar}");
                    }
                    self.socket.send(request.as_bytes(), registrar);
                }
                inbound = self.inbox.recv() => match inbound {
                    Some(Inbound::Response(response))
                        if answers(&response, self.seq, &Method::Register)
                            && response.status_code.code() >= 200 =>
                    {
                        return Ok(response);
                    }
                    Some(_) => {}
                    None => bail!("the phone's socket stopped"),
                },
            }
        }
    }

    /// The Request-URI: the registrar's address, also the digest `uri`.
    fn uri(&self) -> String {
        format!("sip:{}", self.account.registrar)
    }

    fn request(&self, authorization: Option<String>) -> anyhow::Result<Request> {
        let local = self.socket.local_addr();
        let domain = match self.account.registrar {
            SocketAddr::V4(v4) => v4.ip().to_string(),
            SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
        };
        let aor = format!("<sip:{}@{domain}>", self.account.user);
        let mut headers = rsip::Headers::default();
        headers.push(Header::Via(rsip::headers::Via::new(format!(
            "SIP/2.0/UDP {local};branch={};rport",
            ringhost_sip::ids::branch()
        ))));
        headers.push(Header::MaxForwards(rsip::headers::MaxForwards::default()));
        headers.push(Header::From(rsip::headers::From::new(format!(
            "{aor};tag={}",
            self.from_tag
        ))));
        headers.push(Header::To(rsip::headers::To::new(aor)));
        headers.push(Header::CallId(rsip::headers::CallId::new(&self.call_id)));
        headers.push(
            rsip::typed::CSeq {
                seq: self.seq,
                method: Method::Register,
            }
            .into(),
        );
        headers.push(Header::Contact(rsip::headers::Contact::new(format!(
            "<sip:{}@{local}>",
            self.account.user
        ))));
        headers.push(Header::Expires(rsip::headers::Expires::new(
            EXPIRES.as_secs().to_string(),
        )));
        if let Some(authorization) = authorization {
            headers.push(Header::Authorization(rsip::headers::Authorization::new(
                authorization,
            )));
        }
        headers.push(Header::UserAgent(rsip::headers::UserAgent::new(USER_AGENT)));
        headers.push(Header::ContentLength(
            rsip::headers::ContentLength::default(),
        ));
        Ok(Request {
            method: Method::Register,
            uri: rsip::Uri::try_from(self.uri().as_str())
                .with_context(|| format!("bad registrar address {}", self.account.registrar))?,
            version: rsip::Version::V2,
            headers,
            body: Vec::new(),
        })
    }

    /// The time granted to this phone's contact; what was asked when the registrar
    /// does not say.
    fn granted(&self, response: &Response) -> Duration {
        ringhost_sip::request::granted(response, self.socket.local_addr()).unwrap_or(EXPIRES)
    }
}

/// When to refresh a registration granted for `granted`: halfway, as phones do.
fn refresh_after(granted: Duration) -> Duration {
    (granted / 2).max(Duration::from_secs(1))
}
