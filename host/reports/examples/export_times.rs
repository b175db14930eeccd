//! The detailed report of 1,000,000 contacts exported to CSV and XLSX from SQLite,
//! printed as the table in docs/benchmarks.md (issue 17: the XLSX in under 20 s and
//! 200 MB, the CSV at over 500,000 rows per second).
//!
//! A fresh store (the normal open and migrations) holds one list of 1,000,000
//! contacts, each with five columns of its own in the file's order (name, surname,
//! city, customer code, amount; one in eight has a second number), and one campaign
//! that called nine in ten of them 1 to 3 times (1,600,000 finished attempts: busy,
//! unanswered or congested before the last, which is mostly answered, with tags on
//! some). Contacts and attempts go in through bulk SQL on a connection of their own,
//! in one transaction each, which the triggers count like any other write.
//!
//! Each export is the real path: `Report::Detailed.read(.., Use::File)` for the
//! campaign, then `export::write` into a file on a blocking thread, as the panel's
//! exports run. Each runs in a process of its own (this program run again with
//! `export`), which reports its wall time (from `Report::read` to the file written),
//! its processor time and its peak resident memory (`VmHWM` at its end), so that each
//! figure is that export's own. Beside them, in the same runs:
//! the `sqlite3` command-line shell writing the same contacts joined with their last
//! attempt as CSV (`sqlite3 -csv`), and `rust_xlsxwriter` alone writing as many rows
//! of the same columns and kinds of cells from memory in its constant memory mode,
//! the floor of the library (`xlsx-floor`). Three rounds, each export and reference
//! once per round; the medians are printed.
//!
//! ```sh
//! cargo run --release -p ringhost-reports --example export_times -- [--db PATH] [--rounds N]
//! ```
//!
//! With `--db`, the store is seeded there the first time and reused afterwards (a
//! seeding takes about 20 s); without, in a temporary folder. The references need the
//! `sqlite3` shell and GNU `time`, for its peak memory (`apt-get install sqlite3 time`).

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDateTime};
use ringhost_reports::export::{self, Format};
use ringhost_reports::locale::Language;
use ringhost_reports::{Filter, Locale, Report, Use};
use ringhost_store::Store;
use ringhost_store::campaign::CampaignRow;
use rust_xlsxwriter::{Format as CellFormat, FormatBorder, Workbook};
use sqlx::{Connection as _, SqliteConnection};

const CONTACTS: i64 = 1_000_000;
/// Attempts of contact `i` (from 0), by `i % 10`: nine in ten called, 1.6 each.
const TRIES: [i64; 10] = [1, 2, 1, 3, 0, 2, 1, 3, 2, 1];
const CAMPAIGN: &str = "export";
const DAY_MS: i64 = 86_400_000;
/// Midnight of the campaign's first day (2026-12-01 UTC).
const FIRST_DAY_MS: i64 = 1_796_083_200_000;
const ROME: Locale = Locale {
    zone: chrono_tz::Europe::Rome,
    language: Language::It,
};

const NAMES: [&str; 12] = [
    "Mario",
    "Giulia",
    "Luca",
    "Francesca",
    "Marco",
    "Chiara",
    "Giuseppe",
    "Anna",
    "Paolo",
    "Sara",
    "Andrea",
    "Elena",
];
const SURNAMES: [&str; 10] = [
    "Rossi",
    "Bianchi",
    "Esposito",
    "Romano",
    "Colombo",
    "D'Angelo",
    "Ricci",
    "Marino",
    "De Luca, jr.",
    "Greco",
];
const CITIES: [&str; 9] = [
    "Roma",
    "Milano",
    "Napoli",
    "Torino",
    "Palermo",
    "Genova",
    "Bologna",
    "Forlì",
    "Reggio nell'Emilia",
];

fn url(db: &Path) -> String {
    format!("sqlite://{}?mode=rwc", db.display())
}

/// `values[expr % len]`, in SQL.
fn pick(expr: &str, values: &[&str]) -> String {
    let mut sql = format!("CASE ({expr}) % {}", values.len());
    for (n, value) in values.iter().enumerate() {
        sql.push_str(&format!(" WHEN {n} THEN '{}'", value.replace('\'', "''")));
    }
    sql.push_str(" END");
    sql
}

/// How many times contact `i` (from 0) was called: `TRIES[i % 10]`, in SQL.
fn tries(i: &str) -> String {
    let mut sql = format!("CASE ({i}) % 10");
    for (n, tries) in TRIES.iter().enumerate() {
        sql.push_str(&format!(" WHEN {n} THEN {tries}"));
    }
    sql.push_str(" END");
    sql
}

/// The numbers `0..$1`, as `s(i)`.
const SERIES: &str =
    "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $1 - 1)";

/// Seeds a new store at `db`: the list, its contacts, the campaign and its attempts.
async fn seed(db: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = Store::open(&url(db)).await?;
    let list = store.create_list("clienti", "", "{}", FIRST_DAY_MS).await?;
    let campaign = store
        .create_campaign(
            &CampaignRow {
                id: 0,
                name: CAMPAIGN.into(),
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
    store.start_run(campaign, "running", FIRST_DAY_MS).await?;
    store.close().await;
    let mut raw = SqliteConnection::connect(&url(db)).await?;
    sqlx::raw_sql("PRAGMA synchronous = NORMAL; PRAGMA cache_size = -262144;")
        .execute(&mut raw)
        .await?;

    // The contacts, as an import writes them: done when called, with their tries.
    let variables = format!(
        "json_object('name', {}, 'surname', {}, 'city', {}, 'customer_code', \
         printf('C%08d', i), 'amount', printf('%d.%02d', (i * 7919) % 5000, (i * 31) % 100))",
        pick("i * 7 + i / 12", &NAMES),
        pick("i * 13 + i / 7", &SURNAMES),
        pick("i / 3", &CITIES),
    );
    let sql = format!(
        "{SERIES}, t(i, n) AS (SELECT i, {} FROM s) \
         INSERT INTO contact (list_id, line, numbers, variables, time_zone, state, attempts, \
         next_at_ms, updated_at_ms) \
         SELECT $2, i + 1, '+39061' || printf('%07d', i) || \
         CASE WHEN i % 8 = 3 THEN '|+39347' || printf('%07d', i) ELSE '' END, {variables}, \
         'Europe/Rome', CASE WHEN n = 0 THEN 'ready' ELSE 'done' END, n, $3, $3 FROM t",
        tries("i")
    );
    let mut tx = raw.begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(CONTACTS)
        .bind(list)
        .bind(FIRST_DAY_MS)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let first: i64 = sqlx::query_scalar("SELECT MIN(id) FROM contact WHERE list_id = $1")
        .bind(list)
        .fetch_one(&mut raw)
        .await?;
    eprintln!("{CONTACTS} contacts written in {:.1?}", started.elapsed());

    // The attempts, try by try (a day each): before the last, busy, unanswered or
    // congested; the last mostly answered (sales, callbacks, refusals), else
    // unanswered or failed; tags on some.
    let mut tx = raw.begin().await?;
    for k in 1..=3_i64 {
        let sql = format!(
            "{SERIES}, t(i, n, h) AS (SELECT i, {tries}, (i * 2654435761 + {k} * 40503) % 1000 \
                                      FROM s), \
             u(i, n, h, at, last, answered) AS (SELECT i, n, h, $4 + i * $5, n = {k}, \
                                                n = {k} AND h >= 250 FROM t WHERE n >= {k}) \
             INSERT INTO attempt (host, campaign_id, run, list_id, contact_id, number, \
             attempt, state, trunk, started_at_ms, ring_at_ms, answer_at_ms, end_at_ms, \
             ring_ms, talk_ms, sip_code, outcome, status, retry, tags, agent, confirmed, \
             hangup_by) \
             SELECT 'bench', $2, 1, $3, $6 + i, '+39061' || printf('%07d', i), {k}, 'ended', \
             'carrier', at, at + 500, CASE WHEN answered THEN at + 8000 END, \
             at + 8000 + CASE WHEN answered THEN 5000 + (h * 7919) % 300000 ELSE 22000 END, \
             7500, CASE WHEN answered THEN 5000 + (h * 7919) % 300000 ELSE 0 END, \
             CASE WHEN NOT last THEN CASE WHEN h < 400 THEN 486 WHEN h < 900 THEN 480 \
                  ELSE 503 END WHEN h < 20 THEN 500 WHEN h < 250 THEN 480 ELSE 200 END, \
             CASE WHEN NOT last THEN CASE WHEN h < 400 THEN 'busy' WHEN h < 900 THEN \
                  'no_answer' ELSE 'congestion' END WHEN h < 20 THEN 'failed' \
                  WHEN h < 250 THEN 'no_answer' ELSE 'answered' END, \
             CASE WHEN NOT last THEN CASE WHEN h < 400 THEN 'BUSY' WHEN h < 900 THEN \
                  'NOANSWER' ELSE 'CONGESTION' END WHEN h < 20 THEN NULL \
                  WHEN h < 250 THEN 'NOANSWER' WHEN h < 450 THEN 'SALE' \
                  WHEN h < 600 THEN 'CALLBACK' WHEN h < 850 THEN 'NOT_INTERESTED' \
                  ELSE 'ANSWER' END, \
             CASE WHEN last THEN 0 ELSE 1 END, \
             CASE WHEN NOT last THEN '[]' WHEN h % 10 = 1 THEN '[\"vip\"]' \
                  WHEN h % 30 = 2 THEN '[\"callback\",\"vip\"]' \
                  WHEN h % 50 = 3 THEN '[\"abandoned\"]' ELSE '[]' END, \
             CASE WHEN answered THEN 'agent' || (h % 40) END, 0, \
             CASE WHEN answered THEN 'callee' END \
             FROM u",
            tries = tries("i"),
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(CONTACTS)
            .bind(campaign)
            .bind(list)
            .bind(FIRST_DAY_MS + (k - 1) * DAY_MS)
            .bind(DAY_MS / CONTACTS)
            .bind(first)
            .execute(&mut *tx)
            .await?;
    }
    // Each called contact's status is its last attempt's, as the dialer leaves it.
    sqlx::query(
        "UPDATE contact SET status = (SELECT a.status FROM attempt a WHERE a.id = \
         (SELECT MAX(x.id) FROM attempt x WHERE x.contact_id = contact.id)) \
         WHERE list_id = $1 AND attempts > 0",
    )
    .bind(list)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE);")
        .execute(&mut raw)
        .await?;
    let attempts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM attempt")
        .fetch_one(&mut raw)
        .await?;
    raw.close().await?;
    eprintln!(
        "{attempts} attempts written; seeded in {:.1?}",
        started.elapsed()
    );
    Ok(())
}

/// The seeded store's campaign id and list id, checking that it holds what
/// [`seed`] writes.
async fn seeded(db: &Path) -> anyhow::Result<(i64, i64)> {
    let store = Store::open(&url(db)).await?;
    let Some(campaign) = store
        .campaigns()
        .await?
        .into_iter()
        .find(|c| c.name == CAMPAIGN)
    else {
        bail!("{} holds no campaign {CAMPAIGN:?}", db.display());
    };
    let list = campaign.list_ids[0];
    let contacts = store.count_contacts_in(&[list]).await?;
    store.close().await;
    if contacts != CONTACTS {
        bail!("{} holds {contacts} contacts, not {CONTACTS}", db.display());
    }
    Ok((campaign.id, list))
}

/// This process's peak resident memory, in kB (`VmHWM`).
fn peak_kb() -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/self/status")
}

/// This process's processor time (user and system), in seconds.
fn cpu_s() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // After the command's name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .context("bad /proc/self/stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    Ok(ticks / 100.0)
}

/// One measured run: wall time, rows, the file's bytes, peak memory, processor time.
#[derive(Debug, Clone, Copy)]
struct Measure {
    wall: Duration,
    rows: u64,
    bytes: u64,
    peak_kb: u64,
    cpu_s: f64,
}

impl Measure {
    fn line(&self) -> String {
        format!(
            "RESULT {} {} {} {} {}",
            self.wall.as_micros(),
            self.rows,
            self.bytes,
            self.peak_kb,
            self.cpu_s
        )
    }

    fn parse(line: &str) -> anyhow::Result<Measure> {
        let f: Vec<&str> = line
            .strip_prefix("RESULT ")
            .context("no RESULT line")?
            .split(' ')
            .collect();
        Ok(Measure {
            wall: Duration::from_micros(f[0].parse()?),
            rows: f[1].parse()?,
            bytes: f[2].parse()?,
            peak_kb: f[3].parse()?,
            cpu_s: f[4].parse()?,
        })
    }
}

/// The child: the campaign's detailed report written in `format` to `out`, as the
/// panel's export writes it.
async fn export_child(db: &Path, format: Format, out: &Path) -> anyhow::Result<Measure> {
    let store = Store::open(&url(db)).await?;
    let filter = Filter {
        campaigns: vec![CAMPAIGN.into()],
        ..Filter::default()
    };
    let now_ms = FIRST_DAY_MS + 10 * DAY_MS;
    let started = Instant::now();
    let output = Report::Detailed
        .read(&store, &filter, &ROME, now_ms, Use::File)
        .await?;
    let file = std::fs::File::create(out)?;
    let rows = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let progress = AtomicU64::new(0);
        let out = std::io::BufWriter::with_capacity(1 << 16, file);
        export::write(output, "detailed", format, &ROME, out, &progress)?;
        Ok(progress.load(Ordering::Relaxed))
    })
    .await??;
    let wall = started.elapsed();
    store.close().await;
    Ok(Measure {
        wall,
        rows,
        bytes: std::fs::metadata(out)?.len(),
        peak_kb: peak_kb()?,
        cpu_s: cpu_s()?,
    })
}

/// The child of the XLSX reference: `rows` rows of the detailed report's columns and
/// kinds of cells, made from memory, written by `rust_xlsxwriter` alone in its
/// constant memory mode, with the same formats, widths, frozen header and filter.
fn xlsx_floor_child(rows: u32, out: &Path) -> anyhow::Result<Measure> {
    // The cells of a few thousand rows, made beforehand and written over and over.
    const POOL: usize = 4096;
    let pool: Vec<[String; 10]> = (0..POOL)
        .map(|i| {
            [
                "clienti".to_owned(),
                if i % 8 == 3 {
                    format!("+39061{i:07}|+39347{i:07}")
                } else {
                    format!("+39061{i:07}")
                },
                NAMES[i % NAMES.len()].to_owned(),
                SURNAMES[i % SURNAMES.len()].to_owned(),
                CITIES[i % CITIES.len()].to_owned(),
                format!("C{i:08}"),
                format!("{}.{:02}", (i * 7919) % 5000, (i * 31) % 100),
                ["SALE", "CALLBACK", "NOT_INTERESTED", "NOANSWER"][i % 4].to_owned(),
                ["answered", "no_answer", "busy"][i % 3].to_owned(),
                ["", "vip", "callback, vip"][i % 3].to_owned(),
            ]
        })
        .collect();
    let times: Vec<NaiveDateTime> = (0..POOL as i64)
        .map(|i| {
            DateTime::from_timestamp_millis(FIRST_DAY_MS + i * 86_400)
                .unwrap_or_default()
                .naive_utc()
        })
        .collect();
    let started = Instant::now();
    let mut workbook = Workbook::new();
    let header = CellFormat::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color("#E8EEF6");
    let whole = CellFormat::new().set_num_format("0");
    let time = CellFormat::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name("detailed")?;
    let labels = [
        "Lista",
        "Riga",
        "Numeri",
        "name",
        "surname",
        "city",
        "customer_code",
        "amount",
        "Tentativi",
        "Esito",
        "Ultimo risultato",
        "Durata ultima (s)",
        "Ultimo tentativo",
        "Etichette",
    ];
    for (c, label) in labels.iter().enumerate() {
        let c = u16::try_from(c)?;
        sheet.write_string_with_format(0, c, *label, &header)?;
        sheet.set_column_width(c, if c == 12 { 20.0 } else { 16.0 })?;
    }
    for r in 1..=rows {
        let i = r as usize % POOL;
        let [
            list,
            numbers,
            name,
            surname,
            city,
            code,
            amount,
            status,
            outcome,
            tags,
        ] = &pool[i];
        sheet.write_string(r, 0, list)?;
        sheet.write_number_with_format(r, 1, f64::from(r), &whole)?;
        sheet.write_string(r, 2, numbers)?;
        sheet.write_string(r, 3, name)?;
        sheet.write_string(r, 4, surname)?;
        sheet.write_string(r, 5, city)?;
        sheet.write_string(r, 6, code)?;
        sheet.write_string(r, 7, amount)?;
        // As the report: one in ten never called, its last four cells empty.
        sheet.write_number_with_format(r, 8, (r % 4) as f64, &whole)?;
        if r % 10 == 5 {
            continue;
        }
        sheet.write_string(r, 9, status)?;
        sheet.write_string(r, 10, outcome)?;
        sheet.write_number_with_format(r, 11, (r % 300) as f64, &whole)?;
        sheet.write_datetime_with_format(r, 12, times[i], &time)?;
        sheet.write_string(r, 13, tags)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    sheet.autofilter(0, 0, rows, 13)?;
    let file = std::fs::File::create(out)?;
    workbook.save_to_writer(std::io::BufWriter::with_capacity(1 << 16, file))?;
    Ok(Measure {
        wall: started.elapsed(),
        rows: u64::from(rows),
        bytes: std::fs::metadata(out)?.len(),
        peak_kb: peak_kb()?,
        cpu_s: cpu_s()?,
    })
}

/// Runs this program again with `args`, and reads its measure.
fn child(args: &[&str]) -> anyhow::Result<Measure> {
    let me = std::env::current_exe()?;
    let output = Command::new(me).args(args).output()?;
    if !output.status.success() {
        bail!(
            "{args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout
        .lines()
        .find(|l| l.starts_with("RESULT "))
        .context("the child said no RESULT")?;
    Measure::parse(line)
}

/// The `sqlite3` shell writing the campaign's contacts, each joined with its last
/// attempt, as CSV: the report's columns, computed by SQLite.
fn sqlite3_reference(db: &Path, campaign: i64, list: i64, out: &Path) -> anyhow::Result<Measure> {
    let sql = format!(
        "SELECT l.name AS list, c.line, c.numbers, c.variables ->> 'name' AS name, \
         c.variables ->> 'surname' AS surname, c.variables ->> 'city' AS city, \
         c.variables ->> 'customer_code' AS customer_code, \
         c.variables ->> 'amount' AS amount, c.attempts AS tries, \
         COALESCE(c.status, a.status) AS status, a.outcome AS last_outcome, \
         (a.talk_ms + 500) / 1000 AS last_talk_s, \
         strftime('%Y-%m-%dT%H:%M:%S+01:00', a.started_at_ms / 1000 + 3600, 'unixepoch') \
         AS last_attempt_at, \
         (SELECT group_concat(value, ', ') FROM json_each(a.tags)) AS tags \
         FROM contact c JOIN contact_list l ON l.id = c.list_id \
         LEFT JOIN attempt a ON a.id = (SELECT MAX(x.id) FROM attempt x \
         WHERE x.contact_id = c.id AND x.campaign_id IN ({campaign})) \
         WHERE c.list_id IN ({list}) ORDER BY c.list_id, c.id"
    );
    let file = std::fs::File::create(out)?;
    let peak = tempfile::NamedTempFile::new()?;
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M %U %S")
        .arg("-o")
        .arg(peak.path())
        .args(["sqlite3", "-csv", "-header"])
        .arg(db)
        .arg(&sql)
        .stdout(file)
        .status()
        .context("cannot run /usr/bin/time sqlite3 (apt-get install sqlite3 time)")?;
    let wall = started.elapsed();
    if !status.success() {
        bail!("sqlite3 failed");
    }
    let said = std::fs::read_to_string(peak.path())?;
    let f: Vec<&str> = said
        .lines()
        .last()
        .context("no figures from time")?
        .split(' ')
        .collect();
    let lines = std::io::BufReader::new(std::fs::File::open(out)?)
        .lines()
        .count() as u64;
    Ok(Measure {
        wall,
        rows: lines.saturating_sub(1),
        bytes: std::fs::metadata(out)?.len(),
        peak_kb: f[0].parse()?,
        cpu_s: f[1].parse::<f64>()? + f[2].parse::<f64>()?,
    })
}

fn median(measures: &[Measure]) -> Measure {
    let mut sorted = measures.to_vec();
    sorted.sort_by_key(|m| m.wall);
    let mut m = sorted[sorted.len() / 2];
    let mut peaks: Vec<u64> = measures.iter().map(|m| m.peak_kb).collect();
    peaks.sort_unstable();
    m.peak_kb = peaks[peaks.len() / 2];
    m
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// A row of the table: median wall time, rows per second, peak memory, processor
/// time, file size, and the ratios to `reference`'s.
fn row(name: &str, m: &Measure, reference: Option<&Measure>) -> String {
    let rate = m.rows as f64 / m.wall.as_secs_f64();
    let ratios = match reference {
        Some(r) => format!(
            "{:.2}x | {:.1}x |",
            m.wall.as_secs_f64() / r.wall.as_secs_f64(),
            m.peak_kb as f64 / r.peak_kb as f64
        ),
        None => "1.00x | 1.0x |".to_owned(),
    };
    format!(
        "| {name} | {:.2} s | {:.0} | {:.0} MB | {:.1} s | {:.1} MB | {ratios}",
        m.wall.as_secs_f64(),
        rate,
        m.peak_kb as f64 / 1024.0,
        m.cpu_s,
        mb(m.bytes),
    )
}

async fn parent(db: Option<PathBuf>, rounds: usize) -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let db = db.unwrap_or_else(|| temp.path().join("export.db"));
    if !db.exists() {
        seed(&db).await?;
    }
    let (campaign, list) = seeded(&db).await?;
    let db_text = db.to_str().context("the database's path is not UTF-8")?;
    let out = temp.path().join("out");
    let out_text = out.to_str().context("the temporary path is not UTF-8")?;
    let names = [
        "detailed report, CSV",
        "reference: `sqlite3 -csv`, the same join",
        "detailed report, XLSX",
        "reference: rust_xlsxwriter alone, from memory",
    ];
    let mut measures: Vec<Vec<Measure>> = vec![Vec::new(); names.len()];
    for round in 1..=rounds {
        for (n, name) in names.iter().enumerate() {
            let m = match n {
                0 => child(&["export", db_text, "csv", out_text])?,
                1 => sqlite3_reference(&db, campaign, list, &out)?,
                2 => child(&["export", db_text, "xlsx", out_text])?,
                _ => child(&["xlsx-floor", &CONTACTS.to_string(), out_text])?,
            };
            std::fs::remove_file(&out)?;
            eprintln!(
                "round {round}: {name}: {:.2} s, {} rows, {:.0} rows/s, peak {:.0} MB, \
                 cpu {:.1} s, {:.1} MB",
                m.wall.as_secs_f64(),
                m.rows,
                m.rows as f64 / m.wall.as_secs_f64(),
                m.peak_kb as f64 / 1024.0,
                m.cpu_s,
                mb(m.bytes)
            );
            if m.rows != CONTACTS as u64 {
                bail!("{name}: {} rows, not {CONTACTS}", m.rows);
            }
            measures[n].push(m);
        }
    }
    let medians: Vec<Measure> = measures.iter().map(|m| median(m)).collect();
    println!(
        "| SQLite, 1,000,000 contacts, 14 columns (median of {rounds}) | wall | rows/s | \
         peak RSS | CPU | file | wall / reference | RSS / reference |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    println!("{}", row(names[0], &medians[0], Some(&medians[1])));
    println!("{}", row(names[1], &medians[1], None));
    println!("{}", row(names[2], &medians[2], Some(&medians[3])));
    println!("{}", row(names[3], &medians[3], None));
    std::io::stdout().flush()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Runtime::new()?;
    match args.first().map(String::as_str) {
        Some("export") => {
            let format = Format::parse(&args[2]).context("csv or xlsx")?;
            let m = runtime.block_on(export_child(
                Path::new(&args[1]),
                format,
                Path::new(&args[3]),
            ))?;
            println!("{}", m.line());
        }
        Some("xlsx-floor") => {
            let m = xlsx_floor_child(args[1].parse()?, Path::new(&args[2]))?;
            println!("{}", m.line());
        }
        _ => {
            let mut db = None;
            let mut rounds = 3;
            let mut rest = args.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--db" => db = rest.next().map(PathBuf::from),
                    "--rounds" => rounds = rest.next().context("--rounds N")?.parse()?,
                    other => bail!("unknown argument {other}"),
                }
            }
            runtime.block_on(parent(db, rounds))?;
        }
    }
    Ok(())
}
