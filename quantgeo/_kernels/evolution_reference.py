"""NumPy twins of :mod:`quantgeo._kernels.evolution`: same names, signatures and in-place semantics.

Vectorised over replicates (one ``rng.binomial`` call per allele per generation, or one
``rng.random`` call per generation on the K = 2 tables); they are the readable definition of
the Wright–Fisher generation and the ``backend="numpy"`` of
:class:`~quantgeo.evolution.WrightFisher`.  Sums run over alleles in ascending order, exactly as
in the kernels, so both draw the same variates from equally seeded generators.  The K = 2
inversion tables (:func:`inversion_tables`) are built here once per model and read by both
backends.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "fill_rows",
    "inversion_tables",
    "prepare_rows",
    "table_layout",
    "table_windows",
    "wf_generations",
    "wf_table_generations",
]

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


Tables = tuple[IntArray, IntArray, IntArray, Array, NDArray[np.int32], NDArray[np.uint8]]


def table_layout(z: Array, n_genes: int) -> Tables:
    r"""Empty inversion tables of the Wright–Fisher transition ``c → c' ~ Bin(N_g, z_c)``.

    ``z`` has ``N_g + 1`` entries: the probability of allele 0 after selection and mutation at
    frequency ``c/N_g``.  Row ``c`` spans the window ``[lo_c, lo_c + width_c)`` of
    :func:`table_windows` and starts at ``offset_c = c · max(width)`` in ``cdf`` and
    ``guide`` (uninitialised, so only the rows :func:`fill_rows` writes take memory);
    ``ready_c = 1`` once it is written.
    """
    lo, width = table_windows(z, n_genes)
    wmax = int(width.max())
    offset = np.arange(width.size, dtype=np.int64) * wmax
    cdf = np.empty(width.size * wmax)
    guide = np.empty(width.size * wmax, dtype=np.int32)
    return lo, width, offset, cdf, guide, np.zeros(width.size, dtype=np.uint8)


def fill_rows(states: IntArray, z: Array, n_genes: int, tables: Tables) -> None:
    r"""Write the rows ``states`` of ``tables`` (:func:`table_layout`) in place.

    Row ``c`` holds the CDF ``F_c(lo_c + i) = Σ_{j ≤ i} f(lo_c + j)`` over its window, with

    .. math:: \ln f(k) = \ln N_g! − \ln k! − \ln (N_g − k)! + k \ln p + (N_g − k) \ln(1 − p)

    from one table of ``ln k!`` (relative error of ``f`` ≲ ``4 N_g \ln N_g · 2^{−53}``), summed
    in ascending order, row by row (so a row does not depend on which others are written with
    it); the last entry is set to 1 (it takes the ≤ 2e⁻⁴² outside the window and the
    rounding).  A Chen–Asau guide of ``m = width_c`` cells, ``guide[j] = #{i : fl(m F_c(i)) <
    j}``, makes ``guide[⌊u m⌋]`` a lower bound of the inverse ``min{i : F_c(i) > u}`` (``fl``
    is monotone), so the search from it takes ≤ 2 comparisons on average.
    """
    from scipy.special import gammaln

    lo_all, width_all, offset_all, cdf_out, guide_out, ready = tables
    states = np.asarray(states, dtype=np.int64)
    if states.size == 0:
        return
    lo, width, offset = lo_all[states], width_all[states], offset_all[states]
    rows = states.size
    wmax = int(width.max())
    # padded (rows, wmax): every row is summed on its own, in ascending order
    i = np.arange(wmax)
    inside = i[None, :] < width[:, None]
    k = np.where(inside, lo[:, None] + i[None, :], lo[:, None])
    lf = gammaln(np.arange(n_genes + 1) + 1.0)
    p = np.clip(z[states], 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    lp = np.log(np.where(inner, p, 0.5))[:, None]
    lq = np.log1p(-np.where(inner, p, 0.5))[:, None]
    logf = lf[n_genes] - lf[k] - lf[n_genes - k] + k * lp + (n_genes - k) * lq
    cdf2 = np.cumsum(np.where(inside, np.exp(logf), 0.0), axis=1)
    cdf2[np.arange(rows), width - 1] = 1.0
    # guide: entry i counts for every cell j ≥ ⌊m F(i)⌋ + 1 (i.e. fl(m F(i)) < j)
    m = width[:, None]
    first = np.where(inside, np.minimum(np.floor(cdf2 * m).astype(np.int64) + 1, m), m)
    cell = (np.arange(rows)[:, None] * (wmax + 1) + first).ravel()
    hits = np.bincount(cell, minlength=rows * (wmax + 1)).reshape(rows, wmax + 1)
    guide2 = np.cumsum(hits, axis=1)[:, :wmax]
    where = (offset[:, None] + i[None, :])[inside]
    cdf_out[where] = cdf2[inside]
    guide_out[where] = guide2[inside]
    ready[states] = 1


def inversion_tables(z: Array, n_genes: int) -> Tables:
    """Every row of the inversion tables (:func:`table_layout`, :func:`fill_rows`)."""
    tables = table_layout(z, n_genes)
    fill_rows(np.arange(z.size), z, n_genes, tables)
    return tables


def prepare_rows(
    tables: Tables, z: Array, n_genes: int, count: IntArray, live: NDArray[np.bool_]
) -> None:
    """Write every row two generations can reach from the states ``count[live]`` (the states
    and the union of their windows, twice), so the table kernels advance ≥ 2 generations
    before they need more (fewer calls than one at a time, few rows written for nothing)."""
    lo, width, ready = tables[0], tables[1], tables[5]
    size = n_genes + 2
    need = np.bincount(count[live], minlength=n_genes + 1) > 0
    for _ in range(2):
        here = np.flatnonzero(need)
        if here.size == 0:
            return
        edges = np.bincount(lo[here], minlength=size) - np.bincount(
            lo[here] + width[here], minlength=size
        )
        need |= np.cumsum(edges)[: n_genes + 1] > 0
    fill_rows(np.flatnonzero(need & (ready == 0)), z, n_genes, tables)


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
    ready: NDArray[np.uint8],
    frozen: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
    status: IntArray,
) -> None:
    """Advance K = 2 replicates by up to ``generations`` on the tables of :func:`table_layout`.

    ``count`` ``(R,)`` holds the copies of allele 0 (updated); ``x`` ``(R, 2)`` is overwritten
    with ``(count, N_g − count)/N_g`` at the end.  ``frozen``: without mutation a fixed
    replicate draws nothing.  One uniform ``u = rng.random()`` per active replicate and
    generation, in ascending replicate order; the new count is ``lo_c + min{i : F_c(i) > u}``.
    The run stops after a generation that left a live replicate in a state whose row is not
    ready (``ready[c] = 0``); ``status[0]`` is the number of generations done.
    """
    status[0] = generations
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
        live = ~hit if frozen else np.ones(c.size, dtype=bool)
        if np.any(ready[c[live]] == 0):
            status[0] = g + 1
            break
    x[:, 0] = count / n_genes
    x[:, 1] = (n_genes - count) / n_genes
