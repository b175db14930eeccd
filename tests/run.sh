#!/usr/bin/env bash
# Ringhost's test command: installs on a fresh Debian machine whatever the tests need,
# then runs every check CI runs: formatting, clippy, and all tests.
#
#   bash tests/run.sh
#
# Environment:
#   CARGO_TARGET_DIR  build folder (default: ~/.cache/ringhost/target, outside the
#                     clone so that CI's fresh clones reuse earlier builds)
#   RINGHOST_TEST_POSTGRES_URL  use this PostgreSQL server instead of starting one
#   RINGHOST_ARTIFACTS  where the browser tests save their screenshots and downloads
#                     (default: $CARGO_TARGET_DIR/browser-artifacts)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ringhost/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# shellcheck source=tests/setup.sh
source tests/setup.sh

step "installing what the tests need"
install_debian_packages
install_rust_components
install_component_tools
install_browser_tools
install_c_tools
start_postgres

# The plugin workspaces (first-party plugins, the SDK, test guests) are built for
# wasm32-wasip2 outside the host's workspace, and checked the same way.
GUESTS=(plugins/Cargo.toml tests/plugins/Cargo.toml)

step "cargo fmt --check"
cargo fmt --all -- --check
for manifest in "${GUESTS[@]}" sdk/Cargo.toml sdk/ads/Cargo.toml sdk/lookahead/Cargo.toml; do
    cargo fmt --manifest-path "$manifest" --all -- --check
done

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
for manifest in "${GUESTS[@]}"; do
    CARGO_TARGET_DIR="$CARGO_TARGET_DIR/guests" \
        cargo clippy --manifest-path "$manifest" --target wasm32-wasip2 --release --locked -- -D warnings
done

step "cargo test"
# PostgreSQL must be there: its absence fails the tests instead of skipping them.
export RINGHOST_REQUIRE_POSTGRES=1
# Likewise the Python, JavaScript and C component tools for the example plugins.
export RINGHOST_REQUIRE_GUEST_TOOLS=1
cargo test --workspace --locked
# The ADS table shared by the host and the default mapper plugin, and the look-ahead
# pacing model shared by the simulator and the predictive plugin, have workspaces of
# their own.
cargo test --manifest-path sdk/ads/Cargo.toml
cargo test --manifest-path sdk/lookahead/Cargo.toml

step "browser walk-through (headless Chromium on ringhost demo)"
# cargo test built the binary for the end-to-end tests; build it only if it is not there.
RINGHOST_BIN="$CARGO_TARGET_DIR/debug/ringhost"
[ -x "$RINGHOST_BIN" ] || cargo build -p ringhost --locked
export RINGHOST_ARTIFACTS="${RINGHOST_ARTIFACTS:-$CARGO_TARGET_DIR/browser-artifacts}"
# Its own waits are bounded; the timeout is a last resort (SIGTERM still stops the demo).
timeout --kill-after=30 300 python3 tests/browser/walkthrough.py --ringhost "$RINGHOST_BIN"

step "the floor live (a supervisor and an agent in headless Chromium on ringhost demo)"
timeout --kill-after=30 300 python3 tests/browser/floor.py --ringhost "$RINGHOST_BIN"

step "the reports (charts, zoom, legends and every download in headless Chromium on ringhost demo)"
timeout --kill-after=30 300 python3 tests/browser/reports.py --ringhost "$RINGHOST_BIN"

step "missed calls (two operators racing, a callback done, a supervisor's flush in headless Chromium on ringhost demo)"
timeout --kill-after=30 300 python3 tests/browser/missed.py --ringhost "$RINGHOST_BIN"

step "all tests passed"
