#!/usr/bin/env bash
# Builds libkissmon.a and libkissmon.so (release) and writes kissmon.pc and
# kissmon-static.pc next to them. Honours CARGO_TARGET_DIR (else <repo>/target).
# Cargo's output goes to stderr; stdout gets one line: the library folder.
#   export PKG_CONFIG_PATH="$(bash bindings/c/build-lib.sh)"
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
manifest="$here/../../Cargo.toml"

# The printed native-static-libs are what a C program must add when linking the .a.
build_log="$(cargo rustc --release --locked -p kissmon-c --manifest-path "$manifest" -- --print native-static-libs 2>&1)" || {
  printf '%s\n' "$build_log" >&2
  exit 1
}
printf '%s\n' "$build_log" | grep -v '^note: ' >&2 || true
native_libs="$(printf '%s\n' "$build_log" | sed -n 's/^note: native-static-libs: //p' | tail -n 1)"
if [ -z "$native_libs" ]; then
  echo "build-lib.sh: cargo printed no native-static-libs" >&2
  exit 1
fi

target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$manifest" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
lib_dir="$target_dir/release"
version="$(cargo pkgid --manifest-path "$manifest" -p kissmon-c | sed 's/.*[#@]//')"
include_dir="$(cd "$here/include" && pwd)"
for pc in kissmon kissmon-static; do
  sed -e "s|@PREFIX@|$lib_dir|" -e "s|@LIBDIR@|\${prefix}|" -e "s|@INCLUDEDIR@|$include_dir|" -e "s|@VERSION@|$version|" \
    -e "s|@NATIVE_STATIC_LIBS@|$native_libs|" "$here/pkgconfig/$pc.pc.in" >"$lib_dir/$pc.pc"
done
echo "$lib_dir"
