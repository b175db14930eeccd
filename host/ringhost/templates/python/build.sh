#!/bin/sh
# Builds {{name}}.wasm beside plugin.toml (pip install componentize-py); then
# `ringhost plugin check .`
set -e
cd "$(dirname "$0")"
componentize-py -d wit -w {{world}} componentize app -o {{name}}.wasm
