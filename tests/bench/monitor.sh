#!/usr/bin/env bash
# What a supervisor on a call costs: the host's CPU for N bridged calls, then the
# same calls each monitored (listen, then barge), measured in one run, as shares of
# a core and ratios to the plain bridges. Loopback only. A benchmark, not a test: it
# prints a Markdown table for docs/benchmarks.md and asserts nothing.
#
#   tests/bench/monitor.sh [CALLS ...]       (default: 100 200)
#
# See host/media/examples/monitor_load.rs for what is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
CALLS=("${@:-100 200}")
# shellcheck disable=SC2206
CALLS=(${CALLS[*]})
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ringhost/target}
# Two sockets per leg, five legs a call, and the far ends.
ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p ringhost-media --example monitor_load
"$CARGO_TARGET_DIR/release/examples/monitor_load" "${CALLS[@]}"
