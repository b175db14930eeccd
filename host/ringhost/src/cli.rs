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
    Dial(Box<crate::dial::DialArgs>),
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
    ApiKey(crate::admin::ApiKeyCommand),
    /// Manage the web panel's users.
    #[command(subcommand)]
    User(crate::user::UserCommand),
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Work with plugin packages.
    #[command(subcommand)]
    Plugin(crate::plugin::PluginCommand),
    /// Simulate shifts of a pacer (in simulated time: no phones, no database) and print
    /// occupancy, abandon rates (FTC, Ofcom, Garante; worst windows), idle times, and
    /// connects and dials per agent-hour, each a mean with its 95% interval over the
    /// seeds.
    Simulate(Box<crate::simulate::SimulateArgs>),
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

/// The configuration from `path`, or the defaults, with secrets from the environment.
pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, ConfigError> {
    let mut config = match path {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    config.apply_env(|name| std::env::var(name).ok());
    Ok(config)
}
