r"""Wright–Fisher populations: selection, mutation and multinomial drift, many replicates at once.

Each generation of a population of ``N_g = ploidy·n`` gene copies over ``K`` alleles with
frequencies ``x``:

.. math:: y_k = \frac{x_k w_k}{\sum_j x_j w_j},\qquad z_j = \sum_k y_k P_{kj},\qquad
          N_g\,x' \sim \mathrm{Multinomial}(N_g, z)

(selection, mutation, drift — the order of Ewens, *Mathematical Population Genetics* §1.3).
``w_k = 1 + s_k`` are the allele weights (genic selection; for a diploid, multiplicative
fitnesses under random union) or the marginal fitnesses returned by a callable of the
frequencies (any dominance or frequency dependence, see :func:`genotype_fitness`).  ``P`` is
the mutation matrix built from the rates ``μ_kj`` (``k → j``): ``P_kj = μ_kj``,
``P_kk = 1 − Σ_{j≠k} μ_kj``.

``n`` is the number of individuals of an ideal population, i.e. ``N_e``; the diffusion limit
(:class:`~quantgeo.evolution.KimuraDiffusion`) has variance ``x(1 − x)/N_g`` per generation.

Sampling (``info["sampler"]``): with K = 2 and constant weights the model is the Markov chain
``c → Bin(N_g, z_c)`` on the count of allele 0, and for ``N_g ≲ 3600`` its transition rows are
tabulated and each step maps one uniform through its row's Walker–Vose alias table
(``"table"``, O(1) per replicate-generation, with the law of inversion through the row's
CDF); otherwise the binomials are drawn with a fresh ``p`` each by BTRD (``n p ≥ 10``) or
inversion (:mod:`quantgeo._kernels.binomial`, ``"binomial"``) — for the
K = 2 chain with ``N_g < 2²¹`` only in the states whose rows are wide, the narrow rows (counts
near 0 and ``N_g``) being tabulated too (``info["tabulated_states"]``).  Both are
exact (the tables to double rounding: tail mass left out < 2e⁻⁴², below the uniforms' 2⁻⁵³
resolution), both backends draw the same variates, and a run is reproducible for a fixed seed;
the two samplers give different (equally distributed) streams.

Replicates are cut into blocks of :data:`BLOCK`; block ``b`` draws from its own generator,
``default_rng(SeedSequence(seed).spawn(B)[b])``, and the blocks run on ``workers`` threads (the
kernels release the GIL), so the result does not depend on the thread count.
"""

from __future__ import annotations

import copy
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._kernels import BACKENDS, kernels
from quantgeo._preflight import Estimate, check_run, fmt_count, run_estimate
from quantgeo._validation import check_choice, check_int
from quantgeo.errors import StabilityError
from quantgeo.evolution.analytic import gene_copies
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import run_info

__all__ = ["BACKENDS", "OBSERVABLES", "WrightFisher", "fixation_fraction", "genotype_fitness"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]
FitnessFn = Callable[[Array], ArrayLike]
OBSERVABLES: tuple[str, ...] = (
    "mean",
    "mean_se",
    "heterozygosity",
    "heterozygosity_se",
    "fixed",
    "lost",
)
_SUM_TOL = 1e-9
# replicate-generations per kernel call between finiteness checks
_BUDGET = 1 << 22
# largest (N_g + 1) × (widest row) of the K = 2 alias tables: N_g ≲ 3600 gene copies,
# beyond which a draw costs the tables' cache misses (docs/evolution.md, Performance)
_TABLE_CELLS = 1 << 21
# bytes per window cell of the tables, at most (4-byte alias cells, 2^⌈log₂ width⌉ < 2 width
# of them a row); only the rows reached are written
_TABLE_BYTES = 8
# widest row (cells) tabulated beyond the full tables: the states near 0 and N_g (a new
# mutant's), drawn through their alias rows; the other states draw BTRD / inversion binomials
_NARROW = 512
# largest N_g for the chain (its per-state arrays take 48 bytes a state); beyond, the general
# kernel draws every binomial
_CHAIN_STATES = 1 << 21
#: replicates per block: each block has its own ``SeedSequence(seed).spawn`` stream and is one
#: task of the thread pool, so a run's result does not depend on ``workers``
BLOCK = 4096


def check_frequencies(name: str, x: ArrayLike, k: int | None = None) -> Array:
    """Return ``x`` (shape ``(..., K)``) as floats if every row lies in [0, 1] and sums to 1."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] < 2:
        raise ValueError(f"`{name}` must have ≥ 2 allele frequencies on its last axis, got {arr!r}")
    if k is not None and arr.shape[-1] != k:
        raise ValueError(f"`{name}` must have {k} allele frequencies, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any((arr < 0) | (arr > 1)):
        bad = float(arr[~np.isfinite(arr) | (arr < 0) | (arr > 1)].ravel()[0])
        raise ValueError(f"`{name}` must have every frequency in [0, 1], got {bad!r}")
    sums = arr.sum(axis=-1)
    worst = float(np.max(np.abs(sums - 1.0)))
    if worst > _SUM_TOL:
        raise ValueError(
            f"`{name}` must sum to 1 over alleles (within {_SUM_TOL:g}), "
            f"got sums off by {worst:.3g}"
        )
    return arr


def _mutation_matrix(mutation: Any, k: int) -> tuple[Array, bool]:
    """Row-stochastic ``P`` from a scalar rate, a K=2 pair ``(u, v)`` or a ``K × K`` rate matrix."""
    m = np.asarray(mutation, dtype=float)
    if m.ndim == 0:
        rate = float(m)
        if not np.isfinite(rate) or rate < 0 or rate * (k - 1) > 1:
            raise ValueError(
                f"`mutation` must be a rate in [0, {1 / (k - 1):g}] (to each other allele), "
                f"got {mutation!r}"
            )
        mu = np.full((k, k), rate)
    elif m.shape == (2,) and k == 2:
        # (u, v): u = rate into allele 0 (1 → 0), v = rate out of it (0 → 1), as in Wright's
        # x^{4Nu−1}(1−x)^{4Nv−1} with x the frequency of allele 0
        mu = np.array([[0.0, m[1]], [m[0], 0.0]])
    elif m.shape == (k, k):
        mu = m.copy()
    else:
        raise ValueError(
            f"`mutation` must be a rate, a pair (u, v) for 2 alleles or a {k}×{k} rate matrix, "
            f"got shape {m.shape}"
        )
    np.fill_diagonal(mu, 0.0)
    if not np.all(np.isfinite(mu)) or np.any(mu < 0):
        raise ValueError(f"`mutation` rates must be finite and in [0, 1], got {mutation!r}")
    out_rate = mu.sum(axis=1)
    if np.any(out_rate > 1):
        raise ValueError(
            f"`mutation`: the total rate out of each allele must be ≤ 1, got {out_rate.max():g}"
        )
    p = mu.copy()
    p[np.diag_indices(k)] = 1.0 - out_rate
    return p, bool(np.any(mu > 0))


def _check_weights(w: Array, what: str) -> None:
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        bad = float(w[~np.isfinite(w) | (w < 0)].ravel()[0])
        raise ValueError(f"`fitness` must give weights 1 + s ≥ 0 (finite), got {bad!r} {what}")


def genotype_fitness(w: ArrayLike) -> FitnessFn:
    r"""Marginal allele fitnesses of a diploid with genotype fitnesses ``W`` (``K × K``).

    Under random union the post-selection frequencies are ``x_k (Wx)_k / xᵀWx``, i.e. the
    allele weights ``(Wx)_k`` — returned as a callable for ``WrightFisher(fitness=...)``.
    Dominance for two alleles: ``W = [[1+s, 1+hs], [1+hs, 1]]`` (allele 0 favoured).
    """
    mat = np.asarray(w, dtype=float)
    if mat.ndim != 2 or mat.shape[0] != mat.shape[1] or not np.allclose(mat, mat.T):
        raise ValueError(f"`w` must be a symmetric K×K genotype fitness matrix, got {mat!r}")
    _check_weights(mat, "(genotype fitness)")

    def marginal(x: Array) -> Array:
        return np.asarray(x @ mat, dtype=float)

    return marginal


class WrightFisher:
    r"""Wright–Fisher model with selection, mutation and drift (module docstring).

    Parameters
    ----------
    n
        Individuals (``N_e`` of an ideal population), ≥ 1.
    fitness
        Selection coefficients ``s`` (shape ``(K,)``, weights ``1 + s_k ≥ 0``), or a callable
        ``x ↦ w`` mapping frequencies ``(R, K)`` to non-negative weights ``(R, K)`` (or
        ``(K,)``), evaluated every generation.  ``None``: neutral.
    mutation
        Rate ``μ`` from each allele to each other one, a pair ``(u, v)`` for two alleles (``u``
        into allele 0, ``v`` out of it) or a ``K × K`` matrix of rates ``k → j`` (diagonal
        ignored); rates ≥ 0, total out of an allele ≤ 1.
    n_alleles
        ``K`` (≥ 2); inferred from ``fitness`` or ``mutation`` when they are arrays.
    ploidy
        1 (haploid, ``N_g = n``) or 2 (diploid, ``N_g = 2n``).
    seed
        Seed of the run (each :meth:`run` restarts from it): the replicates are cut into blocks
        of :data:`BLOCK`, block ``b`` drawing from ``default_rng(SeedSequence(seed).spawn(B)[b])``.
    backend
        ``"numba"`` (compiled kernel) or ``"numpy"`` (vectorised twin, identical draws).
    workers
        Threads running the blocks (``None``: every core, ``os.cpu_count()``, or one per shard
        when :meth:`run` shards onto an executor; at most one per block).  The kernels
        release the GIL; the result is the same for every ``workers``.
    """

    def __init__(
        self,
        n: int,
        fitness: ArrayLike | FitnessFn | None = None,
        mutation: ArrayLike = 0.0,
        *,
        n_alleles: int | None = None,
        ploidy: int = 2,
        seed: int = 0,
        backend: str = "numba",
        workers: int | None = None,
    ) -> None:
        self.n = check_int("n", n)
        self._auto_workers = workers is None
        self.workers = (
            (os.cpu_count() or 1)
            if workers is None
            else check_int("workers", workers, or_none=True)
        )
        self.ploidy = ploidy
        self.n_genes = gene_copies(self.n, ploidy)
        self.seed = check_int("seed", seed, 0)
        self.backend = check_choice("backend", backend, BACKENDS)
        k = None if n_alleles is None else check_int("n_alleles", n_alleles, 2)
        self._fitness_fn: FitnessFn | None = None
        s_arr: Array | None = None
        if callable(fitness):
            self._fitness_fn = fitness
        elif fitness is not None:
            s_arr = np.asarray(fitness, dtype=float)
            if s_arr.ndim != 1 or s_arr.size < 2:
                raise ValueError(
                    f"`fitness` must be K ≥ 2 selection coefficients or a callable, got {fitness!r}"
                )
            k = k or s_arr.size
            if s_arr.size != k:
                raise ValueError(f"`fitness` has {s_arr.size} entries but `n_alleles` = {k}")
        mshape = np.shape(mutation)
        if k is None and len(mshape) == 2:
            k = mshape[0]
        if k is None:
            k = 2
        self.n_alleles = k
        self.transition, self.mutates = _mutation_matrix(mutation, k)
        if s_arr is None:
            s_arr = np.zeros(k)
        w = 1.0 + s_arr
        _check_weights(w, "(s must be ≥ −1)")
        self.selection = s_arr
        self._weights = w.reshape(1, k)

    def __repr__(self) -> str:
        fit = "callable" if self._fitness_fn is not None else np.array2string(self.selection)
        return (
            f"WrightFisher(n={self.n}, ploidy={self.ploidy}, K={self.n_alleles}, fitness={fit}, "
            f"mutates={self.mutates}, backend={self.backend!r}, workers={self.workers})"
        )

    # -- one-generation moments ---------------------------------------------------------------
    def weights(self, x: ArrayLike) -> Array:
        """Allele weights at frequencies ``x`` (shape ``(R, K)``), validated."""
        xs = np.atleast_2d(np.asarray(x, dtype=float))
        if self._fitness_fn is None:
            return np.broadcast_to(self._weights, xs.shape).copy()
        w = np.asarray(self._fitness_fn(xs), dtype=float)
        w = np.broadcast_to(w, xs.shape).copy() if w.shape in ((self.n_alleles,), xs.shape) else w
        if w.shape != xs.shape:
            raise ValueError(f"`fitness(x)` must return shape {xs.shape}, got {w.shape}")
        _check_weights(w, "(from the fitness callable)")
        return w

    def expected_next(self, x: ArrayLike) -> Array:
        """``E[x' | x] = z`` (selection then mutation), shape ``(R, K)``."""
        xs = check_frequencies("x", np.atleast_2d(x), self.n_alleles)
        y = xs * self.weights(xs)
        y /= y.sum(axis=1, keepdims=True)
        return np.asarray(y @ self.transition if self.mutates else y)

    def transition_probabilities(self) -> Array | None:
        r"""``z_c``, the probability of allele 0 after selection and mutation in state
        ``c = 0 … N_g`` copies (``(N_g + 1,)``), when the model is a chain on counts (K = 2,
        constant weights); else ``None``.  The transition is ``c → Bin(N_g, z_c)``."""
        if self.n_alleles != 2 or self._fitness_fn is not None:
            return None
        ng = self.n_genes
        c = np.arange(ng + 1)
        x0, x1 = c / ng, (ng - c) / ng
        w0, w1 = self._weights[0]
        p = self.transition
        with np.errstate(all="ignore"):
            tot = x0 * w0 + x1 * w1
            y0, y1 = x0 * w0 / tot, x1 * w1 / tot
            z = y0 * p[0, 0] + y1 * p[1, 0] if self.mutates else y0
        z = np.minimum(1.0, z)
        # a state whose every present allele has weight 0 has no next generation: the general
        # kernel raises StabilityError there
        return z if bool(np.all(np.isfinite(z))) else None

    def _count_chain(self) -> tuple[Array, NDArray[np.int64]] | None:
        """``(z, row widths)`` of the count chain (K = 2, constant weights) or ``None``:
        computed once per engine (the model does not change), as the table sizing, the run and
        its memory estimate all need them (each an O(N_g) pass)."""
        if "_chain_cache" not in self.__dict__:
            z = self.transition_probabilities()
            chain: tuple[Array, NDArray[np.int64]] | None = None
            if z is not None:
                chain = (z, kernels("evolution", "numpy").table_windows(z, self.n_genes)[1])
            self._chain_cache = chain
        cached: tuple[Array, NDArray[np.int64]] | None = self._chain_cache
        return cached

    def _table_cells(self) -> int:
        """Padded cells of the alias tables, 0 when the model does not use them: K = 2
        with constant weights and ``(N_g + 1) × (widest row) ≤ 2²¹`` (``N_g ≲ 3600``; beyond,
        the tables outgrow the caches and the draw costs their misses)."""
        chain = self._count_chain()
        if chain is None:
            return 0
        z, width = chain
        cells = z.size * int(width.max())
        return cells if cells <= _TABLE_CELLS else 0

    def _tables(self) -> tuple[Any, ...] | None:
        """Fresh alias tables of the count chain for one run (rows are written as the run
        reaches them; not kept on the engine, which shards share), or ``None`` (general
        kernel)."""
        chain = self._count_chain()
        if chain is None or not self._table_cells():
            return None
        return tuple(kernels("evolution", "numpy").table_layout(chain[0], self.n_genes))

    def _chain(self) -> tuple[Array, tuple[Any, ...]] | None:
        """``(z, narrow tables)`` of the count chain beyond the full tables (K = 2, constant
        weights, large ``N_g``), or ``None``."""
        chain = None if self.n_genes >= _CHAIN_STATES else self._count_chain()
        if chain is None or self._table_cells():
            return None
        z = chain[0]
        return z, tuple(kernels("evolution", "numpy").narrow_layout(z, self.n_genes, _NARROW))

    def _narrow_cells(self) -> int:
        """Cells of the narrow rows :meth:`_chain` packs (rows no wider than the cut)."""
        chain = self._count_chain()
        if chain is None:
            return 0
        width = chain[1]
        return int(width[width <= _NARROW].sum())

    # -- running ------------------------------------------------------------------------------
    def _start(self, x0: ArrayLike, replicates: int) -> Array:
        x = check_frequencies("x0", x0, self.n_alleles)
        if x.ndim == 1:
            return np.tile(x, (replicates, 1))
        if x.shape != (replicates, self.n_alleles):
            raise ValueError(
                f"`x0` must have shape ({self.n_alleles},) or ({replicates}, {self.n_alleles}), "
                f"got {x.shape}"
            )
        return x.copy(order="C")

    def _resolve(self, name: str) -> Callable[[Array], Any]:
        def het(x: Array) -> Array:
            return np.asarray(1.0 - np.sum(x * x, axis=1))

        table: dict[str, Callable[[Array], Any]] = {
            "mean": lambda x: x.mean(axis=0),
            "mean_se": lambda x: x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]),
            "heterozygosity": lambda x: float(het(x).mean()),
            "heterozygosity_se": lambda x: float(het(x).std(ddof=1) / np.sqrt(x.shape[0])),
            "fixed": lambda x: float(np.mean(np.any(x == 1.0, axis=1))),
            "lost": lambda x: np.mean(x == 0.0, axis=0),
        }
        if name not in table:
            raise ValueError(
                f"unknown Wright–Fisher observable {name!r}; known: {', '.join(OBSERVABLES)}"
            )
        return table[name]

    def memory_estimate(self, generations: int, recorder: Recorder, replicates: int) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): the frequencies ``(R, K)``
        and the fixation and loss times (``2R + RK`` integers), with ``R`` times the fitness
        weights' temporaries, and the records (stored frequencies ``(R, K)`` each)."""
        freqs = 8.0 * replicates * self.n_alleles
        working = {
            f"for {fmt_count(replicates)} replicates": (
                4 * freqs + 16.0 * replicates,
                "lower `replicates`",
            )
        }
        cells = self._table_cells()
        if cells:
            working["for the K = 2 alias tables (at most)"] = (
                float(_TABLE_BYTES * cells),
                "lower `n`",
            )
        chained = not cells and self.n_genes < _CHAIN_STATES and self._count_chain() is not None
        # ln k! and 1/k for the binomials; the chain's per-state arrays and narrow rows
        extra = 16.0 * (self.n_genes + 1)
        if chained:
            extra += 48.0 * (self.n_genes + 1) + _TABLE_BYTES * float(self._narrow_cells())
        working["for the binomial sampler's tables"] = (extra, "lower `n`")
        return run_estimate(
            (0.0, float(generations)),
            recorder,
            1.0,
            state_bytes=freqs,
            working=working,
            records_fix="record fewer generations, store no states or lower `replicates`",
            steps_fix="lower `generations`",
        )

    def run(
        self,
        x0: ArrayLike,
        generations: int | tuple[float, float],
        *,
        recorder: Recorder | None = None,
        replicates: int = 1,
        shards: int | None = None,
        executor: Any = None,
    ) -> Trajectory:
        """Evolve ``replicates`` independent populations for ``generations`` generations.

        Parameters
        ----------
        x0
            Initial frequencies ``(K,)`` (every replicate) or ``(replicates, K)``.
        generations
            Number of generations ``G ≥ 0``, or the span ``(0, G)`` of the engines'
            ``run(state0, t_span)``.  Record times are generation indices (integers).
        recorder
            Default: ``"mean"`` and ``"heterozygosity"`` at generations 0 and ``generations``,
            frequencies stored.  Stored states are the frequencies, shape ``(R, K)`` per record.
        replicates
            ``R``.
        shards, executor
            Split the replicates into ``shards`` shards with ``SeedSequence(seed).spawn``
            streams run on ``executor`` (``"serial"``, ``None``: a process pool, any
            ``concurrent.futures.Executor`` or a Dask ``distributed.Client``) and merge them
            (:mod:`quantgeo.sweep.engine_shards`); the per-replicate ``info`` arrays are
            concatenated in shard order.

        Returns
        -------
        Trajectory
            ``info`` holds ``fixation_time`` ``(R,)`` (first generation at which one allele
            held every copy, ``-1`` if none did), ``fixed_allele`` ``(R,)`` (``-1``) and
            ``loss_time`` ``(R, K)`` (first generation without allele ``k``, ``-1``), plus the
            model parameters, seed, timings, ``sampler``, ``tabulated_states``, ``blocks`` and
            the ``workers`` (threads) used.
        """
        reps = check_int("replicates", replicates)
        span: Any = generations
        if isinstance(span, (tuple, list)):
            # the engines' run(state0, t_span) form: t_span = (0, G)
            if len(span) != 2 or span[0] != 0:
                raise ValueError(f"`generations` as a span must be (0, G), got {generations!r}")
            span = span[1]
        if isinstance(span, float) and span.is_integer():
            span = int(span)
        gens = check_int("generations", span, 0)
        rec = recorder or Recorder(observables=("mean", "heterozygosity"))
        if shards is not None:
            from quantgeo.sweep.engine_shards import EngineClone, run_engine_sharded

            base = self
            if self._auto_workers and executor != "serial":
                # the shards are the parallelism: one thread each, unless `workers` was given
                base = copy.copy(self)
                base.workers = 1
            return run_engine_sharded(
                base, "wright-fisher", x0, gens, rec, shards=shards, executor=executor,
                walkers=reps, seed=self.seed, split_state0=np.ndim(x0) == 2,
                clone=EngineClone(base, None, walkers_kwarg="replicates"),
            )  # fmt: skip
        check_run(self.memory_estimate(gens, rec, reps), "WrightFisher.run: ")
        x = self._start(x0, reps)
        times = rec.schedule((0.0, float(gens)))
        # record times may start after generation 0, as in every engine (solvers.base)
        if np.any(np.abs(times - np.round(times)) > 1e-9):
            raise ValueError(
                f"Wright–Fisher record times must be whole generations, got {times[:5]}"
            )
        ticks = np.round(times).astype(np.int64)
        rec.begin(self._resolve)
        kmod = kernels("evolution", self.backend)
        kern = kmod.wf_generations
        table = self._tables()
        chain = None if table is not None else self._chain()
        # the tables the run inverts (the full ones or the chain's narrow rows), if any
        tabs = table if table is not None else (chain[1] if chain is not None else None)
        counted = tabs is not None  # the counts and the grid check only where tables run
        ng = self.n_genes
        lf, inv = kmod.log_factorials(ng), kmod.reciprocals(ng)
        k = self.n_alleles
        fix_time = np.full(reps, -1, dtype=np.int64)
        fixed_allele = np.full(reps, -1, dtype=np.int64)
        loss_time = np.full((reps, k), -1, dtype=np.int64)
        # every replicate from the same x0: its (K,) row decides (the (R, K) masks cost ~15 ns
        # a replicate, as much as a new mutant's whole run on the tables)
        row = x[0].copy() if np.ndim(x0) == 1 else None
        if row is not None:
            loss_time[:, row == 0.0] = 0
            if np.any(row == 1.0):
                fix_time[:] = 0
                fixed_allele[:] = int(np.argmax(row == 1.0))
        else:
            loss_time[x == 0.0] = 0
            init_fixed = np.any(x == 1.0, axis=1)
            fix_time[init_fixed] = 0
            fixed_allele[init_fixed] = np.argmax(x[init_fixed] == 1.0, axis=1)
        # the counts of allele 0 while x is on the grid c/N_g (the table and chain kernels keep
        # them in place), else None
        count = _grid_counts(x, row, ng) if counted else None
        n_blocks = -(-reps // BLOCK)
        blocks = [slice(b * BLOCK, min(reps, (b + 1) * BLOCK)) for b in range(n_blocks)]
        rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(n_blocks)]
        threads = min(self.workers, n_blocks)
        pool = ThreadPoolExecutor(threads) if threads > 1 else None
        per_call = max(1, _BUDGET // reps) if self._fitness_fn is None else 1
        if counted:
            per_call = max(per_call, gens)  # the count chain cannot produce a non-finite state
        start = time.perf_counter()
        t_kernel = 0.0
        done = 0
        simulated = 0  # generations passed to the kernel (the rest were provably frozen)
        try:
            if tabs is not None and pool is not None:
                # every row before the blocks start, which then share the tables read-only
                # (rows are independent: interleaved slices of them are filled on the threads)
                states = np.flatnonzero(tabs[2] >= 0)
                rows = [(states[j::threads].copy(), ng, *tabs) for j in range(threads)]
                _run_jobs(pool, kmod.fill_rows, rows)
            elif table is not None and reps * gens >= int(np.sum(table[1])):
                # a run this long reaches most states: every row at once, two at a time side
                # by side (fill_rows), instead of one by one as the replicates reach them
                kmod.fill_rows(np.arange(ng + 1), ng, *table)
            for target in ticks:
                while done < target:
                    if not self.mutates and np.all(fix_time >= 0):
                        done = int(target)  # every replicate is fixed: nothing can change any more
                        break
                    m = int(min(per_call, target - done))
                    w = self._weights if self._fitness_fn is None else self.weights(x)
                    s0 = time.perf_counter()
                    # off the grid c/N_g (only x0 can be): one general generation gets onto it
                    m = m if count is not None or not counted else 1
                    if chain is not None and count is not None:
                        z, tabs = chain
                        fn: Callable[..., None] = kmod.wf_chain_generations
                        jobs: list[Any] = [
                            (x[sl], count[sl], rngs[b], m, done, z, *tabs, not self.mutates, ng,
                             fix_time[sl], fixed_allele[sl], loss_time[sl], lf, inv)
                            for b, sl in enumerate(blocks)
                        ]  # fmt: skip
                    elif table is not None and count is not None:
                        fn = kmod.wf_table_generations
                        jobs = [
                            (x[sl], count[sl], rngs[b], m, done, *table, not self.mutates, ng,
                             fix_time[sl], fixed_allele[sl], loss_time[sl])
                            for b, sl in enumerate(blocks)
                        ]  # fmt: skip
                    else:
                        fn = kern
                        jobs = [
                            (x[sl], rngs[b], m, done, w if w.shape[0] == 1 else w[sl],
                             self.transition, self.mutates, ng, fix_time[sl], fixed_allele[sl],
                             loss_time[sl], lf, inv)
                            for b, sl in enumerate(blocks)
                        ]  # fmt: skip
                    _run_jobs(pool, fn, jobs)
                    t_kernel += time.perf_counter() - s0
                    done += m
                    simulated += m
                    if counted and count is None:
                        count = _grid_counts(x, None, ng)  # after the general generation
                    # (the count chain cannot produce a non-finite state: x = count / N_g)
                    if fn is kern and not np.all(np.isfinite(x)):
                        raise StabilityError(
                            f"non-finite frequencies at generation {done}: the mean fitness of a "
                            f"population was 0 (every allele present has weight 0)",
                            t=float(done),
                            step=done,
                        )
                rec.record(float(target), x)  # a stored state is copied by the recorder
        finally:
            if pool is not None:
                pool.shutdown()
        info = run_info(
            "WrightFisher",
            steps=simulated,
            run_time=time.perf_counter() - start,
            backend=self.backend,
            n=self.n,
            ploidy=self.ploidy,
            n_genes=self.n_genes,
            n_alleles=k,
            selection=None if self._fitness_fn is not None else self.selection,
            mutation=self.transition,
            replicates=reps,
            generations=gens,
            seed=self.seed,
            workers=threads,
            blocks=n_blocks,
            fixation_time=fix_time,
            fixed_allele=fixed_allele,
            loss_time=loss_time,
            kernel_time=t_kernel,
            sampler="table" if table is not None else "binomial",
            tabulated_states=0 if tabs is None else int(np.sum(tabs[2] >= 0)),
            simulated_generations=simulated,
            replicate_generations_per_second=reps * simulated / t_kernel if t_kernel else 0.0,
        )
        log.debug("Wright–Fisher run: %s", {k_: v for k_, v in info.items() if np.isscalar(v)})
        return rec.finish(info=info)


def _run_jobs(pool: ThreadPoolExecutor | None, fn: Callable[..., None], jobs: list[Any]) -> None:
    """``fn(*args)`` for every block's ``args``, serially or on the pool (the kernels release
    the GIL; the blocks touch disjoint rows and draw from their own generators)."""
    if pool is None:
        for args in jobs:
            fn(*args)
    else:
        list(pool.map(lambda args: fn(*args), jobs))


def _grid_counts(x: Array, row: Array | None, ng: int) -> NDArray[np.int64] | None:
    """The counts ``c`` of allele 0 if every row of ``x`` is exactly ``(c, N_g − c)/N_g``, else
    ``None``; ``row``: the one row every row of ``x`` repeats, if known (then checked alone)."""
    src = x if row is None else row[None, :]
    count = np.rint(src[:, 0] * ng).astype(np.int64)
    if not _on_grid(src, count, ng):
        return None
    return count if row is None else np.full(x.shape[0], count[0], dtype=np.int64)


def _on_grid(x: Array, count: NDArray[np.int64], ng: int) -> bool:
    """Whether every row of ``x`` is exactly ``(c, N_g − c)/N_g`` (a state of the count chain)."""
    return bool(np.array_equal(count / ng, x[:, 0]) and np.array_equal((ng - count) / ng, x[:, 1]))


def fixation_fraction(traj: Trajectory, allele: int = 0) -> tuple[float, float]:
    """Fraction of replicates in which ``allele`` fixed (by the end of ``traj``) and its
    binomial standard error ``√(p(1 − p)/R)``."""
    fixed = np.asarray(traj.info["fixed_allele"]) == allele
    p = float(fixed.mean())
    return p, float(np.sqrt(p * (1.0 - p) / fixed.size))
