//! Trunks, routes over them, and the registrar for phones: the settings that decide
//! where calls may go and who may register.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One SIP trunk to a carrier or a PBX. Also the shape of a trunk kept in the store
/// (as JSON), so that both sources mean the same thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrunkConfig {
    /// Unique name; routes and logs use it.
    pub name: String,
    /// `host[:port]`: an IP address or a DNS name; port 5060 when absent.
    pub address: String,
    /// `udp` or `tcp`.
    pub transport: TransportName,
    /// Host part of Request-URI, To and From; the address's host when empty.
    pub domain: String,
    /// `host[:port]` every request goes through (with a loose Route), when set.
    pub outbound_proxy: Option<String>,
    /// Digest user for registration and for challenged INVITEs; empty means the
    /// carrier authenticates us by IP address.
    pub username: String,
    /// Digest password.
    pub password: String,
    /// Whether to keep a registration up with the carrier.
    pub register: bool,
    /// Registration lifetime asked for.
    #[serde(with = "humantime_serde")]
    pub register_expires: Duration,
    /// Caller ID in From (user part); campaigns may override it.
    pub caller_id: String,
    /// P-Asserted-Identity user, sent when not empty.
    pub asserted_identity: String,
    /// Simultaneous calls the trunk carries.
    pub channels: u32,
    /// New calls per second the carrier accepts.
    pub cps: f64,
    /// OPTIONS keepalive interval that marks the trunk up or down; 0s turns it off.
    #[serde(with = "humantime_serde")]
    pub keepalive: Duration,
    /// Whether a 3xx from this trunk may be followed (once).
    pub follow_redirect: bool,
}

impl Default for TrunkConfig {
    fn default() -> Self {
        TrunkConfig {
            name: String::new(),
            address: String::new(),
            transport: TransportName::Udp,
            domain: String::new(),
            outbound_proxy: None,
            username: String::new(),
            password: String::new(),
            register: false,
            register_expires: Duration::from_secs(600),
            caller_id: "ringhost".to_owned(),
            asserted_identity: String::new(),
            channels: 30,
            cps: 10.0,
            keepalive: Duration::from_secs(30),
            follow_redirect: false,
        }
    }
}

/// SIP transport names as written in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportName {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
}

/// An ordered list of trunks: a call tries the next one when a trunk is down, full,
/// congested or does not answer at the SIP level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RouteConfig {
    /// Unique name; campaigns name their route.
    pub name: String,
    /// Trunk names, in the order they are tried.
    pub trunks: Vec<String>,
}

/// The registrar that agents' phones and PBX users register with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrarConfig {
    /// Digest realm shown to phones.
    pub realm: String,
    /// Digest algorithms offered, most preferred first (`SHA-256`, `MD5`). RFC 8760
    /// puts SHA-256 first; phones that only read the first challenge need MD5 first.
    pub algorithms: Vec<String>,
    /// Shortest registration accepted (shorter gets 423).
    #[serde(with = "humantime_serde")]
    pub min_expires: Duration,
    /// Longest registration granted (longer is shortened).
    #[serde(with = "humantime_serde")]
    pub max_expires: Duration,
    /// Failed authentications from one IP address within `failure_window` that get it
    /// blocked.
    pub max_failures: u32,
    /// The window over which failures are counted.
    #[serde(with = "humantime_serde")]
    pub failure_window: Duration,
    /// How long a blocked address is refused without its credentials being checked.
    #[serde(with = "humantime_serde")]
    pub block_for: Duration,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            realm: "ringhost".to_owned(),
            algorithms: vec!["SHA-256".to_owned(), "MD5".to_owned()],
            min_expires: Duration::from_secs(60),
            max_expires: Duration::from_secs(3600),
            max_failures: 5,
            failure_window: Duration::from_secs(60),
            block_for: Duration::from_secs(300),
        }
    }
}

/// A phone account: an agent's phone or a PBX user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct PhoneConfig {
    /// SIP user name (the address of record's user part).
    pub username: String,
    /// Digest password.
    pub password: String,
}
