"""Sweep throughput: 2 local processes and a 2-worker Dask LocalCluster vs the serial loop.

Sixteen short points of a 1D trap scenario (a ``--vary`` over the time step and the mass) run
under ``executor="serial"`` (one after another in this process), a warmed 2-process
``ProcessPoolExecutor`` and a warmed Dask ``LocalCluster`` with two single-threaded worker
processes on 127.0.0.1; each into a fresh output folder, so nothing is skipped.  Printed: the
seconds of each, the throughput ratio vs serial, and the per-point overhead of each executor
measured on sixteen points of two steps each (where the run itself costs almost nothing).  All
figures are measured in this one run; worker start-up is timed separately.

Usage::

    .venv/bin/python benchmarks/sweep.py
    .venv/bin/python benchmarks/sweep.py --t-end 10 --workers 2
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from quantgeo.sweep import sweep
from quantgeo.sweep.executors import default_pool

SCENARIO = """\
[scenario]
name = "bench_trap"

[lattice]
shape = 128
bounds = [-10.0, 10.0]

[hamiltonian]
kinetic = "spectral"

[hamiltonian.potential]
type = "harmonic"
omega = 1.0

[initial_state]
type = "coherent"
center = 1.0

[solver]
dt = 0.01
t_end = 1.0
scheme = "strang"

[record]
every = 0.5

[expect]
max_norm_drift = 1e-10
"""


def _timed(file: Path, vary: dict[str, list[Any]], executor: Any, root: Path, tag: str) -> float:
    t0 = time.perf_counter()
    res = sweep(file, vary, executor, out=root / tag, progress=False)
    dt = time.perf_counter() - t0
    assert res.n_errors == 0, [r["error"] for r in res.rows if r["error"]]
    return dt


def main() -> None:
    """Run the benchmark and print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--t-end", type=float, default=200.0, help="simulated time per point")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        file = root / "bench.toml"
        file.write_text(SCENARIO, encoding="utf-8")
        dts = [0.01, 0.008, 0.005, 0.004]
        vary = {"solver.dt": dts, "hamiltonian.mass": [1.0, 1.5, 2.0, 3.0]}
        work = {**vary, "solver.t_end": [args.t_end]}
        trivial = {"hamiltonian.mass": [1.0 + 0.1 * i for i in range(16)], "solver.t_end": [0.02]}
        n = 16
        _timed(file, {"solver.dt": [0.02]}, "serial", root, "warm")  # Numba cache, imports
        rows = []
        t_serial = _timed(file, work, "serial", root, "serial")
        o_serial = _timed(file, trivial, "serial", root, "serial-trivial")
        rows.append(("serial", t_serial, 1.0, o_serial / n))

        t0 = time.perf_counter()
        pool = default_pool(args.workers)
        list(pool.map(abs, range(args.workers)))
        start_pool = time.perf_counter() - t0
        with pool:
            warm = {"solver.dt": [0.02, 0.01, 0.005, 0.0025][: 2 * args.workers]}
            _timed(file, warm, pool, root, "pool-warm")  # every worker loads the kernels
            t_pool = _timed(file, work, pool, root, "processes")
            o_pool = _timed(file, trivial, pool, root, "processes-trivial")
        rows.append((f"{args.workers} processes", t_pool, t_serial / t_pool, o_pool / n))

        t0 = time.perf_counter()
        with (
            LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            start_dask = time.perf_counter() - t0
            warm = {"solver.dt": [0.02, 0.01, 0.005, 0.0025][: 2 * args.workers]}
            _timed(file, warm, client, root, "dask-warm")
            t_dask = _timed(file, work, client, root, "dask")
            o_dask = _timed(file, trivial, client, root, "dask-trivial")
        rows.append((f"dask {args.workers} workers", t_dask, t_serial / t_dask, o_dask / n))

    print(f"16 points of t_end = {args.t_end:g} on a 128-site trap (dt 0.01 … 0.004)")
    print(f"{'executor':<18} {'seconds':>8} {'× serial':>9} {'s/point, 1-step points':>24}")
    for name, sec, ratio, per in rows:
        print(f"{name:<18} {sec:8.2f} {ratio:9.2f} {per:24.4f}")
    print(f"start-up (not included): pool {start_pool:.2f} s, Dask LocalCluster {start_dask:.2f} s")


if __name__ == "__main__":
    main()
