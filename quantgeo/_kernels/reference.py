"""NumPy twins of the Numba kernels: same names, signatures and in-place semantics.

They are the readable definition of what each kernel computes; tests assert agreement to
~1e-12 and solvers accept ``backend="numpy"`` to run on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray

__all__ = ["apply_factor", "fft_pair", "kinetic_step", "split_evolve"]

CArray = NDArray[np.complex128]


def apply_factor(a: CArray, g: CArray, threaded: bool) -> None:
    """``a ← a·(1 + g)`` element-wise."""
    a += a * g


def kinetic_step(psi: CArray, k_factor: CArray, workers: int, threaded: bool) -> None:
    """``psi ← IFFT((1 + k_factor) · FFT(psi))`` over all axes, in place."""
    spec = sfft.fftn(psi, workers=workers)
    spec += spec * k_factor
    psi[...] = sfft.ifftn(spec, workers=workers)


def split_evolve(
    psi: CArray,
    v_factors: CArray,
    k_factors: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    workers: int,
    threaded: bool,
) -> None:
    """Advance ``psi`` by ``nsteps`` steps of a composition scheme (see the Numba kernel)."""
    s = k_index.size
    apply_factor(psi, v_factors[v_index[0]], threaded)
    for n in range(nsteps):
        for j in range(s):
            kinetic_step(psi, k_factors[k_index[j]], workers, threaded)
            if j < s - 1:
                apply_factor(psi, v_factors[v_index[j + 1]], threaded)
        apply_factor(
            psi, v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]], threaded
        )


def fft_pair(psi: CArray, nsteps: int, workers: int) -> None:
    """``nsteps`` bare forward+inverse FFT pairs on ``psi`` in place."""
    for _ in range(nsteps):
        psi[...] = sfft.ifftn(sfft.fftn(psi, workers=workers), workers=workers)
