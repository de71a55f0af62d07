#!/usr/bin/env bash
# Builds, lints and tests the Python package `kissmon`; run by scripts/test.sh.
# Installs what it needs (maturin, pytest, ruff, mypy) into venvs under
# $CARGO_TARGET_DIR (default <repo>/target), so the Rust build shares that dir.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export RUFF_CACHE_DIR="$CARGO_TARGET_DIR/py-ruff-cache"
export MYPY_CACHE_DIR="$CARGO_TARGET_DIR/py-mypy-cache"
python="${PYTHON:-python3}"
venv="$CARGO_TARGET_DIR/py-venv"
wheel_venv="$CARGO_TARGET_DIR/py-venv-wheel"
wheels="$CARGO_TARGET_DIR/py-wheels"
pip_flags=(--quiet --disable-pip-version-check)

step() { printf '\n-- python: %s (at %ss)\n' "$*" "$SECONDS"; }

step "venv with maturin, pytest, ruff, mypy ($venv)"
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install "${pip_flags[@]}" "maturin>=1.16,<2" "pytest>=7" "ruff>=0.6" "mypy>=1.10"

cd "$repo"
step "pip install ./bindings/python (the users' install)"
"$venv/bin/python" -m pip install "${pip_flags[@]}" --force-reinstall --no-deps ./bindings/python

step "lint: rustfmt, clippy, ruff, mypy --strict"
cargo fmt -p kissmon-python --check
cargo clippy -p kissmon-python --all-targets --quiet -- -D warnings
cd "$here"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
"$venv/bin/mypy" --strict python/kissmon conformance

step "pytest against the pip-installed package"
# Run from tests' parent: the package is imported from the venv, never from python/.
"$venv/bin/python" -m pytest -p no:cacheprovider tests

step "the wheel that maturin builds, installed in a second venv ($wheel_venv)"
rm -rf "$wheels"
"$venv/bin/maturin" build --release --quiet -m "$here/Cargo.toml" -o "$wheels"
if [ ! -x "$wheel_venv/bin/python" ]; then
  "$python" -m venv "$wheel_venv"
  "$wheel_venv/bin/python" -m pip install "${pip_flags[@]}" "pytest>=7"
fi
"$wheel_venv/bin/python" -m pip install "${pip_flags[@]}" --force-reinstall --no-index "$wheels"/kissmon-*.whl
"$wheel_venv/bin/python" -m pytest -p no:cacheprovider -q tests/test_client.py tests/test_stubs.py
