//! Configuration files as the operator meets them: refused with file, line and key.

use crate::support::run;

fn refused(contents: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.toml");
    std::fs::write(&path, contents).unwrap();
    let (code, _, stderr) = run(dir.path(), &["serve", "--config", path.to_str().unwrap()]);
    assert_eq!(code, 2, "exit code for a refused config: {stderr}");
    assert!(
        stderr.contains(&format!("{}:", path.display())),
        "names the file: {stderr}"
    );
    assert!(
        !dir.path().join("ringhost-data").exists(),
        "nothing may start with a refused config"
    );
    stderr
}

#[test]
fn unknown_key_is_refused_with_file_line_and_key() {
    let stderr = refused("[http]\nlisten = \"127.0.0.1:0\"\n\n[sip]\nudp_port = 5060\n");
    assert!(stderr.contains("site.toml:5:"), "line 5: {stderr}");
    assert!(stderr.contains("udp_port"), "key: {stderr}");
}

#[test]
fn bad_value_is_refused_with_file_line_and_key() {
    let stderr = refused("# site\n[shutdown]\ndrain_timeout = \"forever\"\n");
    assert!(stderr.contains("site.toml:3:"), "line 3: {stderr}");
    assert!(stderr.contains("shutdown.drain_timeout"), "key: {stderr}");
}

#[test]
fn missing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(dir.path(), &["serve", "--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.toml: cannot read"), "{stderr}");
}

#[test]
fn the_printed_example_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (code, example, _) = run(dir.path(), &["config", "example"]);
    assert_eq!(code, 0);
    assert!(example.contains("drain_timeout"));
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &example).unwrap();
    let (code, stdout, stderr) = run(dir.path(), &["config", "check", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.ends_with(": ok\n"), "{stdout}");
}
