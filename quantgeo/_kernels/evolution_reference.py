"""NumPy twin of :mod:`quantgeo._kernels.evolution`: same name, signature and in-place semantics.

Vectorised over replicates (one ``rng.binomial`` call per allele per generation); it is the
readable definition of the Wright–Fisher generation and the ``backend="numpy"`` of
:class:`~quantgeo.evolution.WrightFisher`.  Sums run over alleles in ascending order, exactly as
in the kernel, so both draw the same binomials from equally seeded generators.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["inversion_tables", "table_windows", "wf_generations", "wf_table_generations"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


def wf_generations(
    x: Array,
    rng: np.random.Generator,
    generations: int,
    t0: int,
    weights: Array,
    transition: Array,
    mutate: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
) -> None:
    """Advance every replicate by ``generations`` generations, in place (see the kernel)."""
    r_n, k_n = x.shape
    w = np.broadcast_to(weights, (r_n, k_n))
    for g in range(generations):
        t = t0 + g + 1
        # fixed replicates without mutation cannot change and draw nothing (p ∈ {0, 1})
        act = np.ones(r_n, dtype=bool) if mutate else fix_time < 0
        xa, wa = x[act], w[act]
        tot = xa[:, 0] * wa[:, 0]
        for k in range(1, k_n):
            tot = tot + xa[:, k] * wa[:, k]
        y = xa * wa / tot[:, None]
        if mutate:
            z = np.empty_like(y)
            for j in range(k_n):
                acc = y[:, 0] * transition[0, j]
                for k in range(1, k_n):
                    acc = acc + y[:, k] * transition[k, j]
                z[:, j] = acc
        else:
            z = y
        m = xa.shape[0]
        out = np.empty((m, k_n))
        rem_n = np.full(m, n_genes, dtype=np.int64)
        rem_p = np.ones(m)
        for k in range(k_n - 1):
            safe = np.where(rem_p > 0.0, rem_p, 1.0)
            p = np.where(rem_p > 0.0, np.minimum(1.0, z[:, k] / safe), 0.0)
            c = rng.binomial(rem_n, p)
            out[:, k] = c / n_genes
            rem_n = rem_n - c
            rem_p = rem_p - z[:, k]
        out[:, k_n - 1] = rem_n / n_genes
        x[act] = out
        idx = np.flatnonzero(act)
        lost = (out == 0.0) & (loss_time[idx] < 0)
        rows, cols = np.nonzero(lost)
        loss_time[idx[rows], cols] = t
        full = out == 1.0
        newly = full.any(axis=1) & (fix_time[idx] < 0)
        sel = idx[newly]
        fix_time[sel] = t
        fixed_allele[sel] = np.argmax(full[newly], axis=1)


# -- K = 2 with constant weights: the chain on counts, sampled by table inversion -------------
#: Tail mass left outside a table row, per side: ``e^{-_TAIL_LOG}`` ≈ 5.7e-19 < 2⁻⁶⁰, below the
#: 2⁻⁵³ resolution of the uniforms that index the rows.
_TAIL_LOG = 42.0


def table_windows(z: Array, n_genes: int) -> tuple[IntArray, IntArray]:
    r"""Support window ``[lo, lo + width)`` of ``Bin(N_g, z_c)`` for every state ``c``.

    Bernstein's inequality ``P(|X − N_g p| ≥ t) ≤ 2 exp(−t² / (2(σ² + t/3)))`` with
    ``t = L/3 + √((L/3)² + 2Lσ²)``, ``L = 42``, bounds the mass outside by ``2e^{−42}``; a row of
    ``p ∈ {0, 1}`` is the point mass at 0 or ``N_g``.
    """
    p = np.clip(z, 0.0, 1.0)
    var = n_genes * p * (1.0 - p)
    a = _TAIL_LOG / 3.0
    t = a + np.sqrt(a * a + 2.0 * _TAIL_LOG * var)
    mean = n_genes * p
    lo = np.clip(np.floor(mean - t), 0, n_genes).astype(np.int64)
    hi = np.clip(np.ceil(mean + t), 0, n_genes).astype(np.int64)
    point = (p <= 0.0) | (p >= 1.0)
    lo[point] = np.where(p[point] <= 0.0, 0, n_genes)
    hi[point] = lo[point]
    return lo, hi - lo + 1


def inversion_tables(
    z: Array, n_genes: int
) -> tuple[IntArray, IntArray, IntArray, Array, NDArray[np.int32]]:
    r"""Inversion tables of the Wright–Fisher transition ``c → c' ~ Bin(N_g, z_c)``.

    For every state ``c = 0 … N_g`` (``z`` has ``N_g + 1`` entries, the probability of allele 0
    after selection and mutation at frequency ``c/N_g``) the row holds the CDF
    ``F_c(lo_c + i) = Σ_{j ≤ i} f(lo_c + j)`` over the window of :func:`table_windows`, with

    .. math:: \ln f(k) = \ln N_g! − \ln k! − \ln (N_g − k)! + k \ln p + (N_g − k) \ln(1 − p)

    from one table of ``ln k!`` (relative error of ``f`` ≲ ``4 N_g \ln N_g · 2^{−53}``), summed
    in ascending order; the last entry is set to 1 (it takes the ≤ 2e⁻⁴² outside the window and
    the rounding).  A Chen–Asau guide of ``width_c`` cells per row,
    ``guide[j] = #{i : fl(m F_c(i)) < j}``, makes ``k = guide[⌊u m⌋]`` a lower bound of the
    inverse ``min{i : F_c(i) > u}`` (``fl`` is monotone), so the search from it takes ≤ 2
    comparisons on average.

    Returns
    -------
    lo, width, offset
        ``(N_g + 1,)`` int64: first count of each row, its length, its start in ``cdf`` and
        ``guide``.
    cdf
        float64 ``(Σ width,)``, the rows one after the other.
    guide
        int32 ``(Σ width,)``, local indices into each row.
    """
    from scipy.special import gammaln

    lo, width = table_windows(z, n_genes)
    rows = width.size
    offset = np.zeros(rows, dtype=np.int64)
    np.cumsum(width[:-1], out=offset[1:])
    wmax = int(width.max())
    # padded (rows, wmax) so that every row is summed on its own, in ascending order
    i = np.arange(wmax)
    k = lo[:, None] + i[None, :]
    inside = i[None, :] < width[:, None]
    k = np.where(inside, k, lo[:, None])
    lf = gammaln(np.arange(n_genes + 1) + 1.0)
    p = np.clip(z, 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    lp = np.log(np.where(inner, p, 0.5))[:, None]
    lq = np.log1p(-np.where(inner, p, 0.5))[:, None]
    logf = lf[n_genes] - lf[k] - lf[n_genes - k] + k * lp + (n_genes - k) * lq
    f = np.where(inside, np.exp(logf), 0.0)
    cdf2 = np.cumsum(f, axis=1)
    cdf2[np.arange(rows), width - 1] = 1.0
    cdf = cdf2[inside]
    # guide: entry i counts for every cell j ≥ ⌊m F(i)⌋ + 1 (i.e. fl(m F(i)) < j)
    m = width[:, None].astype(np.float64)
    first = np.minimum(np.floor(cdf2 * m).astype(np.int64) + 1, width[:, None])
    first = np.where(inside, first, width[:, None])
    cell = (np.arange(rows)[:, None] * (wmax + 1) + first).ravel()
    hits = np.bincount(cell, minlength=rows * (wmax + 1)).reshape(rows, wmax + 1)
    guide2 = np.cumsum(hits, axis=1)[:, :wmax]
    guide = guide2[inside].astype(np.int32)
    return lo, width, offset, cdf, guide


def wf_table_generations(
    x: Array,
    count: IntArray,
    rng: np.random.Generator,
    generations: int,
    t0: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    cdf: Array,
    guide: NDArray[np.int32],
    frozen: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
) -> None:
    """Advance K = 2 replicates by ``generations`` on the tables of :func:`inversion_tables`.

    ``count`` ``(R,)`` holds the copies of allele 0 (updated); ``x`` ``(R, 2)`` is overwritten
    with ``(count, N_g − count)/N_g`` at the end.  ``frozen``: without mutation a fixed
    replicate draws nothing.  One uniform ``u = rng.random()`` per active replicate and
    generation, in ascending replicate order; the new count is ``lo_c + min{i : F_c(i) > u}``.
    """
    for g in range(generations):
        t = t0 + g + 1
        idx = np.flatnonzero(fix_time < 0) if frozen else np.arange(count.size)
        if idx.size == 0:
            break
        c = count[idx]
        u = rng.random(idx.size)
        off = offset[c]
        j = guide[off + (u * width[c]).astype(np.int64)].astype(np.int64)
        step = cdf[off + j] <= u
        while np.any(step):
            j = j + step
            step = cdf[off + j] <= u
        c = lo[c] + j
        count[idx] = c
        gone = np.where(c == 0, 0, np.where(c == n_genes, 1, -1))
        hit = gone >= 0
        sel, lost = idx[hit], gone[hit]
        first = loss_time[sel, lost] < 0
        loss_time[sel[first], lost[first]] = t
        new = fix_time[sel] < 0
        fix_time[sel[new]] = t
        fixed_allele[sel[new]] = 1 - lost[new]
    x[:, 0] = count / n_genes
    x[:, 1] = (n_genes - count) / n_genes
