r"""Sharded ensembles: W walkers split into S shards with independent streams, then merged.

:func:`run_sharded` runs ``S`` copies of a walker ensemble (``LangevinEnsemble``,
``BornEnsemble``, …: any engine whose constructor takes a walker count and an integer seed) on
any executor of :func:`~quantgeo.sweep.executors.map_unordered`, and merges their trajectories
in shard order.  Shard :math:`s` has

.. math:: W_s = \lfloor W/S \rfloor + [s < W \bmod S],\qquad
          \text{seed}_s = \mathrm{SeedSequence}(\text{seed}).\mathrm{spawn}(S)[s]
          .\mathrm{generate\_state}(1, \mathrm{uint64}) \gg 1,

so each shard is a deterministic function of ``(seed, S, s)`` and the merged result is **bit
for bit the same for any number of workers** at fixed ``S`` (it differs from an unsharded run,
which draws from one stream).  Merge rules per recorded observable, with weights
:math:`w_s = W_s / W` (times must agree between shards):

- ``mean``, ``loss``, ``norm``, ``outside``, ``histogram``, ``heterozygosity``, ``fixed``,
  ``lost``: :math:`\sum_s w_s x_s`;
- ``cov`` (sample covariance, ``ddof = 1``; needs ``mean``):
  :math:`C = \big[\sum_s (W_s - 1) C_s + \sum_s W_s (m_s - m)(m_s - m)^T\big] / (W - 1)`;
- ``mean_se`` (needs ``mean``), ``loss_se`` (needs ``loss``), ``heterozygosity_se`` (needs
  ``heterozygosity``): the standard error
  :math:`\sqrt{v/W}` of the pooled sample variance :math:`v` (same formula as ``cov``);
- states: walker arrays ``(W_s, d)`` are concatenated; lattice histograms (trajectories with a
  lattice, e.g. the Born ensemble's densities) are combined with the weights :math:`w_s`.

Other observables (the Born ensemble's ``tv`` and ``floor_*``, which depend on the total W
non-linearly) need a rule in ``merge=``; otherwise :func:`run_sharded` refuses them.  The
engines' own ``run(..., shards=S)`` supply those rules (:mod:`quantgeo.sweep.engine_shards`).

Executors other than ``"serial"`` and a thread pool send each shard to another process, so the
factory, the start state and the recorder must pickle; a Hamiltonian whose potential is a
closure does not, and :func:`run_sharded` says so (naming ``executor``) before anything runs.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import pickle
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import check_int
from quantgeo.recording import Recorder, Trajectory
from quantgeo.sweep.executors import default_pool, map_unordered, stop_pool

__all__ = [
    "EngineFactory",
    "check_picklable",
    "merge_shards",
    "run_sharded",
    "shard_seeds",
    "shard_sizes",
]

FArray = NDArray[np.float64]
#: ``rule(shard trajectories, walker counts, merged observables so far) -> merged values``.
MergeRule = Callable[[Sequence[Trajectory], Sequence[int], Mapping[str, FArray]], Any]


def shard_sizes(walkers: int, shards: int) -> list[int]:
    """``walkers`` split into ``shards`` near-equal parts (the first ``walkers % shards`` get
    one more); every part ≥ 1."""
    for name, v in (("walkers", walkers), ("shards", shards)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"`{name}` must be an integer ≥ 1, got {v!r}")
    if shards > walkers:
        raise ValueError(f"`shards` must be ≤ `walkers` = {walkers}, got {shards}")
    q, r = divmod(int(walkers), int(shards))
    return [q + (s < r) for s in range(int(shards))]


def shard_seeds(seed: int, shards: int) -> list[int]:
    """Integer seeds (63-bit) of ``SeedSequence(seed).spawn(shards)``: independent streams."""
    seed = check_int("seed", seed, 0)
    children = np.random.SeedSequence(int(seed)).spawn(int(shards))
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


class EngineFactory:
    """A picklable ``factory(walkers, seed) -> engine`` for :func:`run_sharded`.

    ``EngineFactory(LangevinEnsemble, problem, 0.5, dt=0.01, walkers_arg="n_walkers")`` makes
    ``LangevinEnsemble(problem, 0.5, dt=0.01, n_walkers=W_s, seed=seed_s)``.

    Parameters
    ----------
    cls
        The engine class (any callable).
    *args, **kwargs
        Its other arguments (picklable, for process, Dask and MPI executors).
    walkers_arg, seed_arg
        Names of its walker-count and seed keywords.
    """

    def __init__(
        self,
        cls: Callable[..., Any],
        *args: Any,
        walkers_arg: str = "walkers",
        seed_arg: str = "seed",
        **kwargs: Any,
    ) -> None:
        self.cls, self.args, self.kwargs = cls, args, kwargs
        self.walkers_arg, self.seed_arg = walkers_arg, seed_arg

    def __call__(self, walkers: int, seed: int) -> Any:
        """The engine of one shard."""
        kw = {**self.kwargs, self.walkers_arg: walkers, self.seed_arg: seed}
        return self.cls(*self.args, **kw)


def _run_shard(task: Mapping[str, Any]) -> Trajectory:
    engine = task["factory"](task["walkers"], task["seed"])
    return engine.run(task["state0"], task["t_span"], recorder=task["recorder"])


def _weighted(trajs: Sequence[Trajectory], w: FArray, name: str) -> FArray:
    out = w[0] * np.asarray(trajs[0][name], dtype=float)
    for ws, tr in zip(w[1:], trajs[1:], strict=True):
        out = out + ws * np.asarray(tr[name], dtype=float)
    return out


def _pooled(
    means: Sequence[FArray],
    covs: Sequence[FArray],
    sizes: Sequence[int],
    mean: FArray,
    full: bool,
) -> FArray:
    """Pooled sample covariance (ddof = 1) per record time: ``full`` → matrices ``(n_t, d, d)``
    from means ``(n_t, d)``; else element-wise variances of the same shape as the means."""
    total = float(sum(sizes))
    acc = np.zeros_like(np.asarray(covs[0], dtype=float))
    for m_s, c_s, n_s in zip(means, covs, sizes, strict=True):
        dm = np.asarray(m_s, dtype=float) - mean
        outer = dm[..., :, None] * dm[..., None, :] if full else dm * dm
        acc = acc + (n_s - 1) * np.asarray(c_s, dtype=float) + n_s * outer
    return acc / (total - 1.0)


def merge_shards(
    trajs: Sequence[Trajectory],
    sizes: Sequence[int],
    *,
    seeds: Sequence[int] = (),
    merge: Mapping[str, MergeRule] | None = None,
    info: Mapping[str, Any] | None = None,
    info_rule: Callable[[Sequence[Trajectory], Sequence[int]], Mapping[str, Any]] | None = None,
) -> Trajectory:
    """Merge shard trajectories in shard order (module docstring for the rules).

    ``info_rule(shard_trajectories, sizes)`` gives merged ``info`` entries (per-walker arrays
    concatenated, counts summed, …); ``info`` entries are applied last.

    Raises
    ------
    ValueError
        Shards recorded at different times, or an observable without a merge rule.
    """
    if len(trajs) != len(sizes) or not trajs:
        raise ValueError(f"`trajs` ({len(trajs)}) and `sizes` ({len(sizes)}) must match, ≥ 1")
    first = trajs[0]
    for s, tr in enumerate(trajs[1:], 1):
        if tr.times.shape != first.times.shape or not np.array_equal(tr.times, first.times):
            raise ValueError(f"shard {s} recorded at other times than shard 0")
    total = int(sum(sizes))
    w = np.asarray(sizes, dtype=float) / total
    rules = dict(merge or {})
    names = list(first.observables)
    out: dict[str, Any] = {}
    simple = ("mean", "loss", "norm", "outside", "histogram", "heterozygosity", "fixed", "lost")
    for name in names:
        if name in rules:
            continue
        if name in simple:
            out[name] = _weighted(trajs, w, name)
    need = {
        "cov": "mean",
        "mean_se": "mean",
        "loss_se": "loss",
        "heterozygosity_se": "heterozygosity",
    }
    for name, base in need.items():
        if name in names and name not in rules:
            if base not in out:
                raise ValueError(f"merging `{name}` needs the observable `{base}` recorded too")
            means = [np.asarray(tr[base], dtype=float) for tr in trajs]
            if name == "cov":
                covs = [np.asarray(tr["cov"], dtype=float) for tr in trajs]
                out[name] = _pooled(means, covs, sizes, out[base], True)
            else:
                variances = [
                    np.asarray(tr[name], dtype=float) ** 2 * n
                    for tr, n in zip(trajs, sizes, strict=True)
                ]
                out[name] = np.sqrt(_pooled(means, variances, sizes, out[base], False) / total)
    missing = [n for n in names if n not in out and n not in rules]
    if missing:
        raise ValueError(
            f"no merge rule for the observables {missing}; pass `merge={{name: rule}}` "
            "(rule(shard_trajectories, sizes, merged) -> values)"
        )
    for name, rule in rules.items():
        if name in names:
            out[name] = np.asarray(rule(trajs, sizes, out))
    states = None
    if all(tr.states is not None for tr in trajs):
        if first.lattice is None:  # walker arrays (n_t, W_s, d): the shards side by side
            states = np.concatenate([np.asarray(tr.states) for tr in trajs], axis=1)
        else:  # densities on a lattice
            acc = w[0] * np.asarray(first.states)
            for ws, tr in zip(w[1:], trajs[1:], strict=True):
                acc = acc + ws * np.asarray(tr.states)
            states = acc
    merged_info = dict(first.info)
    for key in ("walkers", "n_walkers", "learners", "replicates"):
        if key in merged_info:
            merged_info[key] = total
    merged_info.update(
        {
            "shards": len(trajs),
            "shard_walkers": list(sizes),
            "shard_seeds": list(seeds),
            "shard_run_times": [tr.info.get("run_time", tr.info.get("wall_time")) for tr in trajs],
        }
    )
    if info_rule is not None:
        merged_info.update(dict(info_rule(trajs, sizes)))
    merged_info.update(dict(info or {}))
    return Trajectory(first.times, out, states, merged_info, first.lattice)


def run_sharded(
    engine_factory: Callable[[int, int], Any],
    state0: Any,
    t_span: tuple[float, float],
    recorder: Recorder | None = None,
    *,
    walkers: int,
    shards: int,
    seed: int = 0,
    executor: Any = "serial",
    workers: int | None = None,
    merge: Mapping[str, MergeRule] | None = None,
    split_state0: bool = False,
    info_rule: Callable[[Sequence[Trajectory], Sequence[int]], Mapping[str, Any]] | None = None,
) -> Trajectory:
    """Run an ensemble as ``shards`` independent shards and merge them (module docstring).

    Parameters
    ----------
    engine_factory
        ``factory(walkers, seed) -> engine`` with ``engine.run(state0, t_span, recorder=…)``
        (e.g. :class:`EngineFactory`); picklable for process, Dask and MPI executors.
    state0, t_span
        As for the engine's ``run``: one state for every shard (a point, a wavefunction), or
        with ``split_state0`` an array of one row per walker, ``(W, …)``, cut into the shards'
        consecutive rows.
    recorder
        A template: each shard gets its own copy (default: the engine's default recorder).
    walkers, shards, seed
        Total walkers W, shard count S, root seed of ``SeedSequence(seed).spawn(S)``.
    executor
        ``"serial"`` (default), ``None`` (a ``ProcessPoolExecutor`` with ``workers``
        processes, made and ended here), any :class:`concurrent.futures.Executor` or a Dask
        ``distributed.Client``.  The result does not depend on this choice.
    workers
        Workers of the pool made for ``executor=None`` (default: one per core, ≤ S).
    merge
        Extra rules ``name -> rule(shard_trajectories, sizes, merged)`` for observables the
        built-in rules do not cover (they override the built-in ones too).
    split_state0
        Cut ``state0`` (one row per walker) into the shards' consecutive rows.
    info_rule
        ``info_rule(shard_trajectories, sizes) -> merged info entries`` (:func:`merge_shards`).

    Returns
    -------
    Trajectory
        Merged observables and states; ``info`` from shard 0 with the total walker count and
        ``shards``, ``shard_walkers``, ``shard_seeds``, ``shard_run_times``.

    Raises
    ------
    TypeError
        ``executor`` runs the shards in other processes and a task does not pickle (e.g. a
        Hamiltonian whose potential is a closure).
    """
    sizes = shard_sizes(walkers, shards)
    seeds = shard_seeds(seed, shards)
    starts = [state0] * shards
    if split_state0:
        arr = np.asarray(state0)
        if arr.ndim < 1 or arr.shape[0] != walkers:
            raise ValueError(
                f"`state0` must have one row per walker ({walkers}, …) with `split_state0`, "
                f"got shape {arr.shape}"
            )
        starts = np.split(arr, np.cumsum(sizes)[:-1])
    tasks = [
        {
            "factory": engine_factory,
            "walkers": n,
            "seed": s,
            "state0": q0,
            "t_span": t_span,
            "recorder": None if recorder is None else copy.deepcopy(recorder),
        }
        for n, s, q0 in zip(sizes, seeds, starts, strict=True)
    ]
    check_picklable(executor, tasks[0])
    pool = None
    if executor is None:
        import os

        n_workers = min(os.cpu_count() or 1, shards) if workers is None else workers
        pool = default_pool(n_workers)
        executor = pool
    results: list[Trajectory | None] = [None] * shards
    try:
        for i, out in map_unordered(executor, _run_shard, tasks):
            if isinstance(out, Exception):
                raise out
            results[i] = out
    except BaseException:
        if pool is not None:
            stop_pool(pool)
            pool = None
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
    done = [r for r in results if r is not None]
    return merge_shards(
        done, sizes, seeds=seeds, merge=merge, info={"seed": seed}, info_rule=info_rule
    )


def check_picklable(executor: Any, task: Any) -> None:
    """Refuse, before anything runs, a task that an out-of-process ``executor`` cannot receive
    (``"serial"`` and thread pools share memory and need no pickling)."""
    if (isinstance(executor, str) and executor == "serial") or isinstance(
        executor, cf.ThreadPoolExecutor
    ):
        return
    try:
        pickle.dumps(task)
    except Exception as exc:
        where = "a process pool" if executor is None else type(executor).__name__
        raise TypeError(
            f"`executor`: {where} sends each shard to another process, but the shard's engine "
            f"cannot be pickled ({type(exc).__name__}: {exc}); a potential defined by a "
            "closure (e.g. quantgeo.potentials.harmonic) cannot cross processes. Use "
            "`executor='serial'` or a concurrent.futures.ThreadPoolExecutor, a potential given "
            "as an array, or run_sharded with a factory that builds the engine in the worker"
        ) from exc
