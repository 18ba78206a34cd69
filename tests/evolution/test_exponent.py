"""The exponent question (THEORY §3), decided by measurement: Wright–Fisher realises a = 1."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.evolution import (
    WrightFisher,
    measured_exponent,
    moran_increments,
    wright_fisher_increments,
)
from quantgeo.learning import LangevinEnsemble, LearningProblem, Polynomial
from quantgeo.recording import Recorder


def test_wright_fisher_two_alleles_is_a_equals_one():
    wf = WrightFisher(100, None, n_alleles=2, seed=2)
    p = np.array([0.01, 0.03, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97])
    cov, mob = wright_fisher_increments(wf, np.stack([p, 1 - p], axis=1), replicates=20_000)
    fit = measured_exponent(cov, mob)
    assert fit.n_points == p.size  # the null direction (1, 1) is dropped
    assert abs(fit.slope - 1.0) <= 3 * fit.slope_se + 1e-3, fit
    assert abs(fit.a - 1.0) <= 3 * fit.a_se + 1e-3, fit
    assert fit.slope_se < 0.02  # a measurement, not a tautology
    # intercept: Cov = mobility / N_g
    assert abs(fit.intercept - np.log(1 / 200)) < 0.05


def test_wright_fisher_five_alleles_is_a_equals_one():
    rng = np.random.default_rng(4)
    states = rng.dirichlet(np.full(5, 0.7), size=8)
    wf = WrightFisher(100, None, n_alleles=5, seed=3)
    cov, mob = wright_fisher_increments(wf, states, replicates=20_000)
    fit = measured_exponent(cov, mob)
    assert fit.n_points == 8 * 4
    assert abs(fit.a - 1.0) <= 3 * fit.a_se + 1e-3, fit


def test_moran_is_a_equals_one():
    rng = np.random.default_rng(6)
    states = rng.dirichlet(np.full(3, 0.8), size=8)
    cov, mob = moran_increments(100, states, replicates=50_000, seed=2)
    fit = measured_exponent(cov, mob)
    assert abs(fit.a - 1.0) <= 3 * fit.a_se + 1e-3, fit
    # one event: Cov = 2·mobility/n
    assert abs(fit.intercept - np.log(2 / 100)) < 0.05


@pytest.mark.parametrize("a", [0.5, 1.0, 0.25])
def test_learning_ensemble_exponent_is_recovered(a):
    # one Euler step from q = 0 of dq = −γ g⁻¹(∇H dt + √κ dW), g = κ^a, for constant κ values:
    # Cov(Δq) = γ² κ^{1−2a} dt; mobility from two forces with common random numbers
    kappas = np.geomspace(0.1, 10.0, 6)
    x = Polynomial.variable(0, 1)
    covs, mobs = [], []
    for k in kappas:
        means, var = [], 0.0
        for f in (1.0, 2.0):
            ens = LangevinEnsemble(
                LearningProblem(x * f, [[float(k)]]), a, dt=1.0, n_walkers=20_000, seed=7
            )
            tr = ens.run(
                [0.0],
                (0.0, 1.0),
                recorder=Recorder(observables=("mean", "cov"), store_states=False),
            )
            means.append(float(tr["mean"][-1][0]))
            var = float(tr["cov"][-1][0, 0])
        covs.append(var)
        mobs.append(means[0] - means[1])  # = γ g⁻¹ · (2 − 1)·dt
    fit = measured_exponent(np.array(covs), np.array(mobs))
    assert abs(fit.a - a) <= 3 * fit.a_se + 1e-3, fit
    fit_k = measured_exponent(np.array(covs), kappas, against="kappa")
    assert abs(fit_k.a - a) <= 3 * fit_k.a_se + 1e-3, fit_k


def test_constant_mobility_is_reported_as_a_zero():
    with pytest.raises(ValueError, match="constant mobility is a = 0"):
        measured_exponent(np.array([1.0, 1.1, 0.9]), np.ones(3))


def test_bad_shapes():
    with pytest.raises(ValueError, match="`cov` and `scale` must both have shape"):
        measured_exponent(np.ones(3), np.ones(4))
