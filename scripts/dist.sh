#!/usr/bin/env bash
# Builds the release artifacts into dist/ (or $DIST_DIR), all with the core
# crate's version <v>, for Linux x86-64 with glibc >= 2.17:
#   kissmon-<v>-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl  Python >= 3.9
#   kissmon-<v>.tar.gz                          the Python sdist (builds with cargo)
#   kissmon-<v>.tgz                             npm package with the prebuilt linux-x64-gnu addon
#   libkissmon-<v>-linux-x86_64.tar.gz          C: libkissmon.a, libkissmon.so, kissmon.h, pkg-config
#   kissmon-server-<v>-linux-x86_64.tar.gz      the monitor, its systemd unit and default config
#   kissmon-kotlin-<v>.jar                      only once bindings/kotlin/pom.xml exists (see below)
#   SHA256SUMS
# Go bots link the C tarball (build tag kissmon_pkgconfig); the Go module
# itself ships as the repository tag bindings/go/v<v>.
#
# The server, the Node addon and the C library come from one release build
# in $CARGO_TARGET_DIR/dist-build, linked by cargo-zigbuild against glibc
# 2.17; the wheel from maturin --zig in $CARGO_TARGET_DIR/dist-build-wheel.
# Each has its own folder because cargo rebuilds everything when the linker
# changes (maturin's zig wrapper is not cargo-zigbuild's, and the checkout's
# builds link with gcc), so one shared folder would rebuild it all each
# time. Needs cargo,
# python3, node and npm; installs maturin, ziglang and cargo-zigbuild from
# PyPI into $CARGO_TARGET_DIR/dist-venv. Writes nothing outside dist/ and
# $CARGO_TARGET_DIR.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
dist="${DIST_DIR:-$repo/dist}"
rust_target=x86_64-unknown-linux-gnu
glibc=2.17
build_dir="$CARGO_TARGET_DIR/dist-build"
wheel_build_dir="$CARGO_TARGET_DIR/dist-build-wheel"
release="$build_dir/$rust_target/release"
stage="$CARGO_TARGET_DIR/dist-stage"
venv="$CARGO_TARGET_DIR/dist-venv"
tools=("maturin==1.16.0" "ziglang==0.17.0" "cargo-zigbuild==0.24.0")

step() { printf -- '-- dist: %s (at %ss)\n' "$*" "$SECONDS" >&2; }
fail() {
  echo "dist: $*" >&2
  exit 1
}

version="$(cargo pkgid --locked -p kissmon | sed 's/.*[#@]//')"
node_version="$(node -p 'require("./bindings/node/package.json").version')"
[ "$node_version" = "$version" ] ||
  fail "bindings/node/package.json has version $node_version, the core crate $version: make them equal"
# Same date in every archive, so that a rebuild of one commit gives the same
# bytes. Not exported: the cc crate rebuilds C code when SOURCE_DATE_EPOCH changes.
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
tar_flags=(--sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch")

step "build tools in $venv: ${tools[*]}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${tools[@]}"
# maturin and cargo-zigbuild find zig as `python3 -m ziglang`, so the venv's python goes first.
export PATH="$venv/bin:$PATH"

rm -rf "$dist" "$stage"
mkdir -p "$dist" "$stage"

step "release build: kissmon-server, the Node addon, the C library (zig, glibc $glibc)"
CARGO_TARGET_DIR="$build_dir" cargo zigbuild --release --locked --target "$rust_target.$glibc" -p kissmon-server -p kissmon-node
# The ABI version names the shared library's soname, as it names the symbol
# kissmon_abi_v<N> that programs link against.
abi="$(sed -n 's/^void kissmon_abi_v\([0-9][0-9]*\)(void);$/\1/p' bindings/c/include/kissmon.h)"
[ -n "$abi" ] || fail "bindings/c/include/kissmon.h declares no kissmon_abi_v<N>"
c_log="$stage/kissmon-c-build.log"
CARGO_TARGET_DIR="$build_dir" cargo-zigbuild rustc --release --locked --target "$rust_target.$glibc" -p kissmon-c -- \
  --print native-static-libs -C "link-arg=-Wl,-soname,libkissmon.so.$abi" 2>&1 | tee "$c_log" | grep -v '^note: ' >&2 || true
native_libs="$(sed -n 's/^note: native-static-libs: //p' "$c_log" | tail -n 1)"
[ -n "$native_libs" ] || fail "cargo printed no native-static-libs for kissmon-c (log: $c_log)"

step "Python wheel (maturin --zig, manylinux2014) and sdist"
CARGO_TARGET_DIR="$wheel_build_dir" maturin build --release --locked --zig --target "$rust_target" --compatibility manylinux2014 \
  -m bindings/python/Cargo.toml -o "$dist"
CARGO_TARGET_DIR="$wheel_build_dir" maturin sdist -m bindings/python/Cargo.toml -o "$dist"

step "C library: libkissmon-$version-linux-x86_64.tar.gz"
c_name="libkissmon-$version-linux-x86_64"
c_root="$stage/$c_name"
mkdir -p "$c_root/include" "$c_root/lib/pkgconfig"
cp bindings/c/include/kissmon.h "$c_root/include/"
cp "$release/libkissmon.a" "$c_root/lib/"
strip --strip-debug "$c_root/lib/libkissmon.a"
cp "$release/libkissmon.so" "$c_root/lib/libkissmon.so.$abi"
strip --strip-unneeded "$c_root/lib/libkissmon.so.$abi"
ln -s "libkissmon.so.$abi" "$c_root/lib/libkissmon.so"
for pc in kissmon kissmon-static; do
  # ${pcfiledir} is where pkg-config found the file: the prefix moves with it.
  sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' -e 's|@INCLUDEDIR@|${prefix}/include|' \
    -e "s|@VERSION@|$version|" -e "s|@NATIVE_STATIC_LIBS@|$native_libs|" \
    "bindings/c/pkgconfig/$pc.pc.in" >"$c_root/lib/pkgconfig/$pc.pc"
done
sed -e "s|@VERSION@|$version|g" -e "s|@GLIBC@|$glibc|g" -e "s|@ABI@|$abi|g" packaging/c/README.md >"$c_root/README.md"
tar "${tar_flags[@]}" -C "$stage" -czf "$dist/$c_name.tar.gz" "$c_name"

step "server: kissmon-server-$version-linux-x86_64.tar.gz"
server_name="kissmon-server-$version-linux-x86_64"
server_root="$stage/$server_name"
mkdir -p "$server_root"
cp "$release/kissmon-server" "$server_root/"
strip "$server_root/kissmon-server"
"$server_root/kissmon-server" config >"$server_root/kissmon.toml"
cp packaging/server/kissmon-server.service packaging/server/kissmon-sysusers.conf "$server_root/"
sed -e "s|@VERSION@|$version|g" -e "s|@GLIBC@|$glibc|g" packaging/server/README.md >"$server_root/README.md"
tar "${tar_flags[@]}" -C "$stage" -czf "$dist/$server_name.tar.gz" "$server_name"

step "npm package: kissmon-$version.tgz with kissmon.linux-x64-gnu.node"
# The files package.json lists, without any addon left in bindings/node by a
# development build: only the one linked here goes in.
node_root="$stage/node"
mkdir -p "$node_root"
(cd bindings/node && npm pack --dry-run --json --ignore-scripts 2>/dev/null) |
  node -e 'for (const f of JSON.parse(require("fs").readFileSync(0))[0].files) if (!f.path.endsWith(".node")) console.log(f.path)' |
  while read -r file; do
    mkdir -p "$node_root/$(dirname "$file")"
    cp "bindings/node/$file" "$node_root/$file"
  done
cp "$release/libkissmon_node.so" "$node_root/kissmon.linux-x64-gnu.node"
strip --strip-unneeded "$node_root/kissmon.linux-x64-gnu.node"
(cd "$node_root" && npm pack --silent --ignore-scripts --pack-destination "$dist" >/dev/null)

# ---- Kotlin hook (issue: Kotlin binding). Tested for absence: nothing happens
# until bindings/kotlin/pom.xml exists. Then the jar that `mvn package` builds
# there is copied as kissmon-kotlin-<v>.jar; the jar's native library should
# come from this same zig-linked release build (the Kotlin build's to wire).
if [ -f bindings/kotlin/pom.xml ]; then
  step "Kotlin jar (bindings/kotlin/pom.xml)"
  JAVA_HOME="$(bash bindings/kotlin/java-home.sh)" \
    mvn -B -q -f bindings/kotlin/pom.xml -DskipTests -Dkotlin.compiler.execution.strategy=in-process package
  jars=()
  for jar in bindings/kotlin/target/*.jar; do
    case "$jar" in *-sources.jar | *-javadoc.jar | *-tests.jar) ;; *) [ -f "$jar" ] && jars+=("$jar") ;; esac
  done
  [ "${#jars[@]}" -eq 1 ] || fail "expected one jar in bindings/kotlin/target, found ${#jars[@]}: ${jars[*]:-none}"
  cp "${jars[0]}" "$dist/kissmon-kotlin-$version.jar"
fi
# ---- end of the Kotlin hook

step "SHA256SUMS"
(cd "$dist" && find . -maxdepth 1 -type f ! -name SHA256SUMS -printf '%f\n' | sort | xargs sha256sum >SHA256SUMS)

# The glibc floor of each binary: the newest GLIBC_x.y symbol version it needs.
glibc_floor() {
  objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1
}
step "done: $dist"
(cd "$dist" && ls -l --block-size=K | sed 1d >&2)
for binary in "$server_root/kissmon-server" "$c_root/lib/libkissmon.so.$abi" "$node_root/kissmon.linux-x64-gnu.node"; do
  printf -- '-- dist: %s needs glibc %s\n' "$(basename "$binary")" "$(glibc_floor "$binary")" >&2
done
