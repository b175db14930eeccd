//! Importing lists into a real SQLite store: big files are parsed in chunks while the
//! previous chunk is stored, and every rejected row still names its line in the file.

use ringhost_store::Store;

async fn store(dir: &tempfile::TempDir) -> Store {
    Store::open(&format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("i.db").display()
    ))
    .await
    .unwrap()
}

#[tokio::test]
async fn a_big_list_keeps_its_line_numbers_across_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let mut csv = String::from("numbers,name\n");
    let mut bad = Vec::new();
    // Lines 2..=50_001; every 9,999th line holds a bad number; an empty line too.
    for line in 2..=50_001u64 {
        if line == 30_000 {
            csv.push('\n');
        } else if line % 9_999 == 0 {
            csv.push_str(&format!("12,Bad {line}\n"));
            bad.push(line);
        } else {
            csv.push_str(&format!("06{:08},Row {line}\n", 10_000_000 + line));
        }
    }
    let summary = ringhost_dialer::admin::import(&store, 0, "big", csv.as_bytes())
        .await
        .unwrap();
    let rejected: Vec<u64> = summary.rejected.iter().map(|r| r.line).collect();
    assert_eq!(rejected, bad);
    assert_eq!(summary.imported as usize, 50_000 - 1 - bad.len());
    // Stored rows know their own line too.
    let list = store.list_by_name("big").await.unwrap().unwrap();
    let mut after = 0;
    let mut checked = 0;
    loop {
        let page = store.contacts(list.id, after, 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for c in &page {
            assert_eq!(
                c.numbers[0],
                format!("+3906{:08}", 10_000_000 + c.line),
                "{c:?}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, summary.imported);
}

#[tokio::test]
async fn a_quoted_field_with_a_line_break_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let csv = "numbers,note\n0611111111,\"two\nlines\"\n12,bad\n0622222222,plain\n";
    let summary = ringhost_dialer::admin::import(&store, 0, "quoted", csv.as_bytes())
        .await
        .unwrap();
    assert_eq!(summary.imported, 2);
    assert_eq!(summary.rejected[0].line, 4);
    let list = store.list_by_name("quoted").await.unwrap().unwrap();
    let first = &store.contacts(list.id, 0, 1).await.unwrap()[0];
    let variables: serde_json::Value = serde_json::from_str(&first.variables).unwrap();
    assert_eq!(variables["note"], "two\nlines");
}
