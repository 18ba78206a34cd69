r"""Exact binomial variates with a fresh ``p`` each draw, Numba (twin: :mod:`.binomial_reference`).

``Bin(n, p)`` for a batch of ``(n_i, p_i)``; by symmetry ``p' = min(p, 1 − p)`` (a draw for
``p > ½`` is ``n − X``, ``X ~ Bin(n, 1 − p)``), then

* ``n p' < 10``: **inversion from 0** (BINV, Kachitvichyanukul & Schmeiser 1988): one uniform
  ``u``, ``X = min{x : u ≤ Σ_{j ≤ x} f(j)}`` with ``f(0) = q^n`` (by repeated squaring: only
  ``×``, so both backends get the same bits) and ``f(x) = f(x−1)·((n − x + 1)ρ)·(1/x)``,
  ``ρ = p'/q``; a search past ``min(n, ⌊np' + 10√(np'q + 1)⌋)`` (round-off) starts over
  with a new uniform.
* ``n p' ≥ 10``: **BTRD** (Hörmann 1993, *J. Statist. Comput. Simul.* 46, 101–110), transformed
  rejection with a decomposition: a uniform ``V ≤ 0.86 v_r`` (≈ 86 % of draws at large ``np``)
  gives ``X = ⌊(2a/(½ − |U|) + b)U + c⌋`` at once; otherwise a second uniform and the
  acceptance test ``V ≤ f(X)/f(m)`` (recursively for ``|X − m| ≤ 15``, else the squeeze
  ``ρ`` and, last, ``ln f(X)/f(m) = ln m! + ln(n − m)! − ln X! − ln(n − X)! + (X − m) ln(p'/q)``
  from the log-factorial table ``lf``).

Both are exact samplers (up to double rounding).  The stream of a batch is defined in
**rounds**: each pending draw, in ascending order, takes one uniform; then each BTRD draw that
missed the fast region, in ascending order, takes a second; the draws rejected in a round are
the pending ones of the next.  The twin consumes ``rng.random(size)`` in that order (NumPy's
``next_double`` stream, inlined here by :mod:`.pcg64`) with the same arithmetic; the logarithms it
needs are Python's ``math.log`` (the C library's, which Numba's ``math.log`` calls too; NumPy's
own SIMD ``np.log`` differs in the last bit), so the two agree draw for draw.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.special import gammaln

from quantgeo._kernels import pcg64
from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.pcg64 import next_double

__all__ = ["BTRD_MIN", "binomials", "draw_binomials", "log_factorials", "reciprocals", "rounds"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: ``n·min(p, 1 − p)`` from which BTRD is used (Hörmann's bound); inversion below it
BTRD_MIN = 10.0


def log_factorials(n: int) -> Array:
    """``ln k!`` for ``k = 0 … n`` (``scipy.special.gammaln``; one table for both backends)."""
    return np.asarray(gammaln(np.arange(n + 1) + 1.0), dtype=float)


def reciprocals(n: int) -> Array:
    """``1/k`` for ``k = 0 … n`` (entry 0 unused): the kernels multiply where BINV and BTRD's
    recursion divide (one table for both backends)."""
    return 1.0 / np.maximum(np.arange(n + 1, dtype=float), 1.0)


@njit(cache=True, error_model="numpy")
def _q_pow(q: float, n: int) -> float:
    # q**n by squaring from the lowest bit (the twin's order)
    res = 1.0
    base = q
    e = n
    while e > 0:
        if e & 1:
            res = res * base
        base = base * base
        e >>= 1
    return res


@njit(cache=True, error_model="numpy")
def _inversion(u: float, n: int, pp: float, inv: Array) -> int:
    q = 1.0 - pp
    r = pp / q
    npp = n * pp
    bound = min(float(n), np.floor(npp + 10.0 * np.sqrt(npp * q + 1.0)))
    x = 0
    px = _q_pow(q, n)
    while u > px:
        x += 1
        if x > bound:
            return -1
        u -= px
        px = px * ((n - x + 1) * r) * inv[x]
    return x


@njit(cache=True, error_model="numpy")
def _btrd_slow(v: float, w: float, n: int, pp: float, lf: Array) -> int:
    # branch-free: selects, not jumps, on the data (which half of the slow region, k in range,
    # acceptance), and the exact log test for every k: a mispredicted branch costs more here
    # than the two logarithms
    q = 1.0 - pp
    npq = n * pp * q
    spq = np.sqrt(npq)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * pp
    c = n * pp + 0.5
    vr = 0.92 - 4.2 / b
    hi = v >= vr
    u0 = v / vr - 0.93
    sg = 0.5 if u0 > 0.0 else (-0.5 if u0 < 0.0 else 0.0)
    u = w - 0.5 if hi else sg - u0
    v = v if hi else w * vr
    us = 0.5 - abs(u)
    kf = np.floor((2.0 * a / us + b) * u + c)
    inside = (kf >= 0.0) & (kf <= n)
    alpha = (2.83 + 5.1 / b) * spq
    v = v * alpha / (a / (us * us) + b)
    k = int(kf if inside else 0.0)  # a valid index either way
    m = int(np.floor((n + 1) * pp))
    bound = lf[m] + lf[n - m] - lf[k] - lf[n - k] + (k - m) * math.log(pp / q)
    return k if inside & (math.log(v) <= bound) else -1


@njit(cache=True, error_model="numpy")
def draw_binomials(
    st: NDArray[np.uint64],
    n: IntArray,
    p: Array,
    out: IntArray,
    m: int,
    lf: Array,
    inv: Array,
    vv: Array,
    pend: IntArray,
    slow: IntArray,
    flag: NDArray[np.uint8],
) -> None:
    """``out[i] ~ Bin(n[i], p[i])`` for ``i < m`` (module docstring for the stream), drawn from
    the PCG64 state ``st`` (:mod:`.pcg64`, advanced in place).

    ``lf``, ``inv``: :func:`log_factorials` and :func:`reciprocals` up to ``max n``; ``vv``,
    ``pend``, ``slow``, ``flag``: work arrays of at least ``m`` entries.  ``p ≤ 0`` or
    ``n = 0`` gives 0 and ``p ≥ 1`` gives ``n``, without a draw.
    """
    n_p = 0
    for i in range(m):
        ni = n[i]
        pi = p[i]
        if ni <= 0 or pi <= 0.0:
            out[i] = 0
        elif pi >= 1.0:
            out[i] = ni
        else:
            pend[n_p] = i
            n_p += 1
    rounds(st, n, p, out, n_p, lf, inv, vv, pend, slow, flag, False)


@njit(cache=True, error_model="numpy")
def rounds(
    st: NDArray[np.uint64],
    n: IntArray,
    p: Array,
    out: IntArray,
    n_p: int,
    lf: Array,
    inv: Array,
    vv: Array,
    pend: IntArray,
    slow: IntArray,
    flag: NDArray[np.uint8],
    predrawn: bool,
) -> None:
    """The rounds of :func:`binomials` for the ``n_p`` entries ``pend[:n_p]`` (ascending, each
    with ``n > 0`` and ``0 < p < 1``); ``predrawn``: the first round's uniforms are already in
    ``vv[pend[t]]`` (drawn by the caller in that order).  ``st``: the PCG64 state
    (:mod:`.pcg64`), advanced; ``flag`` is unused (kept for the signature).

    A round is two passes: the first draws and decides every pending entry (the fast region or
    inversion) and lists the slow ones, the second runs BTRD's slow region on those; the two
    ascending lists of rejects, merged, are the next round's pending entries (no pass over the
    accepted ones)."""
    first = predrawn
    while n_p > 0:
        # one pass: each pending draw takes its first uniform (in pending order: the stream of
        # a separate pass of uniforms) and is decided at once unless it is a slow BTRD draw;
        # the rejected ones are kept in order in pend[:n_r], the slow ones in slow[:n_s]
        n_s = 0
        n_r = 0
        for t in range(n_p):
            i = pend[t]
            if first:
                u = vv[i]
            else:
                u = next_double(st)
                vv[i] = u
            ni = n[i]
            low = p[i] <= 0.5
            pp = p[i] if low else 1.0 - p[i]
            if ni * pp < BTRD_MIN:
                k = _inversion(u, ni, pp, inv)
                if k >= 0:
                    out[i] = k if low else ni - k
                else:
                    pend[n_r] = i
                    n_r += 1
            else:
                # BTRD's fast region without a branch on u (a mispredicted branch at the end of
                # the sqrt/division chain costs more than the arithmetic): the candidate is
                # written, the slow ones listed, the out-of-range ones rejected
                spq = np.sqrt(ni * pp * (1.0 - pp))
                b = 1.15 + 2.53 * spq
                vr = 0.92 - 4.2 / b
                a = -0.0873 + 0.0248 * b + 0.01 * pp
                c = ni * pp + 0.5
                uf = u / vr - 0.43
                kf = np.floor((2.0 * a / (0.5 - abs(uf)) + b) * uf + c)
                fast = u <= 0.86 * vr
                inside = (kf >= 0.0) & (kf <= ni)
                k = int(kf if inside else 0.0)
                out[i] = k if low else ni - k
                slow[n_s] = i
                n_s += int(not fast)
                pend[n_r] = i  # n_r ≤ t: pend[t] is already read
                n_r += int(fast & (not inside))
        first = False
        # the slow draws take their second uniforms in order; their rejects, in order, in place
        n_sr = 0
        for t in range(n_s):
            i = slow[t]
            ni = n[i]
            low = p[i] <= 0.5
            pp = p[i] if low else 1.0 - p[i]
            k = _btrd_slow(vv[i], next_double(st), ni, pp, lf)
            # written either way (a reject's entry is drawn again in a later round)
            out[i] = k if low else ni - k
            slow[n_sr] = i  # n_sr ≤ t: slow[t] is already read
            n_sr += int(k < 0)
        # the next round's pending draws: the two ascending reject lists merged, from the back
        a_i = n_r - 1
        b_i = n_sr - 1
        for dst in range(n_r + n_sr - 1, -1, -1):
            if b_i < 0 or (a_i >= 0 and pend[a_i] > slow[b_i]):
                pend[dst] = pend[a_i]
                a_i -= 1
            else:
                pend[dst] = slow[b_i]
                b_i -= 1
        n_p = n_r + n_sr


#: ``out[i] ~ Bin(n[i], p[i])`` for ``i < m``, drawn from ``rng`` (advanced in place): the
#: twin's signature, :func:`draw_binomials` on ``rng``'s PCG64 state.
binomials = pcg64.on_stream(draw_binomials, 0, "binomials")


# the sampler draws through pcg64.py: drop cache entries compiled against another version of it
drop_stale(__name__, [pcg64.__name__])
