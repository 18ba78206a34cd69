"""Parameter sweeps of scenarios over any executor: local processes, Dask, MPI.

:func:`sweep` runs a scenario over the Cartesian product of overrides (the dotted keys of
``quantgeo run --set``), each point a fully validated scenario, with one map over any
:class:`concurrent.futures.Executor` or a Dask ``distributed.Client`` (the design of QuTiP 5's
``parallel_map``).  Output, resume, failure isolation and seeds: :mod:`quantgeo.sweep.run` and
:mod:`quantgeo.sweep.points`; the command line: :mod:`quantgeo.sweep.cli`.  Sharded walker
ensembles on the same executors: :func:`run_sharded` (:mod:`quantgeo.sweep.shards`).

Example
-------
>>> from quantgeo.sweep import sweep
>>> res = sweep("scenarios/free_packet.toml", {"solver.dt": [0.02, 0.01]},
...             fast=True, out="out/dt")                                  # doctest: +SKIP
>>> res.n_failed, [r["checks"] for r in res.rows]                         # doctest: +SKIP
"""

from __future__ import annotations

from quantgeo.sweep.cli import add_arguments, main
from quantgeo.sweep.executors import make_executor, map_unordered
from quantgeo.sweep.points import Point, content_hash, expand_grid, plan_points, point_seed
from quantgeo.sweep.run import SweepResult, run_point, sweep
from quantgeo.sweep.shards import EngineFactory, merge_shards, run_sharded

__all__ = [
    "EngineFactory",
    "Point",
    "SweepResult",
    "add_arguments",
    "content_hash",
    "expand_grid",
    "main",
    "make_executor",
    "map_unordered",
    "merge_shards",
    "plan_points",
    "point_seed",
    "run_point",
    "run_sharded",
    "sweep",
]
