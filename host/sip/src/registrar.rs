//! The registrar (RFC 3261 10.3) for agents' phones and PBX users: REGISTER with
//! digest authentication (MD5 and SHA-256, RFC 8760), expiry, bindings kept in a
//! [`BindingStore`], and brute-force protection.
//!
//! **Security:** every failed authentication is one `warn` line naming the user, the
//! source IP and port (a fail2ban filter can match `SIP authentication failed`); an
//! address with `max_failures` failures inside `failure_window` is refused without its
//! credentials being checked for `block_for`. Nonces are stateless (a timestamp signed
//! with a per-process secret), so a flood of unauthenticated REGISTERs costs no memory.
//!
//! Registered sources are what the endpoint accepts INVITEs from, besides trunks.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsip::headers::UntypedHeader as _;
use rsip::prelude::*;
use rsip::{Header, Request};

use crate::account::{PhoneAccounts, PhoneSecret};
use crate::binding::{Binding, BindingStore};
use crate::digest::{Algorithm, Challenge, Credentials};
use crate::ids::wall_clock_ms;
use crate::transaction::ServerTransaction;
use crate::transport::{Peer, Protocol};

/// How long a nonce may be answered before the phone is asked again (`stale=true`).
const NONCE_TTL: Duration = Duration::from_secs(300);

/// What the registrar enforces. Not `Debug`: it holds the passwords.
#[derive(Clone)]
pub struct RegistrarSettings {
    /// Digest realm.
    pub realm: String,
    /// Algorithms offered, most preferred first.
    pub algorithms: Vec<Algorithm>,
    /// Shortest registration accepted.
    pub min_expires: Duration,
    /// Longest registration granted.
    pub max_expires: Duration,
    /// Failures within `failure_window` that block an address.
    pub max_failures: u32,
    /// Window over which failures are counted.
    pub failure_window: Duration,
    /// How long a blocked address stays blocked.
    pub block_for: Duration,
    /// Accounts of the configuration file: user name to password.
    pub phones: HashMap<String, String>,
    /// Where the accounts the file does not list are looked up, on each REGISTER (the
    /// store's, made from the panel).
    pub accounts: Option<Arc<dyn PhoneAccounts>>,
}

/// A phone's registered contact, as the host routes to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The Contact URI.
    pub contact: String,
    /// Where requests to the phone go (its REGISTER's source).
    pub peer: Peer,
    /// When the registration lapses, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

/// The registrar. Shared by the endpoint's dispatcher.
pub struct Registrar {
    settings: RegistrarSettings,
    secret: u128,
    store: Arc<dyn BindingStore>,
    bindings: Mutex<HashMap<String, Vec<Registered>>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the passwords.
        f.debug_struct("Registrar")
            .field("realm", &self.settings.realm)
            .field("phones", &self.settings.phones.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
struct Failures {
    count: u32,
    since: Instant,
    blocked_until: Option<Instant>,
}

/// What a REGISTER's credentials are checked against.
enum Secret {
    /// The configuration file's password.
    Password(String),
    /// An account store's hashes.
    Hashed(PhoneSecret),
}

enum Nonce {
    Fresh,
    Stale,
    Forged,
}

/// A Contact header of a REGISTER: a URI with its own expiry, or `*`.
#[derive(Debug, PartialEq, Eq)]
enum ContactSpec {
    Wildcard,
    Uri { uri: String, expires: Option<u32> },
}

impl Registrar {
    /// Builds the registrar with the bindings that were live in `store`.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub async fn new(
        settings: RegistrarSettings,
        store: Arc<dyn BindingStore>,
    ) -> anyhow::Result<Arc<Registrar>> {
        let registrar = Arc::new(Registrar {
            settings,
            secret: rand::random(),
            store,
            bindings: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        });
        let live = registrar.store.live(None, wall_clock_ms() as i64).await?;
        {
            let mut map = registrar.bindings.lock().unwrap();
            for binding in live {
                if let Some(registered) = registered(&binding) {
                    map.entry(binding.aor).or_default().push(registered);
                }
            }
        }
        Ok(registrar)
    }

    /// Whether `source` is the address of a phone registered now.
    pub fn is_registered_source(&self, source: SocketAddr) -> bool {
        let now = wall_clock_ms() as i64;
        self.bindings
            .lock()
            .unwrap()
            .values()
            .flatten()
            .any(|b| b.peer.addr == source && b.expires_at_ms > now)
    }

    /// The live contacts of a phone account.
    pub fn contacts(&self, aor: &str) -> Vec<Registered> {
        let now = wall_clock_ms() as i64;
        self.bindings
            .lock()
            .unwrap()
            .get(aor)
            .map(|all| {
                all.iter()
                    .filter(|b| b.expires_at_ms > now)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Answers one REGISTER.
    pub(crate) async fn handle(self: Arc<Self>, transaction: ServerTransaction) {
        let source = transaction.peer.addr;
        if self.is_blocked(source.ip()) {
            tracing::debug!(%source, "REGISTER from a blocked address refused");
            transaction.reply(403, "Forbidden", Vec::new());
            return;
        }
        let request = &transaction.request;
        let Some(value) = request.headers.iter().find_map(|h| match h {
            Header::Authorization(a) => Some(a.value().to_owned()),
            _ => None,
        }) else {
            self.challenge(&transaction, false);
            return;
        };
        let Some(credentials) = Credentials::parse(&value) else {
            self.failed(&transaction, "", "malformed or unsupported credentials");
            return;
        };
        let user = credentials.username.as_str();
        let secret = match self.settings.phones.get(user) {
            Some(password) => Some(Secret::Password(password.clone())),
            None => match self.account(user).await {
                Ok(account) => account.map(Secret::Hashed),
                Err(error) => {
                    // Not the phone's fault: no failure counted, and it may try again.
                    tracing::error!(
                        user,
                        error = format!("{error:#}"),
                        "cannot read a phone account"
                    );
                    transaction.reply(500, "Server Internal Error", Vec::new());
                    return;
                }
            },
        };
        let Some(secret) = secret else {
            self.failed(&transaction, user, "unknown user");
            return;
        };
        if credentials.realm != self.settings.realm
            || !self.settings.algorithms.contains(&credentials.algorithm)
        {
            self.failed(&transaction, user, "realm or algorithm not offered");
            return;
        }
        if to_user(request).as_deref() != Some(user) {
            self.failed(&transaction, user, "user is not the address of record");
            return;
        }
        let nonce = self.check_nonce(&credentials.nonce);
        if matches!(nonce, Nonce::Forged) {
            self.failed(&transaction, user, "nonce not issued here");
            return;
        }
        let proved = match &secret {
            Secret::Password(password) => credentials.verify(password, "REGISTER"),
            Secret::Hashed(hashed) => {
                credentials.verify_ha1(hashed.ha1(credentials.algorithm), "REGISTER")
            }
        };
        if !proved {
            self.failed(&transaction, user, "wrong password");
            return;
        }
        if matches!(nonce, Nonce::Stale) {
            self.challenge(&transaction, true);
            return;
        }
        self.failures.lock().unwrap().remove(&source.ip());
        let user = user.to_owned();
        self.update_bindings(&transaction, &user).await;
    }

    /// The account `user` of the account store, if it has one made for this realm.
    async fn account(&self, user: &str) -> anyhow::Result<Option<PhoneSecret>> {
        let Some(accounts) = &self.settings.accounts else {
            return Ok(None);
        };
        let secret = accounts.secret(user).await?;
        Ok(secret.filter(|secret| {
            let here = secret.realm == self.settings.realm;
            if !here {
                tracing::warn!(user, realm = %secret.realm, "phone account made for another realm: set its password again");
            }
            here
        }))
    }

    /// 401 with one challenge per offered algorithm, most preferred first (RFC 8760).
    fn challenge(&self, transaction: &ServerTransaction, stale: bool) {
        let nonce = self.nonce();
        let headers = self
            .settings
            .algorithms
            .iter()
            .map(|&algorithm| {
                let challenge = Challenge {
                    realm: self.settings.realm.clone(),
                    nonce: nonce.clone(),
                    opaque: None,
                    algorithm,
                    qop_auth: true,
                    stale,
                };
                Header::WwwAuthenticate(rsip::headers::WwwAuthenticate::new(
                    challenge.to_header_value(),
                ))
            })
            .collect();
        transaction.reply(401, "Unauthorized", headers);
    }

    /// Logs, counts and refuses one failed authentication.
    fn failed(&self, transaction: &ServerTransaction, user: &str, reason: &str) {
        let source = transaction.peer.addr;
        // The line fail2ban matches: keep its wording stable.
        tracing::warn!(
            source_ip = %source.ip(),
            source_port = source.port(),
            user,
            reason,
            "SIP authentication failed for user \"{user}\" from {source}: {reason}"
        );
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap();
        let entry = failures.entry(source.ip()).or_insert(Failures {
            count: 0,
            since: now,
            blocked_until: None,
        });
        if now.duration_since(entry.since) > self.settings.failure_window {
            entry.count = 0;
            entry.since = now;
        }
        entry.count += 1;
        if entry.count >= self.settings.max_failures {
            entry.blocked_until = Some(now + self.settings.block_for);
            tracing::warn!(
                source_ip = %source.ip(),
                "SIP source {} blocked for {:?} after {} failed authentications",
                source.ip(),
                self.settings.block_for,
                entry.count
            );
        }
        drop(failures);
        transaction.reply(403, "Forbidden", Vec::new());
    }

    fn is_blocked(&self, ip: IpAddr) -> bool {
        let mut failures = self.failures.lock().unwrap();
        let Some(entry) = failures.get(&ip) else {
            return false;
        };
        match entry.blocked_until {
            Some(until) if until > Instant::now() => true,
            Some(_) => {
                failures.remove(&ip);
                false
            }
            None => false,
        }
    }

    fn nonce(&self) -> String {
        let ts = wall_clock_ms() / 1000;
        format!("{ts:x}.{}", self.signature(ts))
    }

    fn signature(&self, ts: u64) -> String {
        Algorithm::Sha256.hash(&format!("{:032x}:{ts:x}", self.secret))[..32].to_owned()
    }

    fn check_nonce(&self, nonce: &str) -> Nonce {
        let Some((ts, signature)) = nonce.split_once('.') else {
            return Nonce::Forged;
        };
        let Ok(ts) = u64::from_str_radix(ts, 16) else {
            return Nonce::Forged;
        };
        if self.signature(ts) != signature {
            return Nonce::Forged;
        }
        let age = (wall_clock_ms() / 1000).saturating_sub(ts);
        if age > NONCE_TTL.as_secs() {
            Nonce::Stale
        } else {
            Nonce::Fresh
        }
    }

    /// RFC 3261 10.3 steps 6 to 8, for an authenticated address of record.
    async fn update_bindings(&self, transaction: &ServerTransaction, aor: &str) {
        let request = &transaction.request;
        let contacts = match contact_specs(request) {
            Ok(contacts) => contacts,
            Err(reason) => {
                transaction.reply(400, reason, Vec::new());
                return;
            }
        };
        let default_expires = request
            .expires_header()
            .and_then(|e| e.seconds().ok())
            .unwrap_or(3600);
        let min = self.settings.min_expires.as_secs();
        let too_brief = contacts.iter().any(|spec| match spec {
            ContactSpec::Uri { expires, .. } => {
                let e = u64::from(expires.unwrap_or(default_expires));
                e != 0 && e < min
            }
            ContactSpec::Wildcard => false,
        });
        if too_brief {
            let min_expires = Header::MinExpires(rsip::headers::MinExpires::new(min.to_string()));
            transaction.reply(423, "Interval Too Brief", vec![min_expires]);
            return;
        }
        let now = wall_clock_ms() as i64;
        let store = self.store.as_ref();
        let result: anyhow::Result<()> = async {
            for contact in &contacts {
                match contact {
                    ContactSpec::Wildcard => store.remove(aor, None).await?,
                    ContactSpec::Uri { uri, expires } => {
                        let expires = expires.unwrap_or(default_expires);
                        if expires == 0 {
                            store.remove(aor, Some(uri)).await?;
                            continue;
                        }
                        let granted =
                            Duration::from_secs(expires.into()).min(self.settings.max_expires);
                        let binding = Binding {
                            aor: aor.to_owned(),
                            contact: uri.clone(),
                            source: transaction.peer.addr.to_string(),
                            transport: transaction.peer.protocol.via_name().to_ascii_lowercase(),
                            call_id: request
                                .call_id_header()
                                .map(|c| c.value().to_owned())
                                .unwrap_or_default(),
                            cseq: request
                                .cseq_header()
                                .ok()
                                .and_then(|c| c.seq().ok())
                                .unwrap_or(0)
                                .into(),
                            user_agent: request
                                .user_agent_header()
                                .map(|u| u.value().to_owned())
                                .unwrap_or_default(),
                            expires_at_ms: now + granted.as_millis() as i64,
                        };
                        store.put(&binding, now).await?;
                    }
                }
            }
            Ok(())
        }
        .await;
        if let Err(error) = result {
            tracing::error!(%error, aor, "registration not stored");
            transaction.reply(500, "Server Internal Error", Vec::new());
            return;
        }
        let live = match store.live(Some(aor), now).await {
            Ok(live) => live,
            Err(error) => {
                tracing::error!(%error, aor, "registrations not read back");
                transaction.reply(500, "Server Internal Error", Vec::new());
                return;
            }
        };
        let headers = live
            .iter()
            .map(|b| {
                let remaining = ((b.expires_at_ms - now) / 1000).max(0);
                Header::Contact(rsip::headers::Contact::new(format!(
                    "<{}>;expires={remaining}",
                    b.contact
                )))
            })
            .collect();
        self.bindings
            .lock()
            .unwrap()
            .insert(aor.to_owned(), live.iter().filter_map(registered).collect());
        tracing::info!(aor, source = %transaction.peer.addr, contacts = live.len(), "registered");
        transaction.reply(200, "OK", headers);
    }

    /// Forgets lapsed bindings, in memory and in the store.
    pub async fn purge(&self) {
        let now = wall_clock_ms() as i64;
        self.bindings.lock().unwrap().retain(|_, all| {
            all.retain(|b| b.expires_at_ms > now);
            !all.is_empty()
        });
        if let Err(error) = self.store.purge(now).await {
            tracing::warn!(%error, "lapsed registrations not purged");
        }
    }
}

fn registered(binding: &Binding) -> Option<Registered> {
    let protocol = match binding.transport.as_str() {
        "tcp" => Protocol::Tcp,
        _ => Protocol::Udp,
    };
    Some(Registered {
        contact: binding.contact.clone(),
        peer: Peer {
            addr: binding.source.parse().ok()?,
            protocol,
        },
        expires_at_ms: binding.expires_at_ms,
    })
}

fn to_user(request: &Request) -> Option<String> {
    let to = request.to_header().ok()?.typed().ok()?;
    to.uri.user().map(str::to_owned)
}

/// The Contact headers of a REGISTER, read by hand: rsip's typed Contact refuses the
/// quoted parameters phones send (`+sip.instance="<urn:...>"`).
fn contact_specs(request: &Request) -> Result<Vec<ContactSpec>, &'static str> {
    let mut specs = Vec::new();
    for header in request.headers.iter() {
        let Header::Contact(contact) = header else {
            continue;
        };
        let value = contact.value().trim();
        if value == "*" {
            let zero = request.expires_header().and_then(|e| e.seconds().ok()) == Some(0);
            if !zero {
                return Err("Contact * needs Expires: 0");
            }
            specs.push(ContactSpec::Wildcard);
            continue;
        }
        let (uri, params) = match (value.find('<'), value.find('>')) {
            (Some(open), Some(close)) if open < close => {
                (&value[open + 1..close], &value[close + 1..])
            }
            _ => value.split_once(';').unwrap_or((value, "")),
        };
        let expires = params
            .split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("expires"))
            .map(|(_, v)| v.trim().parse::<u32>().map_err(|_| "bad expires parameter"))
            .transpose()?;
        specs.push(ContactSpec::Uri {
            uri: uri.trim().to_owned(),
            expires,
        });
    }
    if specs.len() > 1 && specs.contains(&ContactSpec::Wildcard) {
        return Err("Contact * must be alone");
    }
    Ok(specs)
}
