"""Wright's stationary density against moments-popgen, run from the main test suite.

moments-popgen pins scipy < 1.17, so it cannot share the main environment: the check runs in a
virtual environment of its own (``.venv-moments`` at the repository root, made by
``tests/evolution/run_moments_check.sh``; ``.ci/run`` makes it before the tests).  When it is
missing this test makes it, and a failure to install is a test failure, never a skip.  The
assertions themselves (tolerance 1e-12 and why) are in ``moments_reference_check.py``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "evolution" / "run_moments_check.sh"


def test_moments_steady_states_equal_wright_density() -> None:
    proc = subprocess.run(
        ["bash", str(SCRIPT), str(ROOT / ".venv-moments")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "4 passed" in out, out[-4000:]
