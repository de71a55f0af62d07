#!/usr/bin/env bash
# Tests of the Node addon, from a fresh machine with Node >= 20.17, npm and
# cargo: installs the dev tools, lints, builds with the napi CLI and checks
# the generated files for drift, runs node:test, then installs the package
# into fresh projects from its folder and from the `npm pack` tarball.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

step() { printf '\n== node: %s\n' "$*"; }
scratch="$(mktemp -d "${TMPDIR:-/tmp}/kissmon-node-test.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

step "npm install (dev tools from package-lock.json: napi CLI, TypeScript, ESLint)"
# Not `npm ci`: the registry lacks some of the napi CLI's optional
# per-platform packages, which npm ci insists on finding in the lockfile;
# npm install follows the lockfile and skips optional packages it cannot get.
# The install script would build the addon; the napi build below does that.
npm install --ignore-scripts --no-fund --no-audit

step "lint"
cargo fmt -p kissmon-node --check
cargo clippy -p kissmon-node --all-targets -- -D warnings
npx --no-install eslint .

step "rust unit tests"
cargo test -p kissmon-node

step "napi build, and drift of the generated native.js / native.d.ts"
npx --no-install napi build --platform --release --js native.js --dts native.d.ts --output-dir "$scratch/build"
for generated in native.js native.d.ts; do
  if ! diff -u "$generated" "$scratch/build/$generated"; then
    echo "node: $generated differs from what napi build generates; run 'npm run build' and commit it" >&2
    exit 1
  fi
done
addon="kissmon.linux-x64-gnu.node"
cp "$scratch/build/$addon" "$addon"

step "node --test"
node --test test/*.test.js | tee "$scratch/test.out"
passed="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$scratch/test.out")"
if [ -z "$passed" ] || [ "$passed" -eq 0 ]; then
  echo "node: no test ran" >&2
  exit 1
fi

step "benchmark smoke run (figures are not judged here)"
node bench/calls.js --smoke

check_project() {
  # Uses the installed package from CommonJS and from ESM in the project at $1.
  (cd "$1" && node -e "
    const { MonitorClient, decodeLine } = require('kissmon')
    const client = new MonitorClient('install-check', { socketPath: '$scratch/absent.sock' })
    client.heartbeat()
    if (decodeLine('{\"type\":\"heartbeat\",\"channel\":\"x\",\"pid\":1}').pid !== 1) process.exit(1)
    client.close(0).then((clean) => console.log('CommonJS ok, close ->', clean))
  " && node --input-type=module -e "
    import { MonitorClient } from 'kissmon'
    const client = new MonitorClient('install-check', { socketPath: '$scratch/absent.sock' })
    console.log('ESM ok, pid', client.pid)
  ")
}

step "npm install <folder> into a fresh project (the install script builds the addon)"
mkdir -p "$scratch/from-folder"
(cd "$scratch/from-folder" && npm init -y >/dev/null)
mv "$addon" "$scratch/$addon.aside"
if ! (cd "$scratch/from-folder" && npm install --no-fund --no-audit "$here"); then
  mv "$scratch/$addon.aside" "$addon"
  echo "node: npm install <folder> failed" >&2
  exit 1
fi
test -f "$addon" || { echo "node: the install script did not build $addon" >&2; exit 1; }
check_project "$scratch/from-folder"

step "npm pack, then npm install <tarball> into a fresh project"
tarball="$(npm pack --silent --pack-destination "$scratch")"
tar -tzf "$scratch/$tarball" > "$scratch/tarball.txt"
grep -qx "package/$addon" "$scratch/tarball.txt" || { echo "node: $tarball lacks $addon" >&2; exit 1; }
mkdir -p "$scratch/from-tarball"
(cd "$scratch/from-tarball" && npm init -y >/dev/null && npm install --no-fund --no-audit "$scratch/$tarball")
check_project "$scratch/from-tarball"

step "all passed ($passed tests)"
