//! Trunks to carriers and routes over them: where an outbound call may go, how many at
//! once, how fast, and which trunk to try next when one fails.
//!
//! - [`Trunk`]: one carrier connection: its next hop (the outbound proxy or the
//!   address, re-resolved by the keepalive), channel capacity, calls-per-second cap,
//!   up/down state from OPTIONS keepalives ([`keepalive`]) and its registration
//!   ([`registration`]).
//! - [`TrunkPermit`]: one channel of one trunk, freed when dropped.
//! - [`Trunks`]: every trunk and route of the host; [`Trunks::place_call`] fails over
//!   along a route ([`route`]).
//!
//! **Architecture invariant:** a trunk never originates a call on its own; only
//! [`Trunks::place_call`] sends an INVITE, and the dialer (or the operator's `dial`)
//! is its only caller.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use rsip::{Header, Method, Request, Response};

use crate::endpoint::Endpoint;
use crate::request::{DigestLogin, authorization};
use crate::transaction::ClientEvent;
use crate::transport::{Peer, Protocol};

mod keepalive;
mod pace;
mod registration;
mod route;

pub use route::Dial;

use pace::TokenBucket;

/// A trunk as configured.
#[derive(Debug, Clone)]
pub struct TrunkSpec {
    /// Unique name.
    pub name: String,
    /// `host[:port]`, an IP address or a DNS name.
    pub address: String,
    /// UDP or TCP.
    pub protocol: Protocol,
    /// Host of Request-URI, To and From; the address's host when empty.
    pub domain: String,
    /// `host[:port]` every request goes through, with a loose Route.
    pub outbound_proxy: Option<String>,
    /// Digest login for registration and challenged INVITEs; `None` for IP auth.
    pub login: Option<DigestLogin>,
    /// Keep a registration up.
    pub register: bool,
    /// Registration lifetime asked for.
    pub register_expires: Duration,
    /// Default caller ID.
    pub caller_id: String,
    /// P-Asserted-Identity user.
    pub asserted_identity: Option<String>,
    /// Simultaneous calls.
    pub channels: u32,
    /// New calls per second.
    pub cps: f64,
    /// OPTIONS interval; zero turns the keepalive off (the trunk is then always up).
    pub keepalive: Duration,
    /// Follow a 3xx once.
    pub follow_redirect: bool,
}

/// Why a trunk cannot take a call now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// Keepalives fail, or its address does not resolve.
    Down,
    /// Every channel is in use.
    Full,
    /// The calls-per-second cap allows the next call after this long.
    Paced(Duration),
}

/// One trunk's live state.
pub struct Trunk {
    spec: TrunkSpec,
    domain: String,
    next_hop: Mutex<Option<SocketAddr>>,
    up: AtomicBool,
    registered: AtomicBool,
    in_use: AtomicU32,
    bucket: Mutex<TokenBucket>,
}

/// One channel of a trunk, held for the length of a call: dropping it frees the
/// channel, whatever way the call ended.
#[derive(Debug)]
pub struct TrunkPermit {
    trunk: Arc<Trunk>,
}

impl Drop for TrunkPermit {
    fn drop(&mut self) {
        let left = self.trunk.in_use.fetch_sub(1, Ordering::AcqRel) - 1;
        self.trunk.publish_in_use(left);
    }
}

/// A trunk's state for the API and the logs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrunkStatus {
    /// Trunk name.
    pub name: String,
    /// Where its calls go: `host[:port]`.
    pub address: String,
    /// The transport its calls use.
    pub protocol: Protocol,
    /// New calls per second it carries.
    pub cps: f64,
    /// Whether calls may use it.
    pub up: bool,
    /// Whether its registration is current (always `false` when it does not register).
    pub registered: bool,
    /// Channels in use.
    pub in_use: u32,
    /// Channel capacity.
    pub channels: u32,
}

impl std::fmt::Debug for Trunk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trunk")
            .field("name", &self.spec.name)
            .field("up", &self.is_up())
            .finish_non_exhaustive()
    }
}

impl Trunk {
    fn new(spec: TrunkSpec) -> Trunk {
        let domain = if spec.domain.is_empty() {
            spec.address.clone()
        } else {
            spec.domain.clone()
        };
        let bucket = TokenBucket::new(spec.cps);
        Trunk {
            domain,
            next_hop: Mutex::new(None),
            up: AtomicBool::new(true),
            registered: AtomicBool::new(false),
            in_use: AtomicU32::new(0),
            bucket: Mutex::new(bucket),
            spec,
        }
    }

    /// The trunk's name.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Whether calls may use it: its next hop resolved and, with a keepalive, the
    /// last OPTIONS was answered.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    fn publish_in_use(&self, in_use: u32) {
        metrics::gauge!("ringhost_trunk_channels_in_use", "trunk" => self.spec.name.clone())
            .set(f64::from(in_use));
    }

    /// Its state now.
    pub fn status(&self) -> TrunkStatus {
        TrunkStatus {
            name: self.spec.name.clone(),
            address: self.spec.address.clone(),
            protocol: self.spec.protocol,
            cps: self.spec.cps,
            up: self.is_up(),
            registered: self.registered.load(Ordering::Acquire),
            in_use: self.in_use.load(Ordering::Acquire),
            channels: self.spec.channels,
        }
    }

    fn next_hop(&self) -> Option<Peer> {
        let addr = (*self.next_hop.lock().unwrap())?;
        Some(Peer {
            addr,
            protocol: self.spec.protocol,
        })
    }

    /// A channel, if the trunk is up, has one free and its pace allows a call now.
    pub(crate) fn try_acquire(self: &Arc<Self>) -> Result<TrunkPermit, Unavailable> {
        if !self.is_up() {
            return Err(Unavailable::Down);
        }
        let taken = self
            .in_use
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.spec.channels).then_some(n + 1)
            });
        let Ok(before) = taken else {
            return Err(Unavailable::Full);
        };
        let permit = TrunkPermit {
            trunk: self.clone(),
        };
        // Paced after the channel check, so that a full trunk spends no token; the
        // permit is dropped (the channel freed) when the pace says wait.
        self.bucket
            .lock()
            .unwrap()
            .take(tokio::time::Instant::now())
            .map_err(Unavailable::Paced)?;
        self.publish_in_use(before + 1);
        Ok(permit)
    }

    /// Resolves the next hop (the proxy when there is one) and trusts its address.
    async fn resolve(&self, endpoint: &Endpoint) -> anyhow::Result<SocketAddr> {
        let target = self
            .spec
            .outbound_proxy
            .as_deref()
            .unwrap_or(&self.spec.address);
        let addr = resolve(target).await?;
        endpoint.trust(addr.ip());
        *self.next_hop.lock().unwrap() = Some(addr);
        Ok(addr)
    }

    fn set_up(&self, up: bool, why: &str) {
        let was = self.up.swap(up, Ordering::AcqRel);
        metrics::gauge!("ringhost_trunk_up", "trunk" => self.spec.name.clone()).set(if up {
            1.0
        } else {
            0.0
        });
        if was != up {
            if up {
                tracing::info!(trunk = %self.spec.name, "trunk up: {why}");
            } else {
                tracing::warn!(trunk = %self.spec.name, "trunk down: {why}");
            }
        }
    }

    /// The loose Route towards the outbound proxy, if any.
    fn route(&self) -> Option<String> {
        self.spec
            .outbound_proxy
            .as_ref()
            .map(|proxy| format!("sip:{proxy};lr"))
    }
}

/// `host[:port]` to a socket address; port 5060 when absent.
pub async fn resolve(host_port: &str) -> anyhow::Result<SocketAddr> {
    let with_port = if host_port
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        host_port.to_owned()
    } else {
        format!("{host_port}:5060")
    };
    tokio::net::lookup_host(&with_port)
        .await
        .with_context(|| format!("cannot resolve {with_port}"))?
        .next()
        .with_context(|| format!("{with_port} has no address"))
}

/// Every trunk and route of the host.
pub struct Trunks {
    endpoint: Endpoint,
    trunks: Vec<Arc<Trunk>>,
    routes: HashMap<String, Vec<Arc<Trunk>>>,
}

impl std::fmt::Debug for Trunks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trunks")
            .field("trunks", &self.trunks)
            .field("routes", &self.routes.keys())
            .finish_non_exhaustive()
    }
}

impl Trunks {
    /// Checks the trunks and routes, resolves every trunk (a name that does not
    /// resolve leaves its trunk down until it does), trusts their addresses, and starts
    /// their keepalives and registrations. Each trunk is also a route of its own name.
    ///
    /// # Errors
    /// A duplicate name, a route naming an unknown trunk, or a trunk with no address,
    /// no channels or no calls per second.
    pub async fn start(
        endpoint: &Endpoint,
        specs: Vec<TrunkSpec>,
        routes: Vec<(String, Vec<String>)>,
    ) -> anyhow::Result<Arc<Trunks>> {
        let mut by_name: HashMap<String, Arc<Trunk>> = HashMap::new();
        let mut trunks = Vec::new();
        for spec in specs {
            anyhow::ensure!(!spec.name.is_empty(), "a trunk has no name");
            anyhow::ensure!(
                !spec.address.is_empty(),
                "trunk `{}` has no address",
                spec.name
            );
            anyhow::ensure!(spec.channels > 0, "trunk `{}` has no channels", spec.name);
            anyhow::ensure!(
                spec.cps.is_finite() && spec.cps > 0.0,
                "trunk `{}`: cps must be above 0",
                spec.name
            );
            anyhow::ensure!(
                !spec.register || spec.login.is_some(),
                "trunk `{}` registers but has no username and password",
                spec.name
            );
            let trunk = Arc::new(Trunk::new(spec));
            anyhow::ensure!(
                by_name
                    .insert(trunk.spec.name.clone(), trunk.clone())
                    .is_none(),
                "trunk `{}` is defined twice",
                trunk.spec.name
            );
            trunks.push(trunk);
        }
        let mut route_map: HashMap<String, Vec<Arc<Trunk>>> = trunks
            .iter()
            .map(|t| (t.spec.name.clone(), vec![t.clone()]))
            .collect();
        for (name, members) in routes {
            let members = members
                .iter()
                .map(|m| {
                    by_name
                        .get(m)
                        .cloned()
                        .with_context(|| format!("route `{name}` names an unknown trunk `{m}`"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::ensure!(!members.is_empty(), "route `{name}` has no trunks");
            route_map.insert(name, members);
        }
        for trunk in &trunks {
            match trunk.resolve(endpoint).await {
                Ok(_) => trunk.set_up(true, "configured"),
                Err(error) => trunk.set_up(false, &format!("{error:#} (down until it resolves)")),
            }
            if !trunk.spec.keepalive.is_zero() {
                tokio::spawn(keepalive::run(endpoint.clone(), trunk.clone()));
            }
            if trunk.spec.register {
                tokio::spawn(registration::run(endpoint.clone(), trunk.clone()));
            }
        }
        Ok(Arc::new(Trunks {
            endpoint: endpoint.clone(),
            trunks,
            routes: route_map,
        }))
    }

    /// Every trunk's state, in configuration order.
    pub fn status(&self) -> Vec<TrunkStatus> {
        self.trunks.iter().map(|t| t.status()).collect()
    }

    /// The routes named in the configuration (not the route each trunk is of its own
    /// name), with their trunks in the order they are tried, by name.
    pub fn routes(&self) -> Vec<(String, Vec<String>)> {
        let mut routes: Vec<(String, Vec<String>)> = self
            .routes
            .iter()
            .filter(|(name, trunks)| !(trunks.len() == 1 && trunks[0].spec.name == **name))
            .map(|(name, trunks)| {
                let names = trunks.iter().map(|t| t.spec.name.clone()).collect();
                (name.clone(), names)
            })
            .collect();
        routes.sort();
        routes
    }

    /// Whether a route (or trunk) of this name exists.
    pub fn has_route(&self, name: &str) -> bool {
        self.routes.contains_key(name)
    }
}

/// Sends an out-of-dialog, non-INVITE request built by `build(seq, credentials)` and
/// returns its final response, answering one digest challenge with `login` (a second
/// challenge means the password is wrong, and is returned).
/// `Err` carries why no final response came.
async fn request_with_auth(
    endpoint: &Endpoint,
    peer: Peer,
    login: Option<&DigestLogin>,
    mut build: impl FnMut(Option<Header>) -> Option<Request>,
) -> Result<Response, String> {
    let mut credentials = None;
    let mut answered = false;
    loop {
        let request = build(credentials.take()).ok_or("cannot build the request")?;
        let method: Method = request.method;
        let uri = request.uri.to_string();
        let mut transaction = endpoint.inner.layer.send_request(request, peer);
        let response = loop {
            match transaction.events.recv().await {
                Some(ClientEvent::Response(r)) if r.status_code.code() < 200 => {}
                Some(ClientEvent::Response(r)) => break r,
                Some(ClientEvent::Timeout) | None => return Err("no response".into()),
                Some(ClientEvent::TransportError(e)) => return Err(e),
            }
        };
        let code = response.status_code.code();
        if (code == 401 || code == 407)
            && !answered
            && let Some(answer) = login.and_then(|l| authorization(&response, l, &method, &uri))
        {
            credentials = Some(answer);
            answered = true;
            continue;
        }
        return Ok(response);
    }
}
