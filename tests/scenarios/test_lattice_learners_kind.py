"""The ``lattice_learners`` scenario kind: its checks run the learners and its bad input is
reported with the file, the table and the key."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from quantgeo.errors import ScenarioError
from quantgeo.scenario import run_scenario, scenario_from_text

from .conftest import SCENARIO_DIR

BASE = (
    (Path(SCENARIO_DIR) / "lattice_learners.toml").read_text(encoding="utf-8")
    if SCENARIO_DIR is not None
    else ""
)

SMALL = """
[scenario]
name = "small_learners"
kind = "lattice_learners"
seed = 7

[lattice]
shape = 128
bounds = [-8.0, 8.0]

[hamiltonian]
kinetic = "lattice"

[hamiltonian.potential]
type = "harmonic"
omega = 1.0

[initial_state]
type = "coherent"
center = 1.5

[learners]
t_end = 1.0
every = 0.2
a = [1.0]
learners = 4000

[expect]
max_z_a1 = 3.5
"""


def _with(text: str, table: str, line: str) -> str:
    """``text`` with ``line`` added at the top of ``[table]``."""
    return text.replace(f"[{table}]\n", f"[{table}]\n{line}\n", 1)


def test_small_scenario_runs_and_passes():
    result = run_scenario(scenario_from_text(SMALL, "small.toml"))
    (check,) = result.checks
    assert check.name == "z_a1" and check.bound == "max"
    assert 0.0 <= check.value <= 3.5, check
    assert "5 records" in check.detail
    assert result.passed
    (summary,) = result.info["learners"]
    assert summary["walkers"] == 4000 and summary["a"] == 1.0
    assert len(summary["times"]) == 6 and math.isclose(summary["times"][-1], 1.0)


@pytest.mark.parametrize(
    ("line", "table", "message"),
    [
        ("a = [1.0, 1.5]", "learners", "[learners].a: every exponent must lie in [0, 1], got 1.5"),
        ("a = [0.5]", "learners", "[learners].a: must include 1.0 for the a = 1 expectations"),
        ("every = 0.125", "learners", "[learners].every: must be a multiple of refresh = 0.01"),
        ("every = 0.5", "learners", "[learners].every: `max_z_a1` needs ≥ 5 record times"),
        ("learners = 0", "learners", "[learners].learners"),
        ('rule = "right"', "learners", "[learners].rule"),
        ("min_z_end_other = 10.0", "expect", "[learners].a: must include an a ≠ 1"),
    ],
)
def test_bad_input_names_the_key(line, table, message):
    text = SMALL.replace("every = 0.2\n", "") if line.startswith("every") else SMALL
    text = text.replace("a = [1.0]\n", "") if line.startswith("a =") else text
    with pytest.raises(ScenarioError) as err:
        scenario_from_text(_with(text, table, line), "bad.toml")
    assert "bad.toml" in str(err.value)
    assert message in str(err.value), str(err.value)


@pytest.mark.skipif(SCENARIO_DIR is None, reason="no bundled scenarios")
def test_bundled_file_separates_the_family():
    """The bundled file's fast variant: a = 1 at the floor, a ∈ {0, ½} ≥ 10 floor SD away."""
    result = run_scenario(scenario_from_text(BASE, "lattice_learners.toml", fast=True))
    checks = {c.name: c for c in result.checks}
    assert result.passed, result.checks
    assert checks["z_end_other"].value >= 10.0
    assert [s["a"] for s in result.info["learners"]] == [0.0, 0.5, 1.0]
