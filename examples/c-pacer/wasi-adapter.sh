#!/bin/sh
# Prints the path of wasmtime 48's WASI preview-1 reactor adapter
# (wasi_snapshot_preview1.reactor.wasm), which the crate
# wasi-preview1-component-adapter-provider ships; cargo fetches it once into its
# registry cache, and later calls find it there.
set -eu
fetch=$(mktemp -d)
trap 'rm -rf "$fetch"' EXIT
cat >"$fetch/Cargo.toml" <<'TOML'
[package]
name = "fetch-wasi-adapter"
version = "0.0.0"
edition = "2021"

[lib]
path = "lib.rs"

[dependencies]
wasi-preview1-component-adapter-provider = "=48.0.8"
TOML
touch "$fetch/lib.rs"
cargo fetch --quiet --manifest-path "$fetch/Cargo.toml"
provider=$(cargo metadata --format-version 1 --manifest-path "$fetch/Cargo.toml" |
    grep -o '"manifest_path":"[^"]*wasi-preview1-component-adapter-provider-[^"]*"' |
    sed 's/^"manifest_path":"//; s/Cargo.toml"$//')
echo "${provider}artefacts/wasi_snapshot_preview1.reactor.wasm"
