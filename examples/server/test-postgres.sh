#!/usr/bin/env bash
# Several monitors on one real PostgreSQL (scripts/test.sh runs this): each
# test makes a throw-away cluster with initdb in a temp dir, on a private
# socket dir and a free loopback port, and removes it. PostgreSQL 15 is
# preinstalled on this machine kind; where initdb is missing, Debian's
# postgresql package is installed (apt, as root). As root, PostgreSQL's
# tools run as the postgres user (initdb refuses root).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"

source scripts/lib/debian-package.sh

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${KISSMON_PG_BIN:-}" ]; then
  need_debian_package test-postgres.sh postgresql "PostgreSQL's initdb"
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "test-postgres.sh: running as root needs the postgres user (Debian's postgresql package makes it)" >&2
  exit 1
fi
ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -n 1

cargo test --locked -p kissmon-server --test postgres -- --ignored --nocapture --skip bot_process
