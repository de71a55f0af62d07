#!/usr/bin/env bash
# Runs the conformance corpus through every language's adapter, or some:
#   bash conformance/run.sh [--lang rust,python,node,go,c,kotlin]
# Builds the harness and what each adapter needs (in the shared target/, with
# each binding's own build: bindings/c/build-lib.sh, the Python wheel, the
# Node addon, the Kotlin classes through Maven), checks the READMEs' counts,
# then prints one line per language:
#   conformance <lang>: N passed, M failed, K not applicable
# and exits non-zero if any case failed or anything did not build.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
python="${PYTHON:-python3}"
out="$CARGO_TARGET_DIR/conformance"

langs="rust,python,node,go,c,kotlin"
while [ $# -gt 0 ]; do
  case "$1" in
    --lang) langs="${2:?--lang needs a list}"; shift 2 ;;
    --lang=*) langs="${1#--lang=}"; shift ;;
    *) echo "usage: bash conformance/run.sh [--lang rust,python,node,go,c,kotlin]" >&2; exit 2 ;;
  esac
done

log() { printf -- '-- conformance: %s\n' "$*" >&2; }
mkdir -p "$out"

# Each build_<lang> builds what its adapter needs and sets `adapter` to the command.
build_rust() {
  cargo build --locked --quiet -p kissmon-conformance-rust &&
    adapter=("$CARGO_TARGET_DIR/debug/kissmon-conformance-rust")
}

build_python() {
  # The venv and maturin of bindings/python/test.sh, so its build is reused.
  local venv="$CARGO_TARGET_DIR/py-venv" run_venv="$out/py-venv" pip=(--quiet --disable-pip-version-check)
  { [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"; } &&
    { [ -x "$venv/bin/maturin" ] || "$venv/bin/python" -m pip install "${pip[@]}" "maturin>=1.16,<2"; } &&
    rm -rf "$out/py-wheels" &&
    "$venv/bin/maturin" build --release --quiet -m bindings/python/Cargo.toml -o "$out/py-wheels" &&
    { [ -x "$run_venv/bin/python" ] || "$python" -m venv "$run_venv"; } &&
    "$run_venv/bin/python" -m pip install "${pip[@]}" --force-reinstall --no-index "$out"/py-wheels/kissmon-*.whl &&
    adapter=("$run_venv/bin/python" bindings/python/conformance/adapter.py)
}

build_node() {
  # What bindings/node/scripts/install.js and `napi build` do: one build cache.
  local host
  host="$(rustc -vV | sed -n 's/^host: //p')" &&
    cargo build --locked --quiet --release -p kissmon-node --target "$host" &&
    cp "$CARGO_TARGET_DIR/$host/release/libkissmon_node.so" bindings/node/kissmon.linux-x64-gnu.node.partial &&
    mv bindings/node/kissmon.linux-x64-gnu.node.partial bindings/node/kissmon.linux-x64-gnu.node &&
    adapter=(node bindings/node/conformance/adapter.js)
}

build_go() {
  bash bindings/go/build-lib.sh >/dev/null &&
    (cd bindings/go && go build -o "$out/kissmon-conformance-go" ./conformance) &&
    adapter=("$out/kissmon-conformance-go")
}

build_c() {
  local lib_dir link
  lib_dir="$(bash bindings/c/build-lib.sh)" &&
    link="$(PKG_CONFIG_PATH="$lib_dir" pkg-config --cflags --libs kissmon-static)" &&
    # shellcheck disable=SC2086 # pkg-config's output is a list of flags
    gcc -std=c11 -Wall -Wextra -Werror -pedantic -O1 bindings/c/conformance/adapter.c $link \
      -o "$out/kissmon-conformance-c" &&
    adapter=("$out/kissmon-conformance-c")
}

build_kotlin() {
  # The classes of bindings/kotlin/test.sh's Maven build (cargo, kotlinc), on a JDK 22+.
  local java_home kotlin=bindings/kotlin
  java_home="$(bash "$kotlin/java-home.sh")" &&
    JAVA_HOME="$java_home" mvn -B -q -ntp -f "$kotlin/pom.xml" test-compile &&
    adapter=("$java_home/bin/java" --enable-native-access=ALL-UNNAMED
      -cp "$kotlin/target/classes:$kotlin/target/test-classes:$(cat "$kotlin/target/test-classpath.txt")"
      io.kissmon.conformance.AdapterKt)
}

log "harness"
cargo build --locked --quiet -p kissmon-conformance
harness="$CARGO_TARGET_DIR/debug/kissmon-conformance"
status=0
"$harness" counts || status=1

IFS=, read -ra chosen <<<"$langs"
for lang in "${chosen[@]}"; do
  case "$lang" in
    rust | python | node | go | c | kotlin) ;;
    *) echo "conformance: no adapter for language '$lang'" >&2; exit 2 ;;
  esac
  log "$lang: build"
  adapter=()
  if ! "build_$lang"; then
    echo "conformance $lang: the adapter did not build"
    status=1
    continue
  fi
  log "$lang: run"
  "$harness" run --lang "$lang" -- "${adapter[@]}" || status=1
done
exit "$status"
