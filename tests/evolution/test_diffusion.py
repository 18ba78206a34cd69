"""KimuraDiffusion against Kimura's formulas (fitted order) and Wright's density."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.evolution import (
    KimuraDiffusion,
    kimura_fixation_probability,
    neutral_absorption_time,
    neutral_fixation_time,
    wright_bin_probabilities,
)
from tests.conftest import fit_order

N = 100
CELLS = np.array([40, 80, 160, 320, 640])


@pytest.mark.convergence
@pytest.mark.parametrize("four_ns", [2.0, 10.0, -2.0])
def test_fixation_probability_converges_at_second_order(four_ns):
    s = four_ns / (4 * N)
    kd = KimuraDiffusion(N, s)
    ref = float(kimura_fixation_probability(0.1, N, s))
    err = np.array([abs(float(kd.fixation_probability(0.1, cells=m)) - ref) for m in CELLS])
    order = fit_order(1.0 / CELLS, err)
    assert abs(order - 2.0) < 0.1, (order, err)  # central differences: order 2
    assert err[-1] <= 1e-4


def test_neutral_fixation_probability_is_exact():
    # φ(x) = x solves the discrete equations exactly (M = 0, V φ'' = 0)
    kd = KimuraDiffusion(N, 0.0)
    p = np.linspace(0, 1, 11)
    np.testing.assert_allclose(kd.fixation_probability(p, cells=100), p, atol=1e-12)


@pytest.mark.convergence
def test_neutral_mean_times_converge():
    kd = KimuraDiffusion(N, 0.0)
    # the log singularities at the walls make the node scheme first order
    e_abs = [
        abs(float(kd.mean_absorption_time(0.3, cells=m)) - float(neutral_absorption_time(0.3, N)))
        for m in CELLS
    ]
    e_fix = [
        abs(float(kd.mean_fixation_time(0.3, cells=m)) - float(neutral_fixation_time(0.3, N)))
        for m in CELLS
    ]
    assert fit_order(1.0 / CELLS, np.array(e_abs)) > 0.9
    assert fit_order(1.0 / CELLS, np.array(e_fix)) > 0.9
    assert e_abs[-1] / float(neutral_absorption_time(0.3, N)) < 2e-3
    assert e_fix[-1] / float(neutral_fixation_time(0.3, N)) < 2e-3


@pytest.mark.convergence
def test_stationary_density_matches_wright():
    theta_u, theta_v, four_ns = 2.0, 3.0, 4.0
    u, v, s = theta_u / (4 * N), theta_v / (4 * N), four_ns / (4 * N)
    kd = KimuraDiffusion(N, s, u, v)
    cells = np.array([50, 100, 200, 400])
    tvs = []
    for m in cells:
        _, p = kd.stationary_density(cells=m)
        ref = wright_bin_probabilities(np.linspace(0, 1, m + 1), N, s=s, u=u, v=v)
        tvs.append(0.5 * np.abs(p / m - ref).sum())
    order = fit_order(1.0 / cells, np.array(tvs))
    assert order > 1.8, (order, tvs)
    assert tvs[-1] < 2e-5


def test_transient_absorbed_mass_tends_to_fixation_probability():
    s = 0.01
    kd = KimuraDiffusion(N, s, dt=1.0)
    tr = kd.run(0.2, (0.0, 5000.0), cells=320)
    ref = float(kimura_fixation_probability(0.2, N, s))
    assert abs(tr["fixed"][-1] - ref) < 1e-4
    assert abs(tr["lost"][-1] + tr["fixed"][-1] - 1.0) < 1e-6  # everything absorbed
    np.testing.assert_allclose(tr.states.sum(axis=1), 1.0, atol=1e-12)  # mass conserved


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n": 0}, "`n` must be a positive integer"),
        ({"n": 10, "u": -1e-3, "v": 1e-3}, "`u` must be non-negative"),
        ({"n": 10, "u": 1e-3}, "`u` and `v` must be both zero"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        KimuraDiffusion(**kwargs)


def test_coarse_grid_is_refused():
    with pytest.raises(ValueError, match="`cells` = 10 is too coarse"):
        KimuraDiffusion(N, 0.5).fixation_probability(0.5, cells=10)


def test_reflecting_transient_relaxes_to_wright():
    # with mutation the transient is the learning FokkerPlanck run; it must end at the
    # stationary cell densities (the relaxation rate is ≥ u + v = 1/80 per generation)
    n, m = 50, 100
    u, v, s = 2.0 / (4 * n), 3.0 / (4 * n), 2.0 / (4 * n)
    kd = KimuraDiffusion(n, s, u, v, dt=2.0)
    tr = kd.run(0.5, (0.0, 3000.0), cells=m)
    assert tr.states is not None
    _, p_inf = kd.stationary_density(cells=m)
    assert 0.5 * np.abs(tr.states[-1] - p_inf).sum() / m < 1e-8
    ref = wright_bin_probabilities(np.linspace(0, 1, m + 1), n, s=s, u=u, v=v)
    assert 0.5 * np.abs(tr.states[-1] / m - ref).sum() < 2e-3
