#!/usr/bin/env bash
# Tests the release artifacts as a bot's host gets them: builds dist/ with
# scripts/dist.sh, checks it (SHA256SUMS, auditwheel, glibc floor, ldd, the
# systemd unit), then, with cargo, rustc and ~/.cargo/bin off PATH, installs
# each artifact into a fresh place: the wheel into a venv, the npm tarball
# into an npm project, the C tarball into a prefix that a C program links
# through pkg-config, a Go bot in its own module outside the repository
# linked against that prefix, and the server from its tarball. One bot of
# each language reports to that server until `kissmon-server status --json`
# shows every one online with its lang; then they close, and must have
# delivered everything. Run by scripts/test.sh; needs what dist.sh needs,
# plus gcc, pkg-config, go, systemd-analyze and objdump.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export DIST_DIR="${DIST_DIR:-$repo/dist}"
dist="$DIST_DIR"
glibc_floor=2.17
bots=(dist-python dist-node dist-c dist-c-shared dist-go)
declare -A bot_lang=([dist-python]=python [dist-node]=node [dist-c]=c [dist-c-shared]=c [dist-go]=go)

passed=0
step() { printf '\n-- dist test: %s (at %ss)\n' "$*" "$SECONDS"; }
ok() {
  passed=$((passed + 1))
  echo "ok: $*"
}
fail() {
  echo "FAIL: $*" >&2
  echo "dist: $passed passed, 1 failed"
  exit 1
}

scratch="$(mktemp -d "${TMPDIR:-/tmp}/kissmon-dist-test.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

for tool in gcc pkg-config go objdump systemd-analyze python3 node npm; do
  command -v "$tool" >/dev/null || fail "$tool is not installed"
done

step "cargo package -p kissmon (the crate builds from its own files)"
cargo package --locked --allow-dirty -p kissmon 2>&1 | tail -n 3
crate_files="$(cargo package --locked --allow-dirty --list -p kissmon)"
grep -qx README.md <<<"$crate_files" || fail "the kissmon crate does not ship README.md"
if grep -rn 'include_str!("\.\./\.\.' core/src; then fail "core/src includes a file from outside the crate"; fi
ok "cargo package -p kissmon"

step "scripts/dist.sh"
bash scripts/dist.sh
version="$(cargo pkgid --locked -p kissmon | sed 's/.*[#@]//')"
wheel="$(find "$dist" -name "kissmon-$version-cp39-abi3-manylinux*_x86_64.whl")"
sdist="$dist/kissmon-$version.tar.gz"
npm_tarball="$dist/kissmon-$version.tgz"
c_tarball="$dist/libkissmon-$version-linux-x86_64.tar.gz"
server_tarball="$dist/kissmon-server-$version-linux-x86_64.tar.gz"
for artifact in "$wheel" "$sdist" "$npm_tarball" "$c_tarball" "$server_tarball"; do
  [ -f "$artifact" ] || fail "dist.sh did not build $(basename "${artifact:-kissmon-$version-cp39-abi3-manylinux*_x86_64.whl}")"
done
ok "dist/ has every artifact, all at version $version"

step "every artifact against SHA256SUMS"
(cd "$dist" && sha256sum --check --strict SHA256SUMS) || fail "an artifact does not match SHA256SUMS"
for artifact in "$dist"/*; do
  name="$(basename "$artifact")"
  [ "$name" = SHA256SUMS ] || grep -q "  $name\$" "$dist/SHA256SUMS" || fail "$name is not in SHA256SUMS"
done
ok "SHA256SUMS covers every artifact, and every one matches"

step "auditwheel show (auditwheel from PyPI)"
audit_venv="$CARGO_TARGET_DIR/dist-test-venv"
[ -x "$audit_venv/bin/python" ] || python3 -m venv "$audit_venv"
"$audit_venv/bin/python" -m pip install --quiet --disable-pip-version-check "auditwheel==6.8.2"
"$audit_venv/bin/auditwheel" show "$wheel" | tee "$scratch/auditwheel.txt"
grep -q "consistent with the following platform tag: \"manylinux_2_17_x86_64\"" <(tr -s ' \n' ' ' <"$scratch/auditwheel.txt") ||
  fail "auditwheel does not find $(basename "$wheel") consistent with manylinux_2_17"
ok "auditwheel: manylinux_2_17 (manylinux2014)"

step "the sdist carries the core crate"
tar -tzf "$sdist" >"$scratch/sdist.txt"
for file in pyproject.toml core/src/lib.rs bindings/python/src/lib.rs; do
  grep -q "^kissmon-$version/$file\$" "$scratch/sdist.txt" || fail "the sdist lacks $file"
done
ok "sdist"

step "unpack the C and server tarballs; glibc floor and ldd"
# The C prefix is unpacked in one place and used from another: its
# pkg-config files must follow it.
mkdir -p "$scratch/unpacked"
tar -xzf "$c_tarball" -C "$scratch/unpacked"
mv "$scratch/unpacked/libkissmon-$version-linux-x86_64" "$scratch/c-prefix"
prefix="$scratch/c-prefix"
tar -xzf "$server_tarball" -C "$scratch"
server_root="$scratch/kissmon-server-$version-linux-x86_64"
server="$server_root/kissmon-server"
for file in kissmon-server kissmon-server.service kissmon-sysusers.conf kissmon.toml README.md; do
  [ -f "$server_root/$file" ] || fail "the server tarball lacks $file"
done
mkdir -p "$scratch/wheel" "$scratch/npm"
(cd "$scratch/wheel" && python3 -m zipfile -e "$wheel" .)
tar -xzf "$npm_tarball" -C "$scratch/npm"
# The shared library's soname carries the ABI version, as kissmon.h's kissmon_abi_v<N> does.
abi="$(sed -n 's/^void kissmon_abi_v\([0-9][0-9]*\)(void);$/\1/p' bindings/c/include/kissmon.h)"
[ -n "$abi" ] || fail "bindings/c/include/kissmon.h declares no kissmon_abi_v<N>"
shared="libkissmon.so.$abi"
newest_glibc() { objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1; }
for binary in "$server" "$prefix/lib/$shared" "$scratch/npm/package/kissmon.linux-x64-gnu.node" \
  "$(find "$scratch/wheel" -name '_native*.so')"; do
  needs="$(newest_glibc "$binary")"
  [ "$(printf '%s\n%s\n' "$needs" "$glibc_floor" | sort -V | tail -n 1)" = "$glibc_floor" ] ||
    fail "$(basename "$binary") needs glibc $needs, newer than $glibc_floor"
  echo "$(basename "$binary"): newest glibc symbol version $needs"
done
ok "every binary needs glibc <= $glibc_floor"
# Captured first: with pipefail, `ldd | grep` can fail on SIGPIPE.
server_deps="$(ldd "$server")"
echo "$server_deps"
system_lib='^(linux-vdso\.so\.1 |/lib64/ld-linux-x86-64\.so\.2 |(libc|libm|libdl|librt|libpthread|libutil|libgcc_s)\.so\.[0-9]+ => (/usr)?/lib/)'
while read -r line; do
  [[ "$line" =~ $system_lib ]] || fail "the server binary links a library that is not glibc's or libgcc's: $line"
done <<<"$server_deps"
ok "ldd kissmon-server: only glibc and libgcc_s"
soname="$(readelf -d "$prefix/lib/$shared" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$soname" = "$shared" ] || fail "$shared has soname '$soname'"
ok "libkissmon.so soname $shared"

step "systemd unit: systemd-analyze verify, and the hardening it promises"
unit="$scratch/kissmon-server.service"
# Verified as installed, with ExecStart pointing at the unpacked binary.
sed "s|/usr/local/bin/kissmon-server|$server|" "$server_root/kissmon-server.service" >"$unit"
systemd-analyze verify "$unit" 2>&1 | tee "$scratch/verify.txt"
if grep -v -e '^$' -e 'Failed to.*bus' "$scratch/verify.txt" | grep -qi 'kissmon-server.service'; then
  fail "systemd-analyze verify reports problems with the unit"
fi
for setting in User=kissmon RuntimeDirectory=kissmon NoNewPrivileges=yes ProtectSystem=strict PrivateTmp=yes \
  Environment=KISSBOT_MONITOR_SOCKET=/run/kissmon/monitor.sock; do
  grep -qx "$setting" "$unit" || fail "the unit lacks $setting"
done
grep -q '^u kissmon ' "$server_root/kissmon-sysusers.conf" || fail "kissmon-sysusers.conf creates no user kissmon"
ok "systemd unit"

# ---------------------------------------------------------------------------
step "no Rust toolchain from here on"
clean_path=""
IFS=: read -ra path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  case "$dir" in "$HOME/.cargo/bin" | */.cargo/bin | "") continue ;; esac
  [ -x "$dir/cargo" ] || [ -x "$dir/rustc" ] && continue
  clean_path="${clean_path:+$clean_path:}$dir"
done
export PATH="$clean_path"
unset CARGO_TARGET_DIR RUSTUP_HOME RUSTUP_TOOLCHAIN
if command -v cargo || command -v rustc; then fail "cargo or rustc is still on PATH"; fi
ok "PATH has no cargo, no rustc"

step "the server from its tarball, with its shipped config"
export KISSBOT_MONITOR_SOCKET="$scratch/monitor.sock"
"$server" serve --config "$server_root/kissmon.toml" --db "$scratch/monitor.db" --http off \
  >"$scratch/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
  [ -S "$KISSBOT_MONITOR_SOCKET" ] && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$scratch/server.log" >&2; fail "the server exited"; }
  sleep 0.1
done
[ -S "$KISSBOT_MONITOR_SOCKET" ] || { cat "$scratch/server.log" >&2; fail "no socket after 15 s"; }
ok "kissmon-server serve"

step "Python: the wheel into a fresh venv"
python3 -m venv "$scratch/py"
"$scratch/py/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
ok "pip install $(basename "$wheel")"

step "Node: the npm tarball into a fresh npm project"
mkdir -p "$scratch/node-bot"
cp scripts/dist-bots/bot.js "$scratch/node-bot/"
(cd "$scratch/node-bot" && npm init -y >/dev/null &&
  npm install --no-fund --no-audit --no-update-notifier "$npm_tarball") || fail "npm install of the tarball failed"
ok "npm install $(basename "$npm_tarball")"

step "C: a program linked through pkg-config (static and shared) against the unpacked prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
read -ra static_link <<<"$(pkg-config --cflags --libs kissmon-static)"
read -ra shared_link <<<"$(pkg-config --cflags --libs kissmon)"
gcc -std=c11 -Wall -Wextra -Werror scripts/dist-bots/bot.c "${static_link[@]}" -o "$scratch/c-bot-static"
gcc -std=c11 -Wall -Wextra -Werror scripts/dist-bots/bot.c "${shared_link[@]}" \
  -Wl,-rpath,"$(realpath "$(pkg-config --variable=libdir kissmon)")" -o "$scratch/c-bot-shared"
static_deps="$(ldd "$scratch/c-bot-static")"
shared_deps="$(ldd "$scratch/c-bot-shared")"
if grep -q libkissmon <<<"$static_deps"; then fail "the static C bot loads libkissmon.so"; fi
grep -q "$shared => $prefix/lib/$shared" <<<"$shared_deps" ||
  fail "the shared C bot does not load $prefix/lib/$shared: $shared_deps"
ok "C bots built, static and shared"

step "Go: a bot in its own module, the kissmon module from a module proxy, linked through pkg-config"
# The module as `go get` fetches it once bindings/go/v<v> is tagged: a
# module zip of the committed (and new, unignored) files of bindings/go,
# served here from a file:// proxy. No replace directive, no checkout.
module=github.com/kissmon/kissmon/bindings/go
proxy="$scratch/goproxy"
mkdir -p "$proxy/$module/@v"
git ls-files --cached --others --exclude-standard bindings/go >"$scratch/go-files.txt"
python3 - "$proxy/$module/@v/v$version.zip" "$module@v$version" "$scratch/go-files.txt" <<'EOF'
import sys, zipfile
out, root, listing = sys.argv[1:]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
    for path in open(listing).read().split():
        rel = path[len("bindings/go/"):]
        if rel.startswith("lib/"):
            continue
        zf.write(path, f"{root}/{rel}")
EOF
cp bindings/go/go.mod "$proxy/$module/@v/v$version.mod"
printf '{"Version":"v%s","Time":"%s"}\n' "$version" "$(date -u -d "@$(git log -1 --format=%ct)" +%Y-%m-%dT%H:%M:%SZ)" \
  >"$proxy/$module/@v/v$version.info"
printf 'v%s\n' "$version" >"$proxy/$module/@v/list"
cp -r scripts/dist-bots/go "$scratch/go-bot"
(
  cd "$scratch/go-bot"
  export GOPROXY="file://$proxy,$(go env GOPROXY)" GONOSUMDB="$module" GOMODCACHE="$scratch/gomodcache"
  export GOFLAGS="$(go env GOFLAGS) -modcacherw"
  go get "$module@v$version"
  go build -tags kissmon_pkgconfig -o "$scratch/go-bot/bot" .
) || fail "the Go bot did not build against the C prefix"
go_deps="$(ldd "$scratch/go-bot/bot")"
if grep -q libkissmon <<<"$go_deps"; then fail "the Go bot loads libkissmon.so"; fi
ok "Go bot built with -tags kissmon_pkgconfig"

step "one bot of each language reports to the server"
mkfifo "$scratch/stop"
declare -A bot_pid
run_bot() { # channel, command...
  local channel="$1"
  shift
  "$@" <"$scratch/stop" >"$scratch/$channel.log" 2>&1 &
  pids+=($!)
  bot_pid[$channel]=$!
}
run_bot dist-python "$scratch/py/bin/python" scripts/dist-bots/bot.py
run_bot dist-node node "$scratch/node-bot/bot.js"
run_bot dist-c "$scratch/c-bot-static" dist-c
run_bot dist-c-shared "$scratch/c-bot-shared" dist-c-shared
run_bot dist-go "$scratch/go-bot/bot"
# Opening the write end lets the bots' stdin open; closing it ends them.
exec 9>"$scratch/stop"

# Waits (30 s at most) until status --json shows every bot in state $1 with its lang.
wait_for_status() {
  local want="$1" deadline=$((SECONDS + 30)) expected=() channel
  for channel in "${bots[@]}"; do expected+=("$channel=${bot_lang[$channel]}"); done
  while :; do
    "$server" status --json --db "$scratch/monitor.db" >"$scratch/status.json" 2>"$scratch/status.err" || true
    python3 - "$want" "$scratch/status.json" "${expected[@]}" 2>"$scratch/status.why" <<'EOF' && return 0
import json, sys
want, path, *pairs = sys.argv[1:]
report = json.load(open(path))
by_channel = {bot["channel"]: bot for bot in report["bots"]}
for channel, lang in (pair.split("=", 1) for pair in pairs):
    bot = by_channel.get(channel)
    if bot is None:
        sys.exit(f"{channel} is not in the status")
    if bot["status"] != want or bot["lang"] != lang:
        sys.exit(f"{channel}: status {bot['status']}, lang {bot['lang']}")
EOF
    [ "$SECONDS" -lt "$deadline" ] || {
      cat "$scratch/status.json" "$scratch/status.err" "$scratch/status.why" >&2
      fail "the bots are not all $want after 30 s"
    }
    sleep 0.2
  done
}
wait_for_status online
"$server" status --db "$scratch/monitor.db"
ok "kissmon-server status --json: all ${#bots[@]} bots online with their lang"

exec 9>&-
for channel in "${bots[@]}"; do
  if ! wait "${bot_pid[$channel]}"; then
    cat "$scratch/$channel.log" >&2
    fail "bot $channel did not close cleanly"
  fi
  cat "$scratch/$channel.log"
done
ok "every bot closed with everything delivered"
wait_for_status offline
ok "kissmon-server status --json: all ${#bots[@]} bots offline after they closed"

echo "dist: $passed passed, 0 failed"
