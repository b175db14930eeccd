//! The reports against a scripted campaign written into a real SQLite store: every
//! count made by hand here, and every format of a report equal to its JSON row for
//! row (the spreadsheet read back with calamine).

use calamine::{Data, Reader as _, Xlsx};
use ringhost_reports::export::{self, Pick};
use ringhost_reports::{Filter, Kind, Report, Table};
use ringhost_store::Store;
use ringhost_store::attempt::{AttemptEnd, AttemptStart};
use ringhost_store::campaign::CampaignRow;
use ringhost_store::contact::NewContactRow;
use serde_json::Value;

const ENGLISH: Pick = |(_, en)| en;

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
            variables: "{}".into(),
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

/// The table's rows as `(group, value, records)`.
fn counts(table: &Table) -> Vec<(String, String, i64)> {
    table
        .rows
        .iter()
        .map(|row| {
            let n = match row[2] {
                ringhost_reports::Cell::Integer(n) => n,
                ref other => panic!("records are a number, not {other:?}"),
            };
            (row[0].text(), row[1].text(), n)
        })
        .collect()
}

fn lines(expected: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    expected
        .iter()
        .map(|(g, v, n)| (g.to_string(), v.to_string(), *n))
        .collect()
}

#[tokio::test]
async fn campaign_stats_count_each_record_by_its_last_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display());
    let store = Store::open(&url).await.unwrap();
    scripted(&store).await;

    let winter = Filter {
        campaigns: vec!["winter".into()],
        ..Filter::default()
    };
    let table = Report::CampaignStats.read(&store, &winter).await.unwrap();
    // Counted by hand: four records (c0 to c3).
    assert_eq!(
        counts(&table),
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
    assert_eq!(table.rows[0][3], ringhost_reports::Cell::Share(0.5));

    // Both campaigns: c4 counts too; by accountcode, only summer's.
    let all = Report::CampaignStats
        .read(&store, &Filter::default())
        .await
        .unwrap();
    assert_eq!(counts(&all)[1], ("status".into(), "SALE".into(), 3));
    let billed = Filter {
        accountcode: Some("B2".into()),
        ..Filter::default()
    };
    let summer = Report::CampaignStats.read(&store, &billed).await.unwrap();
    assert_eq!(
        counts(&summer),
        lines(&[
            ("status", "SALE", 1),
            ("attempts", "1", 1),
            ("tag", "vip", 1)
        ])
    );
    // A span of start times: c0's second try (at 12 s) and c1's only one (13 s).
    let span = Filter {
        campaigns: vec!["winter".into()],
        from_ms: Some(12_000),
        until_ms: Some(13_500),
        ..Filter::default()
    };
    let early = Report::CampaignStats.read(&store, &span).await.unwrap();
    assert_eq!(
        counts(&early)[..2],
        lines(&[("status", "NOANSWER", 1), ("status", "SALE", 1)])[..]
    );
    // No campaign of that name: nothing, not everything.
    let none = Filter {
        campaigns: vec!["nope".into()],
        ..Filter::default()
    };
    assert!(
        Report::CampaignStats
            .read(&store, &none)
            .await
            .unwrap()
            .rows
            .is_empty()
    );

    // The JSON, the CSV and the spreadsheet say the same, row for row.
    let json = export::json(&table, ENGLISH);
    let json_rows: Vec<Vec<String>> = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            ["group", "value", "records", "share"]
                .iter()
                .map(|key| match &row[key] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) if n.is_i64() => n.to_string(),
                    Value::Number(n) => format!("{:.4}", n.as_f64().unwrap()),
                    other => panic!("{other}"),
                })
                .collect()
        })
        .collect();
    let mut csv_bytes = Vec::new();
    export::csv(&table, &mut csv_bytes).unwrap();
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["group", "value", "records", "share"]
    );
    let csv_rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    // A tag a spreadsheet would run as a formula is text in the CSV.
    let defused: Vec<Vec<String>> = json_rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| {
                    if cell.starts_with('=') {
                        format!("'{cell}")
                    } else {
                        cell.clone()
                    }
                })
                .collect()
        })
        .collect();
    assert_eq!(csv_rows, defused);

    let bytes = export::xlsx(&table, ENGLISH).unwrap();
    let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("campaign-stats").unwrap();
    let mut sheet_rows = sheet.rows();
    let header: Vec<String> = sheet_rows
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header, ["Grouped by", "Value", "Records", "Share"]);
    let xlsx_rows: Vec<Vec<String>> = sheet_rows
        .map(|row| {
            row.iter()
                .zip(&table.columns)
                .map(|(cell, column)| match (cell, column.kind) {
                    // Typed cells: numbers stay numbers.
                    (Data::Float(x), Kind::Integer) => format!("{x:.0}"),
                    (Data::Float(x), Kind::Share) => format!("{x:.4}"),
                    (Data::String(s), Kind::Text) => s.clone(),
                    (other, kind) => panic!("a {kind:?} column holds {other:?}"),
                })
                .collect()
        })
        .collect();
    assert_eq!(xlsx_rows, json_rows);
}
