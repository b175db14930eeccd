//! The reports against a scripted campaign written into a real SQLite store: every
//! count made by hand here, and every format of a report equal to its JSON row for
//! row (the spreadsheet read back with calamine).

use std::sync::atomic::AtomicU64;

use calamine::{Data, Reader as _, Xlsx};
use chrono::{NaiveDate, TimeZone as _};
use ringhost_reports::export::{self, Format};
use ringhost_reports::locale::Language;
use ringhost_reports::{Cell, Filter, Locale, Output, Report, Use};
use ringhost_store::Store;
use ringhost_store::agent::AgentRow;
use ringhost_store::attempt::{AttemptEnd, AttemptStart};
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::NewContactRow;
use serde_json::Value;

const ROME: Locale = Locale {
    zone: chrono_tz::Europe::Rome,
    language: Language::En,
};

/// One try: its status and tags.
type Try<'a> = (&'a str, &'a [&'a str]);

fn ended(status: &str, tags: &[&str], at: i64) -> AttemptEnd {
    AttemptEnd {
        end_at_ms: at,
        trunk: None,
        ring_ms: 1_000,
        talk_ms: 0,
        sip_code: Some(200),
        cause: Some(16),
        outcome: status.to_lowercase(),
        status: status.into(),
        retry: false,
        next_at_ms: 0,
        tags: serde_json::to_string(tags).unwrap(),
        agent: None,
        confirmed: false,
        hangup_by: None,
        queue_result: None,
        ivr_result: None,
    }
}

/// Two campaigns on one list of six contacts; `winter`'s calls, by contact:
/// c0 BUSY then SALE (vip); c1 NOANSWER; c2 SALE (vip, `=cmd`); c3 BUSY, BUSY,
/// NOANSWER; c4 only called by `summer`; c5 a call still ringing.
async fn scripted(store: &Store) -> (i64, i64) {
    let list = store.create_list("leads", "", "{}", 0).await.unwrap();
    let contacts: Vec<NewContactRow> = (0..6)
        .map(|i| NewContactRow {
            line: i + 2,
            numbers: vec![format!("+3906100000{i:02}")],
            // The file's order, not the alphabet's; a value a spreadsheet would run.
            variables: format!(
                r#"{{"name":"c{i}","city":"{}","status":"s{i}"}}"#,
                if i == 2 { "=HYPERLINK(1)" } else { "Roma" }
            ),
            time_zone: "Europe/Rome".into(),
            next_at_ms: 0,
            schedule_extension: None,
            external_id: None,
        })
        .collect();
    store.insert_contacts(list, &contacts, 0).await.unwrap();
    let ids: Vec<i64> = store
        .claim_due("h", &[list], 1_000, 10)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    let campaign = |name: &str, accountcode: &str| CampaignRow {
        id: 0,
        name: name.into(),
        template_id: None,
        state: "running".into(),
        settings: format!(r#"{{"accountcode":"{accountcode}"}}"#),
        priority: 0,
        run: 1,
        start_at_ms: None,
        started_at_ms: Some(0),
        list_ids: vec![list],
    };
    let winter = store
        .create_campaign(&campaign("winter", "A1"), 0)
        .await
        .unwrap();
    let summer = store
        .create_campaign(&campaign("summer", "B2"), 0)
        .await
        .unwrap();
    let calls: [(i64, usize, &[Try]); 6] = [
        (winter, 0, &[("BUSY", &[]), ("SALE", &["vip"])]),
        (winter, 1, &[("NOANSWER", &[])]),
        (winter, 2, &[("SALE", &["vip", "=cmd"])]),
        (
            winter,
            3,
            &[("BUSY", &[]), ("BUSY", &[]), ("NOANSWER", &[])],
        ),
        (summer, 4, &[("SALE", &["vip"])]),
        (winter, 5, &[]),
    ];
    let mut at = 10_000;
    for (campaign, contact, attempts) in calls {
        for (n, (status, tags)) in attempts.iter().enumerate() {
            at += 1_000;
            let start = AttemptStart {
                host: "h".into(),
                campaign_id: campaign,
                run: 1,
                list_id: list,
                contact_id: ids[contact],
                number: format!("+3906100000{contact:02}"),
                attempt: n as i64 + 1,
                started_at_ms: at,
            };
            let id = store.begin_attempt(&start).await.unwrap();
            store
                .end_attempt(id, ids[contact], &ended(status, tags, at + 500))
                .await
                .unwrap();
        }
    }
    // c5's call rings: not finished, not counted.
    let ringing = AttemptStart {
        host: "h".into(),
        campaign_id: winter,
        run: 1,
        list_id: list,
        contact_id: ids[5],
        number: "+390610000005".into(),
        attempt: 1,
        started_at_ms: at + 1_000,
    };
    store.begin_attempt(&ringing).await.unwrap();
    (winter, summer)
}

/// Every table of the output, each row read whole.
async fn tables(output: Output) -> Vec<(Vec<String>, Vec<Vec<Cell>>)> {
    let mut all = Vec::new();
    for table in output.tables {
        let keys = table.columns.iter().map(|c| c.key.to_string()).collect();
        all.push((keys, table.rows.first(usize::MAX).await.unwrap()));
    }
    all
}

/// The report's one table.
async fn table(
    store: &Store,
    report: Report,
    filter: &Filter,
    now_ms: i64,
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let output = report
        .read(store, filter, &ROME, now_ms, Use::File)
        .await
        .unwrap();
    tables(output).await.remove(0)
}

/// The rows of campaign-stats as `(group, value, records)`.
fn counts(rows: &[Vec<Cell>]) -> Vec<(String, String, i64)> {
    rows.iter()
        .map(|row| {
            let n = match row[2] {
                Cell::Integer(n) => n,
                ref other => panic!("records are a number, not {other:?}"),
            };
            (raw(&row[0]), raw(&row[1]), n)
        })
        .collect()
}

/// A text cell's text as stored.
fn raw(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => text.clone(),
        other => panic!("not text: {other:?}"),
    }
}

fn text(cell: &Cell) -> String {
    export::cell_text(cell, &ROME)
}

fn lines(expected: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    expected
        .iter()
        .map(|(g, v, n)| (g.to_string(), v.to_string(), *n))
        .collect()
}

/// The report written in `format`.
async fn written(
    store: &Store,
    report: Report,
    filter: &Filter,
    now: i64,
    format: Format,
) -> Vec<u8> {
    let output = report
        .read(store, filter, &ROME, now, Use::File)
        .await
        .unwrap();
    let progress = AtomicU64::new(0);
    tokio::task::spawn_blocking(move || {
        let mut bytes = Vec::new();
        export::write(
            output,
            report.as_str(),
            format,
            &ROME,
            &mut bytes,
            &progress,
        )
        .unwrap();
        bytes
    })
    .await
    .unwrap()
}

/// A table of the JSON: its keys, its kinds, its rows as text.
type JsonTable = (Vec<String>, Vec<String>, Vec<Vec<String>>);

/// A JSON value as the CSV writes it (with a formula defused).
fn json_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if export::is_formula(s) => format!("'{s}"),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("a cell holds {other}"),
    }
}

/// The JSON, the CSV and the spreadsheet of a report say the same, table for table
/// and row for row; the tables as the JSON has them (texts as CSV writes them).
async fn formats_agree(
    store: &Store,
    report: Report,
    filter: &Filter,
    now: i64,
) -> Vec<Vec<Vec<String>>> {
    let json: Value =
        serde_json::from_slice(&written(store, report, filter, now, Format::Json).await).unwrap();
    assert_eq!(json["report"], report.as_str());
    let json_tables: Vec<JsonTable> = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let keys: Vec<String> = t["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["key"].as_str().unwrap().to_owned())
                .collect();
            let kinds = t["columns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["kind"].as_str().unwrap().to_owned())
                .collect();
            let rows = t["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| keys.iter().map(|k| json_text(&row[k])).collect())
                .collect();
            (keys, kinds, rows)
        })
        .collect();

    // CSV: each table's header of keys and its rows, tables apart by an empty line.
    let csv_bytes = written(store, report, filter, now, Format::Csv).await;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_bytes.as_slice());
    let mut csv_tables: Vec<Vec<Vec<String>>> = vec![Vec::new()];
    for record in reader.records() {
        let record: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        if record.len() == 1 && record[0].is_empty() {
            csv_tables.push(Vec::new());
        } else {
            csv_tables.last_mut().unwrap().push(record);
        }
    }
    assert_eq!(csv_tables.len(), json_tables.len());
    for (csv_table, (keys, _, rows)) in csv_tables.iter().zip(&json_tables) {
        assert_eq!(&csv_table[0], keys);
        assert_eq!(&csv_table[1..], &rows[..]);
    }

    // XLSX: a sheet per table, typed cells that read back as the JSON's values.
    let bytes = written(store, report, filter, now, Format::Xlsx).await;
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = json["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    for (name, (_, kinds, rows)) in names.iter().zip(&json_tables) {
        let sheet = book.worksheet_range(name).unwrap();
        let width = kinds.len();
        let sheet_rows: Vec<Vec<String>> = sheet
            .rows()
            .skip(1)
            .map(|row| {
                (0..width)
                    .map(|c| xlsx_text(row.get(c).unwrap_or(&Data::Empty), &kinds[c]))
                    .collect()
            })
            .collect();
        let expected: Vec<Vec<String>> = rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(kinds)
                    .map(|(cell, kind)| match kind.as_str() {
                        // The sheet has the time as the reader's clock shows it.
                        "time" if !cell.is_empty() => cell[..19].replace('T', " "),
                        "share" if !cell.is_empty() => {
                            format!("{:.6}", cell.parse::<f64>().unwrap())
                        }
                        // Text is never a formula in the sheet: no apostrophe.
                        "text" => cell
                            .strip_prefix('\'')
                            .filter(|t| export::is_formula(t))
                            .unwrap_or(cell)
                            .to_owned(),
                        _ => cell.clone(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(sheet_rows, expected, "sheet {name}");
    }
    json_tables.into_iter().map(|(_, _, rows)| rows).collect()
}

/// A spreadsheet's cell as the JSON writes its value.
fn xlsx_text(cell: &Data, kind: &str) -> String {
    match (cell, kind) {
        (Data::Empty, _) => String::new(),
        (Data::Float(x), "integer" | "duration") => format!("{x:.0}"),
        (Data::Float(x), "share") => format!("{x:.6}"),
        (Data::String(s), "text") => s.clone(),
        (Data::DateTime(d), "time") => d
            .as_datetime()
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        (Data::DateTime(d), "day") => d.as_datetime().unwrap().format("%Y-%m-%d").to_string(),
        (other, kind) => panic!("a {kind} column holds {other:?}"),
    }
}

/// A fresh store on each engine: SQLite in `dir`, and PostgreSQL when the test
/// command started one (`RINGHOST_TEST_POSTGRES_URL`, a server URL without a
/// database; with `RINGHOST_REQUIRE_POSTGRES` set, as CI does, it must be there).
async fn engines(dir: &tempfile::TempDir) -> Vec<Store> {
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let mut stores = vec![Store::open(&url).await.unwrap()];
    stores.extend(
        ringhost_store::testing::postgres_store()
            .await
            .map(|(store, _)| store),
    );
    stores
}

fn winter() -> Filter {
    Filter {
        campaigns: vec!["winter".into()],
        ..Filter::default()
    }
}

#[tokio::test]
async fn campaign_stats_count_each_record_by_its_last_attempt() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        campaign_stats_count_each_record_by_its_last_attempt_on(&store).await;
    }
}

async fn campaign_stats_count_each_record_by_its_last_attempt_on(store: &Store) {
    let store = store.clone();
    scripted(&store).await;
    let stats = |filter: Filter| {
        let store = store.clone();
        async move { table(&store, Report::CampaignStats, &filter, 0).await.1 }
    };
    let rows = stats(winter()).await;
    // Counted by hand: four records (c0 to c3).
    assert_eq!(
        counts(&rows),
        lines(&[
            ("status", "NOANSWER", 2),
            ("status", "SALE", 2),
            ("attempts", "1", 2),
            ("attempts", "2", 1),
            ("attempts", "3", 1),
            ("tag", "=cmd", 1),
            ("tag", "vip", 2),
        ])
    );
    assert_eq!(rows[0][3], Cell::Share(0.5));

    // Both campaigns: c4 counts too; by accountcode, only summer's.
    let all = stats(Filter::default()).await;
    assert_eq!(counts(&all)[1], ("status".into(), "SALE".into(), 3));
    let billed = Filter {
        accountcode: Some("B2".into()),
        ..Filter::default()
    };
    assert_eq!(
        counts(&stats(billed).await),
        lines(&[
            ("status", "SALE", 1),
            ("attempts", "1", 1),
            ("tag", "vip", 1)
        ])
    );
    // A span of start times: c0's second try (at 12 s) and c1's only one (13 s).
    let span = Filter {
        from_ms: Some(12_000),
        until_ms: Some(13_500),
        ..winter()
    };
    assert_eq!(
        counts(&stats(span).await)[..2],
        lines(&[("status", "NOANSWER", 1), ("status", "SALE", 1)])[..]
    );
    // No campaign of that name: nothing, not everything.
    let none = Filter {
        campaigns: vec!["nope".into()],
        ..Filter::default()
    };
    assert!(stats(none).await.is_empty());

    let agreed = formats_agree(&store, Report::CampaignStats, &winter(), 0).await;
    assert_eq!(agreed[0].len(), rows.len());
    assert_eq!(agreed[0][5], ["tag", "'=cmd", "1", "0.25"]);
}

#[tokio::test]
async fn the_detailed_report_is_each_record_as_imported_with_its_last_attempt() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        the_detailed_report_is_each_record_as_imported_with_its_last_attempt_on(&store).await;
    }
}

async fn the_detailed_report_is_each_record_as_imported_with_its_last_attempt_on(store: &Store) {
    let store = store.clone();
    scripted(&store).await;
    let (keys, rows) = table(&store, Report::Detailed, &winter(), 0).await;
    // The record's columns in the file's order; a column named like one of the
    // report's own gets a key of its own.
    assert_eq!(
        keys,
        [
            "list",
            "line",
            "numbers",
            "name",
            "city",
            "status_2",
            "tries",
            "status",
            "last_outcome",
            "last_talk_s",
            "last_attempt_at",
            "tags"
        ]
    );
    let shown: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    // Every contact of the list, in its order; by hand from the script: c0 BUSY then
    // SALE (its second try at 12 s), c4 only called by summer (none here), c5 ringing.
    assert_eq!(shown.len(), 6);
    assert_eq!(
        shown[0],
        [
            "leads",
            "2",
            "+390610000000",
            "c0",
            "Roma",
            "s0",
            "2",
            "SALE",
            "sale",
            "0",
            "1970-01-01T01:00:12+01:00",
            "vip"
        ]
    );
    assert_eq!(shown[2][4], "'=HYPERLINK(1)");
    assert_eq!(shown[3][6..9], ["3", "NOANSWER", "noanswer"]);
    assert_eq!(shown[4][6..11], ["1", "SALE", "", "", ""]);
    // c5's call is still ringing: its attempt counts as a try, its status is none.
    assert_eq!(shown[5][6..9], ["1", "", ""]);
    let agreed = formats_agree(&store, Report::Detailed, &winter(), 0).await;
    assert_eq!(agreed[0].len(), 6);
    // With a span, only the contacts called within it.
    let span = Filter {
        from_ms: Some(12_000),
        until_ms: Some(13_500),
        ..winter()
    };
    let (_, called) = table(&store, Report::Detailed, &span, 0).await;
    let lines: Vec<String> = called.iter().map(|r| text(&r[1])).collect();
    assert_eq!(lines, ["2", "3"]);
}

#[tokio::test]
async fn attempts_stay_readable_by_month_after_their_campaign_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        attempts_stay_readable_by_month_after_their_campaign_is_deleted_on(&store).await;
    }
}

async fn attempts_stay_readable_by_month_after_their_campaign_is_deleted_on(store: &Store) {
    let store = store.clone();
    let (winter_id, summer) = scripted(&store).await;
    store.start_run(summer, "running", 0).await.unwrap();
    let (keys, rows) = table(&store, Report::Attempts, &Filter::default(), 0).await;
    assert_eq!(keys.len(), 27);
    // By hand: 2 + 1 + 1 + 3 of winter, 1 of summer, 1 ringing.
    assert_eq!(rows.len(), 9);
    let column = |key: &str| keys.iter().position(|k| k == key).unwrap();
    let of = |name: &str| {
        rows.iter()
            .filter(|r| text(&r[column("campaign")]) == name)
            .count()
    };
    assert_eq!((of("winter"), of("summer")), (8, 1));
    assert_eq!(text(&rows[0][column("status")]), "BUSY");
    assert_eq!(
        text(&rows[0][column("started_at")]),
        "1970-01-01T01:00:11+01:00"
    );
    assert_eq!(text(&rows[0][column("ring_s")]), "1");
    assert_eq!(text(&rows[8][column("state")]), "dialing");

    // Summer is deleted; its month still shows its attempt, by its name.
    store.delete_campaign(summer).await.unwrap();
    let january = Filter {
        campaigns: vec!["summer".into()],
        from_ms: Some(ROME.start_of(NaiveDate::from_ymd_opt(1970, 1, 1).unwrap())),
        until_ms: Some(ROME.start_of(NaiveDate::from_ymd_opt(1970, 2, 1).unwrap())),
        ..Filter::default()
    };
    let (_, kept) = table(&store, Report::Attempts, &january, 0).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(text(&kept[0][column("campaign")]), "summer");
    assert_eq!(text(&kept[0][column("tags")]), "vip");
    let february = Filter {
        from_ms: january.until_ms,
        until_ms: Some(ROME.start_of(NaiveDate::from_ymd_opt(1970, 3, 1).unwrap())),
        ..Filter::default()
    };
    assert!(
        table(&store, Report::Attempts, &february, 0)
            .await
            .1
            .is_empty()
    );
    let agreed = formats_agree(&store, Report::Attempts, &Filter::default(), 0).await;
    assert_eq!(agreed[0].len(), 9);
    let _ = winter_id;
}

/// Ms of a moment of Rome's clock.
fn rome(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    chrono_tz::Europe::Rome
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .timestamp_millis()
}

#[tokio::test]
async fn agents_days_split_at_the_readers_midnight() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        agents_days_split_at_the_readers_midnight_on(&store).await;
    }
}

async fn agents_days_split_at_the_readers_midnight_on(store: &Store) {
    let store = store.clone();
    store
        .create_agent(&AgentRow {
            name: "ada".into(),
            extension: "201".into(),
            state: "logged_out".into(),
            reason: None,
            since_ms: 0,
            wrap_up_s: 300,
            attempt_id: None,
        })
        .await
        .unwrap();
    // 6 December: ready 09:00, a call 09:10-09:15, wrap-up to 09:20, lunch to 10:00,
    // ready until 23:30... then a call across midnight to 00:30, logged out at 01:00.
    for (from, to, reason, at) in [
        ("logged_out", "ready", None, rome(2026, 12, 6, 9, 0)),
        ("ready", "on_call", None, rome(2026, 12, 6, 9, 10)),
        ("on_call", "wrap_up", None, rome(2026, 12, 6, 9, 15)),
        ("wrap_up", "paused", Some("lunch"), rome(2026, 12, 6, 9, 20)),
        ("paused", "ready", None, rome(2026, 12, 6, 10, 0)),
        ("ready", "on_call", None, rome(2026, 12, 6, 23, 30)),
        ("on_call", "ready", None, rome(2026, 12, 7, 0, 30)),
        ("ready", "logged_out", None, rome(2026, 12, 7, 1, 0)),
    ] {
        assert!(store.move_agent("ada", from, to, reason, at).await.unwrap());
    }
    let filter = Filter {
        from_ms: Some(rome(2026, 12, 6, 0, 0)),
        until_ms: Some(rome(2026, 12, 8, 0, 0)),
        ..Filter::default()
    };
    let now = rome(2026, 12, 7, 12, 0);
    let (keys, rows) = table(&store, Report::Agents, &filter, now).await;
    assert_eq!(
        keys,
        [
            "day",
            "agent",
            "logged_in_s",
            "ready_s",
            "talk_s",
            "wrap_up_s",
            "paused_s",
            "paused_s:lunch",
            "calls",
            "handle_s",
            "occupancy"
        ]
    );
    let shown: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(text).collect()).collect();
    // By hand, in seconds. 6 Dec: ready 10 min + 13 h 30 min, talk 5 + 30 min,
    // wrap-up 5 min, lunch 40 min; logged in 15 h. Two calls; handle (35 + 5) / 2
    // min; occupancy 40 min of 14 h 20 min.
    let day1 = [
        "2026-12-06".to_owned(),
        "ada".into(),
        (15 * 3600).to_string(),
        (600 + 13 * 3600 + 1800).to_string(),
        (300 + 1800).to_string(),
        "300".into(),
        "2400".into(),
        "2400".into(),
        "2".into(),
        "1200".into(),
        (2400.0 / (15.0 * 3600.0 - 2400.0)).to_string(),
    ];
    assert_eq!(shown[0], day1);
    // 7 Dec: the call's last 30 min (no new call), ready 30 min; logged out after.
    assert_eq!(
        shown[1][..9],
        [
            "2026-12-07",
            "ada",
            "3600",
            "1800",
            "1800",
            "0",
            "0",
            "0",
            "0"
        ]
    );
    assert_eq!(shown[1][9], "");
    assert_eq!(shown.len(), 2);
    formats_agree(&store, Report::Agents, &filter, now).await;
}

#[tokio::test]
async fn compliance_counts_abandoned_and_silent_calls_per_day_and_window() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        compliance_counts_abandoned_and_silent_calls_per_day_and_window_on(&store).await;
    }
}

async fn compliance_counts_abandoned_and_silent_calls_per_day_and_window_on(store: &Store) {
    let store = store.clone();
    let list = store.create_list("l", "", "{}", 0).await.unwrap();
    let campaign = |name: &str, settings: &str| CampaignRow {
        id: 0,
        name: name.into(),
        template_id: None,
        state: "running".into(),
        settings: settings.into(),
        priority: 0,
        run: 0,
        start_at_ms: None,
        started_at_ms: None,
        list_ids: vec![list],
    };
    // Loud plays a message to an abandoned callee; quiet has none, so its abandoned
    // calls are silent. Quiet's cap is 5%.
    let loud = store
        .create_campaign(&campaign("loud", r#"{"abandon_message":"sorry.wav"}"#), 0)
        .await
        .unwrap();
    let quiet = store
        .create_campaign(
            &campaign("quiet", r#"{"pacing":{"target_abandon_rate":0.05}}"#),
            0,
        )
        .await
        .unwrap();
    let now = rome(2026, 12, 7, 12, 0);
    // (campaign, when, outcome, abandoned)
    let calls = [
        (loud, rome(2026, 12, 6, 10, 0), "answered", true),
        (loud, rome(2026, 12, 6, 10, 5), "answered", false),
        (loud, rome(2026, 12, 6, 10, 6), "answered", false),
        (loud, rome(2026, 12, 6, 10, 7), "busy", false),
        (quiet, rome(2026, 12, 6, 23, 59), "answered", true),
        (quiet, rome(2026, 12, 7, 0, 1), "answered", false),
        (quiet, rome(2026, 12, 7, 11, 0), "answered", true),
        (loud, rome(2026, 11, 20, 9, 0), "answered", false),
    ];
    for (i, (campaign, at, outcome, abandoned)) in calls.into_iter().enumerate() {
        let start = AttemptStart {
            host: "h".into(),
            campaign_id: campaign,
            run: 1,
            list_id: list,
            contact_id: i as i64,
            number: format!("+39061000{i:04}"),
            attempt: 1,
            started_at_ms: at,
        };
        let id = store.begin_attempt(&start).await.unwrap();
        let tags: &[&str] = if abandoned { &["abandoned"] } else { &[] };
        let mut end = ended("X", tags, at + 30_000);
        end.outcome = outcome.into();
        store.end_attempt(id, i as i64, &end).await.unwrap();
        if abandoned {
            store
                .add_do_not_call(
                    &start.number,
                    0,
                    Some(at + 7 * 86_400_000),
                    "abandoned call",
                    at,
                )
                .await
                .unwrap();
        }
    }
    store
        .add_do_not_call("+390699", 0, Some(now - 1), "abandoned call", 0)
        .await
        .unwrap();
    let filter = Filter {
        from_ms: Some(rome(2026, 12, 6, 0, 0)),
        ..Filter::default()
    };
    let output = Report::Compliance
        .read(&store, &filter, &ROME, now, Use::File)
        .await
        .unwrap();
    let all = tables(output).await;
    let shown = |t: usize| -> Vec<Vec<String>> {
        all[t]
            .1
            .iter()
            .map(|r| r.iter().map(text).collect())
            .collect()
    };
    // By day: loud on the 6th: 3 answered, 1 abandoned (it heard the message);
    // quiet: 1 of 1 on the 6th (silent), 1 of 2 on the 7th (silent).
    assert_eq!(
        shown(0),
        [
            [
                "2026-12-06",
                "loud",
                "3",
                "1",
                "0",
                &(1.0 / 3.0).to_string(),
                "0.03",
                "yes"
            ],
            ["2026-12-06", "quiet", "1", "1", "1", "1.0", "0.05", "yes"],
            ["2026-12-07", "quiet", "2", "1", "1", "0.5", "0.05", "yes"],
        ]
    );
    // Windows ending now: the last 24 hours hold quiet's three calls from 23:59
    // (12:00 the 6th onwards), and none of loud's; 30 days add loud's November call.
    let windows = shown(1);
    let summary: Vec<[&str; 6]> = windows
        .iter()
        .map(|r| {
            [
                r[0].as_str(),
                r[1].as_str(),
                r[4].as_str(),
                r[5].as_str(),
                r[6].as_str(),
                r[7].as_str(),
            ]
        })
        .collect();
    assert_eq!(
        summary,
        [
            ["loud", "30d", "4", "1", "0", "0.25"],
            ["quiet", "24h", "3", "2", "2", &(2.0 / 3.0).to_string()],
            ["quiet", "30d", "3", "2", "2", &(2.0 / 3.0).to_string()],
        ]
    );
    // Held back: the three abandoned numbers, soonest free first; the expired one
    // is gone.
    let held = shown(2);
    assert_eq!(held.len(), 3);
    assert_eq!(held[0][0], "+390610000000");
    assert_eq!(held[0][2], "2026-12-13T10:00:00+01:00");
    let agreed = formats_agree(&store, Report::Compliance, &filter, now).await;
    assert_eq!(agreed.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 3]);
}

#[tokio::test]
async fn missed_calls_are_counted_by_how_they_were_handled() {
    let dir = tempfile::tempdir().unwrap();
    for store in engines(&dir).await {
        missed_calls_are_counted_by_how_they_were_handled_on(&store).await;
    }
}

async fn missed_calls_are_counted_by_how_they_were_handled_on(store: &Store) {
    use ringhost_store::missed::{Intake, MissedFilter, NewMissedCall, Source};
    let list = store.create_list("callbacks", "", "{}", 0).await.unwrap();
    // Requests, by caller: (number, queue, missed calls at).
    let d1 = |h, m| rome(2026, 11, 2, h, m);
    let d2 = |h, m| rome(2026, 11, 3, h, m);
    let callers = [
        ("+390200000001", "vendite", vec![d1(10, 0), d1(11, 0)]),
        ("+390200000002", "vendite", vec![d1(12, 0)]),
        ("+390200000003", "assistenza", vec![d2(8, 0)]),
        ("+390200000004", "assistenza", vec![d2(9, 0)]),
        ("+390200000005", "assistenza", vec![d1(15, 0)]),
        ("+390200000006", "assistenza", vec![d1(16, 0)]),
        // Before the span: counted nowhere.
        (
            "+390200000007",
            "assistenza",
            vec![rome(2026, 10, 30, 9, 0)],
        ),
    ];
    let mut ids = Vec::new();
    for (caller, queue, calls) in &callers {
        let mut id = 0;
        for at in calls {
            let call = NewMissedCall {
                unique_id: None,
                caller: (*caller).into(),
                at_ms: *at,
                kind: "queue".into(),
                name: (*queue).into(),
                source: Source::Pbx,
                called: String::new(),
                accountcode: String::new(),
                detail: "{}".into(),
            };
            let Intake::Counted { request_id, .. } = store.intake_missed_call(&call).await.unwrap()
            else {
                panic!("not counted")
            };
            id = request_id;
        }
        ids.push(id);
    }
    // A callback ending at `at` after `talk_ms` of talk.
    let mut contact = 0;
    let mut call_back = async |id: i64, at: i64, talk_ms: i64| {
        contact += 1;
        assert!(
            store
                .take_missed_for_call(id, "op", at - 60_000)
                .await
                .unwrap()
        );
        let start = AttemptStart {
            host: "h".into(),
            campaign_id: 1,
            run: 1,
            list_id: list,
            contact_id: contact,
            number: "+390200000000".into(),
            attempt: 1,
            started_at_ms: at - 60_000,
        };
        let attempt = store.begin_attempt(&start).await.unwrap();
        store.note_missed_attempt(id, attempt).await.unwrap();
        let mut end = ended("ANSWER", &[], at);
        end.outcome = "answered".into();
        end.talk_ms = talk_ms;
        store.end_attempt(attempt, contact, &end).await.unwrap();
        store.settle_callbacks(5_000, 60_000, at).await.unwrap();
    };
    call_back(ids[0], d2(9, 0), 6_000).await; // done the next day: backlog
    call_back(ids[1], d1(13, 0), 2_000).await; // not answered, the same day
    call_back(ids[5], d2(11, 0), 2_000).await; // not answered, the next day: backlog
    assert!(store.close_missed(ids[2], "sara", d2(8, 30)).await.unwrap());
    let fifth = MissedFilter {
        caller: Some("0000005".into()),
        ..MissedFilter::default()
    };
    assert_eq!(
        store
            .flush_missed(&fifth, None, "sara", d2(10, 0))
            .await
            .unwrap(),
        1
    );

    let filter = Filter {
        from_ms: Some(d1(0, 0)),
        until_ms: Some(rome(2026, 11, 4, 0, 0)),
        ..Filter::default()
    };
    let now = rome(2026, 11, 4, 12, 0);
    let output = Report::MissedCalls
        .read(store, &filter, &ROME, now, Use::Page)
        .await
        .unwrap();
    assert_eq!(output.bars.len(), 2);
    assert_eq!(output.bars[1].series.len(), 2, "a series per queue");
    let all = tables(output).await;
    let shown = |t: usize| -> Vec<Vec<String>> {
        all[t]
            .1
            .iter()
            .map(|r| r.iter().map(text).collect())
            .collect()
    };
    // total, inbound, callback, forced, not answered, not handled
    assert_eq!(
        shown(0),
        [
            ["Period", "6", "0", "1", "2", "2", "1"],
            ["Today", "0", "0", "0", "0", "0", "0"],
        ]
    );
    assert_eq!(
        shown(1),
        [
            ["2026-11-02", "4", "0", "1", "1", "2", "0"],
            ["2026-11-03", "2", "0", "0", "1", "0", "1"],
        ]
    );
    // The 3rd's work on the 2nd's requests: one done, one flushed, one call failed.
    assert_eq!(shown(2), [["2026-11-03", "0", "1", "1", "1"]]);
    assert_eq!(
        shown(3),
        [
            [
                "Missed calls by queue",
                "assistenza",
                "4",
                &(4.0 / 7.0).to_string()
            ],
            [
                "Missed calls by queue",
                "vendite",
                "3",
                &(3.0 / 7.0).to_string()
            ],
        ]
    );
    let agreed = formats_agree(store, Report::MissedCalls, &filter, now).await;
    assert_eq!(
        agreed.iter().map(Vec::len).collect::<Vec<_>>(),
        [2, 2, 1, 2]
    );
}
