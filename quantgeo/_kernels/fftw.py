r"""Split-operator kernels that run FFTW from inside Numba (new-array execute, no Python).

FFTW's ``fftw_execute_dft(plan, in, out)`` is called as an external C function: the address
comes from the FFTW that pyFFTW links (``quantgeo/solvers/fftw_native.py`` makes the plans and
calls :func:`register` before any of these kernels is compiled or loaded from the cache).
Plans and the state are passed as integers (the plan pointer, ``psi.ctypes.data`` plus byte
offsets); new-array execute on other data of the planned layout and alignment is what FFTW
documents as thread-safe, so one plan serves every block and every thread.

Factors, their ``g = f − 1`` form and the separable kinetic factor are as in
:mod:`quantgeo._kernels.split`; FFTW's inverse is unnormalised and its ``1/N`` (``scale``) is
folded into the kinetic pass.

Two ways to run a step of a composition scheme:

:func:`fftw_evolve`
    whole-lattice plans (FFTW's own threads, if planned with them): per Strang sub-step one
    forward and one inverse execute and the two element-wise passes between them.
:func:`fftw_sweeps` / :func:`fftw_sweeps_par` (2D and 3D)
    the lattice seen as ``(n0, M)``, ``M = size / n0``.  Transforms along different axes
    commute, so ``F = F₀F_r`` (``F_r`` over axes 1…, per row; ``F₀`` along axis 0, per column)
    and a step ``V·F⁻¹KF`` becomes two sweeps over memory, each on cache-sized blocks:

    * row sweep, per block of ``R`` rows: ``F_r⁻¹`` (of the previous sub-step) · ``V`` ·
      ``F_r`` (of the next) — the potential pass runs on rows still in cache;
    * column sweep, per block of ``B`` adjacent columns: ``F₀`` · ``K`` · ``F₀⁻¹``.

    The blocks are independent, so ``fftw_sweeps_par`` spreads them over Numba's threads
    (``prange``): each thread runs serial FFTW plans on its own blocks, and the passes are
    threaded together with the FFTs (no second thread pool waiting on the first).

``plans`` holds the plan pointers (uint64): ``[forward, inverse]`` for :func:`fftw_evolve`;
``[row_fwd, row_inv, row_tail_fwd, row_tail_inv, col_fwd, col_inv, col_tail_fwd,
col_tail_inv]`` for the sweeps, where the tail plans (0 when unused) cover the last
``n0 mod R`` rows and ``M mod B`` columns.  The NumPy twins (``fftw_reference``) compute the
same maps with ``scipy.fft``.
"""

from __future__ import annotations

import llvmlite.binding as ll
import numpy as np
from numba import njit, prange, types

from quantgeo._kernels.split import apply_factor, apply_kinetic_scaled

__all__ = ["fftw_evolve", "fftw_pair", "fftw_sweeps", "fftw_sweeps_par", "register"]

#: The JIT symbol name of FFTW's new-array execute (bound to an address by :func:`register`).
SYMBOL = "quantgeo_fftw_execute_dft"
_execute = types.ExternalFunction(SYMBOL, types.void(types.uintp, types.uintp, types.uintp))
_C16 = 16  # bytes of one complex128


def register(address: int) -> None:
    """Bind :data:`SYMBOL` to ``fftw_execute_dft`` at ``address`` (before the first call)."""
    ll.add_symbol(SYMBOL, address)


@njit(cache=True)
def fftw_pair(psi, nsteps, plans):
    """``nsteps`` bare forward+inverse executes of the whole-lattice ``plans`` on ``psi``."""
    p = psi.ctypes.data
    for _ in range(nsteps):
        _execute(plans[0], p, p)
        _execute(plans[1], p, p)


@njit(cache=True)
def fftw_evolve(psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, plans, scale):
    """Advance ``psi`` by ``nsteps`` steps with whole-lattice FFTW plans.

    The arguments before ``plans`` are those of :func:`quantgeo._kernels.split.split_evolve`
    (less ``workers``); ``scale = 1/size``.
    """
    p = psi.ctypes.data
    s = k_index.size
    apply_factor(psi, v_factors[v_index[0]])
    for n in range(nsteps):
        for j in range(s):
            _execute(plans[0], p, p)
            apply_kinetic_scaled(psi, k_rest[k_index[j]], k_last[k_index[j]], scale)
            _execute(plans[1], p, p)
            if j < s - 1:
                apply_factor(psi, v_factors[v_index[j + 1]])
        if n < nsteps - 1:
            apply_factor(psi, v_factors[v_merged])
        else:
            apply_factor(psi, v_factors[v_index[s]])


@njit(cache=True, inline="always")
def _next_v(n, j, s, nsteps, v_index, v_merged):
    """Index of the V factor after sub-step ``j`` of step ``n`` (merged between steps)."""
    if j < s - 1:
        return v_index[j + 1]
    if n < nsteps - 1:
        return v_merged
    return v_index[s]


@njit(cache=True, inline="always")
def _row_block(flat, base, b, n0, m, rows, v, inverse, forward, plans):
    """Row block ``b``: ``F_r⁻¹`` (if ``inverse``), ``ψ ← ψ(1 + v)``, ``F_r`` (if ``forward``)."""
    r0 = b * rows
    tail = r0 + rows > n0
    pf, pi = (plans[2], plans[3]) if tail else (plans[0], plans[1])
    r1 = n0 if tail else r0 + rows
    ptr = base + r0 * m * _C16
    if inverse:
        _execute(pi, ptr, ptr)
    gv = v.reshape(v.size)
    for i in range(r0 * m, r1 * m):
        flat[i] += flat[i] * gv[i]
    if forward:
        _execute(pf, ptr, ptr)


@njit(cache=True, inline="always")
def _col_block(flat, base, b, n0, m, cols, kr, kl, scale, plans):
    """Column block ``b``: ``F₀``, ``ψ ← scale·ψ(1 + g_K)``, ``F₀⁻¹``.

    ``kr``/``kl`` are ``k_rest``/``k_last`` as (real, imaginary) rows, and ψ is updated through
    its float64 view: real arithmetic on split factors vectorises where the complex loop does
    not (measured in cache, 512 × 32 blocks: 0.59 against 1.11 ns per element).
    """
    c0 = b * cols
    tail = c0 + cols > m
    pf, pi = (plans[6], plans[7]) if tail else (plans[4], plans[5])
    c1 = m if tail else c0 + cols
    ptr = base + c0 * _C16
    _execute(pf, ptr, ptr)
    n_last = kl.shape[1]
    per_row = m // n_last  # k_rest entries per index of axis 0
    f = flat.view(np.float64)
    for i0 in range(n0):
        off = i0 * m
        q = c0
        while q < c1:  # segments of one k_rest entry: no division per element
            i1 = q // n_last
            j0 = q - i1 * n_last
            seg = min(c1 - q, n_last - j0)
            ar, ai = kr[0, i0 * per_row + i1], kr[1, i0 * per_row + i1]
            at = 2 * (off + q - j0)
            for j in range(j0, j0 + seg):
                br, bi = kl[0, j], kl[1, j]
                gr = ar + br + (ar * br - ai * bi)
                gi = ai + bi + (ar * bi + ai * br)
                xr, xi = f[at + 2 * j], f[at + 2 * j + 1]
                f[at + 2 * j] = (xr + (xr * gr - xi * gi)) * scale
                f[at + 2 * j + 1] = (xi + (xr * gi + xi * gr)) * scale
            q += seg
    _execute(pi, ptr, ptr)


@njit(cache=True)
def _split(k):
    """Complex rows ``(nk, n)`` as ``(nk, 2, n)`` float64: real and imaginary parts."""
    out = np.empty((k.shape[0], 2, k.shape[1]))
    for a in range(k.shape[0]):
        for i in range(k.shape[1]):
            out[a, 0, i] = k[a, i].real
            out[a, 1, i] = k[a, i].imag
    return out


@njit(cache=True)
def fftw_sweeps(
    psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, plans, blocks, scale
):
    """Advance ``psi`` (2D or 3D) by ``nsteps`` steps as row and column sweeps (one thread).

    ``blocks = [R, B]`` (rows per row block, columns per column block, as planned); the other
    arguments as in :func:`fftw_evolve`.
    """
    n0 = psi.shape[0]
    m = psi.size // n0
    rows, cols = blocks[0], blocks[1]
    nrb, ncb = (n0 + rows - 1) // rows, (m + cols - 1) // cols
    flat, base = psi.reshape(psi.size), psi.ctypes.data
    s = k_index.size
    krs, kls = _split(k_rest), _split(k_last)
    v = v_factors[v_index[0]]
    for b in range(nrb):
        _row_block(flat, base, b, n0, m, rows, v, False, True, plans)
    for n in range(nsteps):
        for j in range(s):
            kr, kl = krs[k_index[j]], kls[k_index[j]]
            for b in range(ncb):
                _col_block(flat, base, b, n0, m, cols, kr, kl, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            last = n == nsteps - 1 and j == s - 1
            for b in range(nrb):
                _row_block(flat, base, b, n0, m, rows, v, True, not last, plans)


@njit(cache=True, parallel=True)
def fftw_sweeps_par(
    psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, plans, blocks, scale
):
    """:func:`fftw_sweeps` with the blocks of each sweep spread over Numba's threads."""
    n0 = psi.shape[0]
    m = psi.size // n0
    rows, cols = blocks[0], blocks[1]
    nrb, ncb = (n0 + rows - 1) // rows, (m + cols - 1) // cols
    flat, base = psi.reshape(psi.size), psi.ctypes.data
    s = k_index.size
    krs, kls = _split(k_rest), _split(k_last)
    v = v_factors[v_index[0]]
    for b in prange(nrb):
        _row_block(flat, base, b, n0, m, rows, v, False, True, plans)
    for n in range(nsteps):
        for j in range(s):
            kr, kl = krs[k_index[j]], kls[k_index[j]]
            for b in prange(ncb):
                _col_block(flat, base, b, n0, m, cols, kr, kl, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            last = n == nsteps - 1 and j == s - 1
            for b in prange(nrb):
                _row_block(flat, base, b, n0, m, rows, v, True, not last, plans)
