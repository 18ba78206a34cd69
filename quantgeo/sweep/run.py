"""Running a sweep: the worker function, atomic point folders, the sweep table.

Layout of the output folder ``OUT``::

    OUT/points/<hash>/report.json      the point's report (as ``quantgeo run`` writes it, plus
    OUT/points/<hash>/trajectory.npz   a "point" block with its overrides, hash and seed)
    OUT/sweep.json                     one row per point, counts, provenance
    OUT/sweep.csv                      the same rows, flat

A point's folder is written as ``points/.<hash>.tmp-<pid>-<random>/`` and renamed onto
``points/<hash>/`` when every file is in it, so **a point is complete iff its folder exists**:
a re-run skips it (resume), and Ctrl-C or a killed driver leaves no half-written point.  Only
the driver writes; workers return their report and trajectories (so workers need the scenario
file, not the output folder).  A point that raises is recorded in the table with its error and
gets no folder (a re-run tries it again); a point that runs but fails its checks is complete.
"""

from __future__ import annotations

import copy
import csv
import datetime as _dt
import functools
import io
import json
import os
import socket
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quantgeo._io import atomic_folder, atomic_write_text, jsonable, remove_stale_folders
from quantgeo._progress import progress_bar
from quantgeo.sweep.executors import (
    default_pool,
    is_dask_client,
    make_executor,
    map_unordered,
    stop_pool,
)
from quantgeo.sweep.points import Point, plan_points

__all__ = ["SweepResult", "run_point", "sweep"]


@dataclass(frozen=True)
class SweepResult:
    """What :func:`sweep` returns.

    Attributes
    ----------
    out
        The output folder.
    rows
        One row per point, in the order of the Cartesian product (see :func:`sweep`).
    n_run, n_skipped
        Distinct points run now, and found complete from an earlier run.
    wall_time
        Seconds for the whole call.
    """

    out: Path
    rows: tuple[Mapping[str, Any], ...]
    n_run: int
    n_skipped: int
    wall_time: float

    @property
    def n_points(self) -> int:
        """Number of points (rows)."""
        return len(self.rows)

    @property
    def n_passed(self) -> int:
        """Points whose run finished with every check passed."""
        return sum(r["status"] == "pass" for r in self.rows)

    @property
    def n_failed(self) -> int:
        """Points that failed a check or raised (``status`` ``"fail"`` or ``"error"``)."""
        return self.n_points - self.n_passed

    @property
    def n_errors(self) -> int:
        """Points that raised (``status == "error"``)."""
        return sum(r["status"] == "error" for r in self.rows)

    @property
    def passed(self) -> bool:
        """Every point passed."""
        return self.n_failed == 0


# =============================================================================================
# Worker side
# =============================================================================================
def run_point(task: Mapping[str, Any]) -> dict[str, Any]:
    """Run one point (in a worker): load and validate its scenario, run it, build its report.

    ``task`` holds ``file``, ``fast``, ``overrides``, ``reference`` and ``store_states``.
    Returns ``{"report": dict, "trajectory": Trajectory | None, "reference": Trajectory |
    None}``; exceptions propagate (the driver records them as the point's error).
    """
    from quantgeo.scenario import load_scenario, run_scenario

    t0 = time.perf_counter()
    sc = load_scenario(task["file"], fast=task["fast"], overrides=task["overrides"])
    result = run_scenario(
        sc, progress=False, reference=task["reference"], store_states=task["store_states"]
    )
    report = result.to_dict()
    solver_info = dict(result.info.get("solver", {}))
    report["provenance"] = _provenance(
        backend=solver_info.get("backend", result.info.get("backend")),
        workers=solver_info.get("workers", result.info.get("workers")),
        seed=sc.meta.seed,
    )
    report["worker"] = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "seconds": time.perf_counter() - t0,
    }
    return {"report": report, "trajectory": result.trajectory, "reference": result.reference}


@functools.cache
def _process_provenance() -> dict[str, Any]:
    from quantgeo.scenario import provenance

    return provenance()


def _provenance(*, backend: Any, workers: Any, seed: int) -> dict[str, Any]:
    """:func:`quantgeo.scenario.provenance` with its per-process part computed once (reading
    the package versions costs tens of milliseconds, more than a short point)."""
    out = copy.deepcopy(_process_provenance())
    for key, value in (("backend", backend), ("seed", seed)):
        if key in out:
            out[key] = value
    if isinstance(out.get("threads"), dict) and "fft_workers" in out["threads"]:
        out["threads"]["fft_workers"] = workers
    return out


def _safe_run_point(task: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`run_point` with its exception returned as data (with the worker's traceback)."""
    try:
        return run_point(task)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}


# =============================================================================================
# Driver side: folders
# =============================================================================================
def _write_point(points_dir: Path, point: Point, outcome: Mapping[str, Any]) -> None:
    """Write the point's files into a temporary folder, then rename it onto its final name
    (:func:`quantgeo._io.atomic_folder`; kept when another run completed it first)."""
    # the driver cleans points_dir once per run (_remove_stale_tmp), not once per point
    with atomic_folder(points_dir / point.hash, replace=False, clean=False) as tmp:
        report = dict(outcome["report"])
        files = {"report": "report.json"}
        for name in ("trajectory", "reference"):
            traj = outcome.get(name)
            if traj is not None:
                traj.save(tmp / f"{name}.npz")
                files[name] = f"{name}.npz"
        report["files"] = files
        report["point"] = _point_block(point)
        atomic_write_text(tmp / "report.json", json.dumps(jsonable(report), indent=2) + "\n")


def _point_block(point: Point) -> dict[str, Any]:
    return {
        "index": point.index,
        "hash": point.hash,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "seed_derived": point.seed_derived,
    }


def _remove_stale_tmp(points_dir: Path, *, include_own: bool = False) -> None:
    """Remove temporary folders left by a killed driver (one whose pid is no longer running;
    this driver's own too with ``include_own``, after it stopped)."""
    remove_stale_folders(points_dir, include_own=include_own)


def _read_report(folder: Path) -> dict[str, Any]:
    path = folder / "report.json"
    try:
        out: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"point folder {os.fspath(folder)!r} has no readable report.json ({exc}); "
            "delete the folder to run the point again"
        ) from exc
    return out


# =============================================================================================
# Driver side: table
# =============================================================================================
def _row(point: Point, report: Mapping[str, Any] | None, error: str, tb: str) -> dict[str, Any]:
    checks: dict[str, Any] = {}
    timings: dict[str, Any] = {}
    if report is not None:
        for c in report.get("checks", []):
            checks[str(c["name"])] = {
                "value": c["value"],
                "tolerance": c["tolerance"],
                "passed": bool(c["passed"]),
            }
        timings = dict(report.get("timings", {}))
        if "worker" in report:
            timings["point"] = report["worker"]["seconds"]
        error = error or str(report.get("error", ""))
    if report is None:
        status = "error"
    else:
        status = "pass" if report.get("passed") else "fail"
    row = {
        "index": point.index,
        "point": point.hash,
        "status": status,
        "overrides": dict(point.overrides),
        "seed": point.seed,
        "seed_derived": point.seed_derived,
        "checks": checks,
        "error": error,
        "timings": timings,
    }
    if tb:
        row["traceback"] = tb
    return row


def _csv_text(rows: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> str:
    check_names: list[str] = []
    time_names: list[str] = []
    for r in rows:
        check_names += [n for n in r["checks"] if n not in check_names]
        time_names += [n for n in r["timings"] if n not in time_names]
    header = ["index", "point", "status", *keys, "seed"]
    for n in check_names:
        header += [n, f"{n}_passed"]
    header += ["error", *(f"time_{n}" for n in time_names)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for r in rows:
        line: list[Any] = [r["index"], r["point"], r["status"]]
        line += [json.dumps(jsonable(r["overrides"].get(k))) for k in keys]
        line.append(r["seed"])
        for n in check_names:
            c = r["checks"].get(n)
            line += ["", ""] if c is None else [c["value"], c["passed"]]
        line.append(r["error"])
        line += [r["timings"].get(n, "") for n in time_names]
        writer.writerow(line)
    return buf.getvalue()


# =============================================================================================
# sweep()
# =============================================================================================
def sweep(
    scenario: str | os.PathLike[str],
    vary: Mapping[str, Sequence[Any]],
    executor: Any = None,
    *,
    out: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    fast: bool = False,
    workers: int | None = None,
    seed: int | None = None,
    reference: bool | None = None,
    store_states: bool | None = None,
    progress: bool | None = None,
    command: str | None = None,
) -> SweepResult:
    """Run a scenario over the Cartesian product of overrides, on any executor.

    Every point is validated (all of them, before anything runs); points already complete in
    ``out`` are skipped; the rest are mapped over ``executor``; each finished point is written
    atomically to ``out/points/<hash>/``; the table goes to ``out/sweep.json`` and
    ``out/sweep.csv``.

    Parameters
    ----------
    scenario
        The scenario ``.toml`` file (workers read it too: on a cluster it must be on a shared
        file system, like the Python environment).
    vary
        Dotted key (as for ``quantgeo run --set``) → list of values, e.g.
        ``{"solver.dt": [0.01, 0.005], "hamiltonian.mass": [1.0, 2.0]}`` (4 points; the last key
        varies fastest).
    executor
        ``None`` (a ``ProcessPoolExecutor`` with ``workers`` processes, default one per core),
        a name ``"processes"``, ``"dask"`` (local cluster), ``"mpi"``, ``"serial"`` (see
        :func:`~quantgeo.sweep.executors.make_executor`), any
        :class:`concurrent.futures.Executor` (e.g. ``mpi4py.futures.MPIPoolExecutor``) or a Dask
        ``distributed.Client``.  Executors passed in are used, never shut down.
    out
        Output folder (default ``quantgeo-out/<name>-sweep``).
    overrides
        Fixed overrides for every point (``--set``).
    fast
        Apply the scenario's ``[fast]`` overrides.
    workers
        Worker count of an executor made here (``None``: one per core, at most one per point).
    seed
        Entropy of the root ``SeedSequence`` of the derived seeds (default: the file's
        ``[scenario].seed``); see :mod:`quantgeo.sweep.points`.
    reference, store_states
        Passed to :func:`~quantgeo.scenario.run_scenario` (part of each point's hash).
    progress
        A bar counting points (``None``: when stderr is a terminal).
    command
        The command line recorded in ``sweep.json``.

    Returns
    -------
    SweepResult
        Rows in point order, with ``status`` ``"pass"``, ``"fail"`` (a check failed or the run
        stopped, e.g. a StabilityError) or ``"error"`` (the point raised; its message is in
        ``error``, the worker's traceback in ``traceback``).

    Raises
    ------
    ScenarioError
        Listing every invalid point before anything runs.
    KeyboardInterrupt
        After cancelling pending points and ending the workers this call started; every
        completed point stays in ``out/points`` and no temporary folder is left.
    """
    t_start = time.perf_counter()
    from quantgeo.scenario import load_scenario, provenance

    run_options = {"reference": reference, "store_states": store_states}
    points = plan_points(
        scenario, vary, overrides=overrides, fast=fast, seed=seed, run_options=run_options
    )
    base = load_scenario(scenario, fast=fast, overrides=overrides or None)
    out_dir = Path(out) if out is not None else Path("quantgeo-out") / f"{base.name}-sweep"
    points_dir = out_dir / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(points_dir)

    by_hash: dict[str, list[Point]] = {}
    for p in points:
        by_hash.setdefault(p.hash, []).append(p)
    todo = [ps[0] for h, ps in by_hash.items() if not (points_dir / h).is_dir()]
    n_skipped = len(by_hash) - len(todo)
    errors: dict[str, tuple[str, str]] = {}
    file = os.fspath(Path(scenario).resolve())
    tasks = [
        {
            "file": file,
            "fast": fast,
            "overrides": dict(p.run_overrides),
            "reference": reference,
            "store_states": store_states,
        }
        for p in todo
    ]
    exec_info: dict[str, Any] = {"kind": None, "workers": None}
    if todo:
        ex, owned, exec_info = _open_executor(executor, workers, len(todo))
        bar = progress_bar(len(by_hash), "sweep", progress, unit="point")
        bar.update(n_skipped)
        # Dask keys must be unique per submission: a key still held elsewhere would be reused
        run_id = uuid.uuid4().hex[:8]
        keys = [f"quantgeo-point-{p.hash}-{run_id}" for p in todo]
        results = map_unordered(ex, _safe_run_point, tasks, keys=keys)
        try:
            for i, outcome in results:
                pt = todo[i]
                if isinstance(outcome, Exception):
                    errors[pt.hash] = (f"{type(outcome).__name__}: {outcome}", "")
                elif "error" in outcome:
                    errors[pt.hash] = (outcome["error"], outcome["traceback"])
                else:
                    _write_point(points_dir, pt, outcome)
                bar.update(1)
        except BaseException:
            results.close()  # cancels pending tasks
            if owned is not None and hasattr(owned, "stop"):
                owned.stop()
            _remove_stale_tmp(points_dir, include_own=True)
            raise
        finally:
            bar.close()
            if owned is not None:
                owned.close()

    rows = []
    for p in points:
        folder = points_dir / p.hash
        if p.hash in errors and not folder.is_dir():
            rows.append(_row(p, None, *errors[p.hash]))
        else:
            rows.append(_row(p, _read_report(folder), "", ""))
    result = SweepResult(out_dir, tuple(rows), len(todo), n_skipped, time.perf_counter() - t_start)
    keys = list(vary)
    doc = {
        "scenario": base.name,
        "file": file,
        "fast": fast,
        "vary": dict(vary),
        "overrides": dict(overrides or {}),
        "seed": seed,
        "executor": exec_info,
        "counts": {
            "points": result.n_points,
            "distinct": len(by_hash),
            "run": result.n_run,
            "skipped": result.n_skipped,
            "passed": result.n_passed,
            "failed": result.n_failed,
            "errors": result.n_errors,
        },
        "wall_time": result.wall_time,
        "command": command,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "provenance": provenance(seed=seed if seed is not None else base.meta.seed),
        "rows": rows,
    }
    atomic_write_text(out_dir / "sweep.json", json.dumps(jsonable(doc), indent=2) + "\n")
    atomic_write_text(out_dir / "sweep.csv", _csv_text(rows, keys))
    return result


class _Owned:
    """An executor this call made: closed at the end, its workers ended on Ctrl-C."""

    def __init__(self, close: Any, stop: Any) -> None:
        self.close, self.stop = close, stop


def _open_executor(executor: Any, workers: int | None, n_tasks: int) -> tuple[Any, Any, dict]:
    if executor is None:
        n = min(os.cpu_count() or 1, n_tasks) if workers is None else workers
        pool = default_pool(n)
        owned = _Owned(lambda: pool.shutdown(wait=True), lambda: stop_pool(pool))
        return pool, owned, {"kind": "processes", "workers": n}
    if isinstance(executor, str):
        if executor == "processes":
            return _open_executor(None, workers, n_tasks)
        handle = make_executor(executor, workers=workers)
        info = {"kind": handle.kind, "workers": handle.workers}
        return handle.executor, _Owned(handle.close, lambda: None), info
    if is_dask_client(executor):
        n_dask = len(executor.scheduler_info().get("workers", {}))
        return executor, None, {"kind": "dask", "workers": n_dask}
    kind = type(executor).__name__
    n_workers: Any = getattr(executor, "_max_workers", None)
    if n_workers is None:
        n_workers = getattr(executor, "num_workers", None)
    return executor, None, {"kind": kind, "workers": n_workers}
