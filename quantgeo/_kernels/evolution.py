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
  here and in the twin, so the same bits, then an alias table built in integers), and each
  step maps one uniform through its state's Walker–Vose alias table: O(1) per
  replicate-generation, one 4-byte cell read and no data-dependent branch, with the law of
  the inversion ``c' = lo_c + min{i : F_c(i) > u}`` exactly (the same count of 53-bit
  uniforms for every outcome).  The kernel and the twin read equal tables with the same
  uniforms (``fill_uniforms(st, …)`` here, ``rng.random(size)`` there: the same
  ``next_double`` stream), so they agree bit for bit.
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
    _HEAD,
    _RES,
    alias_rows,
    inversion_tables,
    narrow_layout,
    table_layout,
    table_windows,
)
from quantgeo._kernels.evolution_tables import _SCALE, _fill_row, alias_draws, fill_rows, threshold
from quantgeo._kernels.pcg64 import fill_uniforms, next_double

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
    "warmup",
    "wf_chain_generations",
    "wf_generations",
    "wf_table_generations",
]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
# live replicates from which a generation's uniforms are drawn by one fill_uniforms call
_FEW = 64


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
def _uniforms(st, uu, n):
    """``uu[:n]``: the next ``n`` uniforms of the stream, in order.  A batch through
    :func:`~quantgeo._kernels.pcg64.fill_uniforms`; a few (a neutral run's late generations)
    inline, where that call's overhead (its array's reference counting) would be a
    replicate's draw again."""
    if n >= _FEW:
        fill_uniforms(st, uu[:n])
    else:
        for i in range(n):
            uu[i] = next_double(st)


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
    replicate draws nothing and drops out.  A state's row is written the first time a
    replicate is in it (:func:`fill_rows`).  One uniform ``u`` (NumPy's ``next_double``, as
    ``rng.random(size)`` in the twin) per active replicate and generation, in ascending
    replicate order; the new count is ``lo_c + a`` with ``a`` the alias draw of ``u`` in row
    ``c`` (:func:`alias_draws`: ``k = 2⁵³ u``, column ``j = ⌊k / 2^{53 − b_c}⌋``, ``a = j`` if
    ``k mod 2^{53 − b_c} < thr_j``, else ``alias_j``).
    """
    r_n = count.size
    uu = np.empty(r_n)
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
        _uniforms(st, uu, n_act)
        # one 4-byte cell read a draw and no data-dependent branch: the draws are
        # independent, so their cache misses overlap
        for i in range(n_act):
            c = cur[i]
            if ready[c] == 0:
                _fill_row(c, n_genes, lo, width, offset, mode, rho, bits, cells, ready)
            o = offset[c]
            k = np.int64(uu[i] * _SCALE)
            sh = _RES - bits[c]
            j = k >> sh
            f = k & ((np.int64(1) << sh) - 1)
            cell = np.int64(cells[o + j])
            head, top = f >> (sh - _HEAD), cell >> _HEAD
            primary = head < top
            if head == top:  # (≤ 2⁻¹⁶ of the draws) the full threshold decides
                primary = f < threshold(c, j, n_genes, lo, width, mode, rho, bits)
            cur[i] = lo[c] + (j if primary else cell & 0xFFFF)
        # (written out here: an inlined helper with array arguments costs its reference
        # counting, ~1 ns a replicate measured)
        n_hits = 0
        if frozen:
            # new mutants are lost at random: listed without a branch (mispredicted)
            for i in range(n_act):
                c = cur[i]
                hits[n_hits] = i
                n_hits += (c == 0) | (c == n_genes)
        else:
            # with mutation a boundary is rare: a branch never taken is cheaper
            for i in range(n_act):
                c = cur[i]
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
    """The K = 2 count chain ``c → Bin(N_g, z_c)`` beyond the full tables (large ``N_g``).

    The rows of :func:`narrow_layout` (states whose window is narrow: counts near 0 or
    ``N_g``, e.g. a new mutant's) draw through their alias rows as in
    :func:`wf_table_generations` (a row is written the first time a replicate is in its
    state, :func:`fill_rows`); the other
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
            # (inline: one fill_uniforms call for the generation's uniforms measured slower
            # here, 0.94×, where most states draw BTRD binomials)
            u = next_double(st)
            o = offset[c]
            if o >= 0:
                if ready[c] == 0:
                    _fill_row(c, n_genes, lo, width, offset, mode, rho, bits, cells, ready)
                k = np.int64(u * _SCALE)
                sh = _RES - bits[c]
                j = k >> sh
                f = k & ((np.int64(1) << sh) - 1)
                cell = np.int64(cells[o + j])
                head, top = f >> (sh - _HEAD), cell >> _HEAD
                primary = head < top
                if head == top:
                    primary = f < threshold(c, j, n_genes, lo, width, mode, rho, bits)
                cur[i] = lo[c] + (j if primary else cell & 0xFFFF)
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


# the kernels draw through binomial.py and pcg64.py, write rows with evolution_tables.py and
# hand K ≥ 3 to evolution_multi.py: drop cache entries compiled against other versions of them
_DEPS = ("binomial", "evolution_multi", "evolution_tables", "pcg64")
drop_stale(__name__, [f"quantgeo._kernels.{m}" for m in _DEPS])
