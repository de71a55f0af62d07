#!/usr/bin/env bash
# Builds libkissmon_jvm.so with cargo (release, in the workspace's target/ or
# $CARGO_TARGET_DIR) and copies it into the folder given, which Maven packs
# into the jar: bash build-native.sh <dest dir>. Called by pom.xml.
set -euo pipefail
dest="${1:?usage: build-native.sh <dest dir>}"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
cargo build --locked --quiet --release -p kissmon-kotlin
target_dir="${CARGO_TARGET_DIR:-$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')}"
lib="$target_dir/release/libkissmon_jvm.so"
test -f "$lib" || { echo "build-native.sh: cargo did not produce $lib" >&2; exit 1; }
mkdir -p "$dest"
cp "$lib" "$dest/libkissmon_jvm.so.partial"
mv "$dest/libkissmon_jvm.so.partial" "$dest/libkissmon_jvm.so"
