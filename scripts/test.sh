#!/usr/bin/env bash
# Runs every test in every language. This is the README's test command and
# what CI runs; it installs what it needs (into target/ and venvs it makes).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
# Snapshots are checked, never written, here.
export INSTA_UPDATE=no

step() { printf '\n== %s\n' "$*"; }

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (core, harness, server)"
cargo test --locked

# Each binding owns a test script next to its code.
for lang in c go python node kotlin; do
  step "bindings/$lang"
  bash "bindings/$lang/test.sh"
done

# After the bindings' scripts, so that it reuses what they built.
step "conformance corpus in every language"
bash conformance/run.sh

step "chaos: monitor SIGKILLed and restarted, bots in Rust, Python, Node and Go, exact totals (scripts/chaos.sh, short mode)"
bash scripts/chaos.sh

step "PostgreSQL: several monitors on one database (examples/server/test-postgres.sh; installs postgresql if initdb is missing)"
bash examples/server/test-postgres.sh

# Last, so that a finding here never hides the other results.
step "server HTTP: promtool, a real Prometheus, schemathesis, a real Alertmanager (installs prometheus, prometheus-alertmanager, schemathesis)"
bash examples/server/test-http.sh

step "dashboard in headless Chromium (examples/server/tests/browser; installs chromium and playwright-core)"
bash examples/server/tests/browser/test.sh

# ---- release artifacts (issue 15): builds dist/, installs each artifact with no Rust toolchain on PATH
step "dist: scripts/test-dist.sh (builds dist/ with zig; installs maturin, ziglang, cargo-zigbuild, auditwheel)"
bash scripts/test-dist.sh
# ---- end release artifacts

step "all tests passed"
