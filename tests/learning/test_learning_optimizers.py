"""Exact reductions of CovariantGD to published optimisers, step for step (≤ 1e-12 relative).

The reference updates below are transcribed from the publications, not from quantgeo:

* SGD — Robbins & Monro (1951): ``θ ← θ − η g``.
* RMSProp — Tieleman & Hinton, Lecture 6.5 (2012), as written by PyTorch ``torch.optim.RMSprop``:
  ``v ← αv + (1−α)g²``, ``θ ← θ − η g/(√v + ε)``; and TensorFlow 1 ``RMSPropOptimizer``:
  ``θ ← θ − η g/√(v + ε)``; centred (Graves 2013, TF ``centered=True``):
  ``m ← ρm + (1−ρ)g``, ``θ ← θ − η g/√(v − m² + ε)``.
* Adam — Kingma & Ba (2015), Algorithm 1.
* AdaBelief — Zhuang et al. (2020), Algorithm 2 (``s ← β2 s + (1−β2)(g − m)² + ε``).
* Natural gradient with the empirical Fisher — Amari (1998); Martens (2020, §11):
  ``θ ← θ − η (F̂ + λI)⁻¹ ∇L``, ``F̂ = (1/N) Σ ∇ℓ_n ∇ℓ_nᵀ``.
* Full-matrix RMSProp (full-matrix AdaGrad of Duchi et al. 2011 with an EMA):
  ``G ← βG + (1−β)ggᵀ``, ``θ ← θ − η (G + εI)^{−1/2} g`` (matrix root by ``scipy.linalg.sqrtm``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from scipy.linalg import sqrtm

from quantgeo.errors import StabilityError
from quantgeo.learning import CovariantGD, LogisticRegression, Quadratic

STEPS = 60
RTOL = 1e-12


@pytest.fixture
def problem(rng: np.random.Generator) -> tuple[LogisticRegression, list[np.ndarray], np.ndarray]:
    loss = LogisticRegression(n_samples=400, dim=5, seed=3)
    batches = [rng.integers(0, loss.n_samples, size=16) for _ in range(STEPS)]
    q0 = 0.5 * rng.standard_normal(loss.dim)
    return loss, batches, q0


def _grad_fn(
    loss: LogisticRegression, batches: list[np.ndarray]
) -> Callable[[np.ndarray, int], np.ndarray]:
    return lambda q, t: loss.per_sample_grads(q, batches[t]).mean(axis=0)


def _compare(
    opt: CovariantGD, ref_step: Callable[[np.ndarray, np.ndarray], np.ndarray], grad, q0
) -> None:
    q_ours, q_ref = q0.copy(), q0.copy()
    state = opt.init(q0)
    for t in range(STEPS):
        q_ours, state = opt.step(q_ours, grad(q_ours, t), state)
        q_ref = ref_step(q_ref, grad(q_ref, t))
        err = np.linalg.norm(q_ours - q_ref) / np.linalg.norm(q_ref)
        assert err <= RTOL, f"step {t + 1}: relative difference {err:.3g}"
    assert np.linalg.norm(q_ours - q0) > 1e-3  # the run actually moved


@pytest.mark.parametrize("moments", ["ema-diag", "ema-full"])
def test_sgd_at_a0(problem, moments: str) -> None:
    loss, batches, q0 = problem
    eta, c = 0.3, 2.5
    opt = CovariantGD(0.0, lr=eta * c, c=c, moments=moments, beta2=0.9)

    def ref(theta, g):
        return theta - eta * g

    _compare(opt, ref, _grad_fn(loss, batches), q0)


@pytest.mark.parametrize("eps", [1e-3, 0.0])
def test_rmsprop_pytorch(problem, eps: float) -> None:
    loss, batches, q0 = problem
    eta, alpha = 0.01, 0.9
    opt = CovariantGD(0.5, lr=eta, eps=0.0, delta=eps, beta2=alpha, bias_correction=False)
    v = np.zeros_like(q0)

    def ref(theta, g):
        nonlocal v
        v = alpha * v + (1 - alpha) * g * g
        return theta - eta * g / (np.sqrt(v) + eps)

    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_rmsprop_tf1_eps_inside(problem) -> None:
    loss, batches, q0 = problem
    eta, rho, eps = 0.01, 0.9, 1e-3
    opt = CovariantGD(0.5, lr=eta, eps=eps, beta2=rho, bias_correction=False)
    v = np.zeros_like(q0)

    def ref(theta, g):
        nonlocal v
        v = rho * v + (1 - rho) * g * g
        return theta - eta * g / np.sqrt(v + eps)

    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_rmsprop_centered(problem) -> None:
    loss, batches, q0 = problem
    eta, rho, eps = 0.01, 0.9, 1e-3
    opt = CovariantGD(0.5, lr=eta, eps=eps, beta2=rho, centered=True, bias_correction=False)
    v = np.zeros_like(q0)
    m = np.zeros_like(q0)

    def ref(theta, g):
        nonlocal v, m
        m = rho * m + (1 - rho) * g
        v = rho * v + (1 - rho) * g * g
        return theta - eta * g / np.sqrt(v - m * m + eps)

    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_adam(problem) -> None:
    loss, batches, q0 = problem
    alpha, b1, b2, eps = 0.01, 0.9, 0.999, 1e-4
    opt = CovariantGD(0.5, lr=alpha, eps=0.0, delta=eps, beta1=b1, beta2=b2, bias_correction=True)
    m = np.zeros_like(q0)
    v = np.zeros_like(q0)
    t = 0

    def ref(theta, g):
        nonlocal m, v, t
        t += 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return theta - alpha * m_hat / (np.sqrt(v_hat) + eps)

    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_adabelief(problem) -> None:
    loss, batches, q0 = problem
    alpha, b1, b2, eps = 0.01, 0.9, 0.99, 1e-4
    # s accumulates ε every step; after bias correction that is exactly ε/(1 − β2) inside √
    opt = CovariantGD(
        0.5,
        lr=alpha,
        eps=eps / (1 - b2),
        delta=eps,
        beta1=b1,
        beta2=b2,
        centered="belief",
        bias_correction=True,
    )
    m = np.zeros_like(q0)
    s = np.zeros_like(q0)
    t = 0

    def ref(theta, g):
        nonlocal m, s, t
        t += 1
        m = b1 * m + (1 - b1) * g
        s = b2 * s + (1 - b2) * (g - m) ** 2 + eps
        m_hat = m / (1 - b1**t)
        s_hat = s / (1 - b2**t)
        return theta - alpha * m_hat / (np.sqrt(s_hat) + eps)

    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_natural_gradient_empirical_fisher(problem) -> None:
    loss, _, q0 = problem
    eta, damping = 0.5, 1e-3
    opt = CovariantGD(1.0, lr=eta, eps=damping, moments="exact", kappa=loss.empirical_fisher)
    X, y = loss.X, loss.y

    def ref(theta, _g):
        # per-sample gradients of log(1 + exp(−y xᵀθ)) + ½ l2 |θ|², written out here
        z = y * (X @ theta)
        per = -(y / (1.0 + np.exp(z)))[:, None] * X + loss.l2 * theta
        fisher = per.T @ per / len(y)
        return theta - eta * np.linalg.solve(
            fisher + damping * np.eye(len(theta)), per.mean(axis=0)
        )

    _compare(opt, ref, lambda q, t: loss.grad(q), q0)


def test_full_matrix_rmsprop(problem) -> None:
    loss, batches, q0 = problem
    eta, beta, eps = 0.01, 0.9, 1e-3
    opt = CovariantGD(0.5, lr=eta, eps=eps, moments="ema-full", beta2=beta, bias_correction=False)
    G = np.zeros((len(q0), len(q0)))

    def ref(theta, g):
        nonlocal G
        G = beta * G + (1 - beta) * np.outer(g, g)
        root = np.real(sqrtm(G + eps * np.eye(len(g))))
        return theta - eta * np.linalg.solve(root, g)

    # sqrtm (Schur) and eigh differ by ~1e-14 relative per step; the comparison stays ≤ 1e-12
    _compare(opt, ref, _grad_fn(loss, batches), q0)


def test_functional_state_is_immutable(problem) -> None:
    loss, _, q0 = problem
    opt = CovariantGD(0.5, lr=0.01, beta1=0.9, beta2=0.99)
    s0 = opt.init(q0)
    g = loss.grad(q0)
    q1, s1 = opt.step(q0, g, s0)
    q1b, _ = opt.step(q0, g, s0)  # the same state again gives the same step
    np.testing.assert_array_equal(q1, q1b)
    assert s0.step == 0 and s1.step == 1
    assert s0.momentum is not None and not s0.momentum.any()


def test_minimize_reaches_tolerance_and_a_half_beats_sgd() -> None:
    loss = Quadratic(np.diag([1.0, 1e-2]), noise_cov=np.diag([1.0, 1e-2]), seed=1)
    q0 = np.array([1.0, 1.0])
    common = dict(moments="exact", kappa=lambda q: loss.kappa(q), eps=0.0)
    sgd = CovariantGD(0.0, lr=1.0, **common).minimize(loss, q0, 5000, tol=1e-8)
    half = CovariantGD(0.5, lr=1.0, **common).minimize(loss, q0, 5000, tol=1e-8)
    nat = CovariantGD(1.0, lr=1.0, **common).minimize(loss, q0, 5000, tol=1e-8)
    assert sgd.converged and half.converged and nat.converged
    # P5 for full-batch gradients: rates ∝ A^(1−a) with κ ∝ A (condition 100 → 10 → 1)
    assert nat.n_steps == 1
    assert half.n_steps < sgd.n_steps / 5
    assert sgd.losses[-1] <= 1e-8


def test_singular_metric_raises_stability_error() -> None:
    opt = CovariantGD(1.0, lr=0.1, eps=0.0, moments="ema-full", beta2=0.9)
    q = np.array([1.0, 2.0])
    state = opt.init(q)
    with pytest.raises(StabilityError, match="eps"):
        opt.step(q, np.array([1.0, 0.0]), state)  # rank-1 κ, eps = 0
