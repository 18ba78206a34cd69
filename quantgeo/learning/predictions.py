r"""Closed-form predictions P1–P7 of THEORY §1 for the stochastic covariant gradient flow.

For a quadratic loss ``H = ½ qᵀAq`` and constant ``κ`` the flow is linear,
``dq = −γGAq dt − γGκ^{1/2} dW`` with ``G = g⁻¹ = c⁻¹(κ + eps·I)^{−a}``:

* P1 ``Cov(Δq | q) = D Δt``, ``D = γ² G κ G = (γ/c)² κ^{1−2a}`` (eps = 0): isotropic only at ½.
* P2 under ``H → λH`` (``κ → λ²κ``) every step scales by ``λ^{1−2a}``.
* P3 ``Σ∞`` solves the Lyapunov equation ``(GA)Σ + Σ(GA)ᵀ = γ GκG``; if ``A`` and ``κ``
  commute, ``Σ∞ = (γ/2c) κ^{1−a} A⁻¹``.
* P4 ``⟨H⟩ − H_min = ½ tr(AΣ∞)``; commuting: ``(γ/4c) tr κ^{1−a}``; at ``a = 1``
  ``Σ∞ = T A⁻¹`` for *any* κ, so ``⟨H⟩ − H_min = K T/2`` (``T = γ/2c``).
* P5 the mean relaxes with the eigenvalues of ``γ G A`` (real, positive).
* P6 ``a = 1``, covariant convention: ``p∞ ∝ √det g · e^{−H/T}``.
* P7 ``a = 1``: the Fokker–Planck generator equals ``−γ (−TΔ_g + V_eff)`` after
  ``p = √p∞ · ψ``, ``V_eff = |∇H|²_g/(4T) − ½ Δ_g H``.

With ``dt`` given, P1/P3/P4/P5 return the exact values of the Euler–Maruyama chain
``q' = (I − γΔt GA) q + √Δt S ξ`` (``SSᵀ = D``): the discrete Lyapunov equation
``Σ = MΣMᵀ + Δt D``, ``Cov(Δq) = γ²Δt²(GA)Σ(GA)ᵀ + Δt D`` and rates ``−ln eig(M)/Δt``.  They
tend to the continuous values as ``Δt → 0`` and let tests compare at 3 standard errors
without a time-step bias.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.linalg import solve_continuous_lyapunov, solve_discrete_lyapunov

from quantgeo._validation import check_positive, check_real
from quantgeo.learning.coefficients import check_dynamics, metric_fields
from quantgeo.learning.grid import Grid
from quantgeo.learning.metric import inverse_metric, matrix_function
from quantgeo.learning.problem import LearningProblem, check_spd

__all__ = [
    "effective_potential",
    "excess_loss",
    "excess_loss_commuting",
    "gibbs_density",
    "relaxation_rates",
    "schrodinger_operator",
    "stationary_covariance",
    "stationary_covariance_commuting",
    "step_scale",
    "temperature",
    "update_covariance",
    "update_covariance_exponent",
]

Array = NDArray[np.float64]


def _pair(A: ArrayLike, kappa: ArrayLike) -> tuple[Array, Array]:
    a, k = check_spd("A", A), check_spd("kappa", kappa)
    if a.shape != k.shape:
        raise ValueError(f"`A` {a.shape} and `kappa` {k.shape} must have the same shape")
    return a, k


def temperature(gamma: float, c: float = 1.0) -> float:
    """``T = γ/(2c)``: the temperature of the ``a = 1`` stationary state (P4, P6)."""
    return check_positive("gamma", gamma) / (2.0 * check_positive("c", c))


def _prepare(
    A: ArrayLike, kappa: ArrayLike, a: float, gamma: float, c: float, eps: float, dt: float | None
) -> tuple[Array, Array, float, float, float, float, float | None]:
    """The validated arguments of P3–P5: ``(A, κ, a, γ, c, eps, dt)``, ``dt`` None or > 0."""
    am, k = _pair(A, kappa)
    a, gamma, c, eps = check_dynamics(a, gamma, c, eps)
    return am, k, a, gamma, c, eps, None if dt is None else check_positive("dt", dt)


# The helpers below take validated arrays and parameters (_prepare, check_spd, check_dynamics).
def _ginv(kappa: Array, a: float, c: float, eps: float) -> Array:
    return inverse_metric(kappa, a, c=c, eps=eps, diagonal=False)


def _drift_matrix(A: Array, kappa: Array, a: float, gamma: float, c: float, eps: float) -> Array:
    return gamma * _ginv(kappa, a, c, eps) @ A


def _diffusion(kappa: Array, a: float, gamma: float, c: float, eps: float) -> Array:
    g = _ginv(kappa, a, c, eps)
    return gamma * gamma * g @ kappa @ g


def _stationary_covariance(
    A: Array, kappa: Array, a: float, gamma: float, c: float, eps: float, dt: float | None
) -> Array:
    m = _drift_matrix(A, kappa, a, gamma, c, eps)
    dmat = _diffusion(kappa, a, gamma, c, eps)
    if dt is None:
        sig = solve_continuous_lyapunov(m, dmat)
    else:
        mm = np.eye(len(A)) - dt * m
        rho = np.abs(np.linalg.eigvals(mm)).max()
        if rho >= 1:
            raise ValueError(
                f"`dt` = {dt:g} is beyond the Euler–Maruyama stability limit (spectral radius "
                f"{rho:.3g} ≥ 1); need dt < {2 / np.linalg.eigvals(m).real.max():.3g}"
            )
        sig = solve_discrete_lyapunov(mm, dt * dmat)
    return 0.5 * (sig + sig.T)


def update_covariance_exponent(a: float) -> float:
    """P1: ``Cov(Δq) ∝ κ^{1 − 2a}``."""
    return 1.0 - 2.0 * check_real("a", a)


def step_scale(lam: float, a: float) -> float:
    """P2: factor ``λ^{1−2a}`` by which every step changes under ``H → λH``."""
    return float(check_positive("lam", lam) ** (1.0 - 2.0 * check_real("a", a)))


def stationary_covariance(
    A: ArrayLike,
    kappa: ArrayLike,
    a: float,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
    dt: float | None = None,
) -> Array:
    """P3: stationary covariance ``Σ∞`` (general, non-commuting ``A`` and ``κ``).

    Continuous: ``(GA)Σ + Σ(GA)ᵀ = γ G κ G`` (``scipy.linalg.solve_continuous_lyapunov``).
    With ``dt``: the Euler–Maruyama chain's ``Σ = MΣMᵀ + dt·D``, ``M = I − γ dt GA``.
    """
    return _stationary_covariance(*_prepare(A, kappa, a, gamma, c, eps, dt))


def stationary_covariance_commuting(
    A: ArrayLike, kappa: ArrayLike, a: float, *, gamma: float = 1.0, c: float = 1.0
) -> Array:
    """P3 closed form ``Σ∞ = (γ/2c) κ^{1−a} A⁻¹`` (``A``, ``κ`` must commute; eps = 0)."""
    am, k = _pair(A, kappa)
    comm = np.abs(am @ k - k @ am).max()
    if comm > 1e-10 * np.abs(am).max() * np.abs(k).max():
        raise ValueError(
            f"`A` and `kappa` do not commute (|Aκ − κA| = {comm:.3g}); use stationary_covariance"
        )
    p = 1.0 - check_real("a", a)
    kp = matrix_function(k, lambda v: v**p, diagonal=False)
    return temperature(gamma, c) * kp @ np.linalg.inv(am)


def excess_loss(
    A: ArrayLike,
    kappa: ArrayLike,
    a: float,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
    dt: float | None = None,
) -> float:
    """P4: ``⟨H⟩ − H_min = ½ tr(A Σ∞)`` (general; ``dt`` as in :func:`stationary_covariance`)."""
    args = _prepare(A, kappa, a, gamma, c, eps, dt)
    return 0.5 * float(np.trace(args[0] @ _stationary_covariance(*args)))


def excess_loss_commuting(
    kappa: ArrayLike, a: float, *, gamma: float = 1.0, c: float = 1.0
) -> float:
    """P4 closed form ``(γ/4c) tr κ^{1−a}`` (``A`` commuting with ``κ``); ``K T/2`` at ``a = 1``."""
    lam = np.linalg.eigvalsh(check_spd("kappa", kappa))
    return 0.5 * temperature(gamma, c) * float(np.sum(lam ** (1.0 - check_real("a", a))))


def update_covariance(
    kappa: ArrayLike,
    a: float,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
    dt: float | None = None,
    A: ArrayLike | None = None,
) -> Array:
    """P1: update covariance.

    Without ``dt``: the diffusion matrix ``D = γ² g⁻¹κg⁻¹`` (``Cov(Δq|q) = D Δt``).  With
    ``dt`` and ``A``: the exact one-step ``Cov(Δq)`` of the stationary Euler–Maruyama chain,
    ``γ²dt²(GA)Σ(GA)ᵀ + dt·D``; with ``dt`` only, ``dt·D``.
    """
    k = check_spd("kappa", kappa)
    a, gamma, c, eps = check_dynamics(a, gamma, c, eps)
    dmat = _diffusion(k, a, gamma, c, eps)
    if dt is None:
        return dmat
    h = check_positive("dt", dt)
    if A is None:
        return h * dmat
    am, _ = _pair(A, k)
    sig = _stationary_covariance(am, k, a, gamma, c, eps, h)
    m = _drift_matrix(am, k, a, gamma, c, eps)
    return h * h * m @ sig @ m.T + h * dmat


def relaxation_rates(
    A: ArrayLike,
    kappa: ArrayLike,
    a: float,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
    dt: float | None = None,
) -> Array:
    """P5: relaxation rates of the mean, ascending.

    Eigenvalues of ``γ g⁻¹ A`` (``(γ/c) κ^{−a} A`` at eps = 0); with ``dt`` the chain's
    ``−ln(1 − dt·λ)/dt``.
    """
    am, k, a, gamma, c, eps, h = _prepare(A, kappa, a, gamma, c, eps, dt)
    m = _drift_matrix(am, k, a, gamma, c, eps)
    lam = np.sort(np.linalg.eigvals(m).real)
    if h is None:
        return lam
    if np.any(h * lam >= 1):
        raise ValueError(f"`dt` = {h:g} too large: 1 − dt·λ ≤ 0 for the fastest rate {lam[-1]:.3g}")
    return -np.log1p(-h * lam) / h


def gibbs_density(
    problem: LearningProblem, grid: Grid, *, gamma: float = 1.0, c: float = 1.0, eps: float = 0.0
) -> Array:
    """P6: ``√det g · e^{−H/T}`` at ``a = 1`` at the cell centres, normalised on ``grid``."""
    T = temperature(gamma, c)
    pts = grid.points()
    mf = metric_fields(problem, pts, 1.0, c=c, eps=eps)
    logp = mf.half_logdet - (problem.value(pts) - problem.h_min) / T
    return grid.normalize(np.exp(logp - logp.max()))


def effective_potential(
    problem: LearningProblem,
    points: ArrayLike,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
) -> Array:
    r"""P7: ``V_eff = |∇H|²_g/(4T) − ½ Δ_g H`` at ``a = 1`` (shape of ``points[..., 0]``).

    ``Δ_g H = g^{ij}∂_i∂_jH + (∂_i g^{ij})∂_jH + g^{ij}∂_jH ∂_i ln√det g``.
    """
    T = temperature(gamma, c)
    x = np.asarray(points, dtype=float)
    mf = metric_fields(problem, x, 1.0, c=c, eps=eps)
    grad = problem.grad(x)
    hess = problem.hessian(x)
    norm2 = np.einsum("...i,...ij,...j->...", grad, mf.ginv, grad)
    lap = (
        np.einsum("...ij,...ij->...", mf.ginv, hess)
        + np.einsum("...iij,...j->...", mf.dginv, grad)
        + np.einsum("...ij,...j,...i->...", mf.ginv, grad, mf.dhalf_logdet)
    )
    return norm2 / (4.0 * T) - 0.5 * lap


def schrodinger_operator(
    problem: LearningProblem,
    grid: Grid,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
) -> sp.csr_matrix:
    r"""P7: ``−TΔ_g + V_eff`` on ``grid`` in the flat representation ``ψ̃ = (det g)^{1/4} ψ``.

    Discretised from the quadratic form ``T∫√g g^{ij}∂_iψ∂_jψ + ∫√g V_eff ψ²`` (compact face
    differences for ``g^{ii}``, central cell differences for ``g^{ij}``, ``i ≠ j``; Neumann
    walls), second order; returned as the symmetric ``W^{−1/2}(K + √g V)W^{−1/2}``,
    ``W = diag(√det g)``.  Its eigenvalues are those of ``−L_FP/γ`` to discretisation accuracy
    and its ground state is ``√p∞``.
    """
    T = temperature(gamma, c)
    h, n = grid.spacing, grid.size
    pts = grid.points()
    kmat = sp.csr_matrix((n, n))
    for ax in range(grid.ndim):
        left, right, fpts = grid.interior_faces(ax)
        diff = right - left
        mf = metric_fields(problem, fpts, 1.0, c=c, eps=eps)
        w = (np.exp(mf.half_logdet) * mf.ginv[..., ax, ax]).ravel()
        kmat = kmat + T * diff.T @ sp.diags(w / h[ax] ** 2) @ diff
    mfc = metric_fields(problem, pts, 1.0, c=c, eps=eps)
    sqrtg = np.exp(mfc.half_logdet).ravel()
    if grid.ndim == 2:
        w01 = sqrtg * mfc.ginv[..., 0, 1].ravel()
        g0 = grid.derivative_matrix(0)
        g1 = grid.derivative_matrix(1)
        cross = g0.T @ sp.diags(w01) @ g1
        kmat = kmat + T * (cross + cross.T)
    v = effective_potential(problem, pts, gamma=gamma, c=c, eps=eps).ravel()
    kmat = kmat + sp.diags(sqrtg * v)
    s = sp.diags(1.0 / np.sqrt(sqrtg))
    out = sp.csr_matrix(s @ kmat @ s)
    return sp.csr_matrix(0.5 * (out + out.T))
