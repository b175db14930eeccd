//! Phones' SIP accounts made from the panel, as digest hashes (HA1 per algorithm) for
//! the registrar's realm: the registrar reads one on each REGISTER, so an account added
//! while the host runs works at once. The store does not hash; the SIP side does.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// An account as stored. Not `Debug`: the hashes log in as the phone.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneAccountRow {
    /// The SIP user name (the agent's extension).
    pub username: String,
    /// The realm the hashes were made for.
    pub realm: String,
    /// HA1 with MD5, lowercase hex.
    pub ha1_md5: String,
    /// HA1 with SHA-256, lowercase hex.
    pub ha1_sha256: String,
}

impl Store {
    /// Adds an account, or replaces its hashes (a new password).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn put_phone_account(
        &self,
        account: &PhoneAccountRow,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO phone_account \
             (username, realm, ha1_md5, ha1_sha256, created_at_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (username) DO UPDATE SET realm = $2, ha1_md5 = $3, \
             ha1_sha256 = $4, updated_at_ms = $5",
        )
        .bind(&account.username)
        .bind(&account.realm)
        .bind(&account.ha1_md5)
        .bind(&account.ha1_sha256)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot store a phone account")?;
        Ok(())
    }

    /// The account `username`, if there is one.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn phone_account(&self, username: &str) -> anyhow::Result<Option<PhoneAccountRow>> {
        let row = sqlx::query(
            "SELECT username, realm, ha1_md5, ha1_sha256 FROM phone_account WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read a phone account")?;
        Ok(row.map(|row| PhoneAccountRow {
            username: row.get(0),
            realm: row.get(1),
            ha1_md5: row.get(2),
            ha1_sha256: row.get(3),
        }))
    }

    /// The user names that have an account, in order.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn phone_account_names(&self) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query("SELECT username FROM phone_account ORDER BY username")
            .fetch_all(&self.pool)
            .await
            .context("cannot read the phone accounts")?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }
}
