//! The panel's users, as operators and admins manage them: created with a role and a
//! language and an argon2id hash of their password, their password changed, listed,
//! disabled (which ends their sessions).

use ringhost_store::Store;
use ringhost_store::user::{NewUser, UserRow};

use crate::language::Language;
use crate::password;
use ringhost_http::role::Role;

/// A user to create.
#[derive(Debug, Clone)]
pub struct UserSpec<'a> {
    /// Sign-in name: letters, digits, `.`, `_`, `-`, `@`.
    pub name: &'a str,
    /// The name shown in pages (the sign-in name when empty).
    pub display_name: &'a str,
    /// Their role.
    pub role: Role,
    /// Their language.
    pub language: Language,
    /// For an agent: the agent they are.
    pub agent: Option<&'a str>,
}

/// Whether `name` may be a sign-in name: 1 to 64 letters, digits, `.`, `_`, `-`, `@`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Creates a user with `password`; their row id.
///
/// # Errors
/// A bad name, a short password, a taken name, or a database that cannot be written.
pub async fn create(
    store: &Store,
    spec: &UserSpec<'_>,
    password: &str,
    now_ms: i64,
) -> anyhow::Result<i64> {
    anyhow::ensure!(
        valid_name(spec.name),
        "a user name is 1 to 64 letters, digits, '.', '_', '-' or '@', not {:?}",
        spec.name
    );
    let hash = password::hash(password)?;
    let display_name = match spec.display_name.trim() {
        "" => spec.name,
        name => name,
    };
    store
        .create_user(
            &NewUser {
                name: spec.name,
                display_name,
                role: spec.role.as_str(),
                language: spec.language.as_str(),
                password_hash: &hash,
                agent: spec.agent,
            },
            now_ms,
        )
        .await
}

/// Sets `name`'s password and ends their sessions.
///
/// # Errors
/// No such user, a short password, or a database that cannot be written.
pub async fn set_password(
    store: &Store,
    name: &str,
    password: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    let hash = password::hash(password)?;
    anyhow::ensure!(
        store.set_password(name, &hash, now_ms).await?,
        "no user called {name:?}"
    );
    Ok(())
}

/// Disables `name` and ends their sessions.
///
/// # Errors
/// No such user, or a database that cannot be written.
pub async fn disable(store: &Store, name: &str, now_ms: i64) -> anyhow::Result<()> {
    anyhow::ensure!(
        store.set_user_disabled(name, true, now_ms).await?,
        "no user called {name:?}"
    );
    Ok(())
}

/// Every user.
///
/// # Errors
/// When the database cannot be read.
pub async fn list(store: &Store) -> anyhow::Result<Vec<UserRow>> {
    store.users().await
}
