#!/bin/sh
# Builds {{name}}.wasm beside plugin.toml (npm install @bytecodealliance/componentize-js);
# then `ringhost plugin check .`
set -e
cd "$(dirname "$0")"
"${RINGHOST_COMPONENTIZE_JS:-componentize-js}" --disable http fetch-event --wit wit \
    --world-name {{world}} --out {{name}}.wasm app.js
