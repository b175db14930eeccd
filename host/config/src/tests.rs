use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(Path::new("ringhost.toml"), text)
}

fn invalid(text: &str) -> (usize, Option<String>, String) {
    match parse(text) {
        Err(ConfigError::Invalid {
            line, key, message, ..
        }) => (line, key, message),
        other => panic!("expected an invalid-config error, got {other:?}"),
    }
}

#[test]
fn example_is_the_defaults() {
    assert_eq!(parse(EXAMPLE).unwrap(), Config::default());
}

/// Every setting the defaults serialise must be written out in the example, so that the
/// example stays the complete reference when a setting is added.
#[test]
fn example_names_every_setting() {
    fn keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (k, v) in table {
            let key = format!("{prefix}{k}");
            if let toml::Value::Table(inner) = v {
                keys(&format!("{key}."), inner, out);
            }
            out.push(key);
        }
    }
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    let example: toml::Table = EXAMPLE.parse().unwrap();
    let (mut want, mut have) = (Vec::new(), Vec::new());
    keys("", &defaults, &mut want);
    keys("", &example, &mut have);
    for key in want {
        assert!(have.contains(&key), "the example lacks `{key}`");
    }
}

#[test]
fn empty_file_is_the_defaults() {
    assert_eq!(parse("").unwrap(), Config::default());
}

/// An inbound line as the example writes it; what it leaves out is the defaults, and a
/// misspelt key names its line.
#[test]
fn inbound_lines() {
    let config = parse(
        "[[inbound]]\nnumber = \"+390212345678\"\nqueue = \"sales\"\n\
         hours = [{ days = [0, 1, 2, 3, 4], from = \"09:00\", to = \"18:00\" }]\n\
         max_wait = \"2m\"\nmusic = \"hold.wav\"\n",
    )
    .unwrap();
    let line = &config.inbound[0];
    assert_eq!(
        (line.number.as_str(), line.queue.as_str()),
        ("+390212345678", "sales")
    );
    assert_eq!(line.hours[0].days, [0, 1, 2, 3, 4]);
    assert_eq!(line.max_wait, Duration::from_secs(120));
    assert_eq!(line.agent_ring, InboundConfig::default().agent_ring);
    assert_eq!(
        (line.music.as_str(), line.greeting.as_str()),
        ("hold.wav", "")
    );
    let (line, _, message) = invalid("[[inbound]]\nnumber = \"1\"\nqueu = \"sales\"\n");
    assert_eq!(line, 3);
    assert!(message.contains("queu"), "{message}");
}

#[test]
fn unknown_key_names_line_and_key() {
    let (line, key, message) = invalid("[http]\nlisten = \"127.0.0.1:9\"\n\n[sip]\nudpp = []\n");
    assert_eq!(line, 5);
    assert!(key.as_deref().unwrap().starts_with("sip"), "key {key:?}");
    assert!(message.contains("udpp"), "{message}");
}

#[test]
fn unknown_top_level_key() {
    let (line, _, message) = invalid("data_dir = \"x\"\ncolour = \"blue\"\n");
    assert_eq!(line, 2);
    assert!(message.contains("colour"), "{message}");
}

#[test]
fn bad_value_names_line_and_key() {
    let (line, key, message) = invalid("[http]\nlisten = \"not an address\"\n");
    assert_eq!(line, 2);
    assert_eq!(key.as_deref(), Some("http.listen"));
    assert!(message.contains("address"), "{message}");

    let (line, key, _) = invalid("\n[shutdown]\ndrain_timeout = \"soon\"\n");
    assert_eq!(line, 3);
    assert_eq!(key.as_deref(), Some("shutdown.drain_timeout"));

    let (line, key, _) = invalid("[log]\nformat = \"xml\"\n");
    assert_eq!(line, 2);
    assert_eq!(key.as_deref(), Some("log.format"));
}

#[test]
fn syntax_error_names_line() {
    let (line, key, _) = invalid("[http]\nlisten = \n");
    assert_eq!(line, 2);
    assert_eq!(key, None);
}

#[test]
fn error_message_names_file_line_and_key() {
    let err = parse("[http]\nlisten = 5\n").unwrap_err().to_string();
    assert!(
        err.starts_with("ringhost.toml:2:"),
        "message should start with file:line: {err}"
    );
    assert!(err.contains("http.listen"), "{err}");
}

#[test]
fn env_overrides_database_url() {
    let mut config = parse("database_url = \"sqlite://file.db\"\n").unwrap();
    config.apply_env(|name| {
        (name == ENV_DATABASE_URL).then(|| "postgres://u:secret@127.0.0.1/db".to_owned())
    });
    assert_eq!(config.database_url(), "postgres://u:secret@127.0.0.1/db");
}

#[test]
fn default_database_is_sqlite_in_data_dir() {
    let mut config = Config::default();
    config.apply_env(|_| None);
    assert_eq!(
        config.database_url(),
        "sqlite://./ringhost-data/ringhost.db?mode=rwc"
    );
}

/// The example's commented `[[trunks]]`, `[[routes]]` and `[[phones]]` blocks,
/// uncommented, parse and name every field, so the reference stays complete for lists
/// that are empty by default.
#[test]
fn commented_list_examples_parse_and_are_complete() {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in EXAMPLE.lines() {
        let uncommented = line.strip_prefix("# ").unwrap_or("");
        if uncommented.starts_with("[[") {
            current = Some(String::new());
        }
        match &mut current {
            Some(block) if !uncommented.is_empty() => {
                // Drop trailing comments after values.
                let value = match uncommented.find("  #") {
                    Some(at) => &uncommented[..at],
                    None => uncommented,
                };
                block.push_str(value);
                block.push('\n');
            }
            Some(_) => blocks.push(current.take().unwrap()),
            None => {}
        }
    }
    assert_eq!(blocks.len(), 3, "{blocks:#?}");
    let text = blocks.concat();
    let config = parse(&text).unwrap();
    assert_eq!(config.trunks.len(), 1);
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.phones.len(), 1);
    let trunk = toml::Table::try_from(TrunkConfig::default()).unwrap();
    for key in trunk.keys() {
        assert!(
            text.contains(&format!("\n{key} = ")),
            "the trunk example lacks `{key}`"
        );
    }
    assert!(text.contains("outbound_proxy = "));
}

#[test]
fn media_settings_are_checked() {
    let config = parse("[media]\nrtp_ports = \"30000-30099\"\ncodecs = [\"PCMA\"]\n").unwrap();
    assert_eq!(
        config.media.rtp_ports,
        PortRange {
            min: 30000,
            max: 30099
        }
    );
    assert_eq!(config.media.codecs, [Codec::Pcma]);
    for (bad, says) in [
        ("rtp_ports = \"20000\"", "media.rtp_ports"),
        ("rtp_ports = \"20000-10000\"", "at least two ports"),
        ("rtp_ports = \"80-90\"", "above 1023"),
        ("codecs = []", "at least one codec"),
        ("codecs = [\"G729\"]", "media.codecs"),
    ] {
        let error = parse(&format!("[media]\n{bad}\n")).unwrap_err().to_string();
        assert!(error.contains(says), "{bad}: {error}");
    }
}
