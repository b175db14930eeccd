//! Administration from the command line, without a running host: `ringhost import`
//! and `ringhost api-key`. Both open the database the configuration names, as `serve`
//! does (SQLite in WAL mode lets them run beside a running host).

use std::path::{Path, PathBuf};

use clap::Subcommand;

use anyhow::Context as _;
use ringhost_store::Store;

use crate::cli::load_config;
use crate::serve::now_ms;

#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key and print its secret (shown once: only a hash is stored).
    Create {
        /// The key's name, for people.
        name: String,
        /// An API method the key may call (`listCampaigns`, `startCampaign`, ...; see
        /// /api/v1/openapi.json), or `*` for all. Repeat for several.
        #[arg(long = "allow", value_name = "METHOD", required_unless_present = "role")]
        allow: Vec<String>,
        /// Instead of methods, a role whose operations the key may call (admin,
        /// supervisor, agent).
        #[arg(long, value_name = "ROLE", conflicts_with = "allow")]
        role: Option<String>,
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

pub(crate) async fn open(config: Option<&Path>) -> anyhow::Result<Store> {
    let config = load_config(config)?;
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    Store::open(&config.database_url()).await
}

/// Imports `file` into `list`; the summary as JSON.
pub(crate) async fn import(
    config: Option<&Path>,
    file: &Path,
    list: &str,
) -> anyhow::Result<String> {
    let reader = std::fs::File::open(file).context("cannot open the file")?;
    let store = open(config).await?;
    let summary =
        ringhost_dialer::admin::import(&store, now_ms(), list, std::io::BufReader::new(reader))
            .await?;
    store.close().await;
    Ok(serde_json::to_string(&summary)?)
}

/// Creates or deletes an API key; what to print.
pub(crate) async fn api_key(command: ApiKeyCommand) -> anyhow::Result<String> {
    match command {
        ApiKeyCommand::Create {
            name,
            allow,
            role,
            config,
        } => {
            let permissions = match role {
                Some(role) => {
                    anyhow::ensure!(
                        ringhost_http::role::Role::parse(&role).is_some(),
                        "--role {role:?} is not admin, supervisor or agent"
                    );
                    serde_json::json!({ "role": role }).to_string()
                }
                None => serde_json::to_string(&allow)?,
            };
            let store = open(config.as_deref()).await?;
            let secret = ringhost_store::api_key::new_secret();
            store
                .create_api_key(
                    &name,
                    &ringhost_store::api_key::hash(&secret),
                    &permissions,
                    now_ms(),
                )
                .await?;
            store.close().await;
            Ok(secret)
        }
        ApiKeyCommand::Delete { name, config } => {
            let store = open(config.as_deref()).await?;
            let deleted = store.delete_api_key(&name).await?;
            store.close().await;
            anyhow::ensure!(deleted, "no API key called {name:?}");
            Ok(format!("deleted {name}"))
        }
    }
}
