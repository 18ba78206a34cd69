"""The population-genetics and crossover scenario kinds: their messages for bad input, that a
run too short to relax or absorb fails its own expectations, and the grid bound of f_½."""

from __future__ import annotations

import pytest

import quantgeo.scenario as S
from quantgeo.errors import ScenarioError

FIXATION = """
[scenario]
kind = "wright_fisher_fixation"
seed = 2
[fixation]
n = 20
s = [0.05]
p0 = {p0}
ploidy = {ploidy}
replicates = 2000
generations = {gens}
[expect]
max_z = 3.0
max_unabsorbed = 0.0
"""

STATIONARY = """
[scenario]
kind = "wright_stationary"
seed = 4
[stationary]
n = 20
u = 0.025
v = 0.025
x0 = 0.0
replicates = 2000
generations = {gens}
bins = 10
[expect]
max_z = 3.0
"""

HET = """
[scenario]
kind = "neutral_heterozygosity"
[heterozygosity]
n = 25
x0 = {x0}
replicates = 2000
generations = 100
[expect]
max_z = 3.14
"""

CROSS = """
[scenario]
kind = "crossover_window"
[crossover]
eps_zeta = [1e-8, 1e-4, 1.0]
law = "{law}"
delta = {delta}
directions = {m}
[expect]
max_f_half_error = {tol}
max_edge_error = 1e-12
"""


def _run(text: str) -> S.ScenarioResult:
    return S.run_scenario(S.scenario_from_text(text, "x.toml"))


def test_fixation_passes_and_fails_when_not_absorbed() -> None:
    # N_g = 40: 30 N_g = 1200 generations absorb every replicate, 5 do not
    res = _run(FIXATION.format(p0=0.25, ploidy=2, gens=1200))
    assert res.passed, res.checks
    short = _run(FIXATION.format(p0=0.25, ploidy=2, gens=5))
    unabsorbed = {c.name: c for c in short.checks}["unabsorbed"]
    assert not short.passed and unabsorbed.value > 0.5


def test_stationary_fails_before_relaxation_and_passes_after() -> None:
    # from x = 0 the chain relaxes at rate ≥ u + v = 1/20 per generation
    assert _run(STATIONARY.format(gens=400)).passed
    early = _run(STATIONARY.format(gens=3))
    assert not early.passed and early.checks[0].value > 10


def test_heterozygosity_kind_passes() -> None:
    res = _run(HET.format(x0=[0.5, 0.5]))
    assert res.passed, res.checks


@pytest.mark.parametrize("law", ["sum", "product"])
def test_crossover_grid_bound(law: str) -> None:
    # the count on M cells is within 1/M of min(1, w/D); with 1/(10 M) it must fail for a window
    # edge that cuts a cell (εζ = 1e-4 is not aligned with the grid)
    assert _run(CROSS.format(law=law, delta=0.1, m=1000, tol=1e-3)).passed
    strict = _run(CROSS.format(law=law, delta=0.1, m=1000, tol=1e-4))
    assert not {c.name: c.passed for c in strict.checks}["f_half_error"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (FIXATION.format(p0=1.0, ploidy=2, gens=10), r"\[fixation\]\.p0: must be in \(0, 1\)"),
        (FIXATION.format(p0=0.5, ploidy=3, gens=10), r"\[fixation\]\.ploidy: must be 1 or 2"),
        (HET.format(x0=[0.5, 0.6]), r"\[heterozygosity\]\.x0: must be K ≥ 2 frequencies"),
        (STATIONARY.format(gens=10).replace("u = 0.025", "u = 0.0"), r"\[stationary\]\.u"),
        (CROSS.format(law="sum", delta=0.5, m=10, tol=1), r"\[crossover\]\.delta: must be in"),
        (CROSS.format(law="sums", delta=0.1, m=10, tol=1), r"\[crossover\]\.law"),
        (
            FIXATION.format(p0=0.5, ploidy=2, gens=10).split("[expect]")[0] + "[expect]\n",
            r"\[expect\]: no expectation given",
        ),
    ],
)
def test_bad_input_names_the_key(text: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        S.scenario_from_text(text, "x.toml")
