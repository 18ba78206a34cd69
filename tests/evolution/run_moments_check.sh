#!/usr/bin/env bash
# Cross-check Wright's density against moments-popgen in a virtual environment of its own
# (moments pins scipy < 1.17, which the main environment must not get).
# Usage (from the repository root): tests/evolution/run_moments_check.sh [VENV_DIR]
# VENV_DIR defaults to .venv-moments; it is made once (marked complete only after a successful
# install, so an interrupted install is redone) and reused.
set -euo pipefail
venv="${1:-.venv-moments}"
if [ ! -f "$venv/.complete" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q -e . "pytest>=8" "moments-popgen>=1.6"
    touch "$venv/.complete"
fi
"$venv/bin/python" -m pytest -q -p no:cacheprovider -o addopts="" \
    tests/evolution/moments_reference_check.py
