//! The command line, with clap's derive API.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use ringhost_config::{Config, ConfigError};

/// Ringhost: an outbound contact-center telephony host. SIP trunks, the call scheduler
/// and channel accounting in one binary; pacing, IVR scripts, CRM connectors and
/// disposition mappers as WebAssembly plugins.
#[derive(Debug, Parser)]
#[command(name = "ringhost", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Start the host: SIP, the dialer, the HTTP API. Runs until SIGINT or SIGTERM.
    Serve {
        /// The configuration file; without it every setting takes its default.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run the demo: the host on its embedded defaults, dialling a simulated carrier
    /// (real SIP and RTP over loopback) with simulated agents' phones, two sample lists,
    /// an agent campaign and a notification campaign. Prints where to watch.
    Demo(crate::demo::DemoArgs),
    /// Place one call through a trunk and print its outcome as one JSON line: the
    /// operator's trunk test. Exits 0 whatever the call's outcome.
    Dial(Box<DialArgs>),
    /// Import a contact list in the ADS CSV format (first column the numbers separated
    /// by `|`, the others variables by header name, `*Schedule*` as
    /// `UNIX_TIMESTAMP:EXTENSION`) and print a JSON summary: `imported`, and `rejected`
    /// with the line and reason of each bad row. Good rows are kept. Exits 1 only when
    /// the file cannot be read at all.
    Import {
        /// The CSV file.
        file: PathBuf,
        /// The list to add the contacts to (created if missing).
        #[arg(long, value_name = "NAME")]
        list: String,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Manage API keys.
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with plugin packages.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PluginCommand {
    /// Check a plugin package (a folder with plugin.toml and its component): the
    /// manifest, the world it claims, the exports it must have. Prints what it found;
    /// exits 1 on a bad package.
    Check {
        /// The package: a folder, or a `.tar.gz` of one.
        path: PathBuf,
    },
    /// Write the skeleton of a new plugin, ready to build: its manifest, the WIT it is
    /// written against, the source of one of each world's functions, and `build.sh`.
    New {
        /// The plugin's name (lowercase letters, digits and '-'), also its folder's.
        name: String,
        /// What the plugin is.
        #[arg(long, value_enum)]
        kind: KindArg,
        /// The language to write it in.
        #[arg(long, value_enum, default_value_t = crate::scaffold::Lang::Rust)]
        lang: crate::scaffold::Lang,
        /// The folder to create the skeleton in.
        #[arg(long, default_value = ".", value_name = "DIR")]
        dir: PathBuf,
    },
}

/// The plugin kinds, as the command line names them (the worlds' names).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum KindArg {
    /// How many calls a campaign starts now.
    Pacer,
    /// What an attempt's result means for the contact.
    DispositionMapper,
    /// The script of an answered call.
    Ivr,
    /// Lookups, results and contacts from a CRM.
    CrmConnector,
}

impl From<KindArg> for ringhost_plugins::Kind {
    fn from(kind: KindArg) -> Self {
        match kind {
            KindArg::Pacer => Self::Pacer,
            KindArg::DispositionMapper => Self::DispositionMapper,
            KindArg::Ivr => Self::Ivr,
            KindArg::CrmConnector => Self::CrmConnector,
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key and print its secret (shown once: only a hash is stored).
    Create {
        /// The key's name, for people.
        name: String,
        /// An API method the key may call (`listCampaigns`, `startCampaign`, ...; see
        /// /api/v1/openapi.json), or `*` for all. Repeat for several.
        #[arg(long = "allow", value_name = "METHOD", required = true)]
        allow: Vec<String>,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Delete a key.
    Delete {
        /// The key's name.
        name: String,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print a commented configuration file with every setting at its default.
    Example,
    /// Check a configuration file without starting anything.
    Check {
        /// The file to check.
        file: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct DialArgs {
    /// The number to call (the user part of the Request-URI).
    pub(crate) number: String,
    /// The trunk, as `sip:HOST:PORT` (HOST a name or an address).
    #[arg(
        long,
        value_name = "URI",
        required_unless_present = "route",
        conflicts_with = "route"
    )]
    pub(crate) trunk: Option<String>,
    /// A route or trunk of the configuration file (`--config`) instead of `--trunk`;
    /// failover included, registration and keepalives left out.
    #[arg(long, value_name = "NAME")]
    pub(crate) route: Option<String>,
    /// The configuration file that `--route` is read from.
    #[arg(long, value_name = "FILE", requires = "route")]
    pub(crate) config: Option<PathBuf>,
    /// How to reach the trunk.
    #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
    pub(crate) transport: TransportArg,
    /// Caller ID (the user part of From).
    #[arg(long, value_name = "CALLERID")]
    pub(crate) from: Option<String>,
    /// Digest user name for a trunk that challenges the INVITE.
    #[arg(long, value_name = "USER", requires = "password")]
    pub(crate) username: Option<String>,
    /// Digest password (better in the environment than on the command line).
    #[arg(
        long,
        env = "RINGHOST_DIAL_PASSWORD",
        hide_env_values = true,
        requires = "username"
    )]
    pub(crate) password: Option<String>,
    /// Seconds to let it ring before cancelling.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub(crate) ring_timeout: f64,
    /// Seconds to stay on the call after answer before hanging up.
    #[arg(long, default_value_t = 0.0, value_name = "SECS")]
    pub(crate) hold: f64,
    /// Local address to send from.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub(crate) bind: std::net::SocketAddr,
    /// Places this many calls (a trunk load test) and prints one summary line instead
    /// of one outcome.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub(crate) calls: u32,
    /// Calls started per second with `--calls`.
    #[arg(long, default_value_t = 10.0, value_name = "RATE")]
    pub(crate) cps: f64,
    /// A WAV file played to the callee after answer (any rate, mono or stereo).
    #[arg(long, value_name = "FILE.wav", conflicts_with = "calls")]
    pub(crate) play: Option<PathBuf>,
    /// Waits after the prompt for this many DTMF digits (RFC 4733 or in-band), then
    /// hangs up; the JSON line gains `dtmf`.
    #[arg(long, value_name = "N", conflicts_with = "calls")]
    pub(crate) collect_dtmf: Option<usize>,
    /// Seconds to wait for the digits of `--collect-dtmf`.
    #[arg(long, default_value_t = 10.0, value_name = "SECS")]
    pub(crate) dtmf_timeout: f64,
    /// After answer (and the prompt and digits, if any), calls this party too, as
    /// `sip:HOST:PORT`, and bridges the two calls' audio for `--hold` seconds.
    #[arg(long, value_name = "URI", conflicts_with = "calls")]
    pub(crate) bridge: Option<String>,
    /// The local RTP port range, `MIN-MAX` (default: the configuration's, 10000-20000).
    #[arg(long, value_name = "MIN-MAX")]
    pub(crate) rtp_ports: Option<ringhost_config::PortRange>,
}

/// The transports `ringhost dial` can use.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TransportArg {
    /// UDP, with retransmissions.
    Udp,
    /// TCP.
    Tcp,
}

/// The configuration from `path`, or the defaults, with secrets from the environment.
pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, ConfigError> {
    let mut config = match path {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    config.apply_env(|name| std::env::var(name).ok());
    Ok(config)
}
