//! API keys. Only a hash of each key is stored: a leaked database does not leak keys.

use anyhow::Context as _;
use sqlx::Row as _;

use crate::Store;

/// How fine a key's "last used" is: a key is marked used again only this long after.
pub const LAST_USE_GRAIN_MS: i64 = 60_000;

/// A new random secret: `rh_` and 40 hexadecimal digits (160 bits).
pub fn new_secret() -> String {
    let bytes: [u8; 20] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("rh_{hex}")
}

/// What is stored of a secret: its SHA-256, in hexadecimal. A fast hash is enough for
/// 160 random bits (nothing to brute-force, unlike a password).
pub fn hash(secret: &str) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An API key as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRow {
    /// Unique name, for people.
    pub name: String,
    /// JSON array of the methods the key may call (`["*"]` for all).
    pub permissions: String,
}

/// An API key as its list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyListed {
    /// Its name and permissions.
    pub key: ApiKeyRow,
    /// When it was made.
    pub created_at_ms: i64,
    /// When it was last used, if ever.
    pub last_used_at_ms: Option<i64>,
}

impl Store {
    /// Adds a key by the hash of its secret.
    ///
    /// # Errors
    /// When a key of that name exists, or the database cannot be written.
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        permissions: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO api_key (name, key_hash, permissions, created_at_ms) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(key_hash)
        .bind(permissions)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .with_context(|| format!("cannot create the API key {name:?}"))?;
        Ok(())
    }

    /// The key whose secret hashes to `key_hash`, marked used at `now_ms` when its
    /// last use is older than [`LAST_USE_GRAIN_MS`].
    ///
    /// The mark is the keys page's "last used", which a minute's grain serves as well
    /// as a millisecond's; writing it on every call made each API call a second write
    /// transaction on SQLite's one writer (a PBX posting missed calls as fast as it
    /// can: 2,800 intakes a second became 2,400).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn api_key(&self, key_hash: &str, now_ms: i64) -> anyhow::Result<Option<ApiKeyRow>> {
        let Some(row) = sqlx::query(
            "SELECT name, permissions, last_used_at_ms FROM api_key WHERE key_hash = $1",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the API keys")?
        else {
            return Ok(None);
        };
        let last_used: Option<i64> = row.get(2);
        if last_used.is_none_or(|at| now_ms - at >= LAST_USE_GRAIN_MS) {
            sqlx::query(
                "UPDATE api_key SET last_used_at_ms = $2 WHERE key_hash = $1 \
                 AND (last_used_at_ms IS NULL OR last_used_at_ms < $2)",
            )
            .bind(key_hash)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .context("cannot mark an API key used")?;
        }
        Ok(Some(ApiKeyRow {
            name: row.get(0),
            permissions: row.get(1),
        }))
    }

    /// Every key, by name, with when it was made and last used (never its hash).
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn api_keys(&self) -> anyhow::Result<Vec<ApiKeyListed>> {
        let rows = sqlx::query(
            "SELECT name, permissions, created_at_ms, last_used_at_ms FROM api_key ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .context("cannot read the API keys")?;
        Ok(rows
            .iter()
            .map(|r| ApiKeyListed {
                key: ApiKeyRow {
                    name: r.get(0),
                    permissions: r.get(1),
                },
                created_at_ms: r.get(2),
                last_used_at_ms: r.get(3),
            })
            .collect())
    }

    /// Removes the key called `name`; whether there was one.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn delete_api_key(&self, name: &str) -> anyhow::Result<bool> {
        let done = sqlx::query("DELETE FROM api_key WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .context("cannot delete the API key")?;
        Ok(done.rows_affected() > 0)
    }
}
