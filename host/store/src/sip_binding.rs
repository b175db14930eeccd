//! Registrar bindings: which contact a phone's address of record reaches, from which
//! source address, until when. The registrar keeps a copy in memory for routing; this
//! is what survives a restart.

use anyhow::Context as _;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::Store;

/// One registered contact of an address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Address of record: the phone account's user name.
    pub aor: String,
    /// The Contact URI the phone registered.
    pub contact: String,
    /// `ip:port` the REGISTER came from; requests to the phone go there.
    pub source: String,
    /// `udp` or `tcp`.
    pub transport: String,
    /// Call-ID of the REGISTER, to order refreshes (RFC 3261 10.3 step 7).
    pub call_id: String,
    /// CSeq number of the REGISTER.
    pub cseq: i64,
    /// The phone's User-Agent, for the supervisor's view.
    pub user_agent: String,
    /// When the binding lapses, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
}

const COLUMNS: &str = "aor, contact, source, transport, call_id, cseq, user_agent, expires_at_ms";

fn binding(row: &AnyRow) -> Binding {
    Binding {
        aor: row.get(0),
        contact: row.get(1),
        source: row.get(2),
        transport: row.get(3),
        call_id: row.get(4),
        cseq: row.get(5),
        user_agent: row.get(6),
        expires_at_ms: row.get(7),
    }
}

impl Store {
    /// Adds or refreshes a binding.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn put_binding(&self, b: &Binding, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO sip_binding (aor, contact, source, transport, call_id, cseq, user_agent, \
             expires_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (aor, contact) DO UPDATE SET source = $3, transport = $4, call_id = $5, \
             cseq = $6, user_agent = $7, expires_at_ms = $8, updated_at_ms = $9",
        )
        .bind(&b.aor)
        .bind(&b.contact)
        .bind(&b.source)
        .bind(&b.transport)
        .bind(&b.call_id)
        .bind(b.cseq)
        .bind(&b.user_agent)
        .bind(b.expires_at_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot store the registration")?;
        Ok(())
    }

    /// Removes one contact of an address of record, or all of them when `contact` is
    /// `None` (`Contact: *`).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn remove_bindings(&self, aor: &str, contact: Option<&str>) -> anyhow::Result<()> {
        let query = match contact {
            Some(contact) => sqlx::query("DELETE FROM sip_binding WHERE aor = $1 AND contact = $2")
                .bind(aor)
                .bind(contact),
            None => sqlx::query("DELETE FROM sip_binding WHERE aor = $1").bind(aor),
        };
        query
            .execute(&self.pool)
            .await
            .context("cannot remove the registration")?;
        Ok(())
    }

    /// Bindings that have not lapsed at `now_ms`, of one address of record or of all.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn live_bindings(
        &self,
        aor: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<Vec<Binding>> {
        let rows = match aor {
            Some(aor) => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM sip_binding WHERE aor = $1 AND expires_at_ms > $2 ORDER BY contact"
                )))
                .bind(aor)
                .bind(now_ms)
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM sip_binding WHERE expires_at_ms > $1 ORDER BY aor, contact"
                )))
                .bind(now_ms)
                .fetch_all(&self.pool)
                .await
            }
        }
        .context("cannot read the registrations")?;
        Ok(rows.iter().map(binding).collect())
    }

    /// Deletes lapsed bindings; returns how many.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn purge_bindings(&self, now_ms: i64) -> anyhow::Result<u64> {
        let done = sqlx::query("DELETE FROM sip_binding WHERE expires_at_ms <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .context("cannot purge lapsed registrations")?;
        Ok(done.rows_affected())
    }
}
