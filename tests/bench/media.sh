#!/usr/bin/env bash
# Concurrent legs playing a prompt on one core, with every frame's lateness counted,
# beside an idle 1 ms ticker thread measured in the same run (this machine's own timer
# lateness). Loopback only. A benchmark, not a test: it prints a Markdown table for
# docs/benchmarks.md and asserts nothing.
#
#   tests/bench/media.sh [LEGS ...]       (default: 500 1000 2000 3000)
#
# See host/media/examples/play_load.rs for what is measured.
set -euo pipefail
cd "$(dirname "$0")/../.."
LEGS=("${@:-500 1000 2000 3000}")
# shellcheck disable=SC2206
LEGS=(${LEGS[*]})
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ringhost/target}
# Two sockets per leg, and the far ends.
ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p ringhost-media --example play_load
"$CARGO_TARGET_DIR/release/examples/play_load" "${LEGS[@]}"
