"""NumPy twins of :mod:`quantgeo._kernels.evolution`: same names, signatures and in-place semantics.

Vectorised over the replicates of a block (one batch of binomials per allele per generation,
:mod:`.binomial_reference`, or one ``rng.random`` call per generation on the K = 2 tables);
they are the readable definition of the Wright–Fisher generation and the ``backend="numpy"`` of
:class:`~quantgeo.evolution.WrightFisher`.  Sums run over alleles in ascending order, exactly as
in the kernels, so both draw the same variates from equally seeded generators.  The layout of
the K = 2 alias tables (:func:`table_layout`) is computed here for both backends; each
writes the rows itself, with the same arithmetic (:func:`fill_rows`).
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels.binomial_reference import binomials, log_factorials, reciprocals, rounds

__all__ = [
    "alias_draws",
    "alias_rows",
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


# -- K = 2 with constant weights: the chain on counts, sampled through alias tables ----------
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


#: a row's alias table draws with 53-bit integers ``k = 2⁵³ u`` (the uniforms' resolution)
_RES = 53
#: bits of an alias cell's threshold head (the cell: head << 16 | alias index)
_HEAD = 16

Tables = tuple[
    IntArray, IntArray, IntArray, IntArray, Array, IntArray, NDArray[np.uint32], NDArray[np.uint8]
]


def _column_bits(width: IntArray) -> IntArray:
    """``b_c = ⌈log₂ width_c⌉``: a row's alias table has ``2^{b_c} ≥ width_c`` columns."""
    bits = np.zeros(width.size, dtype=np.int64)
    for b in range(_HEAD):
        bits += (np.int64(1) << b) < width
    if np.any((np.int64(1) << bits) < width):
        raise ValueError(f"a table row wider than 2^{_HEAD} cells: {int(width.max())}")
    return bits


def _layout(z: Array, n_genes: int, rows: NDArray[np.bool_]) -> Tables:
    """The tables of :func:`table_layout` for the states ``rows`` (the others ``offset = −1``)."""
    lo, width = table_windows(z, n_genes)
    p = np.clip(z, 0.0, 1.0)
    inner = (p > 0.0) & (p < 1.0)
    rho: Array = np.where(inner, p / np.where(inner, 1.0 - p, 1.0), 1.0)
    mode = np.clip(np.floor((n_genes + 1) * p).astype(np.int64), lo, lo + width - 1)
    bits = _column_bits(width)
    size = np.int64(1) << bits
    offset = np.full(width.size, -1, dtype=np.int64)
    offset[rows] = np.cumsum(size[rows]) - size[rows]
    cells = int(size[rows].sum())
    alias = _buffer(cells, np.uint32)
    return lo, width, offset, mode, rho, bits, alias, np.zeros(width.size, dtype=np.uint8)


def table_layout(z: Array, n_genes: int) -> Tables:
    r"""Empty alias tables of the Wright–Fisher transition ``c → c' ~ Bin(N_g, z_c)``.

    ``z`` has ``N_g + 1`` entries: the probability of allele 0 after selection and mutation at
    frequency ``c/N_g``.  Returns ``(lo, width, offset, mode, rho, bits, cells, ready)``: row
    ``c`` spans the window ``[lo_c, lo_c + width_c)`` of :func:`table_windows` and has
    ``n_c = 2^{b_c} ≥ width_c`` alias columns (``b_c = bits_c``), 4-byte cells starting at
    ``offset_c = Σ_{c' < c} n_c'`` (packed: neighbouring states, which a replicate visits in
    turn, are neighbours in memory; uninitialised, in huge pages where the system has them,
    :func:`_buffer`).  It is written by :func:`fill_rows`, which sets ``ready_c = 1``, from
    its mode ``⌊(N_g + 1) p⌋`` with the odds ``ρ_c = p/(1 − p)``.
    """
    return _layout(z, n_genes, np.ones(z.size, dtype=bool))


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


def alias_rows(
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
) -> tuple[Array, IntArray, IntArray]:
    r"""The CDFs ``F`` (``(rows, max width)``), alias thresholds and aliases (``(rows, max
    columns)``) of the rows ``states`` (distinct) of the tables of :func:`table_layout`.

    From the mode ``m`` outwards, ``g_m = 1`` and the pmf ratios

    .. math:: g_k = \frac{(g_{k−1} ρ)(N_g − k + 1)}{k}\ (k > m),\qquad
              g_k = \frac{(g_{k+1} / ρ)(k + 1)}{N_g − k}\ (k < m),

    then ``F(k) = (Σ_{j ≤ k} g_j) / Σ_j g_j`` summed in ascending ``k``, the last entry set to
    1 — the binomial CDF on the window, normalised on it (the mass outside, < 2e⁻⁴², is left
    out), with relative error ≲ ``width · 2^{−53}``.  Only ``+ − × ÷`` in a fixed order, so the
    kernel (:mod:`.evolution_tables`) and this twin compute the same bits.

    The alias table is built in integers from it: outcome ``i`` gets the weight
    ``W_i = ⌈2⁵³ F(i)⌉ − ⌈2⁵³ F(i − 1)⌉`` (exact: a power-of-two scaling and a ceiling), the
    number of 53-bit uniforms ``k 2⁻⁵³`` that inversion, ``min{i : F(i) > u}``, maps to ``i``;
    they sum to ``2⁵³`` over ``n = 2^b`` columns of capacity ``2^{53 − b}`` (outcomes past the
    window weigh 0).  Vose's pairing, in a fixed order: the columns with ``W < cap`` ("small",
    ascending) on one stack, the others ("large", ascending) on another; while both are
    non-empty, the top small ``s`` is finished with threshold ``W_s`` and alias the top large
    ``l``, ``W_l −= cap − W_s``, and ``l`` moves to the small stack if now ``W_l < cap``; the
    larges left are full (threshold 0, alias itself).  A draw (:func:`wf_chain_generations`)
    takes column ``j = ⌊k / cap⌋`` and ``j`` if ``k mod cap < thr_j``, else ``alias_j``: each
    outcome gets exactly ``W_i`` of the ``2⁵³`` values of ``k``, the law of inversion through
    ``F``, to the same 2⁻⁵³ resolution.  Integers only, so the kernel and this twin (all rows
    stepping together) build the same tables.
    """
    a, w = lo[states], width[states]
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
    b = bits[states]
    n = np.int64(1) << b
    ncol = int(n.max())
    cap = np.int64(1) << (_RES - b)
    cum = np.full((rows, ncol), np.int64(1) << _RES)
    cum[:, :wmax] = np.where(inside, np.ceil(f * 2.0**_RES), 2.0**_RES).astype(np.int64)
    weight = np.diff(cum, axis=1, prepend=np.int64(0))  # W, then the thresholds
    col = np.arange(ncol)[None, :]
    incol = col < n[:, None]
    # the stacks, in one array per row: the smalls ascending in [0, n_small), the larges
    # ascending in [n_small, n); the small stack never grows past its start (one pop, at
    # most one push, per step), so the two never meet
    key = np.where(incol, (weight >= cap[:, None]).astype(np.int64), 2)
    stack = np.argsort(key, axis=1, kind="stable")
    n_small = np.sum(key == 0, axis=1)
    ns, nl = n_small.copy(), np.sum(key == 1, axis=1)
    alias = np.broadcast_to(col, (rows, ncol)).copy()
    while True:
        act = np.flatnonzero((ns > 0) & (nl > 0))
        if act.size == 0:
            break
        ns[act] -= 1
        s = stack[act, ns[act]]
        big = stack[act, n_small[act] + nl[act] - 1]
        alias[act, s] = big
        weight[act, big] -= cap[act] - weight[act, s]
        moved = weight[act, big] < cap[act]
        mv = act[moved]
        nl[mv] -= 1
        stack[mv, ns[mv]] = big[moved]
        ns[mv] += 1
    full = incol & (col >= n_small[:, None]) & (col < (n_small + nl)[:, None])
    weight[np.nonzero(full)[0], stack[full]] = 0
    return f, weight, alias


def fill_rows(
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> None:
    """Write the rows ``states`` of the tables (:func:`table_layout`) in place:
    ``cells_j = ⌊thr_j / 2^{37 − b}⌋ · 2¹⁶ + alias_j`` (:func:`alias_rows`; the threshold's
    top 16 bits beside the alias, so that a draw reads one 4-byte cell)."""
    states = np.unique(np.asarray(states, dtype=np.int64))
    if states.size == 0:
        return
    _, weight, alias = alias_rows(states, n_genes, lo, width, mode, rho, bits)
    b = bits[states]
    head = (weight >> (_RES - _HEAD - b)[:, None]) << _HEAD
    incol = np.arange(weight.shape[1])[None, :] < (np.int64(1) << b)[:, None]
    where = (offset[states][:, None] + np.arange(weight.shape[1])[None, :])[incol]
    cells[where] = (head | alias)[incol].astype(np.uint32)
    ready[states] = 1


def narrow_layout(z: Array, n_genes: int, max_width: int) -> Tables:
    """The tables of :func:`table_layout` for the rows no wider than ``max_width`` only (the
    states near 0 and ``N_g``), packed: ``offset_c = −1`` marks a row left to the binomial
    sampler (:func:`wf_chain_generations`)."""
    return _layout(z, n_genes, table_windows(z, n_genes)[1] <= max_width)


def alias_draws(
    u: Array,
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> IntArray:
    """The outcomes (window positions) of the uniforms ``u`` in the written rows ``states``
    (:func:`fill_rows`): ``k = 2⁵³ u`` (exact, ``u`` is a multiple of 2⁻⁵³), column
    ``j = ⌊k / 2^{53 − b}⌋``, then ``j`` if ``k mod 2^{53 − b} < thr_j``, else the column's
    alias.  The cell's 16-bit head of ``thr_j`` decides unless it ties with the head of
    ``k mod 2^{53 − b}``; then the row's full thresholds are rebuilt (:func:`alias_rows`)."""
    k = (u * 2.0**_RES).astype(np.int64)
    sh = _RES - bits[states]
    j = k >> sh
    cell = cells[offset[states] + j].astype(np.int64)
    f = k & ((np.int64(1) << sh) - 1)
    head, top = f >> (sh - _HEAD), cell >> _HEAD
    primary = head < top
    tie = np.flatnonzero(head == top)
    if tie.size:
        rows, at = np.unique(states[tie], return_inverse=True)
        _, weight, _ = alias_rows(rows, n_genes, lo, width, mode, rho, bits)
        primary[tie] = f[tie] < weight[at, j[tie]]
    out: IntArray = np.where(primary, j, cell & 0xFFFF)
    return out


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
    bits: IntArray,
    cells: NDArray[np.uint32],
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
    draws one uniform, in ascending order; a state with a row (``offset ≥ 0``) maps it
    through the row's alias table (:func:`alias_draws`), the others take it as the first
    uniform of their binomial ``Bin(N_g, z_c)``."""
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
        ct, ut = c[tab], u[tab]
        tables = (lo, width, offset, mode, rho, bits, cells, ready)
        fill_rows(ct[ready[ct] == 0], n_genes, *tables)
        new[tab] = lo[ct] + alias_draws(ut, ct, n_genes, *tables)
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
    """The tables of :func:`table_layout` with every row written (:func:`fill_rows`; alias
    tables with the law of inversion, the name kept)."""
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
    bits: IntArray,
    cells: NDArray[np.uint32],
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
    generation, in ascending replicate order; the new count is ``lo_c`` plus its alias draw
    in row ``c`` (:func:`alias_draws`), whose law is the inversion ``min{i : F_c(i) > u}``'s.
    """
    # the count chain with every row tabulated (every offset ≥ 0): no state reaches its
    # binomial branch, so z and the log-factorial tables (empty here) are never read
    none = np.empty(0)
    tables = (lo, width, offset, mode, rho, bits, cells, ready)
    head = (x, count, rng, generations, t0, none, *tables, frozen, n_genes)
    wf_chain_generations(*head, fix_time, fixed_allele, loss_time, none, none)
