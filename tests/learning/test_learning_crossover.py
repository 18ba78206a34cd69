"""CrossoverMetric: local exponent, limits of CovariantGD, the a = ½ window and f_½."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.optimize as so

from quantgeo.learning import CovariantGD, CrossoverMetric, measured_a_eff

LAWS = ("sum", "product")


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize(("eps", "zeta"), [(1e-4, 1e-4), (1e-2, 10.0), (3.0, 0.5)])
def test_a_eff_equals_finite_difference(law, eps, zeta):
    m = CrossoverMetric(eps, zeta, c=2.0, law=law)
    lam = np.geomspace(1e-8, 1e8, 33)
    h = 1e-4  # central difference in ln λ: error ~h²·a''' ≲ 1e-9
    fd = (np.log(m.phi(lam * math.exp(h))) - np.log(m.phi(lam * math.exp(-h)))) / (2 * h)
    np.testing.assert_allclose(m.a_eff(lam), fd, atol=1e-8)


@pytest.mark.parametrize("law", LAWS)
def test_a_eff_reaches_the_three_regimes(law):
    m = CrossoverMetric(1e-4, 1e-4, law=law)  # εζ = 1e-8, λ* = 1
    assert float(m.a_eff(1e-10)) < 1e-5
    assert abs(float(m.a_eff(1.0)) - 0.5) < 1e-14  # exactly ½ at λ* = √(ε/ζ)
    assert float(m.a_eff(1e10)) > 1 - 1e-5


@pytest.mark.parametrize("law", LAWS)
def test_covariant_gd_limits_are_the_power_law_updates(law):
    rng = np.random.default_rng(1)
    kap = rng.uniform(0.5, 2.0, 4)
    a_mat = rng.normal(size=(4, 4))
    kfull = a_mat @ a_mat.T + np.eye(4)
    grad = rng.normal(size=4)
    q = np.zeros(4)
    for kappa in (kap, kfull):
        lam_max = float(
            np.max(np.linalg.eigvalsh(np.atleast_2d(np.diag(kappa) if kappa.ndim == 1 else kappa)))
        )
        cases = [
            # (metric, equivalent power a, its c): ε ≫ κ → a = 0; ε = ζ = 0 → ½; ζκ² ≫ ε + bκ → 1
            (
                CrossoverMetric(1e12 * lam_max, 0.0, c=3.0, law=law),
                0.0,
                3.0 * 1e6 * math.sqrt(lam_max),
            ),
            (CrossoverMetric(0.0, 0.0, c=3.0, law=law), 0.5, 3.0),
            (CrossoverMetric(0.0, 1e24 / lam_max**2, c=3.0, law=law), 1.0, 3.0 * 1e12 / lam_max),
        ]
        for metric, a, c in cases:

            def kfun(_q, kappa=kappa):
                return kappa

            ours = CovariantGD(metric, 0.1, moments="exact", kappa=kfun, eps=0.0)
            ref = CovariantGD(a, 0.1, c=c, moments="exact", kappa=kfun, eps=0.0)
            d1, _ = ours.direction(q, grad, ours.init(q))
            d2, _ = ref.direction(q, grad, ref.init(q))
            np.testing.assert_allclose(d1, d2, rtol=1e-10, atol=0)


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("ez", [1e-8, 1e-3, 1.0, 1e3, 1e8])
def test_window_thresholds_equal_numerical_roots(law, ez):
    m = CrossoverMetric(math.sqrt(ez) * 0.3, math.sqrt(ez) / 0.3, law=law)
    delta = 0.1
    lo, hi, width = m.window(delta)
    star = m.kappa_star

    def f(t, sign):
        return float(m.a_eff(math.exp(t))) - 0.5 - sign * delta

    t_hi = so.brentq(f, math.log(star), math.log(star) + 80, args=(1,), xtol=1e-14, rtol=1e-15)
    t_lo = so.brentq(f, math.log(star) - 80, math.log(star), args=(-1,), xtol=1e-14, rtol=1e-15)
    assert math.log(hi) == pytest.approx(t_hi, abs=1e-10)
    assert math.log(lo) == pytest.approx(t_lo, abs=1e-10)
    assert width == pytest.approx((t_hi - t_lo) / math.log(10), abs=1e-10)
    assert math.sqrt(lo * hi) == pytest.approx(star, rel=1e-10)  # centred on λ*


def test_window_widths_of_the_two_laws():
    d = 0.1
    floor = 2 * math.log10((1 - 2 * d) / (2 * d))
    for ez in (1e-12, 1e-8):
        for law in LAWS:
            w = CrossoverMetric(math.sqrt(ez), math.sqrt(ez), law=law).window_width(d)
            assert w == pytest.approx(-math.log10(ez) - floor, abs=1e-3)
    # εζ ≫ 1: the product window reopens (ε ↔ 1/ζ symmetry), the sum window closes
    prod = CrossoverMetric(1e4, 1e4, law="product")
    assert prod.window_width(d) == pytest.approx(
        CrossoverMetric(1e-4, 1e-4, law="product").window_width(d), rel=1e-12
    )
    assert prod.window_width(d) == pytest.approx(prod.window_width_asymptotic(d), abs=1e-3)
    closed = CrossoverMetric(1e4, 1e4, law="sum").window_width(d)
    # limit as εζ → ∞, approached with a correction O(δ/√(εζ)) = 1e-5 here
    assert closed == pytest.approx(math.log10((1 + 2 * d) / (1 - 2 * d)), abs=5e-5)
    # at εζ = 1 the exact product width is 2 log10((1+2δ)/(1−2δ)) (the asymptote is negative)
    one = CrossoverMetric(1.0, 1.0, law="product").window_width(d)
    assert one == pytest.approx(2 * math.log10((1 + 2 * d) / (1 - 2 * d)), rel=1e-12)


@pytest.mark.parametrize("law", LAWS)
def test_f_half_of_a_log_uniform_spectrum(law):
    m = CrossoverMetric(1e-3, 1e-3, law=law)  # λ* = 1, width ≈ 4.8 decades
    lam = np.exp(np.linspace(math.log(1e-4), math.log(1e4), 400_001))
    assert m.f_half(lam) == pytest.approx(m.f_half(), abs=1e-4)
    assert 0.5 < m.f_half() < 0.7


@pytest.mark.parametrize("law", LAWS)
def test_measured_a_eff_from_an_ensemble(law):
    m = CrossoverMetric(1e-3, 1e-3, law=law)
    lam = np.geomspace(1e-6, 1e6, 13)
    _mid, a, se = measured_a_eff(m, lam, samples=20_000, seed=3)
    # the measurement is the secant slope of ln φ between neighbouring directions
    secant = np.diff(np.log(m.phi(lam))) / np.diff(np.log(lam))
    assert np.all(np.abs(a - secant) <= 4 * se), (a, secant, se)
    assert np.max(se) < 0.005


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eps": 1e-3, "zeta": -1.0}, "`zeta` must be non-negative"),
        ({"eps": -1e-3, "zeta": 1.0}, "`eps` must be non-negative"),
        ({"eps": 1e-3, "zeta": 1.0, "law": "max"}, "`law` must be one of 'sum', 'product'"),
        ({"eps": 1e-3, "zeta": 1.0, "c": 0.0}, "`c` must be positive"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        CrossoverMetric(**kwargs)
