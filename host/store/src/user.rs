//! The web panel's people and their sessions. A user's password is kept only as the
//! argon2id PHC string the web side computed; a session only as the SHA-256 of its
//! cookie's token (see [`crate::api_key::hash`]: 160 random bits need no slow hash).

use anyhow::Context as _;
use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::Store;

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// Row id.
    pub id: i64,
    /// Unique sign-in name.
    pub name: String,
    /// The name shown in pages.
    pub display_name: String,
    /// `admin`, `supervisor` or `agent`.
    pub role: String,
    /// `it` or `en`.
    pub language: String,
    /// The argon2id PHC string of the password.
    pub password_hash: String,
    /// A disabled user cannot sign in, and their sessions end.
    pub disabled: bool,
    /// For an agent: the agent they are.
    pub agent: Option<String>,
}

/// A new user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser<'a> {
    /// Unique sign-in name.
    pub name: &'a str,
    /// The name shown in pages.
    pub display_name: &'a str,
    /// `admin`, `supervisor` or `agent`.
    pub role: &'a str,
    /// `it` or `en`.
    pub language: &'a str,
    /// The argon2id PHC string of the password.
    pub password_hash: &'a str,
    /// For an agent: the agent they are.
    pub agent: Option<&'a str>,
}

/// A signed-in session and its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// Whose session it is.
    pub user: UserRow,
    /// The token every state-changing form of the session carries.
    pub csrf: String,
    /// The last request seen, in milliseconds since the epoch (the idle timeout).
    pub last_seen_at_ms: i64,
}

const USER_COLUMNS: &str =
    "web_user.id, name, display_name, role, language, password_hash, disabled, agent";

fn user(row: &AnyRow) -> UserRow {
    UserRow {
        id: row.get(0),
        name: row.get(1),
        display_name: row.get(2),
        role: row.get(3),
        language: row.get(4),
        password_hash: row.get(5),
        disabled: row.get::<i64, _>(6) != 0,
        agent: row.get(7),
    }
}

impl Store {
    /// Adds a user.
    ///
    /// # Errors
    /// When a user of that name exists, or the database cannot be written.
    pub async fn create_user(&self, new: &NewUser<'_>, now_ms: i64) -> anyhow::Result<i64> {
        let row = sqlx::query(
            "INSERT INTO web_user (name, display_name, role, language, password_hash, agent, \
             created_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(new.name)
        .bind(new.display_name)
        .bind(new.role)
        .bind(new.language)
        .bind(new.password_hash)
        .bind(new.agent)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await
        .with_context(|| format!("cannot create the user {:?}", new.name))?;
        Ok(row.get(0))
    }

    /// The user called `name`.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn user_by_name(&self, name: &str) -> anyhow::Result<Option<UserRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM web_user WHERE name = $1"
        )))
        .bind(name)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the users")?;
        Ok(row.as_ref().map(user))
    }

    /// Every user, by name.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn users(&self) -> anyhow::Result<Vec<UserRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM web_user ORDER BY name"
        )))
        .fetch_all(&self.pool)
        .await
        .context("cannot read the users")?;
        Ok(rows.iter().map(user).collect())
    }

    /// Replaces a user's password hash and ends their sessions; whether the user exists.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE web_user SET password_hash = $2, updated_at_ms = $3 WHERE name = $1",
        )
        .bind(name)
        .bind(password_hash)
        .bind(now_ms)
        .execute(&mut *tx)
        .await
        .context("cannot change the password")?;
        end_sessions(&mut tx, name).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Disables (or enables) a user; a disabled user's sessions end. Whether the user
    /// exists.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn set_user_disabled(
        &self,
        name: &str,
        disabled: bool,
        now_ms: i64,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done =
            sqlx::query("UPDATE web_user SET disabled = $2, updated_at_ms = $3 WHERE name = $1")
                .bind(name)
                .bind(i64::from(disabled))
                .bind(now_ms)
                .execute(&mut *tx)
                .await
                .context("cannot change the user")?;
        if disabled {
            end_sessions(&mut tx, name).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Starts a session for user `user_id`, known by the hash of its token.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        address: &str,
        now_ms: i64,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO web_session (token_hash, user_id, csrf, address, created_at_ms, \
             last_seen_at_ms) VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf)
        .bind(address)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .context("cannot start the session")?;
        Ok(())
    }

    /// The session whose token hashes to `token_hash`, if it was seen after
    /// `idle_since_ms` and its user is not disabled; marked seen at `now_ms`.
    ///
    /// # Errors
    /// When the database cannot be read or written.
    pub async fn session(
        &self,
        token_hash: &str,
        idle_since_ms: i64,
        now_ms: i64,
    ) -> anyhow::Result<Option<SessionRow>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS}, csrf, last_seen_at_ms FROM web_session \
             JOIN web_user ON web_user.id = web_session.user_id \
             WHERE token_hash = $1 AND last_seen_at_ms > $2 AND disabled = 0"
        )))
        .bind(token_hash)
        .bind(idle_since_ms)
        .fetch_optional(&self.pool)
        .await
        .context("cannot read the sessions")?;
        let Some(row) = row else {
            return Ok(None);
        };
        sqlx::query("UPDATE web_session SET last_seen_at_ms = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .context("cannot mark the session seen")?;
        Ok(Some(SessionRow {
            user: user(&row),
            csrf: row.get(8),
            last_seen_at_ms: row.get(9),
        }))
    }

    /// Ends a session (signing out).
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn delete_session(&self, token_hash: &str) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM web_session WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .context("cannot end the session")?;
        Ok(())
    }

    /// Deletes sessions idle since before `idle_since_ms`; how many.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn purge_sessions(&self, idle_since_ms: i64) -> anyhow::Result<u64> {
        let done = sqlx::query("DELETE FROM web_session WHERE last_seen_at_ms <= $1")
            .bind(idle_since_ms)
            .execute(&self.pool)
            .await
            .context("cannot purge idle sessions")?;
        Ok(done.rows_affected())
    }
}

/// Ends every session of user `name`, inside `tx`.
async fn end_sessions(tx: &mut sqlx::Transaction<'_, sqlx::Any>, name: &str) -> anyhow::Result<()> {
    sqlx::query(
        "DELETE FROM web_session WHERE user_id IN (SELECT id FROM web_user WHERE name = $1)",
    )
    .bind(name)
    .execute(&mut **tx)
    .await
    .context("cannot end the user's sessions")?;
    Ok(())
}
