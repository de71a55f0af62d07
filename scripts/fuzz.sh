#!/usr/bin/env bash
# Fuzzes the decoder (kissmon::decode_line) and the monitor's line framing
# (bytes split into arbitrary reads) with cargo-fuzz and libFuzzer, seeded
# from the conformance corpus, and prints how many executions each ran.
#
#   bash scripts/fuzz.sh [DECODER_RUNS] [FRAMING_RUNS]    # defaults: 10000000 and 50000
#
# cargo-fuzz needs a nightly toolchain (it passes -Z sanitizer flags); it is
# installed with `cargo install cargo-fuzz` when missing. Findings land in
# fuzz/artifacts/ (not committed): each crash becomes a conformance case.
set -euo pipefail
cd "$(dirname "$0")/.."
DECODER_RUNS="${1:-10000000}"
FRAMING_RUNS="${2:-50000}"

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "scripts/fuzz.sh: cargo-fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# Seeds: every decode case's input line; for the framing target, the same
# lines joined by newlines, as reads of 64 bytes (the target's script format).
python3 - <<'PY'
import base64, glob, json, os
dec, fra = "fuzz/corpus/decode_line", "fuzz/corpus/framing"
os.makedirs(dec, exist_ok=True); os.makedirs(fra, exist_ok=True)
lines = []
for path in sorted(glob.glob("conformance/cases/decode*.jsonl")):
    for raw in open(path, encoding="utf-8"):
        case = json.loads(raw)
        if "input" in case:
            line = case["input"].encode("utf-8")
        elif "input_base64" in case:
            line = base64.b64decode(case["input_base64"])
        else:
            continue
        lines.append(line)
        name = case["id"].replace("/", "_")
        open(os.path.join(dec, name), "wb").write(line)
stream = b"\n".join(lines) + b"\n"
for i in range(0, len(stream), 4000):
    part = stream[i:i + 4000]
    script = b"".join(bytes([63]) + part[j:j + 64] for j in range(0, len(part), 64))
    open(os.path.join(fra, "corpus-%04d" % (i // 4000)), "wb").write(script)
print("fuzz: %d seed lines from conformance/cases" % len(lines))
PY

run() {
  local target="$1" runs="$2" log="fuzz/$1.log"
  echo "fuzz: $target, $runs executions (libFuzzer, AddressSanitizer; machine shared with other builds)"
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -runs="$runs" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096) 2>&1 | tee "$log" | grep -E '^#[0-9]+ +(INITED|DONE)|^Done|stat::|ERROR|panicked' || true
  local done
  done=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo 0)
  if grep -qE 'ERROR: libFuzzer|panicked|deadly signal' "$log"; then
    echo "fuzz: $target FOUND A CRASH after $done executions; the input is in fuzz/artifacts/$target/" >&2
    return 1
  fi
  echo "fuzz: $target ran $done executions, no crash"
}
run decode_line "$DECODER_RUNS"
run framing "$FRAMING_RUNS"
