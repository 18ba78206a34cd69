r"""Drift and diffusion of the learning dynamics at arbitrary points (NumPy, any ``dim``).

For ``dq = −γ g⁻¹(∇H dt + dφ)``, ``⟨dφ dφᵀ⟩ = κ(q) dt``, ``g = c·(κ + eps·I)^a``:

* drift ``b = −γ g⁻¹ ∇H``,
* diffusion ``D = γ² g⁻¹ κ g⁻¹`` (eigenvalues ``γ² λ / φ(λ)²``, ``φ(λ) = c(λ + eps)^a``),
* noise-induced drift of the covariant convention
  ``b_c^i = (1/(2√det g)) ∂_j(√det g · D^{ij}) = ½ ∂_j D^{ij} + ½ D^{ij} ∂_j ln √det g``.

Conventions (:mod:`quantgeo.learning.fokker_planck` for the equations):

``"covariant"`` (the default: THEORY §1's model)
    ``∂_t p = ∇·(γ p g⁻¹∇H + ½ D √det g ∇(p/√det g))`` — diffusion by the Laplace–Beltrami
    operator of ``g`` (coordinate independent).  As an Itô SDE its drift is ``b + b_c``.
``"ito"``
    ``∂_t p = ∇·(γ p g⁻¹∇H) + ½ ∂_i∂_j(D_ij p)``; the limit of the discrete algorithm (noise
    evaluated before the step).  Effective drift ``b``.

``a`` may also be a metric object (:mod:`quantgeo.learning.metric_law`, e.g.
:class:`~quantgeo.learning.CrossoverMetric`): then ``φ(λ)`` is its ``phi`` and
``∂ ln φ/∂λ`` its ``dlog_phi`` (``c`` and ``eps`` keep their defaults).

Derivatives of matrix functions use Daleckii–Krein (:func:`~.metric.matrix_function_derivative`);
eigen-decompositions use ``numpy.linalg.eigh`` (independent of the kernels' Jacobi rotations).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_positive, check_real
from quantgeo.learning.metric import eigh_stack, matrix_function_derivative
from quantgeo.learning.metric_law import is_metric_object, metric_object_for_engine
from quantgeo.learning.problem import LearningProblem

__all__ = [
    "CONVENTIONS",
    "Coefficients",
    "check_dynamics",
    "langevin_coefficients",
    "metric_fields",
]

Array = NDArray[np.float64]
CONVENTIONS: tuple[str, ...] = ("ito", "covariant")


@dataclass(frozen=True)
class Coefficients:
    """Coefficients at ``n`` points (leading shape ``S``).

    Attributes
    ----------
    drift
        Itô drift of the chosen convention, ``b`` or ``b + b_c``, shape ``(*S, d)``.
    diffusion
        ``D``, shape ``(*S, d, d)``.
    correction
        ``b_c`` (zero for ``"ito"``), shape ``(*S, d)``.
    half_logdet_g
        ``ln √det g``, shape ``S``.
    """

    drift: Array
    diffusion: Array
    correction: Array
    half_logdet_g: Array


@dataclass(frozen=True)
class MetricFields:
    """``g⁻¹``, ``∂_k g^{ij}`` and ``∂_k ln √det g`` at points (shapes ``(*S, d, d)``,
    ``(*S, d(k), d, d)``, ``(*S, d)``), plus ``ln √det g`` (shape ``S``)."""

    ginv: Array
    dginv: Array
    dhalf_logdet: Array
    half_logdet: Array


def check_dynamics(
    a: float, gamma: float, c: float, eps: float
) -> tuple[float, float, float, float]:
    """Validate the parameters of ``dq = −γ g⁻¹(∇H dt + dφ)``, ``g = c·(κ + eps·I)^a``.

    Returns ``(a, gamma, c, eps)`` as floats (``a`` real, ``gamma``, ``c`` positive, ``eps``
    non-negative); shared by the engines and the predictions.
    """
    return (
        check_real("a", a),
        check_positive("gamma", gamma),
        check_positive("c", c),
        check_positive("eps", eps, allow_zero=True),
    )


def _dhalf_logdet(vec: Array, lam: Array, dkap: Array, a: Any, eps: float) -> Array:
    """``∂_k ln √det g = ½ a Σ_i (Vᵀ ∂_kκ V)_ii/(λ_i + eps)``, shape ``(*S, n)``; for a metric
    object ``½ Σ_i (Vᵀ ∂_kκ V)_ii φ'(λ_i)/φ(λ_i)``."""
    if is_metric_object(a):
        m_diag = np.einsum("...ak,...nab,...bk->...nk", vec, dkap, vec)
        return 0.5 * np.sum(m_diag * a.dlog_phi(lam)[..., None, :], axis=-1)
    if a == 0.0:
        return np.zeros(dkap.shape[:-2])
    m_diag = np.einsum("...ak,...nab,...bk->...nk", vec, dkap, vec)
    return 0.5 * a * np.sum(m_diag / (lam + eps)[..., None, :], axis=-1)


def _check_metric(a: Any, gamma: float, c: float, eps: float) -> tuple[Any, float, float, float]:
    """``check_dynamics``, with ``a`` allowed to be a metric object (then ``c = 1``,
    ``eps = 0``)."""
    if is_metric_object(a):
        _, gamma, c, eps = check_dynamics(0.0, gamma, c, eps)
        return metric_object_for_engine(a, c, eps, "the learning coefficients"), gamma, c, eps
    return check_dynamics(a, gamma, c, eps)


def metric_fields(
    problem: LearningProblem, points: ArrayLike, a: Any, *, c: float = 1.0, eps: float = 0.0
) -> MetricFields:
    """Inverse metric and its derivatives at ``points`` (shape ``(*S, d)``); ``a`` a power or
    a metric object."""
    a, _, c, eps = _check_metric(a, 1.0, c, eps)
    x = np.asarray(points, dtype=float)
    kap = problem.kappa_at(x)
    dkap = problem.dkappa_at(x)
    lam, vec = eigh_stack(kap)
    law = a if is_metric_object(a) else None

    def phi(v: Array) -> Array:
        return np.asarray(law.phi(v)) if law is not None else c * (v + eps) ** a

    def inv(v: Array) -> Array:
        return 1.0 / phi(v)

    def dinv(v: Array) -> Array:
        if law is not None:
            return np.asarray(-law.dlog_phi(v) / law.phi(v))
        return -a * (v + eps) ** (-a - 1.0) / c

    ginv = np.einsum("...ik,...k,...jk->...ij", vec, inv(lam), vec)
    dginv = matrix_function_derivative(kap, dkap, inv, dinv)
    dhalf = _dhalf_logdet(vec, lam, dkap, a, eps)
    half = 0.5 * np.sum(np.log(phi(lam)), axis=-1)
    return MetricFields(ginv, dginv, dhalf, half)


def langevin_coefficients(
    problem: LearningProblem,
    points: ArrayLike,
    a: Any,
    *,
    gamma: float = 1.0,
    c: float = 1.0,
    eps: float = 0.0,
    convention: str = "covariant",
) -> Coefficients:
    """Drift, diffusion and noise-induced drift at ``points`` (shape ``(*S, d)``); ``a`` a
    power or a metric object."""
    a, gamma, c, eps = _check_metric(a, gamma, c, eps)
    conv = check_choice("convention", convention, CONVENTIONS)
    x = np.asarray(points, dtype=float)
    kap = problem.kappa_at(x)
    lam, vec = eigh_stack(kap)
    law = a if is_metric_object(a) else None
    phi = np.asarray(law.phi(lam)) if law is not None else c * (lam + eps) ** a
    grad = problem.grad(x)
    y = np.einsum("...ki,...k->...i", vec, grad)
    b = -gamma * np.einsum("...ik,...k->...i", vec, y / phi)

    def f(v: Array) -> Array:
        if law is not None:
            return np.asarray(gamma * gamma * v / law.phi(v) ** 2)
        return gamma * gamma * v / (c * c * (v + eps) ** (2.0 * a))

    def fp(v: Array) -> Array:
        # d/dλ (γ²λ/φ²) = γ²(1 − 2λ φ'/φ)/φ²
        if law is not None:
            return np.asarray(gamma * gamma * (1.0 - 2.0 * v * law.dlog_phi(v)) / law.phi(v) ** 2)
        return gamma * gamma * ((v + eps) - 2.0 * a * v) / (c * c * (v + eps) ** (2.0 * a + 1.0))

    D = np.einsum("...ik,...k,...jk->...ij", vec, f(lam), vec)
    half = 0.5 * np.sum(np.log(phi), axis=-1)
    corr = np.zeros_like(b)
    if conv == "covariant" and not problem.constant_kappa:
        dkap = problem.dkappa_at(x)
        dD = matrix_function_derivative(kap, dkap, f, fp)  # (..., j, i, k)
        div = np.einsum("...jij->...i", dD)
        dhalf = _dhalf_logdet(vec, lam, dkap, a, eps)
        corr = 0.5 * div + 0.5 * np.einsum("...ij,...j->...i", D, dhalf)
    return Coefficients(b + corr, D, corr, half)
