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

from quantgeo._kernels.reference import apply_factor, apply_kinetic_scaled, compose

__all__ = [
    "fftw_evolve",
    "fftw_evolve_split",
    "fftw_pair",
    "fftw_pair_out",
    "fftw_sweeps",
    "fftw_sweeps_par",
    "split_rows",
]

CArray = NDArray[np.complex128]


def _execute(plan: Any, ptr: int) -> None:
    _execute2(plan, ptr, ptr)


def _execute2(plan: Any, src: int, dst: int) -> None:
    from quantgeo.solvers.fftw_native import library

    library().fftw_execute_dft(int(plan), src, dst)


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

    def kinetic(k: int) -> None:
        _execute(plans[0], psi.ctypes.data)
        apply_kinetic_scaled(psi, k_rest[k], k_last[k], scale)
        _execute(plans[1], psi.ctypes.data)

    compose(psi, v_factors, v_index, k_index, v_merged, nsteps, apply_factor, kinetic)


def split_rows(k: CArray) -> NDArray[np.float64]:
    """Complex rows ``(nk, n)`` as float64 ``(nk, 2, n)``: real and imaginary parts."""
    return np.stack([k.real, k.imag], axis=1)


def fftw_pair_out(psi: CArray, work: CArray, nsteps: int, plans: NDArray[np.uint64]) -> None:
    """``nsteps`` bare out-of-place pairs: forward ``psi → work``, inverse ``work → psi``."""
    for _ in range(nsteps):
        _execute2(plans[0], psi.ctypes.data, work.ctypes.data)
        _execute2(plans[1], work.ctypes.data, psi.ctypes.data)


def fftw_evolve_split(
    psi: CArray,
    work: CArray,
    v_split: NDArray[np.float64],
    k_split: NDArray[np.float64],
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    plans: NDArray[np.uint64],
    scale: float,
) -> None:
    """1D steps with out-of-place plans (``psi → work → psi``) and split factors; ``k_split``
    holds ``scale·g``, applied as ``x ← scale·x + x·(scale·g)`` (see the kernel)."""
    v = v_split[:, 0] + 1j * v_split[:, 1]
    k = k_split[:, 0] + 1j * k_split[:, 1]

    def kinetic(j: int) -> None:
        _execute2(plans[0], psi.ctypes.data, work.ctypes.data)
        work[...] = work * scale + work * k[j]
        _execute2(plans[1], work.ctypes.data, psi.ctypes.data)

    compose(psi, v, v_index, k_index, v_merged, nsteps, apply_factor, kinetic)


def _padded(pad: CArray, geo: NDArray[Any]) -> CArray:
    """The flat buffer as ``(n0, n1, ld)`` with its axis-0 stride ``ps``."""
    n0, n1, _, ld, _, _, ps = (int(g) for g in geo)
    out: CArray = np.lib.stride_tricks.as_strided(pad, (n0, n1, ld), (16 * ps, 16 * ld, 16))
    return out


def _row_sweep(
    psi: CArray,
    pad: CArray,
    plans: NDArray[np.uint64],
    geo: NDArray[Any],
    v: CArray,
    kl: CArray,
    first: bool,
    last: bool,
) -> None:
    """One row sweep, block by block (see the kernel's ``_row_block``)."""
    n0, n1, nl, _, rows, _, ps = (int(g) for g in geo)
    a = psi.reshape(n0, n1, nl)
    gv = v.reshape(n0, n1, nl)
    q = _padded(pad, geo)
    for r0 in range(0, n0, rows):
        r1 = min(n0, r0 + rows)
        t = 3 if r1 - r0 < rows else 0
        dst = pad.ctypes.data + r0 * ps * 16
        blk = q[r0:r1, :, :nl]
        if first:
            a[r0:r1] += a[r0:r1] * gv[r0:r1]
            _execute2(plans[t + 2], psi.ctypes.data + r0 * n1 * nl * 16, dst)
        else:
            _execute(plans[t + 1], dst)
            if last:
                a[r0:r1] = blk + blk * gv[r0:r1]
                continue
            blk += blk * gv[r0:r1]
            _execute(plans[t], dst)
        blk += blk * kl


def _col_sweep(
    pad: CArray, plans: NDArray[np.uint64], geo: NDArray[Any], kr: CArray, scale: float
) -> None:
    """One column sweep, block by block (see the kernel's ``_col_block``)."""
    n0, n1, nl, ld, _, cols, _ = (int(g) for g in geo)
    q = _padded(pad, geo)
    g = kr.reshape(n0, n1)
    for i1 in range(n1):
        for c0 in range(0, nl, cols):
            c1 = min(nl, c0 + cols)
            t = 2 if c1 - c0 < cols else 0
            ptr = pad.ctypes.data + (i1 * ld + c0) * 16
            _execute(plans[6 + t], ptr)
            blk = q[:, i1, c0:c1]
            blk[...] = (blk + blk * g[:, i1, None]) * scale
            _execute(plans[7 + t], ptr)


def fftw_sweeps(
    psi: CArray,
    v_factors: CArray,
    k_rest: CArray,
    k_last: CArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    pad: CArray,
    plans: NDArray[np.uint64],
    geo: NDArray[Any],
    scale: float,
) -> None:
    """Advance ``psi`` (2D, 3D) by ``nsteps`` steps as row and column sweeps (see the kernel)."""
    s = k_index.size
    _row_sweep(psi, pad, plans, geo, v_factors[v_index[0]], k_last[k_index[0]], True, False)
    for n in range(nsteps):
        for j in range(s):
            _col_sweep(pad, plans, geo, k_rest[k_index[j]], scale)
            if j < s - 1:
                v = v_factors[v_index[j + 1]]
            else:
                v = v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]]
            kl = k_last[k_index[j + 1] if j < s - 1 else k_index[0]]
            last = n == nsteps - 1 and j == s - 1
            _row_sweep(psi, pad, plans, geo, v, kl, False, last)


#: NumPy has no threads to spread the blocks over: the threaded twin is the serial one.
fftw_sweeps_par = fftw_sweeps
