#!/usr/bin/env bash
# The dashboard in a real headless Chromium: Debian's chromium (installed
# here when missing, never a downloaded browser), playwright-core from the
# committed lockfile, against the debug build of kissmon-server. Screenshots
# go to target/dashboard/. Run by scripts/test.sh after `cargo test`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"

source "$root/scripts/lib/debian-package.sh"

if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  need_debian_package tests/browser chromium "${CHROMIUM:-/usr/bin/chromium}"
fi

cd "$here"
npm ci --no-audit --no-fund --loglevel=error
# The vendored uPlot is the locked npm package's, byte for byte.
for file in uPlot.esm.js uPlot.min.css; do
  cmp "node_modules/uplot/dist/$file" "$root/examples/server/dashboard/vendor/$file"
done
cmp node_modules/uplot/LICENSE "$root/examples/server/dashboard/vendor/uPlot.LICENSE"
npm run -s lint

(cd "$root" && cargo build --locked -q -p kissmon-server)
node dashboard.test.mjs
