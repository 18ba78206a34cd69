r"""The factors of one split-operator step: element-wise phases ``g = e^{z} − 1``.

The kernels apply every factor as ``ψ ← ψ + ψ·g`` (``quantgeo/_kernels/split.py`` says why):
the potential factors of a composition step on the sites (:func:`_v_factors`, exponent
:func:`v_exponent`), the separable kinetic factors in Fourier space (:func:`kinetic_factors`),
both through :func:`expm1j`.  Shared by the real-time, imaginary-time and distributed solvers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.hamiltonian import Hamiltonian

__all__ = ["expm1j", "kinetic_factors", "v_exponent"]

CArray = NDArray[np.complex128]


def expm1j(z: NDArray[np.complexfloating]) -> CArray:
    r""":math:`e^{z} - 1` for complex ``z`` without cancellation (NumPy's ``expm1`` is real-only).

    With :math:`z = x + iy`: :math:`\mathrm{expm1}(x)\cos y - 2\sin^2(y/2) + i\,e^{x}\sin y`.
    The kernels apply factors as ``ψ + ψ·g`` with ``g = e^z − 1`` (see ``_kernels/split.py``).
    """
    x, y = z.real, z.imag
    if not np.any(x):  # a pure phase (no absorber, real time): the same bits, 2 of 5 passes
        return np.asarray(-2.0 * np.sin(0.5 * y) ** 2 + 1j * np.sin(y), dtype=np.complex128)
    out = (np.expm1(x) * np.cos(y) - 2.0 * np.sin(0.5 * y) ** 2) + 1j * (np.exp(x) * np.sin(y))
    return np.asarray(out, dtype=np.complex128)


def _v_factors(
    weights: Sequence[float], expos: Sequence[CArray], h: float, *, merged: bool
) -> CArray:
    r"""Potential factors ``g = exp(h·X) − 1`` of one composition step, shape ``(s + 1 [+ 1], *S)``.

    ``expos[j]`` is the exponent ``E_j`` used in Strang sub-step j (static V: ``−iV/ħ``, the same
    for every j; imaginary time: ``−V/ħ``; time-dependent V: taken at the sub-step's midpoint).
    Factor 0 has ``X = ½w₁E₁``, factor j ``X = ½(w_j E_j + w_{j+1} E_{j+1})``, factor s
    ``X = ½w_s E_s``; with ``merged`` (static E only) factor s + 1 has ``X = ½(w_s + w₁)E``, the
    last half step fused with the next step's first.
    """
    w = np.asarray(weights, dtype=float)
    s = len(w)
    if len(expos) != s:
        raise ValueError(f"need one exponent per sub-step ({s}), got {len(expos)}")
    halves = [0.5 * w[j] * expos[j] for j in range(s)]
    xs = [halves[0], *(halves[j - 1] + halves[j] for j in range(1, s)), halves[-1]]
    if merged:
        xs.append(halves[-1] + halves[0])
    return np.ascontiguousarray(np.stack([expm1j(h * x) for x in xs]))


def v_exponent(v: NDArray[np.float64], damping: NDArray[np.float64] | None, hbar: float) -> CArray:
    """``−iV/ħ − ηw/ħ``: the exponent of the potential factors, the absorbing layer ``ηw``
    (``None``: none) folded in as the complex potential (whole lattice or one rank's piece)."""
    out = -1j * v / hbar
    if damping is not None:
        out = out - damping / hbar
    return np.asarray(out, dtype=np.complex128)


def _bounded(cache: dict[float, Any], size: int = 8) -> None:
    """Keep a factor cache small: a run uses one or two step sizes."""
    if len(cache) >= size:
        cache.clear()


def kinetic_factors(
    ham: Hamiltonian, exponents: NDArray[np.complexfloating]
) -> tuple[CArray, CArray]:
    """Separable ``g = exp(z·ε(k)/ħ) − 1`` for each ``z`` in ``exponents``.

    Returns ``(k_rest, k_last)`` of shapes ``(nz, size/N_last)`` and ``(nz, N_last)``: the
    leading axes combined as ``(1 + g_a)(1 + g_b) − 1 = g_a + g_b + g_a g_b`` (keeping the
    ``u·θ`` accuracy of each factor) and the last axis (see ``_kernels/split.py``).
    """
    axes = [eps / ham.hbar for eps in ham.axis_dispersions()]
    rest_rows, last_rows = [], []
    for z in np.asarray(exponents, dtype=complex):
        per_axis = [expm1j(z * eps) for eps in axes]
        rest = np.zeros(1, dtype=np.complex128)
        for g in per_axis[:-1]:
            rest = (rest[:, None] + g[None, :] + rest[:, None] * g[None, :]).ravel()
        rest_rows.append(rest)
        last_rows.append(per_axis[-1])
    return np.ascontiguousarray(rest_rows), np.ascontiguousarray(last_rows)
