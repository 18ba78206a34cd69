r"""The metric ``g = c·[(κ + eps·I)^a + delta·I]`` on the space of trainable variables.

THEORY §1: the family ``g = c·κ^a``, the matrix power taken through the eigendecomposition of
the symmetric positive ``κ``; ``eps·I`` regularises it (THEORY's regulariser, inside the
power).  ``delta·I`` (default 0) is added *after* the power: that is where Adam, RMSProp (as
PyTorch writes it) and AdaBelief put their ε (``√v + ε``), so the optimiser reductions are exact
with it (see :mod:`quantgeo.learning.optimizers`).

Everything here acts on stacks: ``kappa`` has shape ``(..., K)`` (diagonal κ, stored as its
diagonal) or ``(..., K, K)`` (full κ); the eigenvalues of κ are clipped at 0 before ``eps`` is
added (an estimated ``M2 − M1M1ᵀ`` can be slightly indefinite by rounding).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_finite_array, check_positive, check_real

__all__ = [
    "apply_inverse_metric",
    "eigh_stack",
    "inverse_metric",
    "matrix_function",
    "matrix_function_derivative",
    "metric",
    "metric_function",
]

Array = NDArray[np.float64]


def metric_function(
    a: float, c: float = 1.0, eps: float = 0.0, delta: float = 0.0
) -> tuple[Callable[[Array], Array], Callable[[Array], Array]]:
    r"""Scalar metric function and its derivative, ``φ(λ) = c·((λ + eps)^a + delta)``.

    ``g`` has the eigenvectors of ``κ`` and eigenvalues ``φ(λ_k)``.  Returns ``(φ, φ')``.
    """
    a = check_real("a", a)
    c = check_positive("c", c)
    eps = check_positive("eps", eps, allow_zero=True)
    delta = check_positive("delta", delta, allow_zero=True)

    def phi(lam: Array) -> Array:
        return c * (np.power(np.maximum(lam, 0.0) + eps, a) + delta)

    def dphi(lam: Array) -> Array:
        if a == 0:
            return np.zeros_like(np.asarray(lam, dtype=float))
        return c * a * np.power(np.maximum(lam, 0.0) + eps, a - 1.0)

    return phi, dphi


def eigh_stack(kappa: ArrayLike) -> tuple[Array, Array]:
    """Eigenvalues (ascending, clipped at 0) and eigenvectors of a stack of symmetric matrices."""
    k = np.asarray(kappa, dtype=float)
    lam, vec = np.linalg.eigh(0.5 * (k + np.swapaxes(k, -1, -2)))
    return np.maximum(lam, 0.0), vec


def matrix_function(kappa: ArrayLike, f: Callable[[Array], Array], *, diagonal: bool) -> Array:
    """``f(κ) = V diag(f(λ)) Vᵀ`` (or ``f`` elementwise on a diagonal κ of shape ``(..., K)``)."""
    k = np.asarray(kappa, dtype=float)
    if diagonal:
        return f(np.maximum(k, 0.0))
    lam, vec = eigh_stack(k)
    return np.einsum("...ik,...k,...jk->...ij", vec, f(lam), vec)


def _setup(
    kappa: ArrayLike, diagonal: bool | None, a: float, c: float, eps: float, delta: float
) -> tuple[Array, bool, Callable[[Array], Array]]:
    """Validated ``κ``, whether it is diagonal, and ``φ`` (the common start of the public
    functions below)."""
    k = np.asarray(kappa, dtype=float)
    if diagonal is None:
        diagonal = k.ndim == 1
    if k.ndim < (1 if diagonal else 2):
        raise ValueError(f"`kappa` must be at least {1 if diagonal else 2}-D, got shape {k.shape}")
    if not diagonal and k.shape[-1] != k.shape[-2]:
        raise ValueError(f"full `kappa` must have shape (..., K, K), got {k.shape}")
    check_finite_array("kappa", k)
    phi, _ = metric_function(a, c, eps, delta)
    return k, bool(diagonal), phi


def metric(
    kappa: ArrayLike,
    a: float,
    *,
    c: float = 1.0,
    eps: float = 0.0,
    delta: float = 0.0,
    diagonal: bool | None = None,
) -> Array:
    r"""The metric ``g = c·[(κ + eps·I)^a + delta·I]``.

    Parameters
    ----------
    kappa
        Noise covariance: shape ``(..., K)`` for a diagonal κ (``diagonal=True``, the default
        for 1-D input) or ``(..., K, K)`` symmetric.
    a
        Power (``0`` SGD, ``½`` RMSProp/Adam, ``1`` natural gradient).
    c, eps, delta
        Scale, regulariser inside the power, regulariser outside it.

    Returns
    -------
    g
        Same shape as ``kappa`` (the diagonal of ``g`` if ``kappa`` is diagonal).
    """
    k, diag, phi = _setup(kappa, diagonal, a, c, eps, delta)
    return matrix_function(k, phi, diagonal=diag)


def inverse_metric(
    kappa: ArrayLike,
    a: float,
    *,
    c: float = 1.0,
    eps: float = 0.0,
    delta: float = 0.0,
    diagonal: bool | None = None,
) -> Array:
    """``g⁻¹`` for the metric of :func:`metric` (same shapes)."""
    k, diag, phi = _setup(kappa, diagonal, a, c, eps, delta)
    return matrix_function(k, lambda lam: 1.0 / phi(lam), diagonal=diag)


def apply_inverse_metric(
    kappa: ArrayLike,
    v: ArrayLike,
    a: float,
    *,
    c: float = 1.0,
    eps: float = 0.0,
    delta: float = 0.0,
    diagonal: bool | None = None,
) -> Array:
    """``g⁻¹ v`` without forming ``g⁻¹`` (``v`` shape ``(..., K)``)."""
    k, diag, phi = _setup(kappa, diagonal, a, c, eps, delta)
    x = np.asarray(v, dtype=float)
    if diag:
        return x / phi(k)  # φ clips κ at 0
    lam, vec = eigh_stack(k)
    y = np.einsum("...ki,...k->...i", vec, x)
    return np.einsum("...ik,...k->...i", vec, y / phi(lam))


def _divided_differences(
    lam: Array, f: Callable[[Array], Array], df: Callable[[Array], Array]
) -> Array:
    """First divided differences ``f[λ_k, λ_l]`` (``f'`` on and near the diagonal)."""
    fl = f(lam)
    li, lj = lam[..., :, None], lam[..., None, :]
    gap = li - lj
    scale = np.abs(li) + np.abs(lj) + 1e-300
    close = np.abs(gap) <= 1e-6 * scale
    safe_gap = np.where(close, 1.0, gap)
    out = (fl[..., :, None] - fl[..., None, :]) / safe_gap
    mid = 0.5 * (li + lj) * np.ones_like(gap)
    return np.where(close, df(mid), out)


def matrix_function_derivative(
    kappa: ArrayLike,
    dkappa: ArrayLike,
    f: Callable[[Array], Array],
    df: Callable[[Array], Array],
) -> Array:
    r"""Directional derivatives of a matrix function (Daleckii–Krein).

    .. math:: ∂_k f(κ) = V \left(F ∘ (Vᵀ ∂_kκ V)\right) Vᵀ,\qquad
              F_{ij} = \frac{f(λ_i) − f(λ_j)}{λ_i − λ_j}\ (f'(λ_i)\ \text{if}\ λ_i = λ_j)

    Parameters
    ----------
    kappa
        Symmetric matrices, shape ``(..., K, K)``.
    dkappa
        Their derivatives along ``n`` directions, shape ``(..., n, K, K)``.
    f, df
        Scalar function and its derivative (vectorised).

    Returns
    -------
    Array of shape ``(..., n, K, K)``.
    """
    lam, vec = eigh_stack(kappa)
    dk = np.asarray(dkappa, dtype=float)
    F = _divided_differences(lam, f, df)
    m = np.einsum("...ai,...nab,...bj->...nij", vec, dk, vec)
    return np.einsum("...ai,...nij,...bj->...nab", vec, F[..., None, :, :] * m, vec)
