//! Trunks kept in the store, as the JSON of the configuration's trunk section: the
//! store does not interpret them, the binary parses them with the same schema as the
//! file so that both sources mean the same thing.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// A trunk as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTrunk {
    /// Unique name.
    pub name: String,
    /// JSON object with the fields of a `[[trunks]]` section.
    pub settings: String,
}

impl Store {
    /// Adds or replaces a trunk.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn put_trunk(&self, trunk: &StoredTrunk, now_ms: i64) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO trunk (name, settings, updated_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET settings = $2, updated_at_ms = $3",
        )
        .bind(&trunk.name)
        .bind(&trunk.settings)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot store the trunk")?;
        Ok(())
    }

    /// Every stored trunk, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn trunks(&self) -> anyhow::Result<Vec<StoredTrunk>> {
        let rows = sqlx::query("SELECT name, settings FROM trunk ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .context("cannot read the trunks")?;
        Ok(rows
            .iter()
            .map(|row| StoredTrunk {
                name: row.get(0),
                settings: row.get(1),
            })
            .collect())
    }
}
