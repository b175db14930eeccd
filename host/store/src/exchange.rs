//! The exchange table (TVox's `ast_pd_interface`): rows an external application
//! writes straight into the database (or through the API), picked up by the dialer
//! into contacts. "Reset statistics" makes every row be picked up again. The SQL table
//! keeps the name `interface`, after TVox's.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// One row of the exchange table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeRow {
    /// The external application's own id.
    pub id: String,
    /// The number to call, as the application wrote it.
    pub phone_number: String,
    /// The campaign, by name.
    pub campaign: String,
    /// The list, by name.
    pub list: String,
    /// Data for the agent's screen pop (a JSON object, or any text).
    pub data: String,
    /// When the dialer picked it up.
    pub picked_at_ms: Option<i64>,
    /// The contact it became.
    pub contact_id: Option<i64>,
    /// Why it could not become one.
    pub error: Option<String>,
}

const COLUMNS: &str = "id, phone_number, campaign, list, data, picked_at_ms, contact_id, error";

fn row(r: &sqlx::any::AnyRow) -> ExchangeRow {
    ExchangeRow {
        id: r.get(0),
        phone_number: r.get(1),
        campaign: r.get(2),
        list: r.get(3),
        data: r.get(4),
        picked_at_ms: r.get(5),
        contact_id: r.get(6),
        error: r.get(7),
    }
}

impl Store {
    /// Adds rows (the API's way in); a row whose id exists is left as it is. How many
    /// were added.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn insert_exchange_rows(&self, rows: &[ExchangeRow]) -> anyhow::Result<u64> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot write the exchange table")?;
        let mut added = 0;
        for r in rows {
            added += sqlx::query(
                "INSERT INTO interface (id, phone_number, campaign, list, data) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&r.id)
            .bind(&r.phone_number)
            .bind(&r.campaign)
            .bind(&r.list)
            .bind(&r.data)
            .execute(&mut *tx)
            .await
            .context("cannot write the exchange table")?
            .rows_affected();
        }
        tx.commit()
            .await
            .context("cannot write the exchange table")?;
        Ok(added)
    }

    /// Rows not picked up yet, oldest id first.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn pending_exchange_rows(&self, limit: i64) -> anyhow::Result<Vec<ExchangeRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM interface WHERE picked_at_ms IS NULL ORDER BY id LIMIT $1"
        )))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the exchange table")?;
        Ok(rows.iter().map(row).collect())
    }

    /// A page of the table, by id.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn exchange_rows(
        &self,
        after_id: &str,
        limit: i64,
    ) -> anyhow::Result<Vec<ExchangeRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM interface WHERE id > $1 ORDER BY id LIMIT $2"
        )))
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context("cannot read the exchange table")?;
        Ok(rows.iter().map(row).collect())
    }

    /// Records that a row was picked up, as `contact_id` or refused with `error`.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn mark_exchange_row(
        &self,
        id: &str,
        contact_id: Option<i64>,
        error: Option<&str>,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE interface SET picked_at_ms = $2, contact_id = $3, error = $4 WHERE id = $1",
        )
        .bind(id)
        .bind(now_ms)
        .bind(contact_id)
        .bind(error)
        .execute(&self.pool)
        .await
        .context("cannot update the exchange table")?;
        Ok(())
    }

    /// "Reset statistics": the contacts made from the table (except those being
    /// dialled) are removed and every row is picked up again as new. How many rows.
    ///
    /// # Errors
    /// When the database cannot be written; nothing is then changed.
    pub async fn reset_exchange(&self) -> anyhow::Result<u64> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context("cannot reset the exchange table")?;
        sqlx::query(
            "DELETE FROM contact WHERE external_id IS NOT NULL AND state <> 'dialing' \
             AND id IN (SELECT contact_id FROM interface WHERE contact_id IS NOT NULL)",
        )
        .execute(&mut *tx)
        .await
        .context("cannot remove the table's contacts")?;
        let reset = sqlx::query(
            "UPDATE interface SET picked_at_ms = NULL, contact_id = NULL, error = NULL",
        )
        .execute(&mut *tx)
        .await
        .context("cannot reset the exchange table")?
        .rows_affected();
        tx.commit()
            .await
            .context("cannot reset the exchange table")?;
        Ok(reset)
    }

    /// Makes `list_id` one of the lists `campaign_id` dials (nothing if it is).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn attach_list(&self, campaign_id: i64, list_id: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO campaign_list (campaign_id, list_id) VALUES ($1, $2) \
             ON CONFLICT (campaign_id, list_id) DO NOTHING",
        )
        .bind(campaign_id)
        .bind(list_id)
        .execute(&self.pool)
        .await
        .context("cannot attach the list")?;
        Ok(())
    }
}
