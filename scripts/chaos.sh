#!/usr/bin/env bash
# The chaos test (issue 12): bots in Rust, Python, Node and Go log llm_usage
# with known token values while the monitor is SIGKILLed and restarted K times
# at random moments and SIGSTOPped for 5 s once; at the end SQLite must hold
# exactly what the bots logged, no (instance, seq) twice, and pass
# integrity_check, and every bot must have been online within 2 s of each
# restart. Prints its figures.
#   bash scripts/chaos.sh            short mode: K = 3, 24 s of load (scripts/test.sh runs it)
#   bash scripts/chaos.sh --long     long mode: K = 50, 200 s of load (by hand; figures in the README)
#   extra flags go to scripts/chaos/run.py (--seed N, --rate R, --per-lang N)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
python="${PYTHON:-python3}"
out="$CARGO_TARGET_DIR/chaos"
mode=(--restarts 3 --duration 24)
if [ "${1:-}" = "--long" ]; then
  mode=(--restarts 50 --duration 200)
  shift
fi
log() { printf -- '-- chaos: %s\n' "$*" >&2; }
mkdir -p "$out"

log "building the monitor and the Rust bot"
cargo build --locked --quiet -p kissmon-server -p kissmon --bin kissmon-server --example chaos_bot
server="$CARGO_TARGET_DIR/debug/kissmon-server"

log "building the Python wheel"
venv="$CARGO_TARGET_DIR/py-venv" run_venv="$out/py-venv" pip=(--quiet --disable-pip-version-check)
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
[ -x "$venv/bin/maturin" ] || "$venv/bin/python" -m pip install "${pip[@]}" "maturin>=1.16,<2"
rm -rf "$out/py-wheels"
"$venv/bin/maturin" build --release --quiet -m bindings/python/Cargo.toml -o "$out/py-wheels"
[ -x "$run_venv/bin/python" ] || "$python" -m venv "$run_venv"
"$run_venv/bin/python" -m pip install "${pip[@]}" --force-reinstall --no-index "$out"/py-wheels/kissmon-*.whl

log "building the Node addon"
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --locked --quiet --release -p kissmon-node --target "$host"
cp "$CARGO_TARGET_DIR/$host/release/libkissmon_node.so" bindings/node/kissmon.linux-x64-gnu.node.partial
mv bindings/node/kissmon.linux-x64-gnu.node.partial bindings/node/kissmon.linux-x64-gnu.node

log "building the Go bot"
bash bindings/go/build-lib.sh >/dev/null
(cd scripts/chaos/go && go build -o "$out/chaosbot-go" .)

log "running"
KISSMON_NODE="$repo/bindings/node" "$python" scripts/chaos/run.py --server "$server" "${mode[@]}" \
  --bot "rust=$CARGO_TARGET_DIR/debug/examples/chaos_bot" \
  --bot "python=$run_venv/bin/python scripts/chaos/bot.py" \
  --bot "node=node scripts/chaos/bot.js" \
  --bot "go=$out/chaosbot-go" \
  "$@"
