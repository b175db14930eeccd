#![allow(dead_code)] // Each test crate that includes this file uses a part of it.

//! Builds WebAssembly guests from source for tests: shared by the plugin runtime's
//! tests and the end-to-end tests (included with `#[path]`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// The repository's top folder.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the guest workspace at `workspace` (relative to the repository) for
/// wasm32-wasip2, once per test process; returns the folder of its `.wasm` files.
pub fn build(workspace: &str) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(out) = built.get(workspace) {
        return out.clone();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repository().join("target"), PathBuf::from)
        .join("guests");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(repository().join(workspace).join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building {workspace} for wasm32-wasip2 failed (is the target installed?)"
    );
    let out = target.join("wasm32-wasip2/release");
    built.insert(workspace.to_owned(), out.clone());
    out
}

/// [`build`], when the Rust toolchain has the wasm32-wasip2 target; otherwise `None`
/// (after saying so), unless the test command requires the guest tools
/// (`RINGHOST_REQUIRE_GUEST_TOOLS`, as CI sets), when the missing target fails the
/// test. For tests whose subject is not the guest build itself.
pub fn build_if_possible(workspace: &str) -> Option<PathBuf> {
    // rustc is the toolchain's own here: rustup's proxy follows the RUSTUP_TOOLCHAIN
    // that cargo passes down.
    let libdir = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", "wasm32-wasip2"])
        .output();
    let installed = match &libdir {
        Ok(out) if out.status.success() => {
            Path::new(String::from_utf8_lossy(&out.stdout).trim()).is_dir()
        }
        _ => false,
    };
    if !installed {
        assert!(
            std::env::var_os("RINGHOST_REQUIRE_GUEST_TOOLS").is_none(),
            "the wasm32-wasip2 target is not installed (rustup target add wasm32-wasip2)"
        );
        eprintln!("skipped: the wasm32-wasip2 target is not installed; tests/setup.sh installs it");
        return None;
    }
    Some(build(workspace))
}

/// A package folder in `dir`: `wasm` beside a manifest of `kind` with `config`.
pub fn package(
    dir: &Path,
    name: &str,
    kind: &str,
    wasm: &Path,
    config: &[(&str, &str)],
) -> PathBuf {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(wasm, folder.join(format!("{name}.wasm"))).unwrap();
    let mut manifest = format!(
        "name = \"{name}\"\nversion = \"1.0.0\"\nkind = \"{kind}\"\nwit = \"0.1.1\"\n[config]\n"
    );
    for (key, value) in config {
        manifest.push_str(&format!("{key} = \"{value}\"\n"));
    }
    std::fs::write(folder.join("plugin.toml"), manifest).unwrap();
    folder
}

/// Builds the Python example in `examples/NAME` (its `app.py`) with componentize-py for
/// `world`; the `.wasm`, or `None` (after saying so) when the tool is missing and the
/// test command did not require it.
pub fn build_python(name: &str, world: &str) -> Option<PathBuf> {
    build_python_in(&repository().join("examples").join(name), name, world)
}

/// Builds `app.py` in `folder` with componentize-py for `world`, as [`build_python`].
pub fn build_python_in(example: &Path, name: &str, world: &str) -> Option<PathBuf> {
    let out = guest_out(name);
    let status = Command::new("componentize-py")
        .arg("-d")
        .arg(repository().join("wit"))
        .args(["-w", world, "componentize", "app", "-o"])
        .arg(&out)
        .current_dir(example)
        .status();
    finish("componentize-py", status, out)
}

/// Builds the JavaScript example in `examples/NAME` (its `app.js`) with
/// componentize-js (`RINGHOST_COMPONENTIZE_JS`, else `componentize-js` on the path).
pub fn build_js(name: &str, world: &str) -> Option<PathBuf> {
    build_js_in(&repository().join("examples").join(name), name, world)
}

/// Builds `app.js` in `folder` with componentize-js for `world`, as [`build_js`].
pub fn build_js_in(example: &Path, name: &str, world: &str) -> Option<PathBuf> {
    let out = guest_out(name);
    let tool =
        std::env::var_os("RINGHOST_COMPONENTIZE_JS").unwrap_or_else(|| "componentize-js".into());
    let status = Command::new(tool)
        .args(["--disable", "http", "fetch-event", "--wit"])
        .arg(repository().join("wit"))
        .args(["--world-name", world, "--out"])
        .arg(&out)
        .arg("app.js")
        .current_dir(example)
        .status();
    finish("componentize-js", status, out)
}

/// Builds the C example in `examples/NAME` with its `build.sh` (wit-bindgen's C
/// generator, clang for wasm32-wasi, `wasm-tools component new`) into `out`; `out`, or
/// `None` (after saying so) when a tool is missing and the test command did not
/// require it.
pub fn build_c(name: &str, out: &Path) -> Option<PathBuf> {
    for tool in ["wit-bindgen", "clang", "wasm-tools"] {
        if let Err(error) = Command::new(tool).arg("--version").output() {
            return missing(tool, error);
        }
    }
    let status = Command::new("sh")
        .arg(repository().join("examples").join(name).join("build.sh"))
        .env("OUT", out)
        .status();
    finish(
        &format!("examples/{name}/build.sh"),
        status,
        out.to_path_buf(),
    )
}

fn guest_out(name: &str) -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repository().join("target"), PathBuf::from)
        .join("guests/examples");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}-{}.wasm", std::process::id()))
}

fn finish(
    tool: &str,
    status: std::io::Result<std::process::ExitStatus>,
    out: PathBuf,
) -> Option<PathBuf> {
    match status {
        Ok(status) => {
            assert!(status.success(), "{tool} failed to build {}", out.display());
            Some(out)
        }
        Err(error) => missing(tool, error),
    }
}

/// A guest tool that cannot run: the test is skipped, unless the test command requires
/// the guest tools (`RINGHOST_REQUIRE_GUEST_TOOLS`, as CI sets).
fn missing(tool: &str, error: std::io::Error) -> Option<PathBuf> {
    assert!(
        std::env::var_os("RINGHOST_REQUIRE_GUEST_TOOLS").is_none(),
        "{tool} cannot run: {error}"
    );
    eprintln!("skipped: {tool} is not installed ({error}); tests/run.sh installs it");
    None
}
