//! Ringhost's database. This crate holds all of Ringhost's SQL; other crates call typed
//! methods on [`Store`] and never write a query.
//!
//! One schema, two engines: SQLite (WAL mode) is the embedded default, PostgreSQL serves
//! several hosts sharing the same campaigns. Both are reached through sqlx's `Any` driver
//! so that each query is written once; placeholders are `$1, $2, ...`, which both
//! engines accept; times are `BIGINT` milliseconds since the Unix epoch; and there are no
//! `BOOLEAN` columns (the `Any` driver cannot decode SQLite's), flags being derived from
//! other columns or stored as `BIGINT` 0 / 1. Each engine
//! has its own migration folder because DDL differs (identity columns); a test checks
//! that both produce the same tables and columns.
//!
//! Migrations run at every start ([`Store::open`]) and are embedded in the binary, so
//! building never needs a database and a deployed binary carries its own schema.
//!
//! Layout:
//! - [`host_start`]: the log of host starts and clean stops, read by crash recovery.
//! - [`sip_binding`], [`trunk`]: the registrar's bindings, trunks edited through the API.
//! - [`contact`]: contact lists, contacts (claimed by the scheduler) and do-not-call.
//! - [`campaign`]: campaigns, templates, runs with their settings' snapshots, events.
//! - [`attempt`]: call attempts, written before the call and closed after a crash.
//! - [`exchange`]: the exchange table an external application writes.
//! - [`agent`]: agents, their states, queue membership.
//! - [`inbound`]: calls to the host's own numbers, written as they go.
//! - [`missed`]: missed calls to call back: requests, bookings, callbacks, history.
//! - [`monitor`]: the audit of supervisors listening in on agents' calls.
//! - [`api_key`]: API keys (hashes) and the methods each may call.
//! - [`user`]: the web panel's users (argon2id hashes) and their sessions.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor as _};

pub mod agent;
pub mod api_key;
pub mod attempt;
pub mod campaign;
pub mod contact;
pub mod exchange;
pub mod feed;
pub mod host_start;
pub mod inbound;
pub mod lease;
pub mod missed;
pub mod monitor;
pub mod pacing;
pub mod phone_account;
pub mod report;
pub mod sip_binding;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod trunk;
pub mod user;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// The database engine behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, one host.
    Sqlite,
    /// Shared by several hosts.
    Postgres,
}

impl Backend {
    fn of_url(url: &str) -> anyhow::Result<Backend> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            anyhow::bail!(
                "unsupported database URL (expected sqlite:// or postgres://): {}",
                redact(url)
            )
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// A handle on the database: cheap to clone, shared by every part of the host.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The URL, kept for PostgreSQL only: a listener (`feed`) needs a connection of
    /// its own.
    postgres_url: Option<DatabaseUrl>,
}

/// A database URL, shown without its password.
#[derive(Clone)]
struct DatabaseUrl(String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl Store {
    /// Connects to `url` (`sqlite://...` or `postgres://...`) and applies any migration
    /// not yet applied. A SQLite file is created if missing (its folder must exist) and
    /// switched to WAL mode, so that readers (health checks, the API) never wait on the
    /// dialer's writes.
    ///
    /// # Errors
    /// When the database cannot be reached, or a migration fails or was altered after it
    /// was applied.
    pub async fn open(url: &str) -> anyhow::Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let options = AnyConnectOptions::from_str(url)
            .with_context(|| format!("bad database URL {}", redact(url)))?;
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // journal_mode is kept in the file; the others are per connection.
                            // A 32 MiB page cache (SQLite's default is 2 MiB) keeps the
                            // contacts' due index in memory for picks and imports.
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                                 PRAGMA cache_size = -32768;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
            }
        }
        .with_context(|| format!("cannot open the database {}", redact(url)))?;
        let postgres_url = (backend == Backend::Postgres).then(|| DatabaseUrl(url.to_owned()));
        let store = Store {
            pool,
            backend,
            postgres_url,
        };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        self.backend
            .migrator()
            .run(&self.pool)
            .await
            .context("database migration failed")
    }

    /// Which engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A round trip to the database, for health checks.
    ///
    /// # Errors
    /// When the database does not answer.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context("database ping failed")?;
        Ok(())
    }

    /// The newest migration applied: what `/healthz` reports as the schema version.
    ///
    /// # Errors
    /// When the database does not answer.
    pub async fn schema_version(&self) -> anyhow::Result<i64> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await
                .context("cannot read the schema version")?;
        Ok(version.unwrap_or(0))
    }

    /// Waits for queries in flight and closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL with its password masked, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
