#!/usr/bin/env bash
# The soak: 10,000 bot connections for 10 minutes against the release
# monitor (heartbeats every second, an llm_usage call per bot every 10 s),
# sampling the monitor's RSS, open fds and CPU every 10 s. Fails when RSS or
# fds grow more than 10 % after the warm-up, or when a call is not stored.
#
#   bash scripts/soak.sh                 # 10,000 bots, 600 s
#   bash scripts/soak.sh 1000 60         # a short run
#
# The harness is examples/server/benches/soak.rs (built in the release profile).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export KISSMON_SOAK_BOTS="${1:-10000}"
export KISSMON_SOAK_SECONDS="${2:-600}"
cargo bench --locked -p kissmon-server --bench soak
