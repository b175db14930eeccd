# Sourced by tests/run.sh: installs and starts the real peers the tests talk to.
# Everything listens on loopback only.

step() { printf '\n==> %s\n' "$*"; }

# Runs a command as root: directly when we are root (CI), else through sudo.
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages, installed only when missing so that a warm machine wastes no time.
install_debian_packages() {
    local missing=()
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    command -v sipp >/dev/null || missing+=(sip-tester)
    # The browser walk-through drives Debian's Chromium, never a browser Playwright downloads.
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "apt-get install ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
}

# Rust components the checks use (present with rustup's default profile, but cheap to ensure).
install_rust_components() {
    local installed
    installed=$(rustup component list --installed 2>/dev/null || true)
    for component in rustfmt clippy; do
        grep -q "^$component" <<<"$installed" || rustup component add "$component"
    done
    # Plugins are WebAssembly components; the tests build them from source.
    rustup target list --installed 2>/dev/null | grep -q '^wasm32-wasip2$' || rustup target add wasm32-wasip2
}

# The Python and JavaScript component tools, for the example plugins the tests build:
# componentize-py from PyPI, componentize-js from npm (in a folder outside the clone).
install_component_tools() {
    if ! componentize-py --version 2>/dev/null | grep -q '0\.25\.1'; then
        python3 -m pip install --quiet --disable-pip-version-check componentize-py==0.25.1
    fi
    local node_dir="$HOME/.cache/ringhost/node"
    if [ ! -x "$node_dir/node_modules/.bin/componentize-js" ]; then
        mkdir -p "$node_dir"
        (cd "$node_dir" && npm install --silent --no-audit --no-fund @bytecodealliance/componentize-js@0.23.0)
    fi
    export RINGHOST_COMPONENTIZE_JS="$node_dir/node_modules/.bin/componentize-js"
}

# Playwright for Python, which drives Debian's Chromium in the browser walk-through
# (tests/browser/). Its own browsers are not installed (`playwright install` is never run).
# openpyxl reads the spreadsheets the reports' test downloads.
PLAYWRIGHT_VERSION=1.65.2
OPENPYXL_VERSION=3.1.5
install_browser_tools() {
    local package version
    for package in "playwright==$PLAYWRIGHT_VERSION" "openpyxl==$OPENPYXL_VERSION"; do
        version=${package#*==}
        if ! python3 -c 'import sys; from importlib.metadata import version; sys.exit(version(sys.argv[1]) != sys.argv[2])' \
            "${package%%==*}" "$version" 2>/dev/null; then
            python3 -m pip install --quiet --disable-pip-version-check "$package"
        fi
    done
}

# The C toolchain of examples/c-pacer: clang for wasm32-wasi with wasi-libc (Debian's
# packages), wit-bindgen's C generator and wasm-tools (cargo install, once: about 12
# minutes of compiling on two cores; nothing when the versions are there), and
# wasmtime 48's WASI preview-1 adapter (WASI_ADAPTER, for build.sh).
install_c_tools() {
    local missing=()
    command -v clang >/dev/null || missing+=(clang)
    command -v wasm-ld >/dev/null || missing+=(lld)
    [ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
    compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null ||
        missing+=(libclang-rt-14-dev-wasm32)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "apt-get install ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! wit-bindgen --version 2>/dev/null | grep -q ' 0\.63\.0$'; then
        env -u CARGO_TARGET_DIR cargo install --quiet --locked wit-bindgen-cli@0.63.0 --no-default-features --features c
    fi
    if ! wasm-tools --version 2>/dev/null | grep -q '^wasm-tools 1\.262\.0'; then
        env -u CARGO_TARGET_DIR cargo install --quiet --locked wasm-tools@1.262.0 --no-default-features --features component
    fi
    # Fetched here, so that the test building the example does not reach the network.
    WASI_ADAPTER=$(sh examples/c-pacer/wasi-adapter.sh)
    export WASI_ADAPTER
}

# A free TCP port on loopback.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A throwaway PostgreSQL cluster in a temporary folder, on a free loopback port, with
# trust authentication for the `ringhost` role; stopped when the script exits.
start_postgres() {
    if [ -n "${RINGHOST_TEST_POSTGRES_URL:-}" ]; then
        echo "using PostgreSQL at $RINGHOST_TEST_POSTGRES_URL"
        return
    fi
    local bin dir port
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    dir=$(mktemp -d /tmp/ringhost-pg.XXXXXX)
    port=$(free_port)
    local run=()
    if [ "$(id -u)" = 0 ]; then
        # PostgreSQL refuses to run as root.
        chown postgres "$dir"
        run=(runuser -u postgres --)
    fi
    "${run[@]}" "$bin/initdb" -D "$dir/data" -U ringhost --auth=trust -E UTF8 >"$dir/initdb.log"
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
    PG_STOP=("${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop)
    trap '"${PG_STOP[@]}" >/dev/null 2>&1 || true; rm -rf "'"$dir"'"' EXIT
    export RINGHOST_TEST_POSTGRES_URL="postgres://ringhost@127.0.0.1:$port"
    echo "PostgreSQL started at $RINGHOST_TEST_POSTGRES_URL"
}
