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
  acceptance test ``V ≤ f(X)/f(m)`` for every ``X``, as its logarithm
  ``ln V ≤ ln m! + ln(n − m)! − ln X! − ln(n − X)! + (X − m) ln(p'/q)`` from the log-factorial
  table ``lf`` (Hörmann's recursion for ``|X − m| ≤ 15`` and his squeeze decide the same test:
  they only save the logarithms, and cost more in data-dependent branches than those do
  here, where the slow draws of a round are evaluated together and vectorised).

Both are exact samplers up to double rounding (the table difference carries a relative error
~1e-16 of ``ln n!``, the logarithms ≤ 1 ulp).  The stream of a batch is defined in
**rounds**: each pending draw, in ascending order, takes one uniform; then each BTRD draw that
missed the fast region, in ascending order, takes a second; the draws rejected in a round are
the pending ones of the next.  The twin consumes ``rng.random(size)`` in that order (NumPy's
``next_double`` stream, inlined here by :mod:`.pcg64`) with the same arithmetic; the logarithms
are :func:`ln`, fdlibm's ``log`` written with ``+ − × ÷`` and bit operations only (no call,
so LLVM vectorises the slow region; the C library's ``log`` and NumPy's SIMD ``np.log`` differ
from it, and from each other, in the last bit), which the twin repeats bit for bit, so the two agree
draw for draw.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from quantgeo._kernels import pcg64
from quantgeo._kernels._cache import drop_stale

# the tables and constants both backends share (plain NumPy, importable without Numba)
from quantgeo._kernels.binomial_reference import (
    BTRD_MIN,
    LG,
    LN2_HI,
    LN2_LO,
    log_factorials,
    reciprocals,
)

__all__ = [
    "BTRD_MIN",
    "binomials",
    "draw_binomials",
    "ln",
    "log_factorials",
    "reciprocals",
    "rounds",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: draws per chunk of a round's vectorised passes (their work rows stay in the L1/L2 cache)
CHUNK = 1024
#: a batch with more than 1/INV_SHARE of its draws inverted is drawn by
#: :func:`.binomial_chunked.rounds_chunked`
INV_SHARE = 4


@njit(cache=True, error_model="numpy")
def _inversion(u: float, n: int, pp: float, inv: Array, px: float) -> int:
    # BINV from 0 for the uniform u; px = f(0) = q^n
    q = 1.0 - pp
    r = pp / q
    npp = n * pp
    bound = min(float(n), np.floor(npp + 10.0 * np.sqrt(npp * q + 1.0)))
    x = 0
    while u > px:
        x += 1
        if x > bound:
            return -1
        u -= px
        px = px * ((n - x + 1) * r) * inv[x]
    return x


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (a bitcast: NumPy's ``.view(np.int64)``)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _double(typingctx, x):
    """The float64 of the IEEE-754 bits ``x`` (the inverse of :func:`_bits`)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(cache=True, error_model="numpy", inline="always")
def ln(x: float) -> float:
    r"""``ln x`` for ``x = 0`` (``−∞``) and normal ``x > 0``, fdlibm's algorithm without branches.

    ``x = 2^k (1 + f)``, ``√½ ≤ 1 + f < √2``; ``ln x = k ln 2 + ln(1 + f)`` with
    ``ln(1 + f) = f − s(f − R)`` (or, for ``0.38 ≲ f ≲ 0.42``, ``f − (f²/2 − s(f²/2 + R))``),
    ``s = f/(2 + f)``, ``R = Σ_j Lg_j s^{2j}`` — only ``+ − × ÷`` and bit operations, so LLVM
    vectorises a loop of them (the C library's ``log`` is a call, which stops it) and the
    twin reproduces every bit (:func:`quantgeo._kernels.binomial_reference.ln`).  Within 1 ulp
    of ``ln x`` (tested against 40-digit decimal arithmetic); subnormal ``x`` are not reduced
    (not needed: the arguments here exceed ``2⁻²⁰⁰``)."""
    hx: int = _bits(x)  # type: ignore[call-arg]
    k = (hx >> 52) - 1023
    hx = hx & 0x000FFFFFFFFFFFFF
    hw = hx >> 32  # fdlibm's high word of the mantissa
    i = (hx + 0x00095F6400000000) & 0x0010000000000000  # 1 + f ≥ √2: halve, k + 1
    f = _double(hx | (i ^ 0x3FF0000000000000)) - 1.0
    dk = float(k + (i >> 52))
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG[1] + w * (LG[3] + w * LG[5]))
    t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])))
    r = t2 + t1
    hfsq = 0.5 * f * f
    y1 = dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    y2 = dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    y = y1 if (hw >= 0x6147A) & (hw <= 0x6B851) else y2
    return y if x > 0.0 else -np.inf


# the chunked form for inversion-heavy batches needs ln and _inversion above: imported here
from quantgeo._kernels.binomial_chunked import rounds_chunked  # noqa: E402


@njit(cache=True, error_model="numpy", inline="always")
def _setup(n: int, pp: float) -> tuple[float, float, float, float, float]:
    # BTRD's set-up of an entry, computed once and kept for its later rounds and its slow
    # region: √(n p'q), b, v_r, a, c (the same expressions in every use: the same bits)
    spq = np.sqrt(n * pp * (1.0 - pp))
    b = 1.15 + 2.53 * spq
    vr = 0.92 - 4.2 / b
    a = -0.0873 + 0.0248 * b + 0.01 * pp
    c = n * pp + 0.5
    return spq, b, vr, a, c


@njit(cache=True, error_model="numpy", inline="always")
def _btrd_fast(u: float, n: int, b: float, vr: float, a: float, c: float) -> int:
    # BTRD's fast region without a branch on the data: the candidate k for u ≤ 0.86 v_r, −1
    # if it falls outside 0 … n (rejected), −2 for u > 0.86 v_r (the slow region decides)
    uf = u / vr - 0.43
    kf = np.floor((2.0 * a / (0.5 - abs(uf)) + b) * uf + c)
    inside = (kf >= 0.0) & (kf <= n)
    k = int(kf if inside else -1.0)
    return k if u <= 0.86 * vr else -2


@njit(cache=True, error_model="numpy", inline="always")
def _btrd_slow(
    v: float, w: float, n: int, pp: float, spq: float, b: float, vr: float, a: float, c: float
) -> tuple[int, int, float, float]:
    # BTRD's slow region up to its acceptance test, without a branch on the data (selects):
    # the candidate k (−1 outside 0 … n), the mode m, ln v and (k − m) ln(p'/q) — the caller
    # accepts iff ln v ≤ ln m! + ln(n − m)! − ln k! − ln(n − k)! + (k − m) ln(p'/q)
    q = 1.0 - pp
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
    k = int(kf if inside else -1.0)
    m = int(np.floor((n + 1) * pp))
    return k, m, ln(v), (k - m) * ln(pp / q)


@njit(cache=True, error_model="numpy", inline="always")
def _q_pow(sq: Array, sm: IntArray, sx: Array, n_i: int) -> None:
    # inversion's f(0) = q^n by squaring from the lowest bit (the twin's order), one bit of
    # every entry per pass, vectorised over the n_i entries of the rows (q in sq, n in sm,
    # both consumed; the power in sx)
    for t in range(n_i):
        sx[t] = 1.0
    more = True
    while more:
        more = False
        for t in range(n_i):
            e = sm[t]
            sx[t] = sx[t] * sq[t] if (e & 1) == 1 else sx[t]
            sq[t] = sq[t] * sq[t] if e > 0 else sq[t]
            sm[t] = e >> 1
            more |= e > 1


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

    ``lf``, ``inv``: :func:`log_factorials` and :func:`reciprocals` up to ``max n``; ``pend``,
    ``slow``: work arrays of at least ``m`` entries (``vv``, ``flag`` unused, kept for the
    signature).  ``p ≤ 0`` or ``n = 0`` gives 0 and ``p ≥ 1`` gives ``n``, without a draw.
    """
    _sample(st, n, p, out, m, lf, inv, vv, pend, slow, False, False)


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
    (:mod:`.pcg64`), advanced; ``pend`` and ``slow`` (≥ ``n_p`` entries) are overwritten,
    ``flag`` is unused (kept for the signature)."""
    _sample(st, n, p, out, n_p, lf, inv, vv, pend, slow, True, predrawn)


@njit(cache=True, error_model="numpy")
def _sample(
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
    listed: bool,
    predrawn: bool,
) -> None:
    """The sampler behind :func:`draw_binomials` (``listed`` false: the entries ``i < m``, those
    with ``n > 0`` and ``0 < p < 1`` drawn) and :func:`rounds` (``listed``: the ``m`` entries
    ``pend[:m]``).

    Each entry drawn gets a position ``t`` in the first round's list, and rows at ``t``: its
    index, ``n``, ``p'``, its current candidate, the uniform of its current round and BTRD's
    set-up (:func:`_setup`, or inversion's ``q^n``) — computed once, in the first round, by
    passes without branches or calls that LLVM vectorises (independent draws' sqrt/division
    chains overlap; a mispredicted branch at the end of such a chain cost more than the
    arithmetic).  A round: a uniform for every pending draw in order (:func:`.pcg64.fill_range`)
    and its fast region (inversion where ``n p' < 10``), a branch-free listing of the slow
    draws and of the rejected ones; then the slow draws' second uniforms in order, their slow
    region and log-factorial tests, chunk by chunk (:data:`CHUNK`) on gathered rows, and their
    rejects listed.  The two ascending reject lists, merged, are the next round's pending draws
    (their set-up is reused).  The draws are written to ``out`` at the end."""
    cap = max(m, 1)
    fw = np.empty((7, cap))
    iw = np.empty((3, cap), dtype=np.int64)
    uu, pq, ss, bb, vrr, aa, cc = fw[0], fw[1], fw[2], fw[3], fw[4], fw[5], fw[6]
    ent, nn, kk = iw[0], iw[1], iw[2]
    # the entries drawn: at positions t = i when every one of i < m is (the common case: no
    # pass with a data-dependent store, so LLVM vectorises the rows' set-up), else listed
    ident = not listed
    if ident:
        n_ok = 0
        for i in range(m):
            n_ok += (n[i] > 0) & (p[i] > 0.0) & (p[i] < 1.0)
        ident = n_ok == m
    n_inv = 0
    if ident:
        n_p = m
        for t in range(m):
            ni = n[t]
            pi = p[t]
            ent[t] = t
            nn[t] = ni
            pp = pi if pi <= 0.5 else 1.0 - pi
            pq[t] = pp
            n_inv += ni * pp < BTRD_MIN
    elif listed:
        n_p = m
        for t in range(m):
            i = pend[t]
            ni = n[i]
            pi = p[i]
            ent[t] = i
            nn[t] = ni
            pp = pi if pi <= 0.5 else 1.0 - pi
            pq[t] = pp
            n_inv += ni * pp < BTRD_MIN
    else:
        # listed without a branch: entries with p ∈ {0, 1} (lost or sole alleles) come at
        # random
        n_p = 0
        for i in range(m):
            ni = n[i]
            pi = p[i]
            out[i] = 0 if (ni <= 0) | (pi <= 0.0) else ni
            ent[n_p] = i
            nn[n_p] = ni
            pp = pi if pi <= 0.5 else 1.0 - pi
            pq[n_p] = pp
            ok = not ((ni <= 0) | (pi <= 0.0) | (pi >= 1.0))
            n_inv += ok & (ni * pp < BTRD_MIN)
            n_p += ok
    if n_p == 0:
        return
    if INV_SHARE * n_inv > n_p:
        # mostly inversion: the chunked form is faster there (the same draws)
        if not listed:
            for t in range(n_p):
                pend[t] = ent[t]
        rounds_chunked(st, n, p, out, n_p, lf, inv, vv, pend, slow, predrawn)
        return
    if predrawn:
        for t in range(n_p):
            uu[t] = vv[ent[t]]
    else:
        pcg64.fill_range(st, uu, 0, n_p)
    # chunk rows of the inversion, the slow region and the later rounds
    nch = min(CHUNK, n_p)
    gf = np.empty((9, nch))
    gi = np.empty((4, nch), dtype=np.int64)
    gu, gw, gp, gs, gb, gv, ga, gc = gf[0], gf[1], gf[2], gf[3], gf[4], gf[5], gf[6], gf[7]
    gq, gx = gf[2], gf[8]  # (inversion's rows, free before the first slow stage)
    gk, gm, gl, gn = gi[0], gi[1], gi[2], gi[3]
    qn = np.empty(n_p if n_inv > 0 else 1)
    # BTRD's set-up and first fast region for every entry (inversion entries' are unused)
    if n_inv < n_p:
        for t in range(n_p):
            spq, b, vr, a, c = _setup(nn[t], pq[t])
            ss[t] = spq
            bb[t] = b
            vrr[t] = vr
            aa[t] = a
            cc[t] = c
            kk[t] = _btrd_fast(uu[t], nn[t], b, vr, a, c)
    if n_inv > 0:
        # inversion entries (n p' < 10) over their own list, chunk by chunk: q^n (kept for
        # their later rounds), then the search
        for c0 in range(0, n_p, CHUNK):
            nc = min(CHUNK, n_p - c0)
            n_i = 0
            for j in range(nc):
                t = c0 + j
                gl[n_i] = t
                n_i += nn[t] * pq[t] < BTRD_MIN
            for j in range(n_i):
                t = gl[j]
                gq[j] = 1.0 - pq[t]
                gm[j] = nn[t]
            _q_pow(gq, gm, gx, n_i)
            for j in range(n_i):
                t = gl[j]
                qn[t] = gx[j]
                kk[t] = _inversion(uu[t], nn[t], pq[t], inv, gx[j])
    first = True
    n_l = n_p
    while n_l > 0:
        # the round's first stage: every pending draw has its uniform (in pending order) and
        # its candidate in kk; listed without a branch: the rejected ones in order in
        # pend[:n_r], the slow ones in slow[:n_s]
        n_s = 0
        n_r = 0
        if first:
            for t in range(n_p):
                k = kk[t]
                slow[n_s] = t
                n_s += int(k == -2)
                pend[n_r] = t
                n_r += int(k == -1)
        else:
            for c0 in range(0, n_l, CHUNK):
                nc = min(CHUNK, n_l - c0)
                pcg64.fill_range(st, gu, 0, nc)
                for j in range(nc):
                    t = pend[c0 + j]
                    uu[t] = gu[j]
                    gn[j] = nn[t]
                    gb[j] = bb[t]
                    gv[j] = vrr[t]
                    ga[j] = aa[t]
                    gc[j] = cc[t]
                for j in range(nc):
                    gk[j] = _btrd_fast(gu[j], gn[j], gb[j], gv[j], ga[j], gc[j])
                for j in range(nc):
                    t = pend[c0 + j]
                    if nn[t] * pq[t] < BTRD_MIN:
                        gk[j] = _inversion(gu[j], nn[t], pq[t], inv, qn[t])
                for j in range(nc):
                    t = pend[c0 + j]
                    k = gk[j]
                    kk[t] = k
                    slow[n_s] = t
                    n_s += int(k == -2)
                    pend[n_r] = t  # n_r ≤ c0 + j: pend[c0 + j] is already read
                    n_r += int(k == -1)
        first = False
        # the slow draws, chunk by chunk: their second uniforms in order, the slow region
        # without branches or calls (vectorised: the long division/log chains of independent
        # draws overlap), the log-factorial tests, then their rejects, in order, in place
        n_sr = 0
        for c0 in range(0, n_s, CHUNK):
            nc = min(CHUNK, n_s - c0)
            pcg64.fill_range(st, gw, 0, nc)
            for j in range(nc):
                t = slow[c0 + j]
                gu[j] = uu[t]
                gn[j] = nn[t]
                gp[j] = pq[t]
                gs[j] = ss[t]
                gb[j] = bb[t]
                gv[j] = vrr[t]
                ga[j] = aa[t]
                gc[j] = cc[t]
            for j in range(nc):
                gk[j], gm[j], gu[j], gw[j] = _btrd_slow(
                    gu[j], gw[j], gn[j], gp[j], gs[j], gb[j], gv[j], ga[j], gc[j]
                )
            for j in range(nc):
                t = slow[c0 + j]
                ni = gn[j]
                k = gk[j]
                mo = gm[j]
                ki = max(k, 0)  # a valid index either way
                bound = lf[mo] + lf[ni - mo] - lf[ki] - lf[ni - ki] + gw[j]
                kk[t] = k
                slow[n_sr] = t  # n_sr ≤ c0 + j: slow[c0 + j] is already read
                n_sr += int(not ((k >= 0) & (gu[j] <= bound)))
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
        n_l = n_r + n_sr
    if ident:
        for t in range(n_p):
            out[t] = kk[t] if p[t] <= 0.5 else nn[t] - kk[t]
    else:
        for t in range(n_p):
            i = ent[t]
            out[i] = kk[t] if p[i] <= 0.5 else nn[t] - kk[t]


#: ``out[i] ~ Bin(n[i], p[i])`` for ``i < m``, drawn from ``rng`` (advanced in place): the
#: twin's signature, :func:`draw_binomials` on ``rng``'s PCG64 state.
binomials = pcg64.on_stream(draw_binomials, 0, "binomials")


# the sampler draws through pcg64.py and folds binomial_reference.py's constants (LG, BTRD_MIN)
# into its code: drop cache entries compiled against other versions of them
drop_stale(__name__, [pcg64.__name__, "quantgeo._kernels.binomial_reference"])
