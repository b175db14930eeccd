#!/bin/sh
# Builds the C pacer into c-power.wasm, a component beside plugin.toml:
#
#   sh build.sh && ringhost plugin check .
#
# OUT names another folder for bindings/ and c-power.wasm (the tests use one).
#
# Needs (Debian 12; docs/plugins.md, "A pacer in C"):
#   apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32
#   cargo install --locked wit-bindgen-cli@0.63.0 --no-default-features --features c
#   cargo install --locked wasm-tools@1.262.0 --no-default-features --features component
# and cargo, for wasi-adapter.sh to fetch wasmtime 48's WASI preview-1 reactor adapter,
# unless WASI_ADAPTER names the file already.
set -eu
OUT=${OUT:-$(dirname "$0")}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
cd "$(dirname "$0")"
WIT=${WIT:-../../wit}

# 1. The bindings of the pacer world: bindings/pacer.{c,h} and the world's type as an
#    object file that the linker carries into the module.
wit-bindgen c "$WIT" --world pacer --out-dir "$OUT/bindings"

# 2. A core module, as a reactor: no main, exports called as often as the host likes,
#    `_initialize` run once at instantiation. wasi-libc's debug sections are stripped
#    (160 KB to 54 KB).
clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Wl,--strip-debug \
    -I "$OUT/bindings" -o "$OUT/c-power.core.wasm" \
    pacer.c "$OUT/bindings/pacer.c" "$OUT/bindings/pacer_component_type.o"

# 3. The component. snprintf brings in wasi-libc's stdio, whose module imports
#    wasi_snapshot_preview1: the adapter turns those into WASI 0.2 imports.
WASI_ADAPTER=${WASI_ADAPTER:-$(sh wasi-adapter.sh)}
wasm-tools component new "$OUT/c-power.core.wasm" \
    --adapt "wasi_snapshot_preview1=$WASI_ADAPTER" -o "$OUT/c-power.wasm"
rm "$OUT/c-power.core.wasm"
echo "built $OUT/c-power.wasm"
