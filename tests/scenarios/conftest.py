"""Fixtures of the scenario tests: the bundled files and one `quantgeo validate` run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from quantgeo.scenario import bundled_scenarios_dir

SCENARIO_DIR = bundled_scenarios_dir()
SCENARIO_FILES = sorted(SCENARIO_DIR.glob("*.toml")) if SCENARIO_DIR is not None else []


def quantgeo_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m quantgeo.cli``."""
    exe = shutil.which("quantgeo", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "quantgeo.cli"]


@pytest.fixture(scope="session")
def validate_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """`quantgeo validate` with no arguments, run once per session from an empty folder."""
    cwd = tmp_path_factory.mktemp("validate")
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning")
    return subprocess.run(
        [*quantgeo_command(), "validate"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
