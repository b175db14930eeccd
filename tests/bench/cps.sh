#!/usr/bin/env bash
# Calls per second that Ringhost originates through a trunk, side by side with SIPp's
# own UAC, against the same SIPp UAS (tests/sip/scenarios/uas_answer_fast.xml: answers
# at once; the caller hangs up at once). Loopback only. A benchmark, not a test: it
# prints a Markdown table for docs/benchmarks.md and asserts nothing.
#
#   tests/bench/cps.sh [CALLS] [RATE ...]       (default: 20000 calls at 500 1000 2000 3000)
#
# For each rate: Ringhost (`ringhost dial --calls N --cps RATE --hold 0`, release build)
# then SIPp (`sipp -sn uac -r RATE -m N`), each against a fresh SIPp UAS. Reported:
# calls completed per second of wall time, failed calls, and the CPU seconds
# (user + system, from /usr/bin/time) of the calling process.
set -euo pipefail
cd "$(dirname "$0")/../.."
CALLS=${1:-20000}
shift || true
RATES=("${@:-500 1000 2000 3000}")
# shellcheck disable=SC2206
RATES=(${RATES[*]})
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ringhost/target}
cargo build --release --quiet -p ringhost
RINGHOST=$CARGO_TARGET_DIR/release/ringhost
SCENARIO=tests/sip/scenarios/uas_answer_fast.xml
WORK=$(mktemp -d /tmp/ringhost-cps.XXXXXX)
trap 'pkill -P $$ sipp 2>/dev/null || true; rm -rf "$WORK"' EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_uas() {
    UAS_PORT=$(free_port)
    sipp -sf "$SCENARIO" -i 127.0.0.1 -p "$UAS_PORT" -t u1 -m "$CALLS" -nostdin \
        -timeout 300s -max_socket 65000 >"$WORK/uas.out" 2>&1 &
    UAS_PID=$!
    sleep 0.5
}

cpu_of() { # runs "$@", prints "wall_s cpu_s" on fd 3
    local t0 t1
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$WORK/time" "$@"
    t1=$(date +%s.%N)
    read -r user sys <"$WORK/time"
    python3 -c "print(f'{$t1-$t0:.3f} {$user+$sys:.2f}')" >&3
}

echo "| rate asked | caller | calls | completed/s | failed | caller CPU s | CPU ms per call |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for rate in "${RATES[@]}"; do
    start_uas
    cpu_of "$RINGHOST" dial 5551234 --trunk "sip:127.0.0.1:$UAS_PORT" \
        --calls "$CALLS" --cps "$rate" --hold 0 --ring-timeout 10 >"$WORK/ringhost.json" 3>"$WORK/ringhost.cpu"
    wait "$UAS_PID" || true
    read -r wall cpu <"$WORK/ringhost.cpu"
    failed=$(python3 -c "import json; print(json.load(open('$WORK/ringhost.json'))['failed'])")
    python3 -c "print(f'| {$rate} | Ringhost | {$CALLS} | {($CALLS-$failed)/$wall:.0f} | {$failed} | {$cpu} | {1000*$cpu/$CALLS:.3f} |')"

    start_uas
    UAC_PORT=$(free_port)
    cpu_of sipp -sn uac "127.0.0.1:$UAS_PORT" -i 127.0.0.1 -p "$UAC_PORT" -t u1 \
        -r "$rate" -m "$CALLS" -nostdin -timeout 300s -trace_stat -stf "$WORK/uac.csv" \
        >"$WORK/uac.out" 2>&1 3>"$WORK/sipp.cpu" || true
    wait "$UAS_PID" || true
    read -r wall cpu <"$WORK/sipp.cpu"
    failed=$(python3 - "$WORK/uac.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1]), delimiter=';'))
head, last = rows[0], rows[-1]
print(last[head.index('FailedCall(C)')])
PY
)
    python3 -c "print(f'| {$rate} | SIPp uac | {$CALLS} | {($CALLS-$failed)/$wall:.0f} | {$failed} | {$cpu} | {1000*$cpu/$CALLS:.3f} |')"
done
