"""NumPy twins of the four-step kernels (:mod:`quantgeo._kernels.fftw_fourstep`): same names
and signatures.

They execute the same FFTW plans through ``ctypes`` from Python and do the element-wise passes
with NumPy, block by block in the same order, so they are the readable definition of what the
kernels compute (tests assert agreement to ~1e-13).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["fourstep_evolve", "fourstep_evolve_par"]

CArray = NDArray[np.complex128]
FArray = NDArray[np.float64]


def _execute(plan: Any, src: int, dst: int) -> None:
    from quantgeo.solvers.fftw_native import library

    library().fftw_execute_dft(int(plan), src, dst)


def _geo(geo: NDArray[Any]) -> tuple[int, int, int, int, int]:
    n1, n2, ld, rows, cols = (int(g) for g in geo)
    return n1, n2, ld, rows, cols


def twiddles(n2: int, tw_hi: FArray, tw_lo: FArray) -> CArray:
    """``ω_N^{k₁n₂}`` as ``(N₁, N₂)``: ``tw_hi[k₁, h]·tw_lo[k₁, l]`` for ``n₂ = hL + l``."""
    hi = tw_hi[:, 0] + 1j * tw_hi[:, 1]
    lo = tw_lo[:, 0] + 1j * tw_lo[:, 1]
    w: CArray = (hi[:, :, None] * lo[:, None, :]).reshape(hi.shape[0], -1)[:, :n2]
    return w


def _row_sweep(
    pad: CArray,
    geo: NDArray[Any],
    tw_hi: FArray,
    tw_lo: FArray,
    kp: FArray,
    scale: float,
    plans: Any,
) -> None:
    """One row sweep (see the kernel's ``_row_block``)."""
    n1, n2, ld, rows, _ = _geo(geo)
    q = pad.reshape(-1, ld)
    w = twiddles(n2, tw_hi, tw_lo)
    g = kp[:, 0] + 1j * kp[:, 1]
    sptr = pad.ctypes.data + n1 * ld * 16  # the first set of scratch rows (one thread)
    for r0 in range(0, n1, rows):
        r1 = min(n1, r0 + rows)
        t = 2 if r1 - r0 < rows else 0
        ptr = pad.ctypes.data + r0 * ld * 16
        blk, scr = q[r0:r1, :n2], q[n1 : n1 + r1 - r0, :n2]
        blk *= w[r0:r1]
        _execute(plans[t], ptr, sptr)
        scr[...] = (scr + scr * g[r0:r1]) * scale
        _execute(plans[t + 1], sptr, ptr)
        blk *= np.conj(w[r0:r1])


def _col_sweep(
    psi: CArray,
    pad: CArray,
    geo: NDArray[Any],
    v: CArray,
    first: bool,
    last: bool,
    plans: Any,
) -> None:
    """One column sweep (see the kernel's ``_col_block``)."""
    n1, n2, ld, _, cols = _geo(geo)
    a = psi.reshape(n1, n2)
    gv = v.reshape(n1, n2)
    q = pad.reshape(-1, ld)[:n1]  # the scratch rows past N₁ are the row sweep's
    for c0 in range(0, n2, cols):
        c1 = min(n2, c0 + cols)
        t = 3 if c1 - c0 < cols else 0
        dst = pad.ctypes.data + c0 * 16
        if first:
            a[:, c0:c1] += a[:, c0:c1] * gv[:, c0:c1]
            _execute(plans[6 + t], psi.ctypes.data + c0 * 16, dst)
            continue
        _execute(plans[5 + t], dst, dst)
        blk = q[:, c0:c1]
        if last:
            a[:, c0:c1] = blk + blk * gv[:, c0:c1]
            continue
        blk += blk * gv[:, c0:c1]
        _execute(plans[4 + t], dst, dst)


def fourstep_evolve(
    psi: CArray,
    v_factors: CArray,
    kp: FArray,
    v_index: NDArray[Any],
    k_index: NDArray[Any],
    v_merged: int,
    nsteps: int,
    pad: CArray,
    tw_hi: FArray,
    tw_lo: FArray,
    plans: NDArray[np.uint64],
    geo: NDArray[Any],
    scale: float,
) -> None:
    """Advance the 1D ``psi`` by ``nsteps`` steps as four-step sweeps (see the kernel)."""
    if nsteps < 1:
        return
    s = k_index.size
    _col_sweep(psi, pad, geo, v_factors[v_index[0]], True, False, plans)
    for n in range(nsteps):
        for j in range(s):
            _row_sweep(pad, geo, tw_hi, tw_lo, kp[k_index[j]], scale, plans)
            if j < s - 1:
                v = v_factors[v_index[j + 1]]
            else:
                v = v_factors[v_merged] if n < nsteps - 1 else v_factors[v_index[s]]
            last = n == nsteps - 1 and j == s - 1
            _col_sweep(psi, pad, geo, v, False, last, plans)


#: NumPy has no threads to spread the blocks over: the threaded twin is the serial one.
fourstep_evolve_par = fourstep_evolve
