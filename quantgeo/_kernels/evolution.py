r"""Numba kernels of the Wright–Fisher model (NumPy twins in :mod:`._kernels.evolution_reference`).

One generation of ``R`` independent replicate populations of ``N_g`` gene copies over ``K``
alleles, frequencies ``x`` (shape ``(R, K)``):

1. selection ``y_k = x_k w_k / Σ_j x_j w_j`` (``w`` the allele weights, ``(1, K)`` shared or
   ``(R, K)`` per replicate);
2. mutation ``z_j = Σ_k y_k P_kj`` (``P`` row-stochastic, skipped when ``mutate`` is False);
3. multinomial resampling of ``N_g`` copies as sequential binomials,
   ``c_k ~ Bin(N_g − Σ_{j<k} c_j, min(1, z_k/(1 − Σ_{j<k} z_j)))``.

Three samplers, each exact and each drawing the same variates as its twin; every kernel works
on one block of replicates with the block's own generator and releases the GIL, so the engine
runs blocks on threads (:class:`~quantgeo.evolution.WrightFisher`, ``workers``):

* :func:`wf_generations` (any K, any weights): the binomials come from the batch sampler of
  :mod:`quantgeo._kernels.binomial` (BTRD / inversion, exact, a fresh ``p`` each), allele by
  allele over the block's live replicates in ascending order: the order of the twin's
  vectorised batches.  A binomial with ``p ∈ {0, 1}`` consumes no random numbers, so a fixed
  replicate without mutation is skipped (its state cannot change) without changing the
  stream.  Every sum runs over ``k`` in ascending order in both implementations, so the
  probabilities, and hence the draws, agree bit for bit.
* :func:`wf_table_generations` (K = 2, constant weights): then ``z`` is a function of the count
  ``c`` of allele 0 alone and the model is the Markov chain ``c → Bin(N_g, z_c)`` on
  ``0 … N_g``.  Its transition rows (laid out by :func:`table_layout`, NumPy code shared by
  both backends) are written the first time a replicate is in the state, or all before a
  long run (:func:`fill_rows`, two rows side by side: the same ``+ − × ÷`` in the same order
  here and in the twin, so the same bits), and each step
  is an inversion ``c' = lo_c + min{i : F_c(i) > u}`` of one uniform ``u`` through a Chen–Asau
  guide table: O(1) per replicate-generation instead of a binomial draw's O(np) or BTRD
  set-up.  The kernel and the twin read equal tables with the same uniforms
  (``next_double(st)`` one at a time here, ``rng.random(size)`` there: the same ``next_double``
  stream), so they agree bit for bit.
* :func:`wf_chain_generations` (K = 2, constant weights, ``N_g`` beyond the full tables): the
  rows of the narrow states only (:func:`narrow_layout`), BTRD / inversion for the others.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit
from numpy.typing import NDArray

from quantgeo._kernels import pcg64
from quantgeo._kernels._cache import drop_stale
from quantgeo._kernels.binomial import draw_binomials, log_factorials, reciprocals, rounds
from quantgeo._kernels.evolution_multi import wf_multi

# the table layout (windows, modes, odds) is computed by one NumPy function for both backends
from quantgeo._kernels.evolution_reference import (
    inversion_tables,
    narrow_layout,
    table_layout,
    table_windows,
)
from quantgeo._kernels.pcg64 import next_double

__all__ = [
    "fill_rows",
    "inversion_tables",
    "log_factorials",
    "narrow_layout",
    "reciprocals",
    "table_layout",
    "table_windows",
    "warmup",
    "wf_chain_generations",
    "wf_generations",
    "wf_table_generations",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
# replicates per batch of the table kernel's passes
_BATCH = 64


@njit(cache=True, error_model="numpy", nogil=True)
def _wf_generations(
    x: Array,
    st: NDArray[np.uint64],
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
    """Advance every replicate (of one block) by ``generations`` generations, in place.

    Parameters
    ----------
    x
        Frequencies, float64 ``(R, K)``, rows summing to 1; overwritten with
        ``counts/n_genes`` (a division, so a fixed allele has frequency exactly 1.0).
    st
        PCG64 state of the block's generator (:mod:`.pcg64`), advanced in place.
    generations
        Number of generations (``0``: nothing happens).
    t0
        Generation index before the first of them (absorption times are ``t0 + g + 1``).
    weights
        Allele weights ``w = 1 + s``, ``(1, K)`` (shared) or ``(R, K)``.
    transition
        Mutation matrix ``P`` (``K × K``, rows sum to 1).
    mutate
        Apply ``P``.
    n_genes
        Gene copies per population ``N_g``.
    fix_time, fixed_allele
        ``(R,)``: first generation at which one allele held all copies, and which (``-1``: not
        yet); updated.
    loss_time
        ``(R, K)``: first generation at which allele ``k`` had no copy (``-1``: not yet); updated.
    lf, inv
        ``ln k!`` and ``1/k``, ``k = 0 … N_g`` (:func:`~quantgeo._kernels.binomial.log_factorials`,
        :func:`~quantgeo._kernels.binomial.reciprocals`).
    """
    r_n, k_n = x.shape
    if k_n > 2:
        wf_multi(
            x, st, generations, t0, weights, transition, mutate, n_genes, fix_time,
            fixed_allele, loss_time, lf, inv,
        )  # fmt: skip
        return
    shared = weights.shape[0] == 1
    # the batch sampler's arguments and work arrays, dense over the active replicates
    nn = np.empty(r_n, dtype=np.int64)
    pp = np.empty(r_n)
    cc = np.empty(r_n, dtype=np.int64)
    vv = np.empty(r_n)
    pend = np.empty(r_n, dtype=np.int64)
    slow = np.empty(r_n, dtype=np.int64)
    flag = np.empty(r_n, dtype=np.uint8)
    # replicates that can still change, in ascending order (the order of the draws); without
    # mutation a fixed replicate is frozen and drops out of the list for good
    act = np.empty(r_n, dtype=np.int64)
    n_act = 0
    for r in range(r_n):
        if mutate or fix_time[r] < 0:
            act[n_act] = r
            n_act += 1
    for g in range(generations):
        if n_act == 0:
            break
        t = t0 + g + 1
        # one binomial per replicate: selection and mutation fused
        for i in range(n_act):
            r = act[i]
            wr = 0 if shared else r
            tot = x[r, 0] * weights[wr, 0] + x[r, 1] * weights[wr, 1]
            if mutate:
                y0 = x[r, 0] * weights[wr, 0] / tot
                y1 = x[r, 1] * weights[wr, 1] / tot
                z0 = y0 * transition[0, 0] + y1 * transition[1, 0]
            else:
                z0 = x[r, 0] * weights[wr, 0] / tot
            nn[i] = n_genes
            pp[i] = min(1.0, z0)
        draw_binomials(st, nn, pp, cc, n_act, lf, inv, vv, pend, slow, flag)
        n_hits = 0
        for i in range(n_act):
            r = act[i]
            c = cc[i]
            x[r, 0] = c / n_genes
            x[r, 1] = (n_genes - c) / n_genes
            pend[n_hits] = i
            n_hits += (c == 0) | (c == n_genes)
        if n_hits > 0:
            _absorb_hits(pend, n_hits, act, cc, t, loss_time, fix_time, fixed_allele)
        if not mutate:
            kept = 0
            for i in range(n_act):
                r = act[i]
                if fix_time[r] < 0:
                    act[kept] = r
                    kept += 1
            n_act = kept


def warmup() -> float:
    """Compile (or load from Numba's on-disk cache) the Wright–Fisher kernel; seconds spent.

    One specialisation of each kernel serves every K, ploidy, mutation flag and shared or
    per-replicate weights.
    """
    start = time.perf_counter()
    x = np.full((2, 2), 0.5)
    wf_generations(
        x, np.random.default_rng(0), 1, 0, np.ones((1, 2)), np.eye(2), False, 4,
        np.full(2, -1, dtype=np.int64), np.full(2, -1, dtype=np.int64),
        np.full((2, 2), -1, dtype=np.int64), log_factorials(4), reciprocals(4),
    )  # fmt: skip
    z = np.array([0.0, 0.5, 1.0])
    chain = narrow_layout(z, 2, 1)
    wf_chain_generations(
        x, np.array([1, 2]), np.random.default_rng(0), 1, 0, z, *chain, True, 2,
        np.full(2, -1, dtype=np.int64), np.full(2, -1, dtype=np.int64),
        np.full((2, 2), -1, dtype=np.int64), log_factorials(2), reciprocals(2),
    )  # fmt: skip
    tab = table_layout(z, 2)
    fill_rows(np.array([0]), 2, *tab)
    wf_table_generations(
        x, np.array([1, 2]), np.random.default_rng(0), 1, 0, *tab, True, 2,
        np.full(2, -1, dtype=np.int64), np.full(2, -1, dtype=np.int64),
        np.full((2, 2), -1, dtype=np.int64),
    )  # fmt: skip
    return time.perf_counter() - start


@njit(cache=True, inline="always")
def _finish_row(o, w, cdf, guide):
    """Row ``[o, o + w)`` of ``cdf`` holds the partial sums of ``g``: normalise it to F and
    write its Chen–Asau guide."""
    total = cdf[o + w - 1]
    # through a view: LLVM vectorises the division there (the twin's quotients, element by
    # element), not through ``cdf[o + i]`` (measured 10 % of a fill)
    row = cdf[o : o + w]
    for i in range(w):
        row[i] = row[i] / total
    cdf[o + w - 1] = 1.0
    # guide[j] = #{i : ⌊w F(i)⌋ < j} = min{i : fl(w F(i)) ≥ j} (F is nondecreasing and fl(w·)
    # monotone; F(w − 1) = 1 stops the walk): one merge walk, the twin's values bit for bit,
    # a quarter of a row's cost less than counting and summing
    i = 0
    for j in range(w):
        while cdf[o + i] * w < j:
            i += 1
        guide[o + j] = i


@njit(cache=True)
def _fill_row(
    c: int,
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
    # the twin's arithmetic, operation by operation (``cdf`` holds g, then its sums, then F)
    a, w, o, m, r = lo[c], width[c], offset[c], mode[c], rho[c]
    cdf[o + m - a] = 1.0
    # the two recursions from the mode, interleaved: independent dependency chains (each a
    # multiply-multiply-divide latency per entry) that the CPU then runs side by side
    gu = 1.0
    gd = 1.0
    ku = m + 1
    kd = m - 1
    while ku < a + w or kd >= a:
        if ku < a + w:
            gu = ((gu * r) * (n_genes - ku + 1)) / ku
            cdf[o + ku - a] = gu
            ku += 1
        if kd >= a:
            gd = ((gd / r) * (kd + 1)) / (n_genes - kd)
            cdf[o + kd - a] = gd
            kd -= 1
    acc = 0.0
    for i in range(w):
        acc += cdf[o + i]
        cdf[o + i] = acc
    _finish_row(o, w, cdf, guide)
    ready[c] = 1


@njit(cache=True)
def _fill_pair(
    c1: int,
    c2: int,
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
    """:func:`_fill_row` of two rows at once: the same operations per row, but four
    independent recursions (and two running sums) side by side, where one row's two are
    latency-bound (multiply, multiply, divide per entry): 8.5 → 6.0 ns a cell measured."""
    a1, w1, o1, m1, r1 = lo[c1], width[c1], offset[c1], mode[c1], rho[c1]
    a2, w2, o2, m2, r2 = lo[c2], width[c2], offset[c2], mode[c2], rho[c2]
    e1 = a1 + w1
    e2 = a2 + w2
    cdf[o1 + m1 - a1] = 1.0
    cdf[o2 + m2 - a2] = 1.0
    gu1 = gd1 = gu2 = gd2 = 1.0
    ku1, kd1, ku2, kd2 = m1 + 1, m1 - 1, m2 + 1, m2 - 1
    while ku1 < e1 or kd1 >= a1 or ku2 < e2 or kd2 >= a2:
        if ku1 < e1:
            gu1 = ((gu1 * r1) * (n_genes - ku1 + 1)) / ku1
            cdf[o1 + ku1 - a1] = gu1
            ku1 += 1
        if kd1 >= a1:
            gd1 = ((gd1 / r1) * (kd1 + 1)) / (n_genes - kd1)
            cdf[o1 + kd1 - a1] = gd1
            kd1 -= 1
        if ku2 < e2:
            gu2 = ((gu2 * r2) * (n_genes - ku2 + 1)) / ku2
            cdf[o2 + ku2 - a2] = gu2
            ku2 += 1
        if kd2 >= a2:
            gd2 = ((gd2 / r2) * (kd2 + 1)) / (n_genes - kd2)
            cdf[o2 + kd2 - a2] = gd2
            kd2 -= 1
    acc1 = acc2 = 0.0
    both = min(w1, w2)
    for i in range(both):
        acc1 += cdf[o1 + i]
        cdf[o1 + i] = acc1
        acc2 += cdf[o2 + i]
        cdf[o2 + i] = acc2
    for i in range(both, w1):
        acc1 += cdf[o1 + i]
        cdf[o1 + i] = acc1
    for i in range(both, w2):
        acc2 += cdf[o2 + i]
        cdf[o2 + i] = acc2
    _finish_row(o1, w1, cdf, guide)
    _finish_row(o2, w2, cdf, guide)
    ready[c1] = 1
    ready[c2] = 1


@njit(cache=True, nogil=True)
def _fill_states(
    states: IntArray,
    n_states: int,
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
    """Write the rows ``states[:n_states]`` (distinct), two at a time."""
    tabs = (lo, width, offset, mode, rho, cdf, guide, ready)
    for p in range(0, n_states - 1, 2):
        _fill_pair(states[p], states[p + 1], n_genes, *tabs)
    if n_states % 2:
        _fill_row(states[n_states - 1], n_genes, *tabs)


@njit(cache=True, nogil=True)
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
    """Write the rows ``states`` of the tables in place (the twin's :func:`fill_rows`)."""
    # distinct, as the twin's: a state listed twice is written once
    todo = np.empty(states.size, dtype=np.int64)
    n = 0
    for c in states:
        if ready[c] != 2:
            ready[c] = 2
            todo[n] = c
            n += 1
    _fill_states(todo, n, n_genes, lo, width, offset, mode, rho, cdf, guide, ready)


@njit(cache=True, inline="always")
def _absorb(r, lost0, t, loss_time, fix_time, fixed_allele):
    """Replicate ``r`` reached count 0 (``lost0``: allele 0 lost) or ``N_g`` at generation
    ``t``: record the loss and the fixation once."""
    gone = 0 if lost0 else 1
    if loss_time[r, gone] < 0:
        loss_time[r, gone] = t
    if fix_time[r] < 0:
        fix_time[r] = t
        fixed_allele[r] = 1 - gone


@njit(cache=True, inline="always")
def _absorb_hits(hits, n_hits, act, cur, t, loss_time, fix_time, fixed_allele):
    """:func:`_absorb` for each live replicate ``act[hits[:n_hits]]`` (count ``cur``).

    One call per generation over the hits, not one per hit: where hits are frequent (new
    mutants being lost), a helper with array arguments called per hit costs ~35 ns of
    reference counting a call (measured: a third of a neutral generation's time)."""
    for h in range(n_hits):
        i = hits[h]
        r = act[i]
        # (written out: an inlined helper with array arguments in the loop would cost it again)
        gone = 0 if cur[i] == 0 else 1
        if loss_time[r, gone] < 0:
            loss_time[r, gone] = t
        if fix_time[r] < 0:
            fix_time[r] = t
            fixed_allele[r] = 1 - gone


@njit(cache=True, inline="always")
def _active(count, fix_time, frozen, act, cur):
    """The live replicates (all unless ``frozen``: then the unfixed) into ``act`` and their
    counts into ``cur``, in ascending replicate order; how many."""
    n_act = 0
    for r in range(count.size):
        if not frozen or fix_time[r] < 0:
            act[n_act] = r
            cur[n_act] = count[r]
            n_act += 1
    return n_act


@njit(cache=True, inline="always")
def _compact(act, cur, count, fix_time, n_act):
    """Drop the absorbed replicates from the active list ``act[:n_act]`` (every count goes to
    ``count``; the live ones are written again at the end); the new length.  Branch-free:
    which replicates absorb is random, so a branch on it would be mispredicted."""
    kept = 0
    for i in range(n_act):
        r = act[i]
        act[kept] = r
        cur[kept] = cur[i]
        count[r] = cur[i]
        kept += fix_time[r] < 0
    return kept


@njit(cache=True, inline="always")
def _write_counts(x, count, act, cur, n_act, n_genes):
    """The active replicates' counts back to ``count``, and every replicate's K = 2
    frequencies to ``x``."""
    for i in range(n_act):
        count[act[i]] = cur[i]
    for r in range(count.size):
        x[r, 0] = count[r] / n_genes
        x[r, 1] = (n_genes - count[r]) / n_genes


@njit(cache=True, nogil=True)
def _wf_table_generations(
    x: Array,
    count: IntArray,
    st: NDArray[np.uint64],
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
    replicate draws nothing and drops out.  A state's row is written the first time a
    replicate is in it (:func:`fill_rows`).  One uniform ``u = next_double(st)`` (NumPy's
    ``next_double``, as ``rng.random(size)`` in the twin) per active replicate and generation,
    in ascending replicate order; the new count is ``lo_c + min{i : F_c(i) > u}``.
    """
    r_n = count.size
    uu = np.empty(_BATCH)
    oo = np.empty(_BATCH, dtype=np.int64)
    jj = np.empty(_BATCH, dtype=np.int64)
    # the live replicates and their counts, dense, in ascending replicate order: a generation
    # touches only these (absorbed replicates are written back once, when they fix)
    act = np.empty(r_n, dtype=np.int64)
    cur = np.empty(r_n, dtype=np.int64)
    hits = np.empty(r_n, dtype=np.int64)
    n_act = _active(count, fix_time, frozen, act, cur)
    for g in range(generations):
        if n_act == 0:
            break
        t = t0 + g + 1
        n_hits = 0
        for b0 in range(0, n_act, _BATCH):
            b1 = min(n_act, b0 + _BATCH)
            # three passes over a batch, so that its table reads (cache misses for large N_g)
            # are independent and overlap instead of queueing one behind the other
            for i in range(b0, b1):
                c = cur[i]
                if ready[c] == 0:
                    _fill_row(c, n_genes, lo, width, offset, mode, rho, cdf, guide, ready)
                u = next_double(st)
                uu[i - b0] = u
                oo[i - b0] = offset[c]
                jj[i - b0] = guide[offset[c] + np.int64(u * width[c])]
            for i in range(b0, b1):
                o, j, u = oo[i - b0], jj[i - b0], uu[i - b0]
                while cdf[o + j] <= u:
                    j += 1
                jj[i - b0] = j
            # (written out here: an inlined helper with array arguments, called per batch,
            # costs its reference counting, ~1 ns a replicate measured)
            if frozen:
                # new mutants are lost at random: listed without a branch (mispredicted)
                for i in range(b0, b1):
                    c = lo[cur[i]] + jj[i - b0]
                    cur[i] = c
                    hits[n_hits] = i
                    n_hits += (c == 0) | (c == n_genes)
            else:
                # with mutation a boundary is rare: a branch never taken is cheaper
                for i in range(b0, b1):
                    c = lo[cur[i]] + jj[i - b0]
                    cur[i] = c
                    if c == 0 or c == n_genes:
                        _absorb(act[i], c == 0, t, loss_time, fix_time, fixed_allele)
        if n_hits > 0:  # (frozen only: each hit fixes now)
            _absorb_hits(hits, n_hits, act, cur, t, loss_time, fix_time, fixed_allele)
            n_act = _compact(act, cur, count, fix_time, n_act)
    _write_counts(x, count, act, cur, n_act, n_genes)


@njit(cache=True, error_model="numpy", nogil=True)
def _wf_chain_generations(
    x: Array,
    count: IntArray,
    st: NDArray[np.uint64],
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
    """The K = 2 count chain ``c → Bin(N_g, z_c)`` beyond the full tables (large ``N_g``).

    The rows of :func:`narrow_layout` (states whose window is narrow: counts near 0 or
    ``N_g``, e.g. a new mutant's) are inverted as in :func:`wf_table_generations` (a row is
    written the first time a replicate is in its state, :func:`fill_rows`); the other
    states draw ``Bin(N_g, z_c)`` with the BTRD / inversion sampler
    (:func:`~quantgeo._kernels.binomial.rounds`).  Each live replicate takes one uniform, in
    ascending order (the first uniform of its binomial, if it has no row), then the binomials'
    further rounds follow: the twin's order.  ``count``, ``x``, ``frozen`` and the absorption
    bookkeeping as in :func:`wf_table_generations`.
    """
    r_n = count.size
    act = np.empty(r_n, dtype=np.int64)
    cur = np.empty(r_n, dtype=np.int64)
    nn = np.full(r_n, n_genes, dtype=np.int64)
    pp = np.empty(r_n)
    cc = np.empty(r_n, dtype=np.int64)
    who = np.empty(r_n, dtype=np.int64)
    vv = np.empty(r_n)
    pend = np.empty(r_n, dtype=np.int64)
    slow = np.empty(r_n, dtype=np.int64)
    flag = np.empty(r_n, dtype=np.uint8)
    n_act = _active(count, fix_time, frozen, act, cur)
    for g in range(generations):
        if n_act == 0:
            break
        t = t0 + g + 1
        n_b = 0
        for i in range(n_act):
            c = cur[i]
            u = next_double(st)
            o = offset[c]
            if o >= 0:
                if ready[c] == 0:
                    _fill_row(c, n_genes, lo, width, offset, mode, rho, cdf, guide, ready)
                j = int(guide[o + np.int64(u * width[c])])
                while cdf[o + j] <= u:
                    j += 1
                cur[i] = lo[c] + j
            else:
                vv[n_b] = u
                pp[n_b] = z[c]
                who[n_b] = i
                pend[n_b] = n_b
                n_b += 1
        if n_b > 0:
            rounds(st, nn, pp, cc, n_b, lf, inv, vv, pend, slow, flag, True)
            for j in range(n_b):
                cur[who[j]] = cc[j]
        if frozen:
            # the absorbed, listed as in the table kernel (``who`` is free again)
            n_hits = 0
            for i in range(n_act):
                c = cur[i]
                who[n_hits] = i
                n_hits += (c == 0) | (c == n_genes)
            if n_hits > 0:
                _absorb_hits(who, n_hits, act, cur, t, loss_time, fix_time, fixed_allele)
                n_act = _compact(act, cur, count, fix_time, n_act)
        else:
            for i in range(n_act):
                c = cur[i]
                if c == 0 or c == n_genes:
                    _absorb(act[i], c == 0, t, loss_time, fix_time, fixed_allele)
    _write_counts(x, count, act, cur, n_act, n_genes)


# the twin's signatures: the block's Generator in place of its state
wf_generations = pcg64.on_stream(_wf_generations, 1, "wf_generations")
wf_table_generations = pcg64.on_stream(_wf_table_generations, 2, "wf_table_generations")
wf_chain_generations = pcg64.on_stream(_wf_chain_generations, 2, "wf_chain_generations")


# the kernels draw through binomial.py and pcg64.py and hand K ≥ 3 to evolution_multi.py: drop
# cache entries compiled against other versions of them
drop_stale(__name__, [f"quantgeo._kernels.{m}" for m in ("binomial", "evolution_multi", "pcg64")])
