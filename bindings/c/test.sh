#!/usr/bin/env bash
# Tests of the C library: Rust tests of the exported functions and of header drift,
# the README example, and C programs compiled with gcc -Werror against the
# static and the shared library, run against real Unix-socket monitors.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

echo "-- cargo test -p kissmon-c (exported functions, header_is_current)"
cargo test --locked -p kissmon-c

lib_dir="$(bash "$here/build-lib.sh")"
export PKG_CONFIG_PATH="$lib_dir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
out="$lib_dir/c-tests"
mkdir -p "$out"

# Header drift is the cargo test header_is_current above: the build writes
# the fresh header to OUT_DIR only, and the test compares it with this one.
header=bindings/c/include/kissmon.h

echo "-- the README's C example is examples/basic_bot.c"
readme_example="$(awk '/<!-- example: examples\/basic_bot.c -->/{grab=1; next} grab && /^```c$/{inside=1; next} inside && /^```$/{exit} inside{print}' bindings/c/README.md)"
if [ "$readme_example" != "$(cat bindings/c/examples/basic_bot.c)" ]; then
  echo "FAIL: the example in bindings/c/README.md differs from bindings/c/examples/basic_bot.c" >&2
  diff <(printf '%s\n' "$readme_example") bindings/c/examples/basic_bot.c >&2 || true
  exit 1
fi

echo "-- compile (gcc -Werror, C11 and C++)"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -O1 -g)
read -ra static_link <<<"$(pkg-config --cflags --libs kissmon-static)"
read -ra shared_link <<<"$(pkg-config --cflags --libs kissmon)"
g++ -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c++ "$header"
gcc "${cflags[@]}" bindings/c/examples/basic_bot.c "${static_link[@]}" -o "$out/basic_bot_static"
gcc "${cflags[@]}" bindings/c/examples/basic_bot.c "${shared_link[@]}" -Wl,-rpath,"$lib_dir" -o "$out/basic_bot_shared"
for test in test_api test_sigpipe test_example; do
  gcc "${cflags[@]}" -D_GNU_SOURCE -Ibindings/c/tests/c "bindings/c/tests/c/$test.c" "${static_link[@]}" -o "$out/$test"
done
# ldd's output is captured first: with pipefail, `ldd | grep -q` fails
# whenever grep exits before ldd has finished writing (SIGPIPE).
static_deps="$(ldd "$out/basic_bot_static")"
shared_deps="$(ldd "$out/basic_bot_shared")"
if grep -q libkissmon <<<"$static_deps"; then
  echo "FAIL: basic_bot_static links libkissmon.so" >&2
  exit 1
fi
grep -q "libkissmon.so => $lib_dir" <<<"$shared_deps" || {
  echo "FAIL: basic_bot_shared does not load $lib_dir/libkissmon.so" >&2
  exit 1
}

echo "-- ABI check: a program built for this ABI links, one built for another does not"
abi_program() {
  printf 'void kissmon_abi_v%s(void);\nint main(void) { kissmon_abi_v%s(); return 0; }\n' "$1" "$1" >"$out/abi_v$1.c"
}
abi_program 2
gcc "$out/abi_v2.c" "${static_link[@]}" -o "$out/abi_v2"
abi_program 1
if gcc "$out/abi_v1.c" "${static_link[@]}" -o "$out/abi_v1" 2>"$out/abi_v1.log"; then
  echo "FAIL: a program expecting kissmon_abi_v1 linked against this library" >&2
  exit 1
fi
grep -q "undefined reference to .kissmon_abi_v1" "$out/abi_v1.log" || {
  echo "FAIL: the mismatched link failed for another reason:" >&2
  cat "$out/abi_v1.log" >&2
  exit 1
}

echo "-- run"
passed=0
failed=0
run() {
  echo "$ $*"
  if "$@"; then passed=$((passed + 1)); else
    echo "FAIL: $* (exit $?)" >&2
    failed=$((failed + 1))
  fi
}
run "$out/test_api"
run "$out/test_sigpipe"
run "$out/test_example" "$out/basic_bot_static"
run "$out/test_example" "$out/basic_bot_shared"
echo "c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
