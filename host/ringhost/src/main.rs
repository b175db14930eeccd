//! `ringhost`: the outbound contact-center telephony host.
//!
//! This crate only wires: it parses the command line, loads the configuration, and
//! builds and connects the other crates' values (store, SIP, media, plugins, dialer,
//! call layer, HTTP). Behaviour lives in those crates, where tests reach it. Each
//! command keeps its arguments beside it.
//!
//! - [`cli`]: the command line and the configuration it names.
//! - [`serve`]: `ringhost serve`, the long-running host ([`telephony`] builds its SIP
//!   side: the registrar over the store, the trunks and routes).
//! - [`demo`]: `ringhost demo`, the host against simulated far ends.
//! - [`dial`]: `ringhost dial`, a trunk tested with one call or a load.
//! - [`admin`]: `ringhost import` and `ringhost api-key`, without a running host;
//!   [`user`]: `ringhost user`, the web panel's users.
//! - [`plugin`]: `ringhost plugin check`, `pace`, and `new` with [`scaffold`].
//! - [`shutdown`]: signals and the drain of calls in progress.
//! - [`telemetry`]: logs and metrics.

use std::io::Write as _;
use std::process::ExitCode;

/// mimalloc rather than glibc's allocator: per-thread free lists, no arena lock
/// between the two runtime workers (measured: docs/benchmarks.md, "calls per second").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser as _;

mod admin;
mod cli;
mod demo;
mod dial;
mod plugin;
mod scaffold;
mod serve;
mod shutdown;
mod simulate;
mod telemetry;
mod telephony;
mod user;

/// Exit code for a refused configuration or command line, as clap uses for usage errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Serve { config } => {
            let config = match cli::load_config(config.as_deref()) {
                Ok(config) => config,
                Err(error) => {
                    eprintln!("ringhost: {error}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            if let Err(error) = telemetry::init_logs(&config.log) {
                eprintln!("ringhost: {error:#}");
                return ExitCode::from(EXIT_USAGE);
            }
            match block_on(serve::serve(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    tracing::error!("{error:#}");
                    eprintln!("ringhost: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::Demo(args) => match block_on(demo::demo(args)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("ringhost: {error:#}");
                ExitCode::FAILURE
            }
        },
        cli::Command::Dial(args) => {
            let filter = ringhost_config::LogConfig {
                filter: "warn".to_owned(),
                format: ringhost_config::LogFormat::Text,
            };
            if let Err(error) = telemetry::init_logs(&filter) {
                eprintln!("ringhost: {error:#}");
                return ExitCode::from(EXIT_USAGE);
            }
            print_line(block_on(dial::dial(*args)))
        }
        cli::Command::Import { file, list, config } => {
            match block_on(admin::import(config.as_deref(), &file, &list)) {
                Ok(summary) => {
                    println!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("ringhost: {}: {error:#}", file.display());
                    ExitCode::FAILURE
                }
            }
        }
        cli::Command::User(command) => print_line(block_on(user::user(command))),
        cli::Command::ApiKey(command) => print_line(block_on(admin::api_key(command))),
        cli::Command::Plugin(plugin::PluginCommand::Check { path }) => match plugin::check(&path) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("ringhost: {}: {error:#}", path.display());
                ExitCode::FAILURE
            }
        },
        cli::Command::Plugin(plugin::PluginCommand::Pace {
            package,
            snapshot,
            json,
        }) => print_line(plugin::pace(&package, &snapshot, json)),
        cli::Command::Plugin(plugin::PluginCommand::New {
            name,
            kind,
            lang,
            dir,
        }) => match scaffold::new(&dir, &name, kind.into(), lang) {
            Ok(root) => {
                println!(
                    "wrote {}: build it with `sh {}/build.sh`, then `ringhost plugin check {}`",
                    root.display(),
                    root.display(),
                    root.display()
                );
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("ringhost: {error:#}");
                ExitCode::FAILURE
            }
        },
        cli::Command::Simulate(args) => print_line(simulate::simulate_command(*args)),
        cli::Command::Config(cli::ConfigCommand::Example) => {
            print!("{}", ringhost_config::EXAMPLE);
            ExitCode::SUCCESS
        }
        cli::Command::Config(cli::ConfigCommand::Check { file }) => {
            match cli::load_config(Some(&file)) {
                Ok(_) => {
                    println!("{}: ok", file.display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("ringhost: {error}");
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
    }
}

/// A command's one line of output on stdout (success), or its error on stderr (exit 1).
fn print_line(result: anyhow::Result<String>) -> ExitCode {
    match result {
        Ok(line) => {
            // A reader that stopped reading (`| head`) is no failure of the command.
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ringhost: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `future` to completion on a new multi-threaded tokio runtime.
fn block_on<T>(future: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    runtime.block_on(future)
}
