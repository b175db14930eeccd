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
    /// Work with configuration files.
    #[command(subcommand)]
    Config(ConfigCommand),
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
