"""NumPy twins of :mod:`quantgeo._kernels.evolution`: same names, signatures and in-place semantics.

Vectorised over the replicates of a block (one batch of binomials per allele per generation,
:mod:`.binomial_reference`, or one ``rng.random`` call per generation on the K = 2 tables);
they are the readable definition of the Wright–Fisher generation and the ``backend="numpy"`` of
:class:`~quantgeo.evolution.WrightFisher`.  Sums run over alleles in ascending order, exactly as
in the kernels, so both draw the same variates from equally seeded generators.  The layout of
the K = 2 inversion tables (:func:`table_layout`) is computed here for both backends; each
writes the rows itself, with the same arithmetic (:func:`fill_rows`).
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels.binomial_reference import binomials, log_factorials, reciprocals, rounds

__all__ = [
    "fill_rows",
    "inversion_tables",
    "log_factorials",
    "narrow_layout",
    "reciprocals",
    "table_layout",
    "table_windows",
    "wf_chain_generations",
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
    lf: Array,
    inv: Array,
) -> None:
    """Advance every replicate (of one block) by ``generations`` generations, in place (see
    the kernel); the binomials are :func:`~quantgeo._kernels.binomial_reference.binomials`."""
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
            c = np.empty(m, dtype=np.int64)
            binomials(rng, rem_n, p, c, m, lf, inv)
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


Tables = tuple[
    IntArray, IntArray, IntArray, IntArray, Array, Array, NDArray[np.integer], NDArray[np.uint8]
]


def table_layout(z: Array, n_genes: int) -> Tables:
    r"""Empty inversion tables of the Wright–Fisher transition ``c → c' ~ Bin(N_g, z_c)``.

    ``z`` has ``N_g + 1`` entries: the probability of allele 0 after selection and mutation at
    frequency ``c/N_g``.  Returns ``(lo, width, offset, mode, rho, cdf, guide, ready)``: row
    ``c`` spans the window ``[lo_c, lo_c + width_c)`` of :func:`table_windows`, starts at
    ``offset_c = Σ_{c' < c} width_c'`` in ``cdf`` and ``guide`` (packed: neighbouring states,
    which a replicate visits in turn, are neighbours in memory; uninitialised, in huge pages
    where the system has them, :func:`_buffer`), is written by :func:`fill_rows`, which sets
    ``ready_c = 1``, and is built from its mode ``⌊(N_g + 1) p⌋`` with the odds
    ``ρ_c = p/(1 − p)``.
    """
    lo, width = table_windows(z, n_genes)
    p = np.clip(z, 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    rho: Array = np.where(inner, p / np.where(inner, 1.0 - p, 1.0), 1.0)
    mode = np.clip(np.floor((n_genes + 1) * p).astype(np.int64), lo, lo + width - 1)
    offset = np.cumsum(width) - width
    cells = int(width.sum())
    cdf = _buffer(cells, np.float64)
    # local indices < width: int16 halves the guide's cache footprint whenever it can hold them
    guide = _buffer(cells, np.int16 if int(width.max()) < 2**15 else np.int32)
    return lo, width, offset, mode, rho, cdf, guide, np.zeros(width.size, dtype=np.uint8)


#: transparent huge page size (Linux x86-64 and most others)
_HUGE = 1 << 21


def _buffer(n: int, dtype: type[np.generic]) -> NDArray[Any]:
    """An uninitialised ``(n,)`` array of ``dtype``; from ``_HUGE / 2`` bytes on, in private
    anonymous memory aligned to and advised for transparent huge pages, where the system
    offers them (``MADV_HUGEPAGE``; else :func:`numpy.empty`).

    The tables are read at random, one or two cache lines per draw: with 4 KiB pages a
    multi-MB table also misses the TLB on most draws, and writing it fresh costs a page fault
    per 4 KiB (measured at N_g = 2000: the row fills 5.9 → 8.2 ns a cell in fresh pages).
    """
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes < _HUGE // 2 or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(n, dtype=dtype)
    size = -(-nbytes // _HUGE) * _HUGE
    try:
        mm = mmap.mmap(-1, size + _HUGE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        raw = np.frombuffer(mm, dtype=np.uint8)  # keeps `mm` alive as its base
        skip = (-raw.ctypes.data) % _HUGE
        mm.madvise(mmap.MADV_HUGEPAGE, skip, size)
    except (OSError, ValueError):
        return np.empty(n, dtype=dtype)
    return raw[skip : skip + nbytes].view(dtype)


def fill_rows(
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    cdf: Array,
    guide: NDArray[np.integer],
    ready: NDArray[np.uint8],
) -> None:
    r"""Write the rows ``states`` of the tables (:func:`table_layout`) in place.

    From the mode ``m`` outwards, ``g_m = 1`` and the pmf ratios

    .. math:: g_k = \frac{(g_{k−1} ρ)(N_g − k + 1)}{k}\ (k > m),\qquad
              g_k = \frac{(g_{k+1} / ρ)(k + 1)}{N_g − k}\ (k < m),

    then ``F(k) = (Σ_{j ≤ k} g_j) / Σ_j g_j`` summed in ascending ``k``, the last entry set to
    1 — the binomial CDF on the window, normalised on it (the mass outside, < 2e⁻⁴², is left
    out), with relative error ≲ ``width · 2^{−53}``.  Only ``+ − × ÷`` in a fixed order, so the
    kernel and this twin write the same bits.  A Chen–Asau guide of ``M = width_c`` cells,
    ``guide[j] = #{i : ⌊M F(i)⌋ < j}``, makes ``guide[⌊u M⌋]`` a lower bound of the inverse
    ``min{i : F(i) > u}`` (``fl(M·)`` is monotone), so the search from it takes ≤ 2 comparisons
    on average.
    """
    states = np.asarray(states, dtype=np.int64)
    if states.size == 0:
        return
    a, w, off = lo[states], width[states], offset[states]
    m, r = mode[states], rho[states]
    rows = states.size
    wmax = int(w.max())
    rix = np.arange(rows)
    im = m - a
    g = np.zeros((rows, wmax))
    g[rix, im] = 1.0
    for d in range(1, wmax):
        up = np.flatnonzero(im + d < w)
        if up.size:
            k = m[up] + d
            g[up, im[up] + d] = ((g[up, im[up] + d - 1] * r[up]) * (n_genes - k + 1)) / k
        dn = np.flatnonzero(im - d >= 0)
        if dn.size:
            k = m[dn] - d
            g[dn, im[dn] - d] = ((g[dn, im[dn] - d + 1] / r[dn]) * (k + 1)) / (n_genes - k)
        if not up.size and not dn.size:
            break
    acc = np.cumsum(g, axis=1)
    f = acc / acc[rix, w - 1][:, None]
    f[rix, w - 1] = 1.0
    inside = np.arange(wmax)[None, :] < w[:, None]
    # guide: entry i counts for every cell j ≥ ⌊M F(i)⌋ + 1
    cells = w[:, None]
    first = np.where(inside, np.minimum(np.floor(f * cells).astype(np.int64) + 1, cells), cells)
    hits = np.bincount((rix[:, None] * (wmax + 1) + first).ravel(), minlength=rows * (wmax + 1))
    gd = np.cumsum(hits.reshape(rows, wmax + 1), axis=1)[:, :wmax]
    where = (off[:, None] + np.arange(wmax)[None, :])[inside]
    cdf[where] = f[inside]
    guide[where] = gd[inside]
    ready[states] = 1


def narrow_layout(z: Array, n_genes: int, max_width: int) -> Tables:
    """The tables of :func:`table_layout` for the rows no wider than ``max_width`` only (the
    states near 0 and ``N_g``), packed: ``offset_c = −1`` marks a row left to the binomial
    sampler (:func:`wf_chain_generations`)."""
    lo, width = table_windows(z, n_genes)
    p = np.clip(z, 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    rho: Array = np.where(inner, p / np.where(inner, 1.0 - p, 1.0), 1.0)
    mode = np.clip(np.floor((n_genes + 1) * p).astype(np.int64), lo, lo + width - 1)
    narrow = width <= max_width
    offset = np.full(width.size, -1, dtype=np.int64)
    offset[narrow] = np.cumsum(width[narrow]) - width[narrow]
    cells = int(width[narrow].sum())
    cdf = _buffer(cells, np.float64)
    guide = _buffer(cells, np.int16 if max_width < 2**15 else np.int32)
    return lo, width, offset, mode, rho, cdf, guide, np.zeros(width.size, dtype=np.uint8)


def wf_chain_generations(
    x: Array,
    count: IntArray,
    rng: np.random.Generator,
    generations: int,
    t0: int,
    z: Array,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    cdf: Array,
    guide: NDArray[np.integer],
    ready: NDArray[np.uint8],
    frozen: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
    lf: Array,
    inv: Array,
) -> None:
    """The K = 2 count chain beyond the full tables (see the kernel): each live replicate
    draws one uniform, in ascending order; a state with a row (``offset ≥ 0``) inverts it
    there, the others take it as the first uniform of their binomial ``Bin(N_g, z_c)``."""
    for g in range(generations):
        t = t0 + g + 1
        idx = np.flatnonzero(fix_time < 0) if frozen else np.arange(count.size)
        if idx.size == 0:
            break
        c = count[idx]
        u = rng.random(idx.size)
        o = offset[c]
        tab = o >= 0
        new = np.empty(idx.size, dtype=np.int64)
        ct, ut, ot = c[tab], u[tab], o[tab]
        fill_rows(
            np.unique(ct[ready[ct] == 0]), n_genes, lo, width, offset, mode, rho, cdf, guide, ready
        )
        j = guide[ot + (ut * width[ct]).astype(np.int64)].astype(np.int64)
        step = cdf[ot + j] <= ut
        while np.any(step):
            j = j + step
            step = cdf[ot + j] <= ut
        new[tab] = lo[ct] + j
        rest = ~tab
        if np.any(rest):
            nb = np.full(int(rest.sum()), n_genes, dtype=np.int64)
            new[rest] = rounds(rng, nb, z[c[rest]], lf, inv, first=u[rest])
        count[idx] = new
        gone = np.where(new == 0, 0, np.where(new == n_genes, 1, -1))
        hit = gone >= 0
        sel, lost = idx[hit], gone[hit]
        first = loss_time[sel, lost] < 0
        loss_time[sel[first], lost[first]] = t
        fresh = fix_time[sel] < 0
        fix_time[sel[fresh]] = t
        fixed_allele[sel[fresh]] = 1 - lost[fresh]
    x[:, 0] = count / n_genes
    x[:, 1] = (n_genes - count) / n_genes


def inversion_tables(z: Array, n_genes: int) -> Tables:
    """The tables of :func:`table_layout` with every row written (:func:`fill_rows`)."""
    tables = table_layout(z, n_genes)
    fill_rows(np.arange(z.size), n_genes, *tables)
    return tables


def wf_table_generations(
    x: Array,
    count: IntArray,
    rng: np.random.Generator,
    generations: int,
    t0: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    cdf: Array,
    guide: NDArray[np.integer],
    ready: NDArray[np.uint8],
    frozen: bool,
    n_genes: int,
    fix_time: IntArray,
    fixed_allele: IntArray,
    loss_time: IntArray,
) -> None:
    """Advance K = 2 replicates by ``generations`` on the tables of :func:`table_layout`.

    ``count`` ``(R,)`` holds the copies of allele 0 (updated); ``x`` ``(R, 2)`` is overwritten
    with ``(count, N_g − count)/N_g`` at the end.  ``frozen``: without mutation a fixed
    replicate draws nothing.  The rows of the states present are written when first needed
    (:func:`fill_rows`).  One uniform ``u = rng.random()`` per active replicate and
    generation, in ascending replicate order; the new count is ``lo_c + min{i : F_c(i) > u}``.
    """
    # the count chain with every row tabulated (every offset ≥ 0): no state reaches its
    # binomial branch, so z and the log-factorial tables (empty here) are never read
    none = np.empty(0)
    tables = (lo, width, offset, mode, rho, cdf, guide, ready)
    head = (x, count, rng, generations, t0, none, *tables, frozen, n_genes)
    wf_chain_generations(*head, fix_time, fixed_allele, loss_time, none, none)
