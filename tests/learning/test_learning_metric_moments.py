"""Metric ``g = c·[(κ + eps)^a + delta]`` and EMA moments against independent formulas."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import fractional_matrix_power

from quantgeo.learning import EMAMoments, apply_inverse_metric, inverse_metric, metric
from quantgeo.learning.metric import matrix_function_derivative


def _spd(rng: np.random.Generator, k: int) -> np.ndarray:
    m = rng.standard_normal((k, k))
    return m @ m.T / k + 0.1 * np.eye(k)


@pytest.mark.parametrize("a", [0.0, 0.25, 0.5, 1.0, 1.5])
def test_full_metric_is_matrix_power(rng: np.random.Generator, a: float) -> None:
    kap = _spd(rng, 4)
    c, eps = 1.7, 0.05
    ref = c * np.real(fractional_matrix_power(kap + eps * np.eye(4), a))
    np.testing.assert_allclose(metric(kap, a, c=c, eps=eps), ref, rtol=1e-11, atol=1e-13)
    ginv = inverse_metric(kap, a, c=c, eps=eps)
    np.testing.assert_allclose(ginv @ ref, np.eye(4), atol=1e-11)
    v = rng.standard_normal(4)
    np.testing.assert_allclose(
        apply_inverse_metric(kap, v, a, c=c, eps=eps), np.linalg.solve(ref, v), rtol=1e-11
    )


def test_diagonal_metric_matches_full_on_diagonal_kappa(rng: np.random.Generator) -> None:
    d = rng.uniform(0.1, 2.0, size=5)
    for a in (0.0, 0.5, 1.0):
        full = metric(np.diag(d), a, c=2.0, eps=1e-3, delta=0.1)
        diag = metric(d, a, c=2.0, eps=1e-3, delta=0.1)
        np.testing.assert_allclose(np.diag(full), diag, rtol=1e-13)
        np.testing.assert_allclose(full - np.diag(np.diag(full)), 0.0, atol=1e-14)


def test_metric_stacks(rng: np.random.Generator) -> None:
    stack = np.stack([_spd(rng, 3) for _ in range(6)]).reshape(2, 3, 3, 3)
    g = metric(stack, 0.5)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(g[i, j], metric(stack[i, j], 0.5), rtol=1e-13)


def test_matrix_function_derivative_matches_finite_differences(rng: np.random.Generator) -> None:
    kap = _spd(rng, 3)
    dk = rng.standard_normal((2, 3, 3))
    dk = dk + np.swapaxes(dk, -1, -2)
    a = 0.7

    def f(lam: np.ndarray) -> np.ndarray:
        return lam ** (-a)

    def df(lam: np.ndarray) -> np.ndarray:
        return -a * lam ** (-a - 1)

    out = matrix_function_derivative(kap, dk, f, df)
    h = 1e-6
    for n in range(2):
        fd = (metric(kap + h * dk[n], -a) - metric(kap - h * dk[n], -a)) / (2 * h)
        np.testing.assert_allclose(out[n], fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("centered", [False, True, "belief"])
@pytest.mark.parametrize("full", [False, True])
def test_ema_moments_closed_form(rng: np.random.Generator, centered, full: bool) -> None:
    """After t updates the EMA is Σ_s (1−β)β^{t−s} x_s; check against that sum."""
    beta, t, k = 0.8, 7, 3
    grads = rng.standard_normal((t, k))
    centers = rng.standard_normal((t, k))
    est = EMAMoments(beta, full=full, centered=centered, bias_correction=True)
    state = est.init(k)
    for s in range(t):
        state = est.update(state, grads[s], center=centers[s])
    w = (1 - beta) * beta ** (t - 1 - np.arange(t))
    corr = 1 - beta**t
    g2 = grads - centers if centered == "belief" else grads
    outer = np.einsum("s,si,sj->ij", w, g2, g2) / corr
    ref = outer if full else np.diag(outer)
    if centered is True:
        m1 = w @ grads / corr
        ref = ref - (np.outer(m1, m1) if full else m1 * m1)
    np.testing.assert_allclose(est.kappa(state), ref, rtol=1e-13, atol=1e-15)


def test_uncentred_kappa_of_stationary_noise_is_unbiased(rng: np.random.Generator) -> None:
    """Centred full κ from many samples of N(μ, C) approaches C (β close to 1)."""
    c_true = np.array([[1.0, 0.3], [0.3, 0.5]])
    mu = np.array([2.0, -1.0])
    est = EMAMoments(0.999, full=True, centered=True)
    state = est.init(2)
    x = rng.multivariate_normal(mu, c_true, size=20000)
    for g in x:
        state = est.update(state, g)
    # an EMA of i.i.d. products has variance Var(x_i x_j)(1 − β)/(1 + β); Gaussian
    # Var(x_i x_j) = C_ii C_jj + C_ij² (the mean's own error is O(1 − β) smaller)
    d = np.diag(c_true)
    se = np.sqrt((np.outer(d, d) + c_true**2) * (1 - 0.999) / (1 + 0.999))
    assert np.all(np.abs(est.kappa(state) - c_true) <= 4 * se)
