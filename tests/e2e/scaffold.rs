//! `ringhost plugin new`: every kind's skeleton, in every language, builds with that
//! language's tool and passes `ringhost plugin check`, as a folder and as a `.tar.gz`.

use std::path::Path;
use std::process::Command;

use crate::support::run;

const KINDS: [&str; 4] = ["pacer", "disposition-mapper", "ivr", "crm-connector"];

/// Whether `tool` runs; without it the language is skipped, unless the test command
/// requires the guest tools (CI does).
fn tool_present(tool: &std::ffi::OsStr) -> bool {
    let present = Command::new(tool).arg("--help").output().is_ok();
    if !present {
        assert!(
            std::env::var_os("RINGHOST_REQUIRE_GUEST_TOOLS").is_none(),
            "{} cannot run",
            tool.to_string_lossy()
        );
        eprintln!("skipped: {} is not installed", tool.to_string_lossy());
    }
    present
}

fn build_and_check(dir: &Path, lang: &str, kind: &str) {
    let name = format!("my-{lang}-{kind}");
    let (code, stdout, stderr) = run(
        dir,
        &["plugin", "new", "--kind", kind, "--lang", lang, &name],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("build.sh"), "{stdout}");
    let folder = dir.join(&name);
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| dir.join("target"), std::path::PathBuf::from)
        .join("guests/skeletons");
    let built = Command::new("sh")
        .arg(folder.join("build.sh"))
        .env("CARGO_TARGET_DIR", target)
        .status()
        .unwrap();
    assert!(built.success(), "{lang} {kind}: build.sh failed");
    let (code, stdout, stderr) = run(dir, &["plugin", "check", folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{lang} {kind}: {stderr}");
    assert!(
        stdout.contains(&format!("world {kind}: ok")) && stdout.contains(&format!("name: {name}")),
        "{stdout}"
    );
}

#[test]
fn rust_skeletons_build_and_pass_the_check() {
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        build_and_check(dir.path(), "rust", kind);
    }
    // The same package as an archive of its folder, as `tar czf` makes it.
    let archive = dir.path().join("my-rust-pacer-0.1.0.tar.gz");
    let packed = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .args(["-C", dir.path().to_str().unwrap(), "my-rust-pacer"])
        .status()
        .unwrap();
    assert!(packed.success());
    let (code, stdout, stderr) = run(dir.path(), &["plugin", "check", archive.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("world pacer: ok"), "{stdout}");

    // Nothing is written over an existing folder, and a bad name is refused.
    let (code, _, stderr) = run(
        dir.path(),
        &["plugin", "new", "--kind", "pacer", "my-rust-pacer"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("exists already"), "{stderr}");
    let (code, _, stderr) = run(dir.path(), &["plugin", "new", "--kind", "ivr", "../Evil"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("lowercase letters"), "{stderr}");
}

#[test]
fn python_skeletons_build_and_pass_the_check() {
    if !tool_present("componentize-py".as_ref()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        build_and_check(dir.path(), "python", kind);
    }
}

#[test]
fn js_skeletons_build_and_pass_the_check() {
    let tool =
        std::env::var_os("RINGHOST_COMPONENTIZE_JS").unwrap_or_else(|| "componentize-js".into());
    if !tool_present(&tool) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        build_and_check(dir.path(), "js", kind);
    }
}
