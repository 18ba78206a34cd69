"""Loss library: per-sample gradients, true κ(q), polynomial forms."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.learning import (
    DoubleWell,
    LinearRegression,
    LogisticRegression,
    Quadratic,
    Rosenbrock,
    ill_conditioned_quadratic,
)

LOSSES = [
    lambda: Quadratic(np.array([[2.0, 0.6], [0.6, 1.0]]), multiplicative=0.3, seed=1),
    lambda: ill_conditioned_quadratic(6, 1e4, seed=2),
    lambda: DoubleWell(2, multiplicative=0.5, seed=3),
    lambda: Rosenbrock(seed=4, multiplicative=0.1),
    lambda: LinearRegression(500, 3, seed=5, l2=0.1),
    lambda: LogisticRegression(500, 4, seed=6),
]


def _fd_grad(f, q: np.ndarray, h: float = 1e-6) -> np.ndarray:
    e = np.eye(len(q))
    return np.array([(f(q + h * e[i]) - f(q - h * e[i])) / (2 * h) for i in range(len(q))])


@pytest.mark.parametrize("make", LOSSES)
def test_gradients(make, rng: np.random.Generator) -> None:
    loss = make()
    q = loss.minimizer + 0.3 * rng.standard_normal(loss.dim)
    g = loss.grad(q)
    # central differences: error O(h²·H''') + O(ε/h) ≈ 1e-9 relative
    np.testing.assert_allclose(g, _fd_grad(loss.value, q), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(loss.per_sample_grads(q).mean(axis=0), g, rtol=1e-12, atol=1e-12)
    assert np.linalg.norm(loss.grad(loss.minimizer)) < 1e-8


@pytest.mark.parametrize("make", LOSSES)
def test_kappa_is_covariance_of_minibatch_noise(make, rng: np.random.Generator) -> None:
    loss = make()
    q = loss.minimizer + 0.2 * rng.standard_normal(loss.dim)
    b, n = 4, 4000
    gs = np.array([loss.minibatch_grad(q, rng, b) for _ in range(n)])
    kap = loss.kappa(q, batch_size=b)
    np.testing.assert_allclose(
        gs.mean(axis=0), loss.grad(q), atol=4 * np.sqrt(np.diag(kap) / n).max()
    )
    d = gs - gs.mean(axis=0)
    prod = d[:, :, None] * d[:, None, :]
    emp = prod.mean(axis=0) * n / (n - 1)
    se = prod.std(axis=0, ddof=1) / np.sqrt(n)  # standard error of each covariance entry
    # ~100 entries over all losses: 4 SE keeps the family-wise false-alarm rate below 1 %
    assert np.all(np.abs(emp - kap) <= 4 * se)


def test_exact_kappa_of_noisy_polynomials() -> None:
    noise = np.array([[0.4, 0.1], [0.1, 0.3]])
    loss = DoubleWell(2, noise_cov=noise, multiplicative=(0.5, 0.2), seed=0)
    q = np.array([0.7, -1.2])
    ref = noise + np.diag(np.array([0.5, 0.2]) ** 2 * q**2)
    g = loss.per_sample_grads(q)
    emp = np.cov(g, rowvar=False, bias=True)
    np.testing.assert_allclose(emp, ref, rtol=1e-10)
    np.testing.assert_allclose(loss.kappa(q, 3), ref / 3, rtol=1e-12)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Quadratic(np.array([[2.0, 0.6], [0.6, 1.0]]), multiplicative=0.3, seed=1),
        lambda: DoubleWell(1, multiplicative=0.5, seed=3),
        lambda: Rosenbrock(seed=4, multiplicative=0.1),
        lambda: LinearRegression(300, 2, seed=5, l2=0.1),
    ],
)
def test_polynomial_problem_matches_loss(make, rng: np.random.Generator) -> None:
    loss = make()
    prob = loss.problem(batch_size=2)
    for _ in range(5):
        q = loss.minimizer + rng.standard_normal(loss.dim)
        assert prob.value(q) == pytest.approx(loss.value(q), rel=1e-11, abs=1e-12)
        np.testing.assert_allclose(prob.grad(q), loss.grad(q), rtol=1e-10, atol=1e-11)
        np.testing.assert_allclose(prob.kappa_at(q), loss.kappa(q, 2), rtol=1e-9, atol=1e-12)
    assert prob.h_min == pytest.approx(loss.h_min, abs=1e-12)


def test_logistic_minimizer_is_stationary() -> None:
    loss = LogisticRegression(1000, 6, seed=0)
    assert np.linalg.norm(loss.grad(loss.minimizer)) < 1e-12
    with pytest.raises(NotImplementedError):
        loss.problem()
