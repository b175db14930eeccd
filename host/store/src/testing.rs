//! Stores for tests on a real PostgreSQL server, shared by every crate's tests so each
//! one does not learn the test command's conventions again. Compiled for this crate's
//! own tests and, with the `testing` feature, for other crates' tests.

use sqlx::Executor;
use sqlx::any::AnyPoolOptions;

use crate::Store;

/// A fresh database on the test PostgreSQL server, with its name, or `None` when the
/// test command started none (`RINGHOST_TEST_POSTGRES_URL`, a server URL without a
/// database). With `RINGHOST_REQUIRE_POSTGRES` set, as CI sets it, a missing server is
/// a failure rather than a skip, so CI cannot pass by testing SQLite alone.
pub async fn postgres_store() -> Option<(Store, String)> {
    let Ok(server) = std::env::var("RINGHOST_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var("RINGHOST_REQUIRE_POSTGRES").is_err(),
            "RINGHOST_REQUIRE_POSTGRES is set but RINGHOST_TEST_POSTGRES_URL is not"
        );
        eprintln!("no RINGHOST_TEST_POSTGRES_URL: PostgreSQL part skipped");
        return None;
    };
    let server = server.trim_end_matches('/').to_owned();
    let name = format!(
        "ringhost_test_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    sqlx::any::install_default_drivers();
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("{server}/postgres"))
        .await
        .expect("cannot reach the test PostgreSQL server");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("cannot create a test database");
    admin.close().await;
    let store = Store::open(&format!("{server}/{name}"))
        .await
        .expect("cannot open the test database");
    Some((store, name))
}

/// Another host's store on the test database `name` (from [`postgres_store`]): a pool
/// of its own, as a second host has.
///
/// # Panics
/// When the test server is not set or cannot be reached.
pub async fn another_host(name: &str) -> Store {
    let server = std::env::var("RINGHOST_TEST_POSTGRES_URL").expect("the test server's URL");
    Store::open(&format!("{}/{name}", server.trim_end_matches('/')))
        .await
        .expect("cannot open the test database again")
}
