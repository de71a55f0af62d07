#!/usr/bin/env bash
# Generates the FFM glue (Java, package io.kissmon.ffi) from the built library
# with uniffi-bindgen-java, pinned and installed into the workspace's target/:
#   bash generate.sh            rewrites src/main/java/io/kissmon/ffi (commit it)
#   bash generate.sh <dir>      writes <dir>/io/kissmon/ffi (test.sh's drift check)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
bindgen_version="0.5.2"
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
tools="$target_dir/uniffi-bindgen-java-$bindgen_version"
# The crate's own Cargo.lock (--locked): the same generator on every machine.
# A debug build: it generates in a second, and compiles in far less time than
# an optimised one (uniffi_bindgen and askama are heavy). Once per target/.
cargo install --quiet --debug --locked uniffi-bindgen-java --version "=$bindgen_version" --root "$tools"
cargo build --locked --quiet --release -p kissmon-kotlin
out="${1:-$here/src/main/java}"
rm -rf "$out/io/kissmon/ffi"
"$tools/bin/uniffi-bindgen-java" generate --out-dir "$out" "$target_dir/release/libkissmon_jvm.so" >/dev/null
test -f "$out/io/kissmon/ffi/NativeClient.java" || { echo "generate.sh: no NativeClient.java in $out/io/kissmon/ffi" >&2; exit 1; }
