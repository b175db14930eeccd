//! The operator's configuration: one TOML file in which every setting is optional and
//! falls back to an embedded default, so that `ringhost serve` runs with no file at all.
//!
//! Loading is strict. An unknown key or a value of the wrong type is refused with an
//! error naming the file, the line and the dotted key: in a telephony host a misspelt
//! limit that silently falls back to its default is how a trunk gets overrun.
//!
//! Secrets can be kept out of the file: [`Config::apply_env`] lets environment
//! variables (`RINGHOST_DATABASE_URL`, ...) override them.
//!
//! [`EXAMPLE`] is the commented file that `ringhost config example` prints; a test keeps
//! it equal to [`Config::default`] and complete.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod error;
mod trunk;

pub use error::ConfigError;
pub use trunk::{PhoneConfig, RegistrarConfig, RouteConfig, TransportName, TrunkConfig};

/// The commented configuration file with every setting at its default.
pub const EXAMPLE: &str = include_str!("example.toml");

/// Environment variable that overrides [`Config::database_url`] (it may hold a password).
pub const ENV_DATABASE_URL: &str = "RINGHOST_DATABASE_URL";

/// Everything an operator can set. See [`EXAMPLE`] for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for the embedded database and the plugin compilation cache.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; `None` means SQLite in `data_dir`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    /// The HTTP server: health, metrics and the API.
    pub http: HttpConfig,
    /// The SIP listeners shared by trunks, phones and the registrar.
    pub sip: SipConfig,
    /// Trunks to carriers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub trunks: Vec<TrunkConfig>,
    /// Ordered lists of trunks with failover.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub routes: Vec<RouteConfig>,
    /// The registrar for phones.
    pub registrar: RegistrarConfig,
    /// Phone accounts that may register.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phones: Vec<PhoneConfig>,
    /// RTP: the address and port range of media streams, and the codecs offered.
    pub media: MediaConfig,
    /// Where plugin packages are loaded from.
    pub plugins: PluginsConfig,
    /// The dialer: channels, concurrent-call limits, the scheduler.
    pub dialer: DialerConfig,
    /// Log filter and format.
    pub log: LogConfig,
    /// How a SIGINT or SIGTERM is handled.
    pub shutdown: ShutdownConfig,
    /// The web panel: its sessions and the time zone its pages speak.
    pub web: WebConfig,
    /// Missed calls to call back: how numbers are read, how callbacks are placed.
    pub missed_calls: MissedCallsConfig,
    /// The host's own numbers: trunks' calls to them are queued to agents.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inbound: Vec<InboundConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./ringhost-data"),
            database_url: None,
            http: HttpConfig::default(),
            sip: SipConfig::default(),
            trunks: Vec::new(),
            routes: Vec::new(),
            registrar: RegistrarConfig::default(),
            phones: Vec::new(),
            media: MediaConfig::default(),
            plugins: PluginsConfig::default(),
            dialer: DialerConfig::default(),
            log: LogConfig::default(),
            shutdown: ShutdownConfig::default(),
            web: WebConfig::default(),
            missed_calls: MissedCallsConfig::default(),
            inbound: Vec::new(),
        }
    }
}

/// Missed calls to call back (a PBX's intake, operators' callbacks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MissedCallsConfig {
    /// The campaign callbacks are placed through (an agents' campaign whose queue
    /// holds the operators); empty: callbacks are refused.
    pub campaign: String,
    /// The country (ISO 3166 alpha-2) whose terms read a caller number written
    /// without its international prefix.
    pub region: String,
    /// A callback closes its request when the customer talked longer than this.
    #[serde(with = "humantime_serde")]
    pub min_talk: Duration,
    /// Operators are told now is a good time to call back within this much of the
    /// time of day of the customer's last call.
    #[serde(with = "humantime_serde")]
    pub good_time_window: Duration,
    /// The operators supervisors may assign requests to; empty: every agent with an
    /// extension.
    pub operators: Vec<String>,
    /// A CRM page the operator may open for a request; `{caller}` becomes the
    /// caller's number. Empty: no link.
    pub crm_url: String,
}

impl Default for MissedCallsConfig {
    fn default() -> Self {
        MissedCallsConfig {
            campaign: String::new(),
            region: "IT".into(),
            min_talk: Duration::from_secs(5),
            good_time_window: Duration::from_secs(30 * 60),
            operators: Vec::new(),
            crm_url: String::new(),
        }
    }
}

/// One of the host's own numbers (`[[inbound]]`): a trunk's call to it is answered,
/// greeted and queued with music to the queue's longest-idle ready agent; a call that
/// reaches nobody becomes a missed-call request to call back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// The number as trunks send it in the Request-URI (a leading `+` does not count).
    pub number: String,
    /// The agents' queue that answers it.
    pub queue: String,
    /// The IANA time zone of the opening hours.
    pub time_zone: String,
    /// When the line is open; none: always.
    pub hours: Vec<OpeningHours>,
    /// The longest a caller waits in the queue.
    #[serde(with = "humantime_serde")]
    pub max_wait: Duration,
    /// How long each agent's phone rings before the next agent's.
    #[serde(with = "humantime_serde")]
    pub agent_ring: Duration,
    /// Prompts (files of the prompts folder); empty: none. `greeting` is played on
    /// answer, `music` while waiting (comfort noise when empty), `closed_message`
    /// outside the hours and with nobody logged in to the queue (empty: the call is
    /// refused unanswered), `closing_message` when the maximum wait passes.
    pub greeting: String,
    /// See `greeting`.
    pub music: String,
    /// See `greeting`.
    pub closed_message: String,
    /// See `greeting`.
    pub closing_message: String,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            number: String::new(),
            queue: String::new(),
            time_zone: "Europe/Rome".to_owned(),
            hours: Vec::new(),
            max_wait: Duration::from_secs(180),
            agent_ring: Duration::from_secs(15),
            greeting: String::new(),
            music: String::new(),
            closed_message: String::new(),
            closing_message: String::new(),
        }
    }
}

/// When an inbound line is open: on these days (0 = Monday ... 6 = Sunday), from
/// `from` to `to` (`HH:MM` in the line's zone, `to` excluded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    /// Days of the week, 0 = Monday.
    pub days: Vec<u8>,
    /// Opening time, `HH:MM`.
    pub from: String,
    /// Closing time, `HH:MM`.
    pub to: String,
}

/// The HTTP server's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Address the HTTP server listens on; loopback by default so that nothing is exposed
    /// before the operator decides to.
    pub listen: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

/// The SIP listeners.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SipConfig {
    /// UDP addresses to listen on.
    pub udp: Vec<SocketAddr>,
    /// TCP addresses to listen on.
    pub tcp: Vec<SocketAddr>,
}

impl Default for SipConfig {
    fn default() -> Self {
        let loopback = SocketAddr::from(([127, 0, 0, 1], 5060));
        SipConfig {
            udp: vec![loopback],
            tcp: vec![loopback],
        }
    }
}

/// Media streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// The address RTP sockets bind and SDP offers name.
    pub ip: std::net::IpAddr,
    /// The UDP ports for RTP (even) and RTCP (odd), as the firewall opens them.
    pub rtp_ports: PortRange,
    /// G.711 laws offered, in order of preference.
    #[serde(deserialize_with = "non_empty")]
    pub codecs: Vec<Codec>,
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig {
            ip: std::net::IpAddr::from([127, 0, 0, 1]),
            rtp_ports: PortRange {
                min: 10000,
                max: 20000,
            },
            codecs: vec![Codec::Pcmu, Codec::Pcma],
        }
    }
}

/// A G.711 law by its SDP encoding name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Codec {
    /// μ-law.
    #[serde(rename = "PCMU")]
    Pcmu,
    /// A-law.
    #[serde(rename = "PCMA")]
    Pcma,
}

fn non_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<Codec>, D::Error> {
    let codecs = Vec::<Codec>::deserialize(deserializer)?;
    if codecs.is_empty() {
        return Err(serde::de::Error::custom("at least one codec is needed"));
    }
    Ok(codecs)
}

/// A port range written `"MIN-MAX"`, holding at least one even/odd pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PortRange {
    /// The first port.
    pub min: u16,
    /// The last port.
    pub max: u16,
}

impl TryFrom<String> for PortRange {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl std::str::FromStr for PortRange {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (min, max) = text
            .split_once('-')
            .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
            .ok_or_else(|| format!("a port range looks like \"10000-20000\", not {text:?}"))?;
        if min < 1024 || max <= min {
            return Err(format!(
                "the port range {min}-{max} must lie above 1023 and hold at least two ports"
            ));
        }
        Ok(PortRange { min, max })
    }
}

impl From<PortRange> for String {
    fn from(range: PortRange) -> String {
        format!("{}-{}", range.min, range.max)
    }
}

/// Where plugins come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PluginsConfig {
    /// Folder watched for plugin packages.
    pub dir: PathBuf,
    /// The longest one pacer or mapper call may run before it is stopped.
    #[serde(with = "humantime_serde")]
    pub call_deadline: Duration,
    /// The longest one IVR event may take; past it the call ends `IVR_FAILED`.
    #[serde(with = "humantime_serde")]
    pub ivr_deadline: Duration,
    /// The longest one CRM connector call may take, its HTTP requests included.
    #[serde(with = "humantime_serde")]
    pub connector_deadline: Duration,
    /// The most memory one plugin instance may grow to, in MiB.
    pub memory_mb: u32,
}

impl Default for PluginsConfig {
    fn default() -> Self {
        PluginsConfig {
            dir: PathBuf::from("./ringhost-plugins"),
            call_deadline: Duration::from_millis(20),
            ivr_deadline: Duration::from_millis(500),
            connector_deadline: Duration::from_secs(10),
            memory_mb: 64,
        }
    }
}

/// The dialer's channels and the scheduler; 0 means no limit of that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DialerConfig {
    /// This host's name among hosts sharing one PostgreSQL database; empty: the
    /// machine's host name. After a crash a host closes only its own calls.
    pub host_id: String,
    /// Hosts sharing a PostgreSQL database: how long a host's lease lasts unrenewed
    /// (it renews it every third of that). A host whose lease expired is taken to be
    /// dead; another host closes its calls in progress and frees its agents, as its
    /// own restart would.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Channels the dialer may use in all (TVox's dialer channels); campaigns reserve
    /// percentages of these.
    pub channels: u32,
    /// Concurrent calls, internal and external together (Kalliope's total limit).
    pub max_total_calls: u32,
    /// Concurrent calls to registered extensions.
    pub max_internal_calls: u32,
    /// Concurrent calls through trunks.
    pub max_external_calls: u32,
    /// Campaigns dialling at once, by priority then start time.
    pub max_active_campaigns: u32,
    /// The route (or trunk) of campaigns that name none; empty: the first route, else
    /// the first trunk.
    pub default_route: String,
    /// The longest time between two scheduler passes (a call ending or a campaign
    /// starting triggers one at once).
    #[serde(with = "humantime_serde")]
    pub tick: Duration,
    /// Folder of the campaigns' messages (WAV files), for relative paths.
    pub prompts_dir: PathBuf,
}

impl Default for DialerConfig {
    fn default() -> Self {
        DialerConfig {
            host_id: String::new(),
            lease: Duration::from_secs(15),
            channels: 30,
            max_total_calls: 0,
            max_internal_calls: 0,
            max_external_calls: 0,
            max_active_campaigns: 0,
            default_route: String::new(),
            tick: Duration::from_millis(250),
            prompts_dir: PathBuf::from("./ringhost-prompts"),
        }
    }
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A `RUST_LOG`-style filter; the `RUST_LOG` variable, when set, takes precedence.
    pub filter: String,
    /// `text` for people, `json` for log shippers.
    pub format: LogFormat,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            filter: "info".to_owned(),
            format: LogFormat::Text,
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per line.
    Json,
}

/// Shutdown on SIGINT or SIGTERM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// How long calls in progress may go on after the signal before they are hung up.
    #[serde(with = "humantime_serde")]
    pub drain_timeout: Duration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            drain_timeout: Duration::from_secs(30),
        }
    }
}

/// The web panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// A session unused this long ends; its user signs in again.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Session cookies carry `Secure`: set it when a TLS proxy serves the panel.
    pub secure_cookies: bool,
    /// The IANA zone the pages show and read dates and times in.
    pub time_zone: String,
    /// The secret that opens the wallboard (`/wallboard?token=...`, a kiosk screen
    /// with no sign-in); empty: no wallboard.
    pub wallboard_token: String,
    /// The reasons an agent picks from to pause at their desk.
    pub pause_reasons: Vec<String>,
    /// When the live pages colour an agent or raise a queue's alarm.
    pub alerts: AlertsConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            idle_timeout: Duration::from_secs(30 * 60),
            secure_cookies: false,
            time_zone: "Europe/Rome".to_owned(),
            wallboard_token: String::new(),
            pause_reasons: ["break", "lunch", "training", "meeting", "back office"]
                .map(String::from)
                .to_vec(),
            alerts: AlertsConfig::default(),
        }
    }
}

/// `[web.alerts]`: seconds an agent may stay in a state before the supervisor's board
/// colours them, and a call may wait in a queue before the wallboard's alarm; 0 for
/// never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Ready, waiting for a call.
    pub ready_s: u32,
    /// On one call.
    pub on_call_s: u32,
    /// In wrap-up.
    pub wrap_up_s: u32,
    /// Paused.
    pub paused_s: u32,
    /// The longest wait of a queue's answered call.
    pub queue_wait_s: u32,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            ready_s: 300,
            on_call_s: 900,
            wrap_up_s: 120,
            paused_s: 900,
            queue_wait_s: 30,
        }
    }
}

impl Config {
    /// Reads and checks the configuration file at `path`.
    ///
    /// # Errors
    /// [`ConfigError::Read`] when the file cannot be read, [`ConfigError::Invalid`] (with
    /// line, column and key) when it is not valid TOML or not a valid configuration.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Parses configuration text; `path` only names the source in errors.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the line, column and dotted key at fault.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let deserializer = toml::Deserializer::parse(text)
            .map_err(|e| ConfigError::invalid(path, text, None, &e))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let key = e.path().to_string();
            ConfigError::invalid(path, text, Some(key), e.inner())
        })
    }

    /// Lets environment variables override secrets, so they need not sit in the file.
    /// `lookup` is `std::env::var(..).ok()` in the binary and a map in tests.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        if let Some(url) = lookup(ENV_DATABASE_URL).filter(|u| !u.is_empty()) {
            self.database_url = Some(url);
        }
    }

    /// The database to use: the configured URL, else SQLite in the data directory.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("ringhost.db").display()
            ),
        }
    }
}

#[cfg(test)]
mod tests;
