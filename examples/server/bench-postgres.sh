#!/usr/bin/env bash
# llm_usage rows/s into SQLite and into PostgreSQL, side by side in one run
# (by hand; the figures are in the README's "many hosts" section). Makes a
# throw-away PostgreSQL cluster like test-postgres.sh. KISSMON_BENCH_SCALE=0.2
# makes a quick run; KISSMON_BENCH_RUNS (default 3) sets the runs per backend.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo bench --locked -p kissmon-server --bench storage
