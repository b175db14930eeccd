//! A campaign's call times for the look-ahead pacer, summed on both engines.

use super::*;
use crate::pacing::CallMoments;

/// An attempt of `campaign` placed at `started`, answered at `answer`, ended (or still
/// in progress when `ended` is false), with its agent, talk and tags.
#[allow(clippy::too_many_arguments)]
async fn attempt(
    store: &Store,
    campaign: i64,
    started: i64,
    answer: Option<i64>,
    ended: bool,
    agent: Option<&str>,
    talk: Option<i64>,
    tags: &str,
) {
    let state = match (ended, answer) {
        (true, _) => "ended",
        (false, Some(_)) => "answered",
        (false, None) => "dialing",
    };
    sqlx::query(
        "INSERT INTO attempt (host, campaign_id, run, list_id, contact_id, number, attempt, \
         state, started_at_ms, answer_at_ms, end_at_ms, talk_ms, tags, agent, confirmed) \
         VALUES ('h1', $1, 1, 1, 1, '+390611111111', 1, $2, $3, $4, $5, $6, $7, $8, 0)",
    )
    .bind(campaign)
    .bind(state)
    .bind(started)
    .bind(answer)
    .bind(ended.then_some(started + 100_000))
    .bind(talk)
    .bind(tags)
    .bind(agent)
    .execute(&store.pool)
    .await
    .unwrap();
}

async fn call_moments(store: &Store) {
    assert_eq!(
        store.call_moments(5, 0, 0, 0).await.unwrap(),
        CallMoments::default()
    );
    attempt(
        store,
        5,
        1_000,
        Some(4_000),
        true,
        Some("a"),
        Some(60_000),
        "[]",
    )
    .await;
    let abandoned = "[\"abandoned\"]";
    attempt(
        store,
        5,
        2_000,
        Some(12_000),
        true,
        None,
        Some(0),
        abandoned,
    )
    .await;
    attempt(store, 5, 3_000, None, true, None, None, "[]").await;
    attempt(
        store,
        5,
        6_000,
        Some(8_000),
        true,
        Some("c"),
        Some(20_000),
        "[]",
    )
    .await;
    // Placed too late to have resolved; answered, in progress.
    attempt(store, 5, 50_000, Some(55_000), false, None, None, "[]").await;
    // Before the window, and another campaign's.
    attempt(store, 5, 100, Some(200), true, Some("a"), Some(1_000), "[]").await;
    attempt(
        store,
        6,
        1_000,
        Some(2_000),
        true,
        Some("a"),
        Some(1_000),
        "[]",
    )
    .await;
    let moments = store.call_moments(5, 500, 40_000, 7_000).await.unwrap();
    assert_eq!(
        moments,
        CallMoments {
            dials: 4,
            answers: (3, 15_000.0, 9e6 + 1e8 + 4e6),
            talks: (1, 60_000.0, 3.6e9),
            talks_ended: (2, 80_000.0),
            answered: 4,
            abandoned: 1,
        }
    );
}

#[tokio::test]
async fn sqlite_call_moments() {
    let dir = tempfile::tempdir().unwrap();
    call_moments(&sqlite_store(&dir).await).await;
}

#[tokio::test]
async fn postgres_call_moments() {
    if let Some((store, _)) = postgres_store().await {
        call_moments(&store).await;
    }
}
