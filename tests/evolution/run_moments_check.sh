#!/usr/bin/env bash
# Cross-check Wright's density against moments-popgen in a virtual environment of its own
# (moments pins scipy < 1.17, which the main environment must not get).
# Usage (from the repository root): tests/evolution/run_moments_check.sh [VENV_DIR]
# VENV_DIR defaults to .venv-moments; it is created once and reused.
set -euo pipefail
venv="${1:-.venv-moments}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -e ".[test]" "moments-popgen>=1.6"
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/evolution/moments_reference_check.py
