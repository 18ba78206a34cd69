r"""The batch sampler of :mod:`.binomial` in its chunked form, for batches mostly drawn by
inversion (Numba; the same draws and stream as :func:`.binomial.rounds`, whose twin is
:mod:`.binomial_reference`).

:func:`.binomial.rounds` computes BTRD's set-up of every entry once, in passes over the whole
batch; where most entries of a batch are inverted (``n p' < 10``: the K ≥ 3 kernel at small
``N``, where rare alleles abound) those passes cost more than they save (measured ~1.3× on the
batches of a K = 5, N = 100 run), and the batch is drawn here instead: the rounds chunk by
chunk, every row gathered per chunk and BTRD's set-up recomputed where it is needed.  Both
forms take the uniforms in the same order and do the same arithmetic, so the choice between
them changes no draw.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.binomial import _inversion, ln
from quantgeo._kernels.binomial_reference import BTRD_MIN
from quantgeo._kernels.pcg64 import next_double

__all__ = ["rounds_chunked"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: draws per chunk of a round's vectorised passes (their work rows stay in the L1/L2 cache)
CHUNK = 1024


@njit(cache=True, error_model="numpy", inline="always")
def _btrd_fast(u: float, n: int, pp: float) -> int:
    # BTRD's fast region without a branch on the data: the candidate k for u ≤ 0.86 v_r, −1
    # if it falls outside 0 … n (rejected), −2 for u > 0.86 v_r (the slow region decides)
    spq = np.sqrt(n * pp * (1.0 - pp))
    b = 1.15 + 2.53 * spq
    vr = 0.92 - 4.2 / b
    a = -0.0873 + 0.0248 * b + 0.01 * pp
    c = n * pp + 0.5
    uf = u / vr - 0.43
    kf = np.floor((2.0 * a / (0.5 - abs(uf)) + b) * uf + c)
    inside = (kf >= 0.0) & (kf <= n)
    k = int(kf if inside else -1.0)
    return k if u <= 0.86 * vr else -2


@njit(cache=True, error_model="numpy", inline="always")
def _btrd_slow(v: float, w: float, n: int, pp: float) -> tuple[int, int, float, float]:
    # BTRD's slow region up to its acceptance test, without a branch on the data (selects):
    # the candidate k (−1 outside 0 … n), the mode m, ln v and (k − m) ln(p'/q) — the caller
    # accepts iff ln v ≤ ln m! + ln(n − m)! − ln k! − ln(n − k)! + (k − m) ln(p'/q)
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
    k = int(kf if inside else -1.0)
    m = int(np.floor((n + 1) * pp))
    return k, m, ln(v), (k - m) * ln(pp / q)


@njit(cache=True, error_model="numpy")
def rounds_chunked(
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
    predrawn: bool,
) -> None:
    """The rounds of :func:`.binomial.rounds` for the ``n_p`` entries ``pend[:n_p]`` (ascending,
    each with ``n > 0`` and ``0 < p < 1``); ``predrawn``: the first round's uniforms are already in
    ``vv[pend[t]]`` (drawn by the caller in that order).  ``st``: the PCG64 state
    (:mod:`.pcg64`), advanced.

    A round is two stages of three passes each: a sequential pass draws the uniforms (the
    PCG64 state is one dependency chain) and gathers each draw's ``u``, ``p'``, ``n`` into
    contiguous rows, a pass without branches or calls evaluates BTRD's fast (or slow) region on
    the rows — LLVM vectorises it, so independent draws' sqrt/division/log chains overlap — and
    a sequential pass decides (inversion where ``n p' < 10``; the log-factorial test) and
    lists the rejects.  The first stage decides every pending entry and lists the slow ones,
    the second runs the slow region on those; the two ascending lists of rejects, merged, are
    the next round's pending entries (no pass over the accepted ones).  The passes run chunk
    by chunk (:data:`CHUNK` draws; the order of the uniforms is the same), on two
    ``(5, CHUNK)`` / ``(4, CHUNK)`` work arrays allocated once per call."""
    first = predrawn
    # work rows for a chunk of CHUNK draws, at position j of the chunk of the pending list
    # (first pass: u, -, p', q^(2^b), q^n; n, the candidate, n >> b, the inversion list) or
    # of the slow list (v then ln v, w then (k − m) ln(p'/q), p'; n, k, m) — small, so
    # allocated once, cache-resident, no page faults
    fw = np.empty((5, CHUNK))
    iw = np.empty((4, CHUNK), dtype=np.int64)
    sv, sw, sp, sq, sx = fw[0], fw[1], fw[2], fw[3], fw[4]
    sn, sk, sm, si = iw[0], iw[1], iw[2], iw[3]
    while n_p > 0:
        # the first pass, chunk by chunk in three: each pending draw takes its first uniform,
        # in pending order (sequential: the PCG64 state is a dependency chain); BTRD's fast
        # region for all of them without a branch or a call (vectorised by LLVM: a mispredicted
        # branch at the end of the sqrt/division chain cost more than the arithmetic, and
        # independent draws' chains overlap); then inversion where n p' < 10 and the lists:
        # the rejected ones in order in pend[:n_r], the slow ones in slow[:n_s]
        n_s = 0
        n_r = 0
        for c0 in range(0, n_p, CHUNK):
            nc = min(CHUNK, n_p - c0)
            any_bt = False
            any_inv = False
            for j in range(nc):
                i = pend[c0 + j]
                if first:
                    u = vv[i]
                else:
                    u = next_double(st)
                    vv[i] = u
                ni = n[i]
                pp = p[i] if p[i] <= 0.5 else 1.0 - p[i]
                sv[j] = u
                sp[j] = pp
                sn[j] = ni
                any_bt |= ni * pp >= BTRD_MIN
                any_inv |= ni * pp < BTRD_MIN
            if any_bt:
                for j in range(nc):
                    sk[j] = _btrd_fast(sv[j], sn[j], sp[j])
            if any_inv:
                # inversion's f(0) = q^n by squaring from the lowest bit (the twin's order),
                # one bit of every entry per pass, vectorised over the inversion entries
                # only, gathered into rows of their own (listed without a branch): a
                # chunk's BTRD entries no longer ride along every pass (measured ~3 ns a
                # draw where a few rare alleles mix in)
                n_i = 0
                for j in range(nc):
                    si[n_i] = j
                    n_i += sn[j] * sp[j] < BTRD_MIN
                for t in range(n_i):
                    j = si[t]
                    sx[t] = 1.0
                    sq[t] = 1.0 - sp[j]
                    sm[t] = sn[j]
                more = True
                while more:
                    more = False
                    for t in range(n_i):
                        e = sm[t]
                        sx[t] = sx[t] * sq[t] if (e & 1) == 1 else sx[t]
                        sq[t] = sq[t] * sq[t] if e > 0 else sq[t]
                        sm[t] = e >> 1
                        more |= e > 1
                # inversion here, over its own list: the decide pass below then has no
                # branch on the (randomly mixed) sampler of each entry
                for t in range(n_i):
                    j = si[t]
                    sk[j] = _inversion(sv[j], sn[j], sp[j], inv, sx[t])
            for j in range(nc):
                i = pend[c0 + j]
                ni = n[i]
                k = sk[j]
                # written either way (−1, −2: drawn again or by the slow region)
                out[i] = k if p[i] <= 0.5 else ni - k
                slow[n_s] = i
                n_s += int(k == -2)
                pend[n_r] = i  # n_r ≤ c0 + j: pend[c0 + j] is already read
                n_r += int(k == -1)
        first = False
        # the slow draws, chunk by chunk: their second uniforms in order (sequential), the
        # slow region without branches or calls (vectorised: the long sqrt/division/log
        # chains of independent draws overlap), then the log-factorial tests and their
        # rejects, in order, in place
        n_sr = 0
        for c0 in range(0, n_s, CHUNK):
            nc = min(CHUNK, n_s - c0)
            for j in range(nc):
                i = slow[c0 + j]
                sv[j] = vv[i]
                sw[j] = next_double(st)
                sp[j] = p[i] if p[i] <= 0.5 else 1.0 - p[i]
                sn[j] = n[i]
            for j in range(nc):
                sk[j], sm[j], sv[j], sw[j] = _btrd_slow(sv[j], sw[j], sn[j], sp[j])
            for j in range(nc):
                i = slow[c0 + j]
                ni = n[i]
                k = sk[j]
                m = sm[j]
                kk = max(k, 0)  # a valid index either way
                bound = lf[m] + lf[ni - m] - lf[kk] - lf[ni - kk] + sw[j]
                # written either way (a reject's entry is drawn again in a later round)
                out[i] = k if p[i] <= 0.5 else ni - k
                slow[n_sr] = i  # n_sr ≤ c0 + j: slow[c0 + j] is already read
                n_sr += int(not ((k >= 0) & (sv[j] <= bound)))
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


# the sampler draws through pcg64.py and binomial.py's ln / _inversion: drop cache entries
# compiled against other versions of them
drop_stale(
    __name__, [f"quantgeo._kernels.{m}" for m in ("binomial", "binomial_reference", "pcg64")]
)
