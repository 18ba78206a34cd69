"""NumPy twins of the FFTW kernels (:mod:`quantgeo._kernels.fftw`): same names and signatures.

They execute the same FFTW plans through ``ctypes`` from Python and do the element-wise passes
with NumPy, block by block in the same order, so they are the readable definition of what the
kernels compute (tests assert agreement to ~1e-13) and what ``backend="numpy", fft="fftw"``
runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels.reference import apply_factor, apply_kinetic_scaled

__all__ = ["fftw_evolve", "fftw_pair", "fftw_sweeps", "fftw_sweeps_par"]

CArray = NDArray[np.complex128]


def _execute(plan: Any, ptr: int) -> None:
    from quantgeo.solvers.fftw_native import library

    library().fftw_execute_dft(int(plan), ptr, ptr)


def fftw_pair(psi: CArray, nsteps: int, plans: NDArray[np.uint64]) -> None:
    """``nsteps`` bare forward+inverse executes of the whole-lattice ``plans``."""
    for _ in range(nsteps):
        _execute(plans[0], psi.ctypes.data)
        _execute(plans[1], psi.ctypes.data)


def fftw_evolve(
    psi: CArray,
    v_factors: CArray,
    k_rest: CArray,
    k_last: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    plans: NDArray[np.uint64],
    scale: float,
) -> None:
    """Advance ``psi`` by ``nsteps`` steps with whole-lattice FFTW plans (see the kernel)."""
    s = k_index.size
    apply_factor(psi, v_factors[v_index[0]])
    for n in range(nsteps):
        for j in range(s):
            _execute(plans[0], psi.ctypes.data)
            apply_kinetic_scaled(psi, k_rest[k_index[j]], k_last[k_index[j]], scale)
            _execute(plans[1], psi.ctypes.data)
            if j < s - 1:
                apply_factor(psi, v_factors[v_index[j + 1]])
        apply_factor(psi, v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]])


def _sweep_pass(
    psi: CArray,
    plans: NDArray[np.uint64],
    blocks: NDArray[Any],
    v: CArray | None,
    kinetic: tuple[CArray, CArray, float] | None,
    inverse: bool,
    forward: bool,
) -> None:
    """One row sweep (``v`` given) or column sweep (``kinetic`` given), block by block."""
    n0 = psi.shape[0]
    m = psi.size // n0
    a = psi.reshape(n0, m)
    rows, cols = int(blocks[0]), int(blocks[1])
    if v is not None:
        gv = v.reshape(n0, m)
        for r0 in range(0, n0, rows):
            tail = r0 + rows > n0
            pf, pi = (plans[2], plans[3]) if tail else (plans[0], plans[1])
            ptr = psi.ctypes.data + r0 * m * 16
            if inverse:
                _execute(pi, ptr)
            a[r0 : r0 + rows] += a[r0 : r0 + rows] * gv[r0 : r0 + rows]
            if forward:
                _execute(pf, ptr)
        return
    assert kinetic is not None
    kr, kl, scale = kinetic
    g = (kr[:, None] + kl[None, :] + kr[:, None] * kl[None, :]).reshape(n0, m)
    for c0 in range(0, m, cols):
        tail = c0 + cols > m
        pf, pi = (plans[6], plans[7]) if tail else (plans[4], plans[5])
        ptr = psi.ctypes.data + c0 * 16
        _execute(pf, ptr)
        blk = a[:, c0 : c0 + cols]
        blk[...] = (blk + blk * g[:, c0 : c0 + cols]) * scale
        _execute(pi, ptr)


def fftw_sweeps(
    psi: CArray,
    v_factors: CArray,
    k_rest: CArray,
    k_last: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    plans: NDArray[np.uint64],
    blocks: NDArray[Any],
    scale: float,
) -> None:
    """Advance ``psi`` (2D, 3D) by ``nsteps`` steps as row and column sweeps (see the kernel)."""
    s = k_index.size
    _sweep_pass(psi, plans, blocks, v_factors[v_index[0]], None, False, True)
    for n in range(nsteps):
        for j in range(s):
            kin = (k_rest[k_index[j]], k_last[k_index[j]], scale)
            _sweep_pass(psi, plans, blocks, None, kin, False, False)
            if j < s - 1:
                v = v_factors[v_index[j + 1]]
            else:
                v = v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]]
            last = n == nsteps - 1 and j == s - 1
            _sweep_pass(psi, plans, blocks, v, None, True, not last)


#: NumPy has no threads to spread the blocks over: the threaded twin is the serial one.
fftw_sweeps_par = fftw_sweeps
