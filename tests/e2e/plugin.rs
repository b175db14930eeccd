//! `ringhost plugin check` on packages built from source, good and bad.

use crate::guests::{build, package};
use crate::support::run;

#[test]
fn check_prints_a_good_package_and_refuses_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = build("plugins");
    let good = package(
        dir.path(),
        "progressive",
        "pacer",
        &wasm.join("progressive.wasm"),
        &[("ratio", "0")],
    );
    let (code, stdout, stderr) = run(dir.path(), &["plugin", "check", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    for line in [
        "name: progressive",
        "kind: pacer",
        "wit: ringhost:plugin@0.1.0",
        "config: ratio = \"0\"",
        "world pacer: ok",
    ] {
        assert!(stdout.contains(line), "{line:?} missing from:\n{stdout}");
    }

    // A pacer's component claiming to be a mapper lacks the mapper's export.
    let liar = package(
        dir.path(),
        "liar",
        "disposition-mapper",
        &wasm.join("progressive.wasm"),
        &[],
    );
    let (code, _, stderr) = run(dir.path(), &["plugin", "check", liar.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("liar@1.0.0") && stderr.contains("dispositions"),
        "{stderr}"
    );

    // A truncated component, and a manifest with a typo.
    let truncated = package(
        dir.path(),
        "truncated",
        "pacer",
        &wasm.join("progressive.wasm"),
        &[],
    );
    let bytes = std::fs::read(truncated.join("truncated.wasm")).unwrap();
    std::fs::write(truncated.join("truncated.wasm"), &bytes[..bytes.len() / 3]).unwrap();
    let (code, _, stderr) = run(
        dir.path(),
        &["plugin", "check", truncated.to_str().unwrap()],
    );
    assert_eq!(code, 1, "{stderr}");
    std::fs::write(
        good.join("plugin.toml"),
        "name = \"progressive\"\nversion = \"1\"\nkind = \"pacer\"\nwit = \"0.1.0\"\nkinds = 2\n",
    )
    .unwrap();
    let (code, _, stderr) = run(dir.path(), &["plugin", "check", good.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("unknown field") && stderr.contains("kinds"),
        "{stderr}"
    );
}
