//! `ringhost user`: the web panel's users from the command line, without a running
//! host (the database the configuration names, as `serve` opens it).

use std::path::PathBuf;

use clap::Subcommand;
use ringhost_http::role::Role;
use ringhost_web::language::Language;
use ringhost_web::users::{self, UserSpec};

use crate::admin::open;
use crate::serve::now_ms;

/// The environment variable a password may come from instead of a prompt.
const PASSWORD_ENV: &str = "RINGHOST_USER_PASSWORD";

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user; the password comes from RINGHOST_USER_PASSWORD, else a prompt.
    Create {
        /// The sign-in name.
        name: String,
        /// admin, supervisor or agent.
        #[arg(long, value_parser = ["admin", "supervisor", "agent"])]
        role: String,
        /// The name shown in pages (the sign-in name by default).
        #[arg(long, default_value = "")]
        display_name: String,
        /// it or en.
        #[arg(long, default_value = "it", value_parser = ["it", "en"])]
        language: String,
        /// For an agent: the agent they are.
        #[arg(long, value_name = "AGENT")]
        agent: Option<String>,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Change a user's password (which signs them out everywhere).
    Passwd {
        /// The sign-in name.
        name: String,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// List the users: name, role, language, display name, disabled.
    List {
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Disable a user (which signs them out everywhere).
    Disable {
        /// The sign-in name.
        name: String,
        /// The configuration file naming the database.
        #[arg(long, short, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// Runs a `ringhost user` command; what to print.
pub(crate) async fn user(command: UserCommand) -> anyhow::Result<String> {
    match command {
        UserCommand::Create {
            name,
            role,
            display_name,
            language,
            agent,
            config,
        } => {
            let password = password(&format!("password for {name}: "))?;
            let store = open(config.as_deref()).await?;
            let spec = UserSpec {
                name: &name,
                display_name: &display_name,
                role: Role::parse(&role).expect("clap checked the role"),
                language: Language::parse(&language).expect("clap checked the language"),
                agent: agent.as_deref(),
            };
            users::create(&store, &spec, &password, now_ms()).await?;
            store.close().await;
            Ok(format!("created {name} ({role})"))
        }
        UserCommand::Passwd { name, config } => {
            let password = password(&format!("new password for {name}: "))?;
            let store = open(config.as_deref()).await?;
            users::set_password(&store, &name, &password, now_ms()).await?;
            store.close().await;
            Ok(format!("changed the password of {name}"))
        }
        UserCommand::List { config } => {
            let store = open(config.as_deref()).await?;
            let all = users::list(&store).await?;
            store.close().await;
            Ok(all
                .iter()
                .map(|u| {
                    format!(
                        "{}\t{}\t{}\t{}{}",
                        u.name,
                        u.role,
                        u.language,
                        u.display_name,
                        if u.disabled { "\tdisabled" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"))
        }
        UserCommand::Disable { name, config } => {
            let store = open(config.as_deref()).await?;
            users::disable(&store, &name, now_ms()).await?;
            store.close().await;
            Ok(format!("disabled {name}"))
        }
    }
}

/// The password from the environment, else asked at the terminal without echo.
fn password(prompt: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    rpassword::prompt_password(prompt)
        .map_err(|e| anyhow::anyhow!("cannot read the password ({PASSWORD_ENV} is not set): {e}"))
}
