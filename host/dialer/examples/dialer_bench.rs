//! Benchmarks of the dialer's two database hot paths, printed as the tables in
//! docs/benchmarks.md:
//!
//! 1. CSV import: an ADS list of 200,000 rows parsed and stored in SQLite, against
//!    its two halves measured alone in the same run (parsing only; storing rows
//!    already parsed), so the cost of each shows.
//! 2. Picking the next contacts from a list of 1,000,000: `claim_due` (read the due
//!    contacts through the index, mark them dialing, in one transaction) timed one pick
//!    at a time, p50 and p99, against a bare read of the earliest due contact through
//!    the same index (`next_due`).
//!
//! ```sh
//! cargo run --release -p ringhost-dialer --example dialer_bench
//! ```

use std::time::{Duration, Instant};

use ringhost_dialer::import::{self, ImportOptions};
use ringhost_store::Store;
use ringhost_store::contact::NewContactRow;

const IMPORT_ROWS: usize = 200_000;
const PICK_LIST: usize = 1_000_000;
const PICKS: usize = 2_000;
const PER_PICK: i64 = 10;

fn csv(rows: usize) -> String {
    let mut text = String::from("numbers,name,surname,city,note\n");
    for i in 0..rows {
        text.push_str(&format!(
            "+39 06 {:04} {:04}|33{:08},Mario{i},Rossi,Roma,customer since 2019\n",
            (i / 10_000) % 10_000,
            i % 10_000,
            i
        ));
    }
    text
}

async fn store(dir: &tempfile::TempDir, name: &str) -> anyhow::Result<Store> {
    Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join(name).display()
    ))
    .await
}

fn rows_of(parsed: import::Parsed) -> Vec<NewContactRow> {
    parsed
        .contacts
        .into_iter()
        .map(|c| NewContactRow {
            line: c.line as i64,
            numbers: c.numbers,
            variables: ringhost_dialer::admin::variables_json(&c.variables),
            time_zone: c.time_zone,
            next_at_ms: 0,
            schedule_extension: None,
            external_id: None,
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let options = ImportOptions {
        default_region: "IT".into(),
        default_zone: "Europe/Rome".into(),
    };
    let text = csv(IMPORT_ROWS);

    // Import, whole and in halves, median of 3 each.
    let mut whole = Vec::new();
    let mut parse_only = Vec::new();
    let mut insert_only = Vec::new();
    for run in 0..3 {
        let s = store(&dir, &format!("import-{run}.db")).await?;
        let started = Instant::now();
        let summary = ringhost_dialer::admin::import(&s, 0, "bench", text.as_bytes()).await?;
        whole.push(started.elapsed());
        assert_eq!(summary.imported as usize, IMPORT_ROWS);

        let started = Instant::now();
        let parsed = import::parse(text.as_bytes(), &options)?;
        parse_only.push(started.elapsed());

        let rows = rows_of(parsed);
        let s = store(&dir, &format!("insert-{run}.db")).await?;
        let list = s.create_list("bench", "", "{}", 0).await?;
        let started = Instant::now();
        s.insert_contacts(list, &rows, 0).await?;
        insert_only.push(started.elapsed());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let rate = |d: Duration| IMPORT_ROWS as f64 / d.as_secs_f64();
    let (w, p, i) = (
        median(&mut whole),
        median(&mut parse_only),
        median(&mut insert_only),
    );
    println!("| {IMPORT_ROWS} CSV rows into SQLite (median of 3) | time | rows per second |");
    println!("|---|---:|---:|");
    println!(
        "| import (parse and store, one transaction) | {:.0} ms | {:.0} |",
        w.as_secs_f64() * 1e3,
        rate(w)
    );
    println!(
        "| parse only (numbers to E.164, zones) | {:.0} ms | {:.0} |",
        p.as_secs_f64() * 1e3,
        rate(p)
    );
    println!(
        "| store only (rows already parsed) | {:.0} ms | {:.0} |",
        i.as_secs_f64() * 1e3,
        rate(i)
    );

    // Picks from a list of a million.
    let s = store(&dir, "pick.db").await?;
    let list = s.create_list("million", "", "{}", 0).await?;
    let template = rows_of(import::parse(csv(1).as_bytes(), &options)?).remove(0);
    let rows: Vec<NewContactRow> = (0..PICK_LIST)
        .map(|i| NewContactRow {
            line: i as i64 + 2,
            next_at_ms: i as i64,
            ..template.clone()
        })
        .collect();
    let started = Instant::now();
    for chunk in rows.chunks(100_000) {
        s.insert_contacts(list, chunk, 0).await?;
    }
    println!();
    println!(
        "({PICK_LIST} contacts stored in {:.1} s for the pick benchmark)",
        started.elapsed().as_secs_f64()
    );
    let now = PICK_LIST as i64;
    let mut claims = Vec::with_capacity(PICKS);
    let mut reads = Vec::with_capacity(PICKS);
    for _ in 0..PICKS {
        let started = Instant::now();
        let claimed = s.claim_due("bench", &[list], now, PER_PICK).await?;
        claims.push(started.elapsed());
        assert_eq!(claimed.len() as i64, PER_PICK);
        let started = Instant::now();
        s.next_due(&[list]).await?;
        reads.push(started.elapsed());
    }
    claims.sort();
    reads.sort();
    println!();
    println!("| pick from {PICK_LIST} contacts ({PICKS} picks) | p50 | p99 |");
    println!("|---|---:|---:|");
    println!(
        "| claim_due: {PER_PICK} contacts read and marked dialing | {:.0} µs | {:.0} µs |",
        percentile(&claims, 0.5).as_secs_f64() * 1e6,
        percentile(&claims, 0.99).as_secs_f64() * 1e6
    );
    println!(
        "| reference: next_due, one indexed read | {:.0} µs | {:.0} µs |",
        percentile(&reads, 0.5).as_secs_f64() * 1e6,
        percentile(&reads, 0.99).as_secs_f64() * 1e6
    );
    Ok(())
}
