#!/usr/bin/env bash
# Builds libkissmon.a (release, via bindings/c/build-lib.sh) and copies it to
# bindings/go/lib/, where the cgo directives link it by full path.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lib_dir="$(bash "$here/../c/build-lib.sh")"
mkdir -p "$here/lib"
cp "$lib_dir/libkissmon.a" "$here/lib/libkissmon.a.tmp"
mv "$here/lib/libkissmon.a.tmp" "$here/lib/libkissmon.a"
echo "$here/lib/libkissmon.a"
