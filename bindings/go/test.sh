#!/usr/bin/env bash
# Tests of the Go module: builds the static library fresh, then gofmt, go vet,
# go test and go test -race (the whole conformance corpus, real Unix sockets).
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

echo "-- go vet"
go vet ./...

echo "-- go test"
go test -count=1 ./...

echo "-- go test -race"
go test -count=1 -race ./...
