"""NumPy twins of the split-operator kernels: same names, signatures and in-place semantics.

They are the readable definition of what each kernel computes; tests assert agreement to
~1e-12 and the solver accepts ``backend="numpy"`` to run on them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray

__all__ = [
    "apply_factor",
    "apply_kinetic",
    "apply_kinetic_scaled",
    "compose",
    "fft_pair",
    "kinetic_step",
    "split_evolve",
]

CArray = NDArray[np.complex128]


def apply_factor(a: CArray, g: CArray) -> None:
    """``a ← a·(1 + g)`` element-wise."""
    a += a * g


def apply_kinetic(spec: CArray, k_rest: CArray, k_last: CArray) -> None:
    """``spec ← spec·(1 + g)``, ``g[r, j] = k_rest[r] + k_last[j] + k_rest[r]·k_last[j]``."""
    g = k_rest[:, None] + k_last[None, :] + k_rest[:, None] * k_last[None, :]
    spec += spec * g.reshape(spec.shape)


def apply_kinetic_scaled(spec: CArray, k_rest: CArray, k_last: CArray, scale: float) -> None:
    """``spec ← scale·spec·(1 + g)``, ``g`` as in :func:`apply_kinetic`."""
    g = k_rest[:, None] + k_last[None, :] + k_rest[:, None] * k_last[None, :]
    flat = spec.reshape(g.shape)
    flat += flat * g
    flat *= scale


def kinetic_step(psi: CArray, k_rest: CArray, k_last: CArray, workers: int) -> None:
    """``psi ← IFFT((1 + g_k) · FFT(psi))`` over all axes, in place."""
    spec = sfft.fftn(psi, workers=workers)
    apply_kinetic(spec, k_rest, k_last)
    psi[...] = sfft.ifftn(spec, workers=workers)


def split_evolve(
    psi: CArray,
    v_factors: CArray,
    k_rest: CArray,
    k_last: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    workers: int,
) -> None:
    """Advance ``psi`` by ``nsteps`` steps of a composition scheme (see the Numba kernel)."""

    def kinetic(k: int) -> None:
        kinetic_step(psi, k_rest[k], k_last[k], workers)

    compose(psi, v_factors, v_index, k_index, v_merged, nsteps, apply_factor, kinetic)


def compose(
    psi: CArray,
    v_factors: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    factor: Callable[[CArray, CArray], None],
    kinetic: Callable[[int], None],
) -> None:
    """The composition-scheme loop of the Python-driven steps (the twins, ``fft="scipy"``).

    One step is ``V[v_index[s]] K[k_index[s-1]] … V[v_index[1]] K[k_index[0]] V[v_index[0]]``
    (rightmost first), adjacent V factors of two steps merged into ``V[v_merged]``;
    ``factor(psi, g)`` applies a V factor and ``kinetic(k)`` a whole kinetic sub-step (FFT,
    kinetic factor ``k``, inverse FFT) to ``psi`` in place.
    """
    s = k_index.size
    factor(psi, v_factors[v_index[0]])
    for n in range(nsteps):
        for j in range(s):
            kinetic(int(k_index[j]))
            if j < s - 1:
                factor(psi, v_factors[v_index[j + 1]])
        factor(psi, v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]])


def fft_pair(psi: CArray, nsteps: int, workers: int) -> None:
    """``nsteps`` bare forward+inverse FFT pairs on ``psi`` in place."""
    for _ in range(nsteps):
        psi[...] = sfft.ifftn(sfft.fftn(psi, workers=workers), workers=workers)
