#!/usr/bin/env bash
# Hostile local clients at the issue's sizes: 100,000 connections opened and
# held (spread over holder processes; the monitor keeps --max-connections
# 20000 and sheds the rest), a 1 GiB line without a newline, 2,000 writers of
# one byte per second for a minute, random garbage at full speed for a
# minute. Prints the figures: the monitor's RSS, fds, what was shed or
# counted, and how fast a well-behaved bot was served meanwhile.
# `cargo test` runs the same tests in a short mode.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
KISSMON_HOSTILE=full cargo test --locked --release -p kissmon-server --test hostile -- --nocapture --test-threads 1 2>&1 \
  | grep -E '^hostile:|^test |test result|panicked|FAILED'
