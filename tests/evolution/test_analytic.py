"""Closed forms of population genetics against independent quadratures and exact chains."""

from __future__ import annotations

from decimal import Decimal, getcontext

import numpy as np
import pytest
import scipy.integrate as si

from quantgeo import analytic
from quantgeo.evolution import (
    LEARNING_DICTIONARY,
    kimura_fixation_probability,
    neutral_absorption_time,
    neutral_fixation_time,
    origin_fixation_generator,
    sella_hirsh_distribution,
    sella_hirsh_nu,
    shahshahani_metric,
    stationary_distribution,
    wright_bin_probabilities,
    wright_fisher_covariance,
    wright_stationary_density,
)


@pytest.mark.parametrize("four_ns", [0.0, 2.0, 10.0, -2.0])
def test_kimura_formula_equals_the_backward_equation_quadrature(four_ns):
    # u(p) = ∫_0^p ψ / ∫_0^1 ψ with ψ = exp(−∫ 2M/V) = e^{−4Ns y} (diploid, N = 50)
    n, s = 50, four_ns / 200
    for p in (0.01, 0.3, 0.9):
        num = si.quad(lambda y: np.exp(-four_ns * y), 0, p, epsrel=1e-13)[0]
        den = num + si.quad(lambda y: np.exp(-four_ns * y), p, 1, epsrel=1e-13)[0]
        assert float(kimura_fixation_probability(p, n, s)) == pytest.approx(num / den, rel=1e-12)


@pytest.mark.parametrize("four_ns", [-300.0, -1e-6, 1e-6, 800.0])
def test_kimura_formula_is_stable_at_extreme_selection(four_ns):
    # the naive (1 − e^{−Sp})/(1 − e^{−S}) in 60-digit decimal arithmetic as the reference
    getcontext().prec = 60
    for p in (0.01, 0.3, 0.9):
        big_s = Decimal(four_ns)
        ref = (1 - (-big_s * Decimal(p)).exp()) / (1 - (-big_s).exp())
        got = float(kimura_fixation_probability(p, 50, four_ns / 200))
        assert got == pytest.approx(float(ref), rel=1e-12), (p, got, ref)


def test_haploid_uses_2ns():
    assert float(kimura_fixation_probability(0.1, 100, 0.01, ploidy=1)) == pytest.approx(
        float(kimura_fixation_probability(0.1, 50, 0.01, ploidy=2)), rel=1e-14
    )


@pytest.mark.parametrize(("tu", "tv", "S"), [(2.0, 3.0, 0.0), (0.4, 0.7, 5.0), (1.5, 0.5, -20.0)])
def test_wright_density_is_normalised_and_bins_sum_to_one(tu, tv, S):
    n = 100
    u, v, s = tu / 400, tv / 400, S / 400
    tot = si.quad(
        lambda x: float(wright_stationary_density(x, n, s=s, u=u, v=v)),
        0,
        1,
        limit=200,
        points=[0.5],
    )[0]
    assert abs(tot - 1) < 1e-6  # quad of the singular ends
    bins = wright_bin_probabilities(np.linspace(0, 1, 11), n, s=s, u=u, v=v)
    assert abs(bins.sum() - 1) < 1e-9
    # one interior bin by direct quadrature
    mid = si.quad(
        lambda x: float(wright_stationary_density(x, n, s=s, u=u, v=v)), 0.4, 0.5, epsrel=1e-12
    )[0]
    assert bins[4] == pytest.approx(mid, rel=1e-9)


def test_neutral_times_limits():
    n = 100
    assert float(neutral_fixation_time(1e-9, n)) == pytest.approx(4 * n, rel=1e-6)
    assert float(neutral_fixation_time(0.0, n)) == 4 * n
    assert float(neutral_absorption_time(0.5, n)) == pytest.approx(4 * n * np.log(2), rel=1e-14)


@pytest.mark.parametrize(
    ("model", "ploidy"), [("wright-fisher", 1), ("wright-fisher", 2), ("moran", 1)]
)
def test_sella_hirsh_is_the_weak_mutation_stationary_law(model, ploidy):
    f = np.random.default_rng(1).normal(0.0, 0.05, 7)
    q = origin_fixation_generator(f, 30, ploidy=ploidy, model=model)
    pi = stationary_distribution(q)
    ref = sella_hirsh_distribution(f, sella_hirsh_nu(30, ploidy=ploidy, model=model))
    np.testing.assert_allclose(pi, ref, atol=1e-13)
    assert np.ptp(ref) > 0.05  # the law is far from uniform: the test can fail


def test_shahshahani_inverse_is_the_wright_fisher_covariance():
    x = np.array([0.1, 0.2, 0.3, 0.4])
    c = wright_fisher_covariance(x, 50) * 100
    g = shahshahani_metric(x)
    # on the tangent space Σ dx = 0: C g C = C (C is the inverse of g there)
    np.testing.assert_allclose(c @ g @ c, c, atol=1e-15)


def test_reexported_from_quantgeo_analytic():
    assert analytic.kimura_fixation_probability is kimura_fixation_probability
    assert analytic.wright_stationary_density is wright_stationary_density
    assert "temperature T" in LEARNING_DICTIONARY


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: kimura_fixation_probability(1.5, 10, 0.1), "`p` must lie in \\[0, 1\\]"),
        (lambda: kimura_fixation_probability(0.5, 0, 0.1), "`n` must be a positive integer"),
        (lambda: wright_stationary_density(0.5, 10, u=-1e-3, v=1e-3), "`u` must be positive"),
        (lambda: sella_hirsh_nu(10, model="x"), "`model` must be one of"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
