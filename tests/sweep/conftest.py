"""Tiny scenarios for the sweep tests (each point runs in well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY = """\
[scenario]
name = "tiny_trap"
description = "A coherent state in a harmonic trap on 64 sites (spectral kinetic operator)."

[lattice]
shape = 64
bounds = [-8.0, 8.0]

[hamiltonian]
kinetic = "spectral"

[hamiltonian.potential]
type = "harmonic"
omega = 1.0

[initial_state]
type = "coherent"
center = 1.0

[solver]
dt = 0.05
t_end = 1.0
scheme = "strang"

[record]
every = 0.5

[expect]
max_norm_drift = 1e-12
max_energy_drift = 1e-3

[[expect.analytic]]
check = "coherent_state"
tolerance = 1e-3
"""

#: Overrides that make the bundled born_ensemble scenario (fast mode) run in about a second.
BORN_SMALL = {
    "lattice.shape": [32, 32],
    "born.a": [0.0, 1.0],
    "born.every": 0.25,
}


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A 64-site trap scenario: with strang at dt = 0.1 and mass 2 its checks fail."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture
def born_file() -> Path:
    from quantgeo.scenario import bundled_scenarios_dir

    d = bundled_scenarios_dir()
    assert d is not None
    return d / "born_ensemble.toml"
