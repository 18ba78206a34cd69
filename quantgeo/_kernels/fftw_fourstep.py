r"""The 1D split-operator step as a four-step (Bailey) FFT: two cache-blocked sweeps per sub-step.

With ``N = N₁N₂`` and ψ seen as ``A[n₁, n₂] = ψ[n₁N₂ + n₂]`` (row-major ``(N₁, N₂)``), the DFT
``X[k] = Σₙ ψ[n] ω^{nk}`` (``ω = e^{-2πi/N}``) with ``k = k₁ + N₁k₂`` factors as

.. math::

    X[k_1 + N_1 k_2] = \sum_{n_2} \omega_{N_2}^{n_2 k_2}\; \omega_N^{n_2 k_1}
        \sum_{n_1} A[n_1, n_2]\, \omega_{N_1}^{n_1 k_1},

column FFTs of length ``N₁``, the twiddle ``ω_N^{n₂k₁}``, row FFTs of length ``N₂``, leaving
``X[k₁ + N₁k₂]`` at ``C[k₁, k₂]`` (transposed order).  A split-operator step never needs k in
natural order: the kinetic factor is handed over permuted to C's order (``K_C[k₁, k₂] =
K[k₁ + N₁k₂]``), and the inverse is the same chain reversed (row iFFT, conjugate twiddle,
column iFFT; unnormalised, its ``1/N`` folded into the kinetic pass).  A Strang sub-step
``V·F⁻¹KF`` is then two sweeps over memory, each on cache-sized blocks:

* row sweep, per block of ``R`` rows of C: twiddle · ``F_row`` · ``(1 + g_K)/N`` ·
  ``F_row⁻¹`` · conjugate twiddle — the whole kinetic part of the sub-step; the row FFTs run
  out of place, buffer rows → ``R`` scratch rows → buffer rows (FFTW's 2048-, 4096- and
  16384-point pairs are 16, 7 and 7 % faster so than in place; in cache, 1 thread);
* column sweep, per block of ``B`` adjacent columns: ``F_col⁻¹`` (of this sub-step) ·
  ``(1 + g_V)`` · ``F_col`` (of the next).

So the whole-array FFT's two passes over ψ per transform (each leaving the caches at large N)
become one pass per sweep, with the element-wise passes done on blocks still in L2.  The sweeps
run on a work buffer ``(N₁ + T·R, ld)`` (``T`` sets of scratch rows, one per thread, past the
``N₁`` rows of C) whose rows are padded off powers of two (``ld``: with a
power-of-two row stride the rows of a column block map to a few cache sets); the first column
sweep reads ψ (its V pass in place, then an out-of-place ``F_col`` into the buffer) and the
last writes ψ (its V pass out of the buffer), so the padding costs no extra pass.  Composition
schemes are run as in :func:`quantgeo._kernels.fftw.fftw_sweeps`: sub-step ``j`` uses kinetic
factor ``k_index[j]``, the V factors between sub-steps ``v_index[j + 1]``, the merged factor
``v_merged`` between steps; every factor is in the ``g = f − 1`` form.

The twiddles ``ω_N^{k₁n₂}`` are formed in registers as a row is multiplied, each as the
product of two factors the engine computed exactly (``n₂ = hL + l``: ``ω_N^{k₁hL}·ω_N^{k₁l}``,
each a ``cos``/``sin`` of an exactly reduced integer angle; no recurrence), so no N-point table
is streamed through memory (2²⁰, 1 thread, N₁ = N₂: 27 → 23 ms a step) and no twiddle row is
stored and read back (the row sweep alone, 2²²: 51.6 → 50.3 ms; in cache 39.7 → 37.7).

``geo = [N₁, N₂, ld, R, B]``; ``plans`` (uint64, 0 for an absent one) = ``[row_fwd, row_inv,
row_tail_fwd, row_tail_inv, col_fwd, col_inv, col_fwd_from_psi, col_tail_fwd, col_tail_inv,
col_tail_fwd_from_psi]``, the tail plans covering the last ``N₁ mod R`` rows and ``N₂ mod B``
columns.  Blocks are independent, so :func:`fourstep_evolve_par` spreads each sweep's blocks
over Numba's threads, every thread running the same serial plans on its own blocks (FFTW's
new-array execute is thread-safe).  The NumPy twins are in :mod:`.fftw_fourstep_reference`.
"""

from __future__ import annotations

import numpy as np
from numba import get_thread_id, njit, prange

# importing the FFTW kernels binds their external `fftw_execute_dft` symbol (see that module)
from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.fftw import _execute, _next_v

__all__ = ["fourstep_evolve", "fourstep_evolve_par"]

_C16 = 16  # bytes of one complex128


@njit(cache=True, inline="always")
def _twiddle_row(x, hi, lo, n2, sign):
    """``x ← x·ω`` (``sign = 1``) or ``x·ω̄`` (``sign = −1``) on one row (``x`` its float64
    view, ``2·N₂``), ``ω[n₂] = ω_N^{k₁n₂} = hi[:, h]·lo[:, l]`` for ``n₂ = hL + l`` (``L =
    lo.shape[1]``): two exactly computed factors and one rounded product, formed in registers
    as the row is multiplied (no N-point table streamed through memory, no twiddle row
    stored and read back)."""
    big = lo.shape[1]
    lr, li = lo[0], lo[1]
    for h in range(hi.shape[1]):
        ar, ai = hi[0, h], hi[1, h]
        base = h * big
        m = min(big, n2 - base)
        seg = x[2 * base : 2 * (base + m)]
        for j in range(m):  # the loop indexes a slice from 0: no wraparound, it vectorises
            wr = ar * lr[j] - ai * li[j]
            wi = sign * (ar * li[j] + ai * lr[j])  # ×(±1) is exact: ω̄ rounds as ω
            xr, xi = seg[2 * j], seg[2 * j + 1]
            seg[2 * j] = xr * wr - xi * wi
            seg[2 * j + 1] = xr * wi + xi * wr


@njit(cache=True, inline="always")
def _row_block(pad, b, slot, geo, tw_hi, tw_lo, kp, scale, plans):
    """Row block ``b``: twiddle, ``F_row``, ``x ← scale·x(1 + g_K)``, ``F_row⁻¹``, conjugate
    twiddle, on rows ``bR … min(N₁, (b+1)R) − 1`` of the buffer.  The row FFTs run out of
    place, through scratch rows ``slot`` (one set per thread) past the buffer's ``N₁`` rows.
    ``kp`` (``(N₁, 2, N₂)``) is ``g_K`` in C's order as (real, imaginary) rows."""
    n1, n2, ld, rows = geo[0], geo[1], geo[2], geo[3]
    r0 = b * rows
    r1 = min(n1, r0 + rows)
    t = 2 if r1 - r0 < rows else 0
    fq = pad.view(np.float64)
    ptr = pad.ctypes.data + r0 * ld * _C16
    s0 = n1 + slot * rows  # the first scratch row
    for k1 in range(r0, r1):
        _twiddle_row(fq[2 * k1 * ld : 2 * k1 * ld + 2 * n2], tw_hi[k1], tw_lo[k1], n2, 1.0)
    sptr = pad.ctypes.data + s0 * ld * _C16
    _execute(plans[t], ptr, sptr)
    for k1 in range(r0, r1):
        q = 2 * (s0 + k1 - r0) * ld
        x, g = fq[q : q + 2 * n2], kp[k1]
        gr, gi = g[0], g[1]
        for j in range(n2):
            xr, xi = x[2 * j], x[2 * j + 1]
            x[2 * j] = (xr + (xr * gr[j] - xi * gi[j])) * scale
            x[2 * j + 1] = (xi + (xr * gi[j] + xi * gr[j])) * scale
    _execute(plans[t + 1], sptr, ptr)
    for k1 in range(r0, r1):
        _twiddle_row(fq[2 * k1 * ld : 2 * k1 * ld + 2 * n2], tw_hi[k1], tw_lo[k1], n2, -1.0)


@njit(cache=True, inline="always")
def _col_block(psi, pad, b, geo, v, first, last, plans):
    """Column block ``b`` (columns ``bB … min(N₂, (b+1)B) − 1``).

    ``first``: ``ψ ← ψ(1 + v)`` on ψ's columns, then ``F_col`` from ψ into the buffer;
    otherwise ``F_col⁻¹`` in the buffer, ``(1 + v)`` — written to ψ when ``last`` — and, unless
    ``last``, ``F_col``.  ``v`` is ``g_V`` in natural order (length N).
    """
    n1, n2, ld, cols = geo[0], geo[1], geo[2], geo[4]
    c0 = b * cols
    c1 = min(n2, c0 + cols)
    t = 3 if c1 - c0 < cols else 0
    fq = pad.reshape(pad.size)
    dst = pad.ctypes.data + c0 * _C16
    if first:
        for i in range(n1):
            y, g = psi[i * n2 + c0 : i * n2 + c1], v[i * n2 + c0 : i * n2 + c1]
            for j in range(c1 - c0):
                y[j] += y[j] * g[j]
        _execute(plans[6 + t], psi.ctypes.data + c0 * _C16, dst)
        return
    _execute(plans[5 + t], dst, dst)
    for i in range(n1):
        x, g = fq[i * ld + c0 : i * ld + c1], v[i * n2 + c0 : i * n2 + c1]
        if last:
            y = psi[i * n2 + c0 : i * n2 + c1]
            for j in range(c1 - c0):
                y[j] = x[j] + x[j] * g[j]
        else:
            for j in range(c1 - c0):
                x[j] += x[j] * g[j]
    if not last:
        _execute(plans[4 + t], dst, dst)


@njit(cache=True, nogil=True)
def fourstep_evolve(
    psi, v_factors, kp, v_index, k_index, v_merged, nsteps, pad, tw_hi, tw_lo, plans, geo, scale
):
    """Advance the 1D ``psi`` (length ``N = N₁N₂``) by ``nsteps`` steps, one thread.

    Parameters
    ----------
    psi : complex128 (N,)
        The state, in place.
    v_factors : complex128 (nv, N)
        ``g_V = f_V − 1`` of the potential factors, natural order.
    kp : float64 (nk, N₁, 2, N₂)
        ``g_K`` of the kinetic factors permuted to C's order, (real, imaginary) rows.
    v_index, k_index, v_merged, nsteps
        The composition, as in :func:`quantgeo._kernels.split.split_evolve`.
    pad : complex128 ((N₁ + T·R)·ld,)
        The work buffer: the ``N₁`` rows of C, then ``T ≥ 1`` sets of ``R`` scratch rows
        (:func:`fourstep_evolve_par` uses set ``numba.get_thread_id()``: ``T`` ≥ the threads).
    tw_hi, tw_lo : float64 (N₁, 2, H), (N₁, 2, L)
        The twiddle factors ``ω_N^{k₁hL}`` and ``ω_N^{k₁l}`` (real, imaginary; ``HL ≥ N₂``):
        ``ω_N^{k₁n₂}`` is their product for ``n₂ = hL + l``.
    plans, geo
        The FFTW plans and the geometry (module docstring).
    scale : float
        ``1/N``.
    """
    if nsteps < 1:
        return
    n1, n2, rows, cols = geo[0], geo[1], geo[3], geo[4]
    nrb, ncb = (n1 + rows - 1) // rows, (n2 + cols - 1) // cols
    s = k_index.size
    v = v_factors[v_index[0]]
    for b in range(ncb):
        _col_block(psi, pad, b, geo, v, True, False, plans)
    for n in range(nsteps):
        for j in range(s):
            k = kp[k_index[j]]
            for b in range(nrb):
                _row_block(pad, b, 0, geo, tw_hi, tw_lo, k, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            last = n == nsteps - 1 and j == s - 1
            for b in range(ncb):
                _col_block(psi, pad, b, geo, v, False, last, plans)


@njit(cache=True, nogil=True, parallel=True)
def fourstep_evolve_par(
    psi, v_factors, kp, v_index, k_index, v_merged, nsteps, pad, tw_hi, tw_lo, plans, geo, scale
):
    """:func:`fourstep_evolve` with the blocks of each sweep spread over Numba's threads."""
    if nsteps < 1:
        return
    n1, n2, rows, cols = geo[0], geo[1], geo[3], geo[4]
    nrb, ncb = (n1 + rows - 1) // rows, (n2 + cols - 1) // cols
    s = k_index.size
    v = v_factors[v_index[0]]
    for b in prange(ncb):
        _col_block(psi, pad, b, geo, v, True, False, plans)
    for n in range(nsteps):
        for j in range(s):
            k = kp[k_index[j]]
            for b in prange(nrb):
                _row_block(pad, b, get_thread_id(), geo, tw_hi, tw_lo, k, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            last = n == nsteps - 1 and j == s - 1
            for b in prange(ncb):
                _col_block(psi, pad, b, geo, v, False, last, plans)


# the kernels inline helpers of fftw.py: drop cache entries compiled against another version
drop_stale(__name__, ["quantgeo._kernels.fftw"])
