//! The statistics by campaign (`Store::campaign_stats`) over 1,000,000 attempts in
//! SQLite, printed as the table in docs/benchmarks.md (issue 17).
//!
//! A fresh store (the normal open and migrations) holds one list of 300,000 contacts
//! and one campaign that called each of them 1 to 5 times over three runs and six
//! days: 1,000,000 attempts, the retries after the first tries, as a dialer makes
//! them. Each contact's attempts before the last were busy, unanswered or congested;
//! the last is mostly answered (sales, callbacks, refusals), or unanswered on a fifth
//! try, a failure the mapper left without status, or interrupted by a crash; 15% of the
//! records carry tags (`["vip"]`, `["callback","vip"]`, `["abandoned"]`).
//!
//! Timed: the statistics of the whole campaign, of its second run and of two days of
//! start times (across runs 1 and 2); a warm-up, then 11 reads each, median and p90.
//! Beside them in the same run, on a connection of their own: the floor any grouping
//! query over these rows pays, a plain `SELECT COUNT(*) FROM attempt WHERE
//! campaign_id = ?` over the campaign's attempts; the same pass over `attempt_report`
//! grouped by SQLite instead of counted by line; and, the index dropped, the read as
//! it was before migration 0013. Last, what the index costs writes: a call's writes
//! through the store without it and with it (built again as the migration builds it),
//! and the million attempts written into a new store without it.
//!
//! The contacts go in through the store's import; the attempts through bulk SQL on a
//! connection of their own (a million calls through the store would take an hour),
//! which the triggers count like any other write.
//!
//! ```sh
//! cargo run --release -p ringhost-store --example stats_times
//! ```

use std::time::{Duration, Instant};

use ringhost_store::Store;
use ringhost_store::attempt::{AttemptEnd, AttemptStart};
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::NewContactRow;
use ringhost_store::report::{AttemptFilter, CampaignStats, Campaigns};
use sqlx::{Connection as _, SqliteConnection};

const CONTACTS: i64 = 300_000;
/// Attempts of each contact, by its id modulo 6: 20 per 6 contacts, 1,000,000 in all.
const TRIES: [i64; 6] = [1, 5, 3, 4, 2, 5];
const RUNS: usize = 11;
/// Calls written through the store, with the index and without.
const CALLS: i64 = 2_000;
/// The migration that builds the index the statistics read.
const MIGRATION: &str = include_str!("../migrations/sqlite/0013_report_indexes.sql");
const DAY_MS: i64 = 86_400_000;
/// Midnight of the first day of the campaign (2026-12-01 UTC).
const FIRST_DAY_MS: i64 = 1_796_083_200_000;

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display())
}

/// Median and p90 of `times`.
fn median_p90(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort_unstable();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.9))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The list's contacts.
fn contacts() -> Vec<NewContactRow> {
    (0..CONTACTS)
        .map(|i| NewContactRow {
            line: i + 1,
            numbers: vec![format!("+39061{i:07}")],
            variables: format!(r#"{{"name":"Mario {i}","surname":"Rossi"}}"#),
            time_zone: "Europe/Rome".into(),
            next_at_ms: FIRST_DAY_MS,
            schedule_extension: None,
            external_id: None,
        })
        .collect()
}

/// How many times contact `c` (numbered from 1) was called: `TRIES[c % 6]`, in SQL.
fn tries(c: &str) -> String {
    format!(
        "CASE ({c} % 6) WHEN 0 THEN {} WHEN 1 THEN {} WHEN 2 THEN {} WHEN 3 THEN {} \
         WHEN 4 THEN {} ELSE {} END",
        TRIES[0], TRIES[1], TRIES[2], TRIES[3], TRIES[4], TRIES[5]
    )
}

/// Writes the campaign's attempts, try by try: the first tries of every contact on
/// days 1 and 2 (run 1), the second and third on days 3 and 4 (run 2), the fourth and
/// fifth on days 5 and 6 (run 3). Contact `c` (ids from 1) has `TRIES[c % 6]`.
async fn write_attempts(
    raw: &mut SqliteConnection,
    campaign: i64,
    list: i64,
    first_contact: i64,
) -> anyhow::Result<()> {
    let mut tx = raw.begin().await?;
    for attempt in 1..=5_i64 {
        // Run 1 is the first tries, over days 1 and 2; run 2 the second and third,
        // days 3 and 4; run 3 the fourth and fifth, days 5 and 6. A try's calls are
        // spread over its days in contact order.
        let (run, first_day, days) = match attempt {
            1 => (1, 0, 2),
            2 | 3 => (2, attempt, 1),
            _ => (3, attempt, 1),
        };
        let tries = tries("c");
        let sql = format!(
            "WITH RECURSIVE s(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM s WHERE c < $1), \
             t(c, n, h) AS (SELECT c, {tries}, (c * 2654435761 + {attempt} * 40503) % 1000 \
                            FROM s) \
             INSERT INTO attempt (host, campaign_id, run, list_id, contact_id, number, \
             attempt, state, trunk, started_at_ms, ring_at_ms, answer_at_ms, end_at_ms, \
             ring_ms, talk_ms, sip_code, outcome, status, retry, tags, agent, confirmed) \
             SELECT 'bench', $2, {run}, $3, $4 + c - 1, '+39061' || printf('%07d', c - 1), \
             {attempt}, CASE WHEN n = {attempt} AND h < 5 THEN 'interrupted' ELSE 'ended' END, \
             'carrier', $5 + c * $6, $5 + c * $6 + 500, \
             CASE WHEN n = {attempt} AND h >= 5 THEN $5 + c * $6 + 8000 END, \
             $5 + c * $6 + 30000, 7500, \
             CASE WHEN n = {attempt} AND h >= 5 THEN 22000 ELSE 0 END, \
             CASE WHEN n > {attempt} THEN CASE WHEN h < 400 THEN 486 WHEN h < 900 THEN 480 \
                  ELSE 503 END \
                  WHEN h < 5 THEN NULL WHEN {attempt} = 5 AND h < 300 THEN 480 ELSE 200 END, \
             CASE WHEN n > {attempt} THEN CASE WHEN h < 400 THEN 'busy' \
                  WHEN h < 900 THEN 'no_answer' ELSE 'congestion' END \
                  WHEN h < 5 THEN NULL WHEN {attempt} = 5 AND h < 300 THEN 'no_answer' \
                  WHEN h < 25 THEN 'failed' ELSE 'answered' END, \
             CASE WHEN n > {attempt} THEN CASE WHEN h < 400 THEN 'BUSY' \
                  WHEN h < 900 THEN 'NOANSWER' ELSE 'CONGESTION' END \
                  WHEN h < 25 THEN NULL WHEN {attempt} = 5 AND h < 300 THEN 'NOANSWER' \
                  WHEN h < 400 THEN 'SALE' WHEN h < 600 THEN 'CALLBACK' \
                  WHEN h < 850 THEN 'NOT_INTERESTED' ELSE 'ANSWER' END, \
             CASE WHEN n > {attempt} THEN 1 ELSE 0 END, \
             CASE WHEN n > {attempt} THEN '[]' WHEN h % 10 = 1 THEN '[\"vip\"]' \
                  WHEN h % 30 = 2 THEN '[\"callback\",\"vip\"]' \
                  WHEN h % 50 = 3 THEN '[\"abandoned\"]' ELSE '[]' END, \
             CASE WHEN n = {attempt} AND h >= 25 THEN 'agent' || (h % 40) END, 0 \
             FROM t WHERE n >= {attempt}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(CONTACTS)
            .bind(campaign)
            .bind(list)
            .bind(first_contact)
            .bind(FIRST_DAY_MS + first_day * DAY_MS)
            .bind(days * DAY_MS / CONTACTS)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A warm-up, then `RUNS` reads of the statistics.
async fn stats_times(
    store: &Store,
    filter: &AttemptFilter,
) -> anyhow::Result<(CampaignStats, Vec<Duration>)> {
    let stats = store.campaign_stats(filter).await?;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        let again = store.campaign_stats(filter).await?;
        times.push(started.elapsed());
        assert_eq!(again, stats);
    }
    Ok((stats, times))
}

/// A new store with one list and one campaign of three runs: `(store, its own
/// connection, list, campaign)`.
async fn new_store(dir: &tempfile::TempDir) -> anyhow::Result<(Store, SqliteConnection, i64, i64)> {
    let store = Store::open(&url(dir)).await?;
    let list = store.create_list("big", "", "{}", FIRST_DAY_MS).await?;
    let campaign = store
        .create_campaign(
            &CampaignRow {
                id: 0,
                name: "big".into(),
                template_id: None,
                state: "created".into(),
                settings: "{}".into(),
                priority: 5,
                run: 0,
                start_at_ms: None,
                started_at_ms: None,
                list_ids: vec![list],
            },
            FIRST_DAY_MS,
        )
        .await?;
    for run in 0..3 {
        store
            .start_run(campaign, "running", FIRST_DAY_MS + 2 * run * DAY_MS)
            .await?;
    }
    let mut raw = SqliteConnection::connect(&url(dir)).await?;
    // The store's own settings for a connection.
    sqlx::raw_sql("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768;")
        .execute(&mut raw)
        .await?;
    Ok((store, raw, list, campaign))
}

/// Median and p90 of `RUNS` runs of `query` on `raw`, after a warm-up.
async fn raw_times(raw: &mut SqliteConnection, query: &str) -> anyhow::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(RUNS);
    for i in 0..=RUNS {
        let started = Instant::now();
        sqlx::query(sqlx::AssertSqlSafe(query.to_owned()))
            .fetch_all(&mut *raw)
            .await?;
        if i > 0 {
            times.push(started.elapsed());
        }
    }
    Ok(times)
}

/// A row of the table: median, p90, and the median's ratio to the floor's.
fn row(name: &str, records: &str, times: Vec<Duration>, floor: Duration) -> String {
    let (median, p90) = median_p90(times);
    format!(
        "| {name} | {records} | {} | {} | {:.1}x |",
        ms(median),
        ms(p90),
        median.as_secs_f64() / floor.as_secs_f64()
    )
}

/// The mean time of a call's writes through the store (its start, ringing, answer and
/// end, as the dialer writes them) over `CALLS` calls to the contacts from `first`.
async fn call_writes(
    store: &Store,
    campaign: i64,
    list: i64,
    first: i64,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for c in first..first + CALLS {
        let at = FIRST_DAY_MS + 7 * DAY_MS + c * 1000;
        let id = store
            .begin_attempt(&AttemptStart {
                host: "bench".into(),
                campaign_id: campaign,
                run: 3,
                list_id: list,
                contact_id: c,
                number: format!("+39061{:07}", c - 1),
                attempt: 6,
                started_at_ms: at,
            })
            .await?;
        store.attempt_ringing(id, at + 500).await?;
        store.attempt_answered(id, at + 8_000).await?;
        let end = AttemptEnd {
            end_at_ms: at + 30_000,
            trunk: Some("carrier".into()),
            ring_ms: 7_500,
            talk_ms: 22_000,
            sip_code: Some(200),
            cause: None,
            outcome: "answered".into(),
            status: "SALE".into(),
            retry: false,
            next_at_ms: 0,
            tags: r#"["vip"]"#.into(),
            agent: Some("agent1".into()),
            confirmed: false,
            hangup_by: Some("callee".into()),
            queue_result: Some("QUEUE_ANSWER".into()),
            ivr_result: None,
        };
        store.end_attempt(id, c, &end).await?;
    }
    Ok(started.elapsed() / CALLS as u32)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, mut raw, list, campaign) = new_store(&dir).await?;
    let started = Instant::now();
    store
        .insert_contacts(list, &contacts(), FIRST_DAY_MS)
        .await?;
    eprintln!("{CONTACTS} contacts imported in {:.1?}", started.elapsed());
    let first_contact: i64 = sqlx::query_scalar("SELECT MIN(id) FROM contact WHERE list_id = $1")
        .bind(list)
        .fetch_one(&mut raw)
        .await?;
    let started = Instant::now();
    write_attempts(&mut raw, campaign, list, first_contact).await?;
    let written = started.elapsed();
    // The contacts are done, each with its attempts.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE contact SET state = 'done', attempts = {} WHERE list_id = $1",
        tries("(id - $2 + 1)")
    )))
    .bind(list)
    .bind(first_contact)
    .execute(&mut raw)
    .await?;
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attempt")
        .fetch_one(&mut raw)
        .await?;
    assert_eq!(attempts, 1_000_000);
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE);")
        .execute(&mut raw)
        .await?;
    eprintln!("{attempts} attempts written in {written:.1?}");

    let whole = AttemptFilter {
        campaigns: Campaigns::These(vec![campaign]),
        ..AttemptFilter::default()
    };
    let filters = [
        ("the whole campaign (3 runs, 6 days)", whole.clone()),
        (
            "one run (the second: days 3 and 4)",
            AttemptFilter {
                run: Some(2),
                ..whole.clone()
            },
        ),
        (
            "a span of start times (day 2, noon, to day 4, noon)",
            AttemptFilter {
                from_ms: Some(FIRST_DAY_MS + 3 * DAY_MS / 2),
                until_ms: Some(FIRST_DAY_MS + 7 * DAY_MS / 2),
                ..whole.clone()
            },
        ),
    ];

    // The floor: the campaign's attempts counted, nothing grouped.
    let count = format!("SELECT COUNT(*) FROM attempt WHERE campaign_id = {campaign}");
    let floor_times = raw_times(&mut raw, &count).await?;
    let (floor, _) = median_p90(floor_times.clone());

    println!(
        "| SQLite, 1,000,000 attempts of 300,000 records | records | median | p90 | \
         median / floor |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, filter) in &filters {
        let (stats, times) = stats_times(&store, filter).await?;
        let records = format!("{}", stats.records);
        println!(
            "{}",
            row(&format!("`campaign_stats`: {name}"), &records, times, floor)
        );
        eprintln!("{name}: {stats:?}");
    }
    println!(
        "{}",
        row(
            "floor: `SELECT COUNT(*) FROM attempt WHERE campaign_id = ?`",
            "",
            floor_times,
            floor
        )
    );
    // The same pass over attempt_report, grouped by SQLite rather than counted by line.
    let grouped = format!(
        "SELECT COALESCE(status, outcome, state), attempt, tags, COUNT(*) \
         FROM (SELECT MAX(id), status, outcome, state, attempt, tags FROM attempt \
         WHERE campaign_id IN ({campaign}) AND state IN ('ended', 'interrupted') \
         GROUP BY campaign_id, contact_id) GROUP BY 1, 2, 3"
    );
    println!(
        "{}",
        row(
            "reference: the whole campaign, the same pass grouped by SQLite, alone",
            "",
            raw_times(&mut raw, &grouped).await?,
            floor
        )
    );
    // The read of 0012, on its indexes: the last attempts' ids grouped, then looked up.
    sqlx::query("DROP INDEX attempt_report")
        .execute(&mut raw)
        .await?;
    let before = format!(
        "SELECT COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags, COUNT(*) \
         FROM attempt a JOIN (SELECT MAX(id) AS id FROM attempt \
         WHERE campaign_id IN ({campaign}) AND state IN ('ended', 'interrupted') \
         GROUP BY campaign_id, contact_id) l ON a.id = l.id \
         GROUP BY COALESCE(a.status, a.outcome, a.state), a.attempt, a.tags"
    );
    println!(
        "{}",
        row(
            "reference: the whole campaign, the read of 0012 without `attempt_report`, alone",
            "",
            raw_times(&mut raw, &before).await?,
            floor
        )
    );
    // What the index costs the calls' writes: without it, then with it built again
    // as migration 0013 builds it on a database that has attempts.
    let call_without = call_writes(&store, campaign, list, first_contact).await?;
    let started = Instant::now();
    sqlx::raw_sql(MIGRATION).execute(&mut raw).await?;
    let built = started.elapsed();
    let call_with = call_writes(&store, campaign, list, first_contact + CALLS).await?;
    raw.close().await?;
    store.close().await;
    drop(dir);

    // What the index costs a write: the same attempts into a store without it.
    let bare = tempfile::tempdir()?;
    let (store, mut raw, list, campaign) = new_store(&bare).await?;
    sqlx::query("DROP INDEX attempt_report")
        .execute(&mut raw)
        .await?;
    let started = Instant::now();
    write_attempts(&mut raw, campaign, list, 1).await?;
    let without = started.elapsed();
    println!();
    println!("| writes | with `attempt_report` | without (0012) |");
    println!("|---|---:|---:|");
    println!(
        "| 1,000,000 attempts, bulk INSERT in one transaction | {} | {} |",
        ms(written),
        ms(without)
    );
    println!(
        "| a call through the store (start, ringing, answer, end), mean of {CALLS} | \
         {:.0} µs | {:.0} µs |",
        call_with.as_secs_f64() * 1e6,
        call_without.as_secs_f64() * 1e6
    );
    println!(
        "| migration 0013 on 1,000,000 attempts (the index built) | {} | |",
        ms(built)
    );
    raw.close().await?;
    store.close().await;
    Ok(())
}
