#!/usr/bin/env bash
# Tests of the Go module: builds the static library fresh, then gofmt, go vet,
# go test and go test -race (real Unix sockets). The conformance corpus runs
# through conformance/run.sh, with the adapter in conformance/.
# The benchmark is separate: see README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"

echo "-- build libkissmon.a"
bash build-lib.sh

echo "-- gofmt"
unformatted="$(gofmt -l .)"
if [ -n "$unformatted" ]; then
  echo "FAIL: not gofmt-formatted: $unformatted" >&2
  exit 1
fi

echo "-- the README's example is Example in example_test.go"
readme_example="$(awk '/<!-- example: example_test.go -->/{grab=1; next} grab && /^```go$/{inside=1; next} inside && /^```$/{exit} inside{print}' README.md)"
test_example="$(sed -n '/\/\/ README example begins/,/\/\/ README example ends/p' example_test.go | sed '1d;$d;s/^\t//')"
if [ -z "$readme_example" ] || [ "$readme_example" != "$test_example" ]; then
  echo "FAIL: the example in bindings/go/README.md differs from Example in example_test.go" >&2
  diff <(printf '%s\n' "$readme_example") <(printf '%s\n' "$test_example") >&2 || true
  exit 1
fi

echo "-- go vet"
go vet ./...

echo "-- go test"
go test -count=1 ./...

echo "-- go vet and a linked program with -tags kissmon_pkgconfig (the library through pkg-config: here the checkout's build)"
PKG_CONFIG_PATH="$(bash ../c/build-lib.sh)" go vet -tags kissmon_pkgconfig ./...
PKG_CONFIG_PATH="$(bash ../c/build-lib.sh)" go build -tags kissmon_pkgconfig -o /dev/null ./conformance

echo "-- go test -race"
go test -count=1 -race ./...
