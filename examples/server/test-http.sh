#!/usr/bin/env bash
# The HTTP face as operators' tools see it (scripts/test.sh runs this):
# promtool's linter on a real /metrics scrape, a real Prometheus scraping a
# real monitor, and schemathesis against the OpenAPI document, each with a
# fleet of real bots, and a real Alertmanager receiving alerts. It installs
# what it needs: Debian's prometheus and prometheus-alertmanager packages
# when missing (apt, as root), and schemathesis in
# a venv under the target dir, kept for the next run.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
schemathesis_version=4.32.5

source scripts/lib/debian-package.sh

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  need_debian_package test-http.sh prometheus "promtool or prometheus"
fi
promtool --version 2>&1 | head -n 1
if [ ! -x /usr/bin/prometheus-alertmanager ]; then
  need_debian_package test-http.sh prometheus-alertmanager /usr/bin/prometheus-alertmanager
fi
/usr/bin/prometheus-alertmanager --version 2>&1 | head -n 1

# Python 3.12 or later where there is one: 3.11's ast module can raise
# "SystemError: AST constructor recursion depth mismatch" (CPython gh-106905)
# inside hypothesis while schemathesis generates cases.
python=python3
pyenv_root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
for candidate in "$pyenv_root"/versions/3.13*/bin/python3 "$pyenv_root"/versions/3.12*/bin/python3 python3.13 python3.12; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import venv' 2>/dev/null; then
    python=$candidate
    break
  fi
done
venv="$CARGO_TARGET_DIR/schemathesis-venv-$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $schemathesis_version"; then
  echo "installing schemathesis $schemathesis_version into $venv ($("$python" --version))"
  SECONDS=0
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$schemathesis_version"
  echo "installed in ${SECONDS}s"
fi
export KISSMON_SCHEMATHESIS="$venv/bin/st"

# Each test starts its own monitor (and Prometheus) on ports the kernel picks;
# `bot_process` is the helper each fleet runs as a bot process of its own.
# alertmanager: a real Alertmanager receiving the monitor's alerts.
cargo test --locked -p kissmon-server --test prometheus --test schemathesis --test alertmanager -- --ignored --nocapture
