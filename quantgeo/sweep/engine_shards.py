r"""What the ensemble engines' ``run(..., shards=S, executor=...)`` does.

:class:`~quantgeo.learning.LangevinEnsemble`, :class:`~quantgeo.emergence.BornEnsemble`,
:class:`~quantgeo.emergence.LatticeLearners` and :class:`~quantgeo.evolution.WrightFisher`
(its ``replicates``) hand a sharded run to :func:`run_engine_sharded`: the W walkers are split
into S shards (:func:`~quantgeo.sweep.shards.shard_sizes`), shard s runs a copy of the engine
with ``W_s`` walkers and the seed of ``SeedSequence(seed).spawn(S)[s]``, and the shard
trajectories are merged by :func:`~quantgeo.sweep.shards.merge_shards` in shard order, so the
result is bit for bit the same for any executor and number of workers at fixed S.

Observables with no exact merge rule are recomputed from the merged histogram.  With the
pooled cell frequencies :math:`h = \sum_s (W_s/W)\,h_s` and the target
:math:`P = |\psi(t)|^2\Delta V` (the same ψ(t) in every shard),

.. math:: \mathrm{TV} = \tfrac12\sum_n |h_n - P_n|,

and the sampling floor (``floor_mean``, ``floor_std``, ``floor_normal``) is that of W draws
from P (:func:`~quantgeo.emergence.born.sampling_floor`), drawn from one more child of the
root, ``SeedSequence(seed).spawn(S + 1)[S]``, one call per record time.  Learner jump counts
add up; learner ``sites``/``positions`` and Wright–Fisher per-replicate ``info`` arrays are
concatenated in shard order.  A seed of ``None`` becomes fresh entropy, recorded in
``info["seed"]`` (the run can be repeated from it).
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import importlib
import io
import os
import pickle
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.recording import Recorder, Trajectory
from quantgeo.sweep.shards import run_sharded, shard_sizes

__all__ = ["KINDS", "EngineClone", "run_engine_sharded"]

FArray = NDArray[np.float64]
_HIST, _TARGET = "_shard_histogram", "_shard_target"
_FLOOR = ("floor_mean", "floor_std", "floor_normal")
_BORN = ("tv", *_FLOOR, "mean", "cov", "norm")
#: Per engine kind: the observables a sharded run can merge.
KINDS: dict[str, tuple[str, ...]] = {
    "langevin": ("mean", "mean_se", "cov", "loss", "loss_se", "histogram", "outside"),
    "born": _BORN,
    "learners": ("tv", *_FLOOR, "jumps", "norm", "mean", "sites", "positions"),
    "wright-fisher": (
        "mean",
        "mean_se",
        "heterozygosity",
        "heterozygosity_se",
        "fixed",
        "lost",
    ),
}
# an observable whose built-in merge rule needs another one recorded
_NEEDS = {
    "cov": "mean",
    "mean_se": "mean",
    "loss_se": "loss",
    "heterozygosity_se": "heterozygosity",
}


def _histogram(state: Any) -> FArray:
    """Cell frequencies of a Born or learner record (module level: picklable)."""
    return np.asarray(state.hist, dtype=float)


def _target(state: Any) -> FArray:
    """Normalised :math:`|\\psi(t)|^2\\Delta V` of a Born or learner record."""
    return np.asarray(state.target, dtype=float)


class _Dumper(pickle.Pickler):
    """Pickles module references (the engines hold their kernel modules) by name."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, ModuleType):
            return importlib.import_module, (obj.__name__,)
        return NotImplemented


class _Shard:
    """One shard: an engine copy whose ``run`` adds fixed keyword arguments."""

    def __init__(self, engine: Any, kwargs: Mapping[str, Any]) -> None:
        self.engine, self.kwargs = engine, dict(kwargs)

    def run(self, state0: Any, t_span: Any, *, recorder: Recorder | None = None) -> Trajectory:
        out: Trajectory = self.engine.run(state0, t_span, recorder=recorder, **self.kwargs)
        return out


class EngineClone:
    """``factory(walkers, seed)`` for :func:`~quantgeo.sweep.shards.run_sharded`: a shallow
    copy of a built engine with its walker count and seed replaced.

    Parameters
    ----------
    engine
        The engine (its arrays and solver are shared read-only between in-process shards).
    walkers_attr
        Attribute holding the walker count (``None``: it is a keyword of ``run``).
    walkers_kwarg
        Keyword of ``run`` taking the walker count (Wright–Fisher's ``replicates``).
    run_kwargs
        Further keywords of every shard's ``run``.

    Notes
    -----
    Pickled (for process, Dask and MPI executors) with module references by name; an engine
    holding a closure does not pickle, which :func:`~quantgeo.sweep.shards.run_sharded`
    reports before running.
    """

    def __init__(
        self,
        engine: Any,
        walkers_attr: str | None,
        *,
        walkers_kwarg: str | None = None,
        run_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine, self.walkers_attr, self.walkers_kwarg = engine, walkers_attr, walkers_kwarg
        self.run_kwargs = dict(run_kwargs or {})

    def __call__(self, walkers: int, seed: int) -> _Shard:
        """The engine of one shard."""
        eng = copy.copy(self.engine)
        if self.walkers_attr is not None:
            setattr(eng, self.walkers_attr, walkers)
        eng.seed = seed
        kw = dict(self.run_kwargs)
        if self.walkers_kwarg is not None:
            kw[self.walkers_kwarg] = walkers
        return _Shard(eng, kw)

    def __getstate__(self) -> dict[str, bytes]:
        buf = io.BytesIO()
        _Dumper(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(self.__dict__)
        return {"blob": buf.getvalue()}

    def __setstate__(self, state: Mapping[str, bytes]) -> None:
        self.__dict__.update(pickle.loads(state["blob"]))


def _shard_recorder(rec: Recorder, kind: str) -> tuple[Recorder, list[str]]:
    """A copy of ``rec`` with the helper records a merge needs; their names (dropped later)."""
    allowed = KINDS[kind]
    # merged by name: a record must be an engine observable under its own name
    bad = [n for n, spec in rec.observables.items() if n not in allowed or spec != n]
    if bad or rec.e_ops:
        raise ValueError(
            f"`recorder`: a sharded run (`shards`) has no merge rule for "
            f"{bad or sorted(rec.e_ops)}; mergeable observables: {', '.join(allowed)}"
        )
    out = copy.deepcopy(rec)
    names = set(rec.observables)
    hidden: list[str] = []
    for name, base in _NEEDS.items():
        if name in names and base not in names and base in allowed:
            out.observables[base] = base
            hidden.append(base)
    if names & {"tv", *_FLOOR}:
        out.observables[_HIST] = _histogram
        out.observables[_TARGET] = _target
        hidden += [_HIST, _TARGET]
    return out, hidden


def _weighted(trajs: Sequence[Trajectory], sizes: Sequence[int], name: str) -> FArray:
    total = float(sum(sizes))
    acc = (sizes[0] / total) * np.asarray(trajs[0][name], dtype=float)
    for tr, n in zip(trajs[1:], sizes[1:], strict=True):
        acc = acc + (n / total) * np.asarray(tr[name], dtype=float)
    return acc


def _floor_rules(
    names: Sequence[str], root: np.random.SeedSequence, shards: int, draws: int
) -> dict[str, Any]:
    """Rules for ``tv`` and ``floor_*`` from the merged histogram and the target."""
    from quantgeo.emergence.born import sampling_floor, total_variation

    cache: dict[str, FArray] = {}

    def floors(trajs: Sequence[Trajectory], sizes: Sequence[int]) -> FArray:
        if "f" not in cache:
            child = np.random.SeedSequence(root.entropy, spawn_key=(shards,))
            rng = np.random.default_rng(child)
            target = np.asarray(trajs[0][_TARGET], dtype=float)
            cache["f"] = np.array([sampling_floor(p, sum(sizes), rng, draws) for p in target])
        return cache["f"]

    rules: dict[str, Any] = {
        _HIST: lambda trajs, sizes, merged: _weighted(trajs, sizes, _HIST),
        _TARGET: lambda trajs, sizes, merged: trajs[0][_TARGET],
    }
    if "tv" in names:
        rules["tv"] = lambda trajs, sizes, merged: np.array(
            [
                total_variation(h, p)
                for h, p in zip(_weighted(trajs, sizes, _HIST), trajs[0][_TARGET], strict=True)
            ]
        )
    for i, name in enumerate(_FLOOR):
        if name in names:
            rules[name] = lambda trajs, sizes, merged, i=i: floors(trajs, sizes)[:, i]
    return rules


def _learner_rules() -> dict[str, Any]:
    return {
        "jumps": lambda trajs, sizes, merged: sum(np.asarray(tr["jumps"]) for tr in trajs),
        "sites": lambda trajs, sizes, merged: np.concatenate([tr["sites"] for tr in trajs], 1),
        "positions": lambda trajs, sizes, merged: np.concatenate(
            [tr["positions"] for tr in trajs], 1
        ),
    }


def _info_rule(kind: str) -> Any:
    def learners(trajs: Sequence[Trajectory], sizes: Sequence[int]) -> dict[str, Any]:
        return {"jumps": int(sum(int(tr.info["jumps"]) for tr in trajs))}

    def wright_fisher(trajs: Sequence[Trajectory], sizes: Sequence[int]) -> dict[str, Any]:
        keys = ("fixation_time", "fixed_allele", "loss_time")
        return {k: np.concatenate([np.asarray(tr.info[k]) for tr in trajs]) for k in keys}

    return {"learners": learners, "wright-fisher": wright_fisher}.get(kind)


def _picklable(task: Any) -> bool:
    try:
        pickle.dumps(task)
    except Exception:
        return False
    return True


def run_engine_sharded(
    engine: Any,
    kind: str,
    state0: Any,
    t_span: Any,
    recorder: Recorder,
    *,
    shards: int,
    executor: Any,
    walkers: int,
    seed: int | None,
    clone: EngineClone,
    split_state0: bool = False,
    floor_draws: int = 200,
) -> Trajectory:
    """Run ``engine`` as ``shards`` shards and merge them (module docstring).

    Parameters
    ----------
    engine, kind
        The engine and its entry of :data:`KINDS`.
    state0, t_span
        As for the engine's ``run``.
    recorder
        The run's recorder (copied per shard, not filled).
    shards, executor
        S, and where the shards run: ``"serial"``, ``None`` (a process pool, one worker per
        core up to S; a thread pool instead when the engine cannot be pickled, e.g. a potential
        defined by a closure), a :class:`concurrent.futures.Executor` or a Dask
        ``distributed.Client``.
    walkers, seed
        Total walkers W and root seed (``None``: fresh entropy).
    clone
        The shards' factory.
    split_state0
        ``state0`` has one row per walker, cut into the shards' rows.
    floor_draws
        Multinomial draws per record time of the recomputed sampling floor.

    Returns
    -------
    Trajectory
        Merged records; ``info`` as the unsharded run's (walker totals, root seed) plus
        ``shards``, ``shard_walkers``, ``shard_seeds``, ``shard_run_times``.
    """
    rec, hidden = _shard_recorder(recorder, kind)
    # a sample variance needs two walkers in every shard (the Langevin engine needs two anyway)
    if kind == "langevin" or set(rec.observables) & set(_NEEDS):
        smallest = min(shard_sizes(walkers, shards))
        if smallest < 2:
            raise ValueError(
                f"`shards` = {shards} leaves {smallest} walker in a shard of {walkers}; a sample "
                f"(co)variance needs ≥ 2 per shard: use `shards` ≤ {walkers // 2}"
            )
    root = int(np.random.SeedSequence().entropy) if seed is None else seed  # type: ignore[arg-type]
    names = list(recorder.observables)
    merge: dict[str, Any] = {}
    if kind in ("born", "learners"):
        merge.update(_floor_rules(names, np.random.SeedSequence(root), shards, floor_draws))
    if kind == "learners":
        merge.update(_learner_rules())
    own_pool = None
    if executor is None and not _picklable(clone):
        # the default must work for the common case (closure potentials such as harmonic()):
        # threads share the engine; the result is the same bit for bit (fixed S)
        own_pool = cf.ThreadPoolExecutor(max_workers=min(shards, os.cpu_count() or 1))
        executor = own_pool
    try:
        traj = run_sharded(
            clone,
            state0,
            t_span,
            rec,
            walkers=walkers,
            shards=shards,
            seed=root,
            executor=executor,
            merge=merge,
            split_state0=split_state0,
            info_rule=_info_rule(kind),
        )
    finally:
        if own_pool is not None:
            own_pool.shutdown()
    if hidden:
        obs = {k: v for k, v in traj.observables.items() if k not in hidden}
        traj = Trajectory(traj.times, obs, traj.states, traj.info, traj.lattice)
    return traj
