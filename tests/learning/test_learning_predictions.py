"""Closed forms P1–P5 against each other and against their defining equations."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.learning import (
    excess_loss,
    excess_loss_commuting,
    inverse_metric,
    relaxation_rates,
    stationary_covariance,
    stationary_covariance_commuting,
    step_scale,
    temperature,
    update_covariance,
    update_covariance_exponent,
)
from tests.learning.learning_helpers import A2, KAPPA2

A_VALUES = [0.0, 0.25, 0.5, 0.75, 1.0]


def _commuting_pair(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    A = q @ np.diag([3.0, 1.0, 0.2]) @ q.T
    K = q @ np.diag([0.5, 2.0, 1.0]) @ q.T
    return 0.5 * (A + A.T), 0.5 * (K + K.T)


@pytest.mark.parametrize("a", A_VALUES)
def test_lyapunov_reduces_to_closed_form_when_commuting(rng: np.random.Generator, a: float) -> None:
    A, K = _commuting_pair(rng)
    g, c = 0.7, 1.9
    s_gen = stationary_covariance(A, K, a, gamma=g, c=c)
    s_cf = stationary_covariance_commuting(A, K, a, gamma=g, c=c)
    np.testing.assert_allclose(s_gen, s_cf, rtol=1e-10, atol=1e-13)
    assert excess_loss(A, K, a, gamma=g, c=c) == pytest.approx(
        excess_loss_commuting(K, a, gamma=g, c=c), rel=1e-10
    )


@pytest.mark.parametrize("a", A_VALUES)
def test_lyapunov_solution_satisfies_its_equation(a: float) -> None:
    g, c = 0.7, 1.9
    sig = stationary_covariance(A2, KAPPA2, a, gamma=g, c=c)
    G = inverse_metric(KAPPA2, a, c=c, diagonal=False)
    lhs = G @ A2 @ sig + sig @ (G @ A2).T
    np.testing.assert_allclose(lhs, g * G @ KAPPA2 @ G, rtol=1e-11, atol=1e-14)
    assert np.all(np.linalg.eigvalsh(sig) > 0)


def test_a1_equipartition_for_non_commuting_kappa() -> None:
    g, c = 0.7, 1.9
    T = temperature(g, c)
    np.testing.assert_allclose(
        stationary_covariance(A2, KAPPA2, 1.0, gamma=g, c=c), T * np.linalg.inv(A2), rtol=1e-11
    )
    assert excess_loss(A2, KAPPA2, 1.0, gamma=g, c=c) == pytest.approx(2 * T / 2, rel=1e-11)
    # a = 0: the trace of A Σ + Σ A = (γ/c) κ gives ⟨H⟩ − H_min = (γ/4c) tr κ for any κ
    k3 = 3.0 * KAPPA2
    assert excess_loss(A2, k3, 0.0, gamma=g, c=c) == pytest.approx(
        g / (4 * c) * np.trace(k3), rel=1e-11
    )
    assert excess_loss(A2, k3, 0.5, gamma=g, c=c) != pytest.approx(2 * T / 2, rel=1e-2)


@pytest.mark.parametrize("a", A_VALUES)
def test_discrete_time_values_converge_to_continuous(a: float) -> None:
    errs = []
    for dt in (0.02, 0.01, 0.005):
        errs.append(
            np.abs(
                stationary_covariance(A2, KAPPA2, a, dt=dt) - stationary_covariance(A2, KAPPA2, a)
            ).max()
        )
    # Euler–Maruyama's stationary covariance is first order in dt
    assert errs[0] / errs[1] == pytest.approx(2.0, rel=0.05)
    assert errs[1] / errs[2] == pytest.approx(2.0, rel=0.03)
    r_dt = relaxation_rates(A2, KAPPA2, a, dt=1e-4)
    np.testing.assert_allclose(r_dt, relaxation_rates(A2, KAPPA2, a), rtol=1e-3)


@pytest.mark.parametrize("a", A_VALUES)
def test_rates_with_kappa_proportional_to_A(a: float) -> None:
    """κ = sA: rates (γ/c) s^{−a} λ(A)^{1−a} — a = 1 removes the condition number."""
    A = np.diag([1e-2, 1.0, 1e2])
    s, g, c = 0.3, 0.5, 2.0
    rates = relaxation_rates(A, s * A, a, gamma=g, c=c)
    np.testing.assert_allclose(rates, g / c * s ** (-a) * np.diag(A) ** (1 - a), rtol=1e-12)


@pytest.mark.parametrize("a", A_VALUES)
def test_update_covariance_power_law(a: float) -> None:
    g, c = 0.7, 1.9
    D = update_covariance(KAPPA2, a, gamma=g, c=c)
    lam, vec = np.linalg.eigh(KAPPA2)
    expo = update_covariance_exponent(a)
    np.testing.assert_allclose(D, (g / c) ** 2 * (vec * lam**expo) @ vec.T, rtol=1e-12, atol=1e-15)
    if a == 0.5:
        np.testing.assert_allclose(D, (g / c) ** 2 * np.eye(2), atol=1e-14)


def test_step_scale() -> None:
    assert step_scale(10.0, 0.5) == 1.0
    assert step_scale(10.0, 0.0) == pytest.approx(10.0)
    assert step_scale(10.0, 1.0) == pytest.approx(0.1)
