r"""Split-operator kernels that run FFTW from inside Numba (new-array execute, no Python).

FFTW's ``fftw_execute_dft(plan, in, out)`` is called as an external C function, bound when
this module is imported to the FFTW that pyFFTW links (so no kernel is compiled or loaded from
the cache with the symbol unresolved; without pyFFTW the import fails with an ``ImportError``
naming the ``[fftw]`` extra).  ``quantgeo/solvers/fftw_native.py`` makes the plans.
Plans and the state are passed as integers (the plan pointer, ``psi.ctypes.data`` plus byte
offsets); new-array execute on other data of the planned layout and alignment is what FFTW
documents as thread-safe, so one plan serves every block and every thread.

Factors, their ``g = f − 1`` form and the separable kinetic factor are as in
:mod:`quantgeo._kernels.split`; FFTW's inverse is unnormalised and its ``1/N`` (``scale``) is
folded into the kinetic pass.

Three ways to run a step of a composition scheme:

:func:`fftw_evolve`
    whole-lattice plans (FFTW's own threads, if planned with them): per Strang sub-step one
    forward and one inverse execute and the two element-wise passes between them, on ψ's
    float64 view two complex numbers at a time in vector lanes (:mod:`~quantgeo._kernels.simd`:
    no cross-lane shuffles; the run's step at 48², blanes-moan6, 19.3 → 16.6 µs a sub-step
    against a bare pair of 13.7).
:func:`fftw_evolve_split` (1D)
    the same with the factors as (real, imaginary) rows, the 1/N folded into the stored
    kinetic factor, and out-of-place plans (ψ → ``work`` → ψ) from 4096 points.  The passes
    stream ψ and a factor from L2 (64 KiB each at 4096; L1 is 48 KiB) and cost what those
    bytes take, ~0.2 of the pair, whether LLVM's interleaved loop (10 shuffles per 8 complex
    numbers) or explicit in-lane vectors (4) run them.
:func:`fftw_sweeps` / :func:`fftw_sweeps_par` (2D and 3D)
    the lattice seen as ``(n0, n1, n_last)`` (``n1`` the product of the middle axes, 1 in
    2D).  Transforms along different axes commute, so ``F = F₀F_r`` (``F_r`` over axes 1…, per
    row of axis 0; ``F₀`` along axis 0) and the separable kinetic factor
    ``(1 + k_rest)(1 + k_last)`` splits the same way: ``1 + k_last`` acts along the last axis
    only, so it can be applied as soon as the rows are transformed.  A step ``V·F⁻¹KF`` is
    then two sweeps over memory, each on cache-sized blocks:

    * row sweep, per block of ``R`` rows: ``F_r⁻¹`` (of the previous sub-step) · ``V`` ·
      ``F_r`` · ``(1 + k_last)`` (of the next);
    * column sweep, per block of ``B`` adjacent last-axis columns: ``F₀`` ·
      ``(1 + k_rest)/N`` · ``F₀⁻¹``.

    The sweeps run on a work buffer whose rows and axis-0 stride are padded off powers of
    two (with power-of-two strides the rows of a column block fall on a few cache sets);
    the first row sweep reads ψ (its V pass in place, then an out-of-place ``F_r`` into the
    buffer) and the last writes ψ (its V pass out of the buffer), so the padding costs no
    extra pass.  The blocks are independent, so ``fftw_sweeps_par`` spreads them over Numba's
    threads (``prange``): each thread runs serial FFTW plans on its own blocks, and the passes
    are threaded together with the FFTs (no second thread pool waiting on the first).

``plans`` holds the plan pointers (uint64): ``[forward, inverse]`` for :func:`fftw_evolve`
(in place) and :func:`fftw_evolve_split` (``psi → work``, ``work → psi``);
``[row_fwd, row_inv, row_fwd_from_psi, tail ×3, col_fwd, col_inv, col_tail_fwd,
col_tail_inv]`` for the sweeps, where the tail plans (0 when unused) cover the last
``n0 mod R`` rows and ``n_last mod B`` columns.  The NumPy twins (``fftw_reference``) compute the
same maps with ``scipy.fft``.
"""

from __future__ import annotations

import ctypes

import llvmlite.binding as ll
import numpy as np
from numba import njit, prange, types

from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.simd import kinetic2, mul_add2

__all__ = [
    "fftw_evolve",
    "fftw_evolve_split",
    "fftw_pair",
    "fftw_pair_out",
    "fftw_sweeps",
    "fftw_sweeps_par",
    "split_rows",
]

#: The JIT symbol name of FFTW's new-array execute (bound by :func:`_bind` at import).
SYMBOL = "quantgeo_fftw_execute_dft"
_execute = types.ExternalFunction(SYMBOL, types.void(types.uintp, types.uintp, types.uintp))
_C16 = 16  # bytes of one complex128


def _bind() -> None:
    """Bind :data:`SYMBOL` to the ``fftw_execute_dft`` of the FFTW pyFFTW links (``dlsym`` on
    pyFFTW's extension resolves through its dependencies: the instance pyFFTW uses)."""
    try:
        import pyfftw.pyfftw as ext
    except ImportError as exc:
        raise ImportError(
            "the FFTW kernels call the FFTW that pyFFTW links, and pyFFTW is not installed: "
            "pip install 'quantgeo[fftw]'"
        ) from exc
    address = ctypes.cast(ctypes.CDLL(ext.__file__).fftw_execute_dft, ctypes.c_void_p).value
    if not address:
        raise ImportError(f"pyFFTW's extension {ext.__file__} has no fftw_execute_dft")
    ll.add_symbol(SYMBOL, address)


_bind()


@njit(cache=True, nogil=True)
def fftw_pair(psi, nsteps, plans):
    """``nsteps`` bare forward+inverse executes of the whole-lattice ``plans`` on ``psi``."""
    p = psi.ctypes.data
    for _ in range(nsteps):
        _execute(plans[0], p, p)
        _execute(plans[1], p, p)


@njit(cache=True, inline="always")
def _kinetic_pairs(f, k_rest, kl, scale):
    """:func:`~quantgeo._kernels.split.apply_kinetic_scaled` on the float64 views ``f`` of
    the spectrum and ``kl`` of the ``k_last`` row, two complex numbers at a time in vector
    lanes (:mod:`quantgeo._kernels.simd`; 48², 20³: 1.36, 1.30 → 0.79, 0.66 ns an element).
    For the ``k = 0`` row (``k_rest = 0``) ``g = k_last`` exactly, as in the complex pass."""
    n = kl.size // 2
    m = n - n % 2
    for r in range(k_rest.size):
        ar, ai = k_rest[r].real, k_rest[r].imag
        o = 2 * r * n
        for j in range(0, 2 * m, 4):
            kinetic2(f, o + j, kl, j, ar, ai, scale)
        for j in range(m, n):  # an odd row's last number
            lr, li = kl[2 * j], kl[2 * j + 1]
            gr = ar + lr + (ar * lr - ai * li)
            gi = ai + li + (ar * li + ai * lr)
            xr, xi = f[o + 2 * j], f[o + 2 * j + 1]
            f[o + 2 * j] = (xr + (xr * gr - xi * gi)) * scale
            f[o + 2 * j + 1] = (xi + (xr * gi + xi * gr)) * scale


@njit(cache=True, inline="always")
def _factor_pairs(f, g):
    """``ψ ← ψ + ψ·g`` on the float64 views ``f`` and ``g``, two numbers at a time in vector
    lanes (48², 20³: 0.77, 0.69 → 0.70, 0.43 ns an element)."""
    n = f.size // 2
    m = n - n % 2
    for i in range(0, 2 * m, 4):
        mul_add2(f, i, g, i)
    if m < n:
        xr, xi, gr, gi = f[2 * m], f[2 * m + 1], g[2 * m], g[2 * m + 1]
        f[2 * m] = xr + (xr * gr - xi * gi)
        f[2 * m + 1] = xi + (xr * gi + xi * gr)


@njit(cache=True, nogil=True)
def fftw_evolve(psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, plans, scale):
    """Advance ``psi`` by ``nsteps`` steps with whole-lattice FFTW plans.

    The arguments before ``plans`` are those of :func:`quantgeo._kernels.split.split_evolve`
    (less ``workers``); ``scale = 1/size``.
    """
    if nsteps < 1:
        return
    p = psi.ctypes.data
    s = k_index.size
    f = psi.reshape(psi.size).view(np.float64)
    vf = v_factors.reshape(v_factors.size).view(np.float64)
    kf = k_last.reshape(k_last.size).view(np.float64)
    m, nl = psi.size, k_last.shape[1]  # the float views' rows: 2m (V), 2·nl (k_last)
    _factor_pairs(f, vf[2 * m * v_index[0] : 2 * m * (v_index[0] + 1)])
    for n in range(nsteps):
        for j in range(s):
            _execute(plans[0], p, p)
            k = k_index[j]
            _kinetic_pairs(f, k_rest[k], kf[2 * nl * k : 2 * nl * (k + 1)], scale)
            _execute(plans[1], p, p)
            a = _next_v(n, j, s, nsteps, v_index, v_merged)
            _factor_pairs(f, vf[2 * m * a : 2 * m * (a + 1)])


@njit(cache=True, nogil=True)
def fftw_pair_out(psi, work, nsteps, plans):
    """``nsteps`` bare pairs of the 1D plans: forward ``psi → work``, inverse ``work → psi``
    (the pair :func:`fftw_evolve_split` runs; ``work`` may be ``psi``)."""
    p, q = psi.ctypes.data, work.ctypes.data
    for _ in range(nsteps):
        _execute(plans[0], p, q)
        _execute(plans[1], q, p)


@njit(cache=True, nogil=True, fastmath={"contract"})
def fftw_evolve_split(
    psi, work, v_split, k_split, v_index, k_index, v_merged, nsteps, plans, scale
):
    """1D :func:`fftw_evolve` with the factors as (real, imaginary) rows.

    ``plans`` are ``[forward psi → work, inverse work → psi]``; ``work`` is an aligned array
    like ``psi``, or ``psi`` itself for in-place plans.  ``v_split`` is ``(nv, 2, N)``
    (``g = f − 1``); ``k_split`` is ``(nk, 2, N)``, the 1D kinetic ``g`` (the engine's
    ``k_rest`` folded in) times ``scale``, applied as ``x ← scale·x + x·(scale·g)``: for N a
    power of two bit for bit ``scale·(x + x·g)``, with one multiply fewer.  ψ and ``work`` are
    updated through their float64 views (real arithmetic on split factors vectorises; 4096,
    1 thread: step 1.39–1.42 × the pair with the complex loops, 1.23–1.34 so, in place).
    """
    if nsteps < 1:
        return
    p, q = psi.ctypes.data, work.ctypes.data
    f = psi.view(np.float64)
    h = work.view(np.float64)
    s = k_index.size
    _mul_add_split(f, v_split[v_index[0]])
    for n in range(nsteps):
        for j in range(s):
            _execute(plans[0], p, q)
            g = k_split[k_index[j]]
            for i in range(g.shape[1]):
                xr, xi = h[2 * i], h[2 * i + 1]
                h[2 * i] = xr * scale + (xr * g[0, i] - xi * g[1, i])
                h[2 * i + 1] = xi * scale + (xr * g[1, i] + xi * g[0, i])
            _execute(plans[1], q, p)
            if j < s - 1:
                _mul_add_split(f, v_split[v_index[j + 1]])
        if n < nsteps - 1:
            _mul_add_split(f, v_split[v_merged])
        else:
            _mul_add_split(f, v_split[v_index[s]])


@njit(cache=True, inline="always")
def _next_v(n, j, s, nsteps, v_index, v_merged):
    """Index of the V factor after sub-step ``j`` of step ``n`` (merged between steps)."""
    if j < s - 1:
        return v_index[j + 1]
    if n < nsteps - 1:
        return v_merged
    return v_index[s]


@njit(cache=True, inline="always")
def _row_block(psi, pad, b, geo, v, kl, first, last, plans):
    """Row block ``b`` (``geo[4]`` indices of axis 0) of a row sweep.

    ``first``: ``ψ ← ψ(1 + v)`` on ψ's rows, then ``F_r`` from ψ into the padded buffer;
    otherwise ``F_r⁻¹`` in the buffer, ``(1 + v)`` — written back to ψ when ``last`` — and
    ``F_r``.  Unless ``last``, the rows end multiplied by ``1 + k_last`` (the last-axis part of
    the next kinetic factor: it acts along k of the last axis only, so it commutes with the
    axis-0 transforms still to come).
    """
    n0, n1, nl, ld, rows, ps = geo[0], geo[1], geo[2], geo[3], geo[4], geo[6]
    m = n1 * nl  # row lengths of ψ and (ps) of the buffer
    r0 = b * rows
    r1 = min(n0, r0 + rows)
    t = 3 if r1 - r0 < rows else 0  # the tail plans
    gv = v.reshape(v.size)
    fp = psi.reshape(psi.size)
    fq = pad.reshape(pad.size)
    dst = pad.ctypes.data + r0 * ps * _C16
    # the loops index slices from 0: Numba then knows the indices are not negative (no
    # wraparound select), and LLVM vectorises them
    if first:
        _mul_add(fp[r0 * m : r1 * m], gv[r0 * m : r1 * m])
        _execute(plans[t + 2], psi.ctypes.data + r0 * m * _C16, dst)
    else:
        _execute(plans[t + 1], dst, dst)
        for i0 in range(r0, r1):
            for i1 in range(n1):
                a, q = i0 * m + i1 * nl, i0 * ps + i1 * ld
                x, g = fq[q : q + nl], gv[a : a + nl]
                if last:
                    y = fp[a : a + nl]
                    for j in range(nl):
                        y[j] = x[j] + x[j] * g[j]
                else:
                    _mul_add(x, g)
        if last:
            return
        _execute(plans[t], dst, dst)
    for i0 in range(r0, r1):
        for i1 in range(n1):
            q = i0 * ps + i1 * ld
            _mul_add_split(fq[q : q + nl].view(np.float64), kl)


@njit(cache=True, inline="always")
def _mul_add(x, g):
    """``x ← x + x·g`` (1D views of equal length)."""
    for j in range(x.size):
        x[j] += x[j] * g[j]


@njit(cache=True, inline="always")
def _mul_add_split(xf, g):
    """``x ← x + x·g`` on the float64 view ``xf`` of ``x``, with ``g`` as ``(real, imag)``
    rows: real arithmetic on split factors vectorises better than the complex loop (the
    sweeps at 512², 1 thread: 2.93 against 3.20 ms a step)."""
    for j in range(g.shape[1]):
        xr, xi = xf[2 * j], xf[2 * j + 1]
        gr, gi = g[0, j], g[1, j]
        xf[2 * j] = xr + (xr * gr - xi * gi)
        xf[2 * j + 1] = xi + (xr * gi + xi * gr)


@njit(cache=True)
def split_rows(k):
    """Complex rows ``(nk, n)`` as float64 ``(nk, 2, n)``: real and imaginary parts."""
    out = np.empty((k.shape[0], 2, k.shape[1]))
    for a in range(k.shape[0]):
        for i in range(k.shape[1]):
            out[a, 0, i] = k[a, i].real
            out[a, 1, i] = k[a, i].imag
    return out


@njit(cache=True, inline="always")
def _col_block(pad, b, geo, kr, scale, plans):
    """Column block ``b``: ``F₀``, ``ψ ← scale·ψ(1 + k_rest)`` (the leading-axes part of the
    kinetic factor, one value per index of axes 0…d−2 and so per row of the block), ``F₀⁻¹``.
    A block is ``geo[5]`` adjacent last-axis columns of one axis-1 index."""
    n0, n1, nl, ld, cols, ps = geo[0], geo[1], geo[2], geo[3], geo[5], geo[6]
    per = (nl + cols - 1) // cols
    i1, c0 = b // per, (b % per) * cols
    c1 = min(nl, c0 + cols)
    t = 2 if c1 - c0 < cols else 0
    fq = pad.reshape(pad.size)
    ptr = pad.ctypes.data + (i1 * ld + c0) * _C16
    _execute(plans[6 + t], ptr, ptr)
    for i0 in range(n0):
        gr = kr[i0 * n1 + i1]
        q = i0 * ps + i1 * ld
        xf = fq[q + c0 : q + c1].view(np.float64)  # real arithmetic, as in _mul_add_split
        ar, ai = gr.real, gr.imag
        for j in range(c1 - c0):
            xr, xi = xf[2 * j], xf[2 * j + 1]
            xf[2 * j] = (xr + (xr * ar - xi * ai)) * scale
            xf[2 * j + 1] = (xi + (xr * ai + xi * ar)) * scale
    _execute(plans[7 + t], ptr, ptr)


@njit(cache=True, nogil=True)
def fftw_sweeps(
    psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, pad, plans, geo, scale
):
    """Advance ``psi`` (2D or 3D) by ``nsteps`` steps as row and column sweeps (one thread).

    ``pad`` is the padded work buffer (flat) and ``geo = [n0, n1, n_last, ld, R, B, ps]`` its
    geometry: ``n1`` the product of the middle axes (1 in 2D), ``ld`` the padded last-axis
    length, ``ps ≥ n1·ld`` the buffer's stride along axis 0, ``R`` rows per row block and
    ``B`` columns per column block, as planned.  The other arguments as in
    :func:`fftw_evolve`.
    """
    if nsteps < 1:
        return
    n0, n1, nl, rows, cols = geo[0], geo[1], geo[2], geo[4], geo[5]
    nrb, ncb = (n0 + rows - 1) // rows, n1 * ((nl + cols - 1) // cols)
    s = k_index.size
    kls = split_rows(k_last)
    v, kl = v_factors[v_index[0]], kls[k_index[0]]
    for b in range(nrb):
        _row_block(psi, pad, b, geo, v, kl, True, False, plans)
    for n in range(nsteps):
        for j in range(s):
            kr = k_rest[k_index[j]]
            for b in range(ncb):
                _col_block(pad, b, geo, kr, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            kl = kls[k_index[j + 1] if j < s - 1 else k_index[0]]
            last = n == nsteps - 1 and j == s - 1
            for b in range(nrb):
                _row_block(psi, pad, b, geo, v, kl, False, last, plans)


@njit(cache=True, nogil=True, parallel=True)
def fftw_sweeps_par(
    psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, pad, plans, geo, scale
):
    """:func:`fftw_sweeps` with the blocks of each sweep spread over Numba's threads."""
    if nsteps < 1:
        return
    n0, n1, nl, rows, cols = geo[0], geo[1], geo[2], geo[4], geo[5]
    nrb, ncb = (n0 + rows - 1) // rows, n1 * ((nl + cols - 1) // cols)
    s = k_index.size
    kls = split_rows(k_last)
    v, kl = v_factors[v_index[0]], kls[k_index[0]]
    for b in prange(nrb):
        _row_block(psi, pad, b, geo, v, kl, True, False, plans)
    for n in range(nsteps):
        for j in range(s):
            kr = k_rest[k_index[j]]
            for b in prange(ncb):
                _col_block(pad, b, geo, kr, scale, plans)
            v = v_factors[_next_v(n, j, s, nsteps, v_index, v_merged)]
            kl = kls[k_index[j + 1] if j < s - 1 else k_index[0]]
            last = n == nsteps - 1 and j == s - 1
            for b in prange(nrb):
                _row_block(psi, pad, b, geo, v, kl, False, last, plans)


# the kernels inline simd.py's intrinsics: drop cache entries compiled against another version
drop_stale(__name__, ["quantgeo._kernels.simd"])
