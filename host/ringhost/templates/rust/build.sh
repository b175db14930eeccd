#!/bin/sh
# Builds {{name}}.wasm beside plugin.toml; then `ringhost plugin check .`
set -e
cd "$(dirname "$0")"
cargo build --release --target wasm32-wasip2
cp "${CARGO_TARGET_DIR:-target}/wasm32-wasip2/release/{{crate}}.wasm" {{name}}.wasm
