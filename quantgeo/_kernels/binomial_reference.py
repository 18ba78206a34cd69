"""NumPy twin of :mod:`quantgeo._kernels.binomial`: the same draws, vectorised over the batch.

Same names and semantics; every ``+ − × ÷`` and square root in the kernel's order, ``q^n`` by
the same squarings, and the logarithms of BTRD's acceptance test by :func:`ln`, the kernel's
branch-free fdlibm ``log`` on arrays (bit operations through ``.view``; NumPy's SIMD ``np.log``
can differ in the last bit), so the two draw the same variates from equally seeded generators.

It also holds what both backends share — the tables (:func:`log_factorials`,
:func:`reciprocals`) and the constants (:data:`BTRD_MIN`, fdlibm's) — so that the NumPy backend,
and the pre-flight checks that size a run with it, import no Numba.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

__all__ = [
    "BTRD_MIN",
    "LG",
    "LN2_HI",
    "LN2_LO",
    "binomials",
    "ln",
    "log_factorials",
    "reciprocals",
    "rounds",
]

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


# fdlibm's e_log.c (Sun Microsystems, 1993): ln 2 split in two, and the minimax coefficients of
# ln(1 + f) = 2 atanh(s), s = f/(2 + f), on √½ ≤ 1 + f < √2 (error < 1 ulp)
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)


def ln(x: Array) -> Array:
    """The kernel's :func:`~quantgeo._kernels.binomial.ln` (fdlibm's ``log`` without branches),
    bit for bit, on an array."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    hx = x.view(np.int64)
    k = (hx >> 52) - 1023
    hx = hx & 0x000FFFFFFFFFFFFF
    hw = hx >> 32
    i = (hx + 0x00095F6400000000) & 0x0010000000000000
    f = (hx | (i ^ 0x3FF0000000000000)).view(np.float64) - 1.0
    dk = (k + (i >> 52)).astype(np.float64)
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LG[1] + w * (LG[3] + w * LG[5]))
    t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])))
    r = t2 + t1
    hfsq = 0.5 * f * f
    y1 = dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
    y2 = dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    y = np.where((hw >= 0x6147A) & (hw <= 0x6B851), y1, y2)
    return np.where(x > 0.0, y, -np.inf)


def _q_pow(q: Array, n: IntArray) -> Array:
    res = np.ones(q.size)
    base = q.copy()
    e = n.copy()
    while np.any(e > 0):
        odd = (e & 1) == 1
        res[odd] = res[odd] * base[odd]
        base = base * base
        e >>= 1
    return res


def _inversion(u: Array, n: IntArray, pp: Array, inv: Array) -> IntArray:
    q = 1.0 - pp
    r = pp / q
    npp = n * pp
    bound = np.minimum(n, np.floor(npp + 10.0 * np.sqrt(npp * q + 1.0)))
    x = np.zeros(n.size, dtype=np.int64)
    px = _q_pow(q, n)
    u = u.copy()
    res = np.full(n.size, -1, dtype=np.int64)
    go = u > px
    res[~go] = 0
    idx = np.flatnonzero(go)
    while idx.size:
        x[idx] += 1
        idx = idx[~(x[idx] > bound[idx])]  # past the bound: rejected (stays −1)
        u[idx] -= px[idx]
        xi = x[idx]
        px[idx] = px[idx] * ((n[idx] - xi + 1) * r[idx]) * inv[xi]
        stop = ~(u[idx] > px[idx])
        res[idx[stop]] = xi[stop]
        idx = idx[~stop]
    return res


def _btrd_fast(v: Array, n: IntArray, pp: Array) -> IntArray:
    spq = np.sqrt(n * pp * (1.0 - pp))
    b = 1.15 + 2.53 * spq
    vr = 0.92 - 4.2 / b
    a = -0.0873 + 0.0248 * b + 0.01 * pp
    c = n * pp + 0.5
    u = v / vr - 0.43
    k = np.floor((2.0 * a / (0.5 - np.abs(u)) + b) * u + c)
    out = np.where((k < 0.0) | (k > n), -1.0, k).astype(np.int64)
    out[v > 0.86 * vr] = -2
    return out


def _btrd_slow(v: Array, w: Array, n: IntArray, pp: Array, lf: Array) -> IntArray:
    q = 1.0 - pp
    npq = n * pp * q
    spq = np.sqrt(npq)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * pp
    c = n * pp + 0.5
    vr = 0.92 - 4.2 / b
    hi = v >= vr
    u0 = v / vr - 0.93
    u = np.where(hi, w - 0.5, np.sign(u0) * 0.5 - u0)
    v = np.where(hi, v, w * vr)
    us = 0.5 - np.abs(u)
    kf = np.floor((2.0 * a / us + b) * u + c)
    inside = (kf >= 0.0) & (kf <= n)
    alpha = (2.83 + 5.1 / b) * spq
    v = v * alpha / (a / (us * us) + b)
    k = np.where(inside, kf, 0.0).astype(np.int64)
    m = np.floor((n + 1) * pp).astype(np.int64)
    bound = lf[m] + lf[n - m] - lf[k] - lf[n - k] + (k - m) * ln(pp / q)
    return np.where(inside & (ln(v) <= bound), k, -1)


def binomials(
    rng: np.random.Generator,
    n: IntArray,
    p: Array,
    out: IntArray,
    m: int,
    lf: Array,
    inv: Array,
    vv: Array | None = None,
    pend: IntArray | None = None,
    slow: IntArray | None = None,
    flag: NDArray[np.uint8] | None = None,
) -> None:
    """``out[i] ~ Bin(n[i], p[i])`` for ``i < m``, the kernel's draws (work arrays unused)."""
    nn = np.asarray(n[:m], dtype=np.int64)
    p_ = np.asarray(p[:m], dtype=float)
    res = np.zeros(m, dtype=np.int64)
    full = (nn > 0) & (p_ >= 1.0)
    res[full] = nn[full]
    pend_ = np.flatnonzero((nn > 0) & (p_ > 0.0) & (p_ < 1.0))
    res[pend_] = rounds(rng, nn[pend_], p_[pend_], lf, inv)
    out[:m] = res


def rounds(
    rng: np.random.Generator,
    n: IntArray,
    p: Array,
    lf: Array,
    inv: Array,
    first: Array | None = None,
) -> IntArray:
    """Draws for entries with ``n > 0`` and ``0 < p < 1``, in the kernel's rounds; ``first``:
    the first round's uniforms, already drawn by the caller (one per entry, in order)."""
    low = p <= 0.5
    pp_all = np.where(low, p, 1.0 - p)
    res = np.zeros(n.size, dtype=np.int64)
    pend_ = np.arange(n.size)
    while pend_.size:
        u = rng.random(pend_.size) if first is None else first
        first = None
        ni, pp = n[pend_], pp_all[pend_]
        k = np.empty(pend_.size, dtype=np.int64)
        low_np = ni * pp < BTRD_MIN
        k[low_np] = _inversion(u[low_np], ni[low_np], pp[low_np], inv)
        bt = np.flatnonzero(~low_np)
        k[bt] = _btrd_fast(u[bt], ni[bt], pp[bt])
        sl = bt[k[bt] == -2]
        if sl.size:
            w = rng.random(sl.size)
            k[sl] = _btrd_slow(u[sl], w, ni[sl], pp[sl], lf)
        done = k >= 0
        j = pend_[done]
        res[j] = np.where(low[j], k[done], n[j] - k[done])
        pend_ = pend_[~done]
    return res
