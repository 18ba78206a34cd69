"""backend="mpi": time per step and memory per rank at P = 1, 2, 4 against the serial solver.

The problem is the one of ``tests/mpi``: a packet in a shaken trap (time-dependent V; with
``--static`` the trap at rest, which has no per-step V build) with an absorbing layer, Strang,
on an N³ lattice (default 128³), ``error_samples=0``, no records
besides the end points.  Each configuration — the serial solver (``backend="numba"``, one FFT
thread) and ``backend="mpi"`` on P ranks — runs in its own ``mpiexec`` launch; the rounds are
interleaved (serial, P = 1, 2, 4, serial, …) and the medians are printed, so that a machine
shared with other jobs loads every configuration alike.

Printed per configuration:

- **time per step** (median over the rounds, the run's own ``run_time``/steps, compilation
  excluded) and its ratio to the serial solver;
- **the split of a step** (``Trajectory.info`` of the mpi backend, averaged over the ranks):
  local FFTs, the FFT's ``alltoall`` transposes (the communication), the element-wise passes
  (the factors, and the copies in and out of the FFT's buffers) and the V-factor build (every
  step for the time-dependent V, once for the static one); the rest (Python, norm checks) is
  "other";
- **memory per rank**: the peak resident set while the solver is built and runs, above the
  resident set before (kernels compiled, Hamiltonian and initial state built; ``VmHWM`` after
  resetting it through ``/proc/self/clear_refs``, Linux), i.e. what the solver allocates —
  FFT plans and buffers, factors, the state's piece — and its ratio to the serial solver's (the
  goal is ≤ 1.2/P plus a fixed overhead).

Usage::

    .venv/bin/python benchmarks/mpi.py [--n 128] [--steps 10] [--rounds 3] [--ranks 1,2,4]
                                       [--static]

Oversubscribed ranks (P above the number of cores) share cores: their times say what the
communication costs on one machine, not what a cluster would give.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve()


def _status(key: str) -> int:
    """``/proc/self/status`` entry in bytes (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to VmRSS (Linux ≥ 4.0)
    except OSError:
        pass


def worker(n: int, steps: int, backend: str, out: str, static: bool) -> None:
    """One configuration (under mpiexec for backend "mpi"); rank 0 writes ``out``."""
    from quantgeo.recording import Recorder
    from quantgeo.solvers.split_operator import AbsorbingBoundary, SplitOperatorSolver

    sys.path.insert(0, str(HERE.parent.parent / "tests" / "mpi"))
    from mpi_case import problem  # the problem of the tests

    ham, psi0 = problem((n, n, n))
    if static:  # the same trap, not shaken: no per-step V build
        from quantgeo.hamiltonian import Hamiltonian
        from quantgeo.potentials import harmonic

        ham = Hamiltonian(ham.lattice, harmonic(1.0), kinetic="spectral")
    dt = 0.01
    opts: dict[str, Any] = {"absorber": AbsorbingBoundary(2.0, 1.0), "error_samples": 0}
    # compile (or load) the kernels first, then measure from before the solver exists: its
    # construction (FFT plans and buffers, factors) and the run
    from quantgeo._kernels import kernels, warmup

    warmup(("split",), (3,))
    split = kernels("split")
    a, g = np.ones((2, 2, 2), dtype=np.complex128), np.zeros((2, 2, 2), dtype=np.complex128)
    split.apply_factor(a, g)
    split.apply_kinetic(a, g.reshape(-1)[:4].copy(), g.reshape(-1)[:2].copy())
    before = _status("VmRSS")
    _reset_peak()
    solver = SplitOperatorSolver(ham, dt, backend=backend, workers=1, **opts)
    traj = solver.run(
        psi0, (0.0, steps * dt), recorder=Recorder(observables=(), store_states=False)
    )
    peak = _status("VmHWM") - before
    info = dict(traj.info)
    row = {"step": info["run_time"] / info["steps"], "peak": peak}
    for k in ("fft", "transpose", "elementwise", "factors"):
        row[k] = info.get(f"time_{k}", float("nan")) / info["steps"]
    if backend == "mpi":
        from mpi4py import MPI

        peaks = MPI.COMM_WORLD.gather(peak, root=0)
        if MPI.COMM_WORLD.Get_rank() != 0:
            return
        row["peak"] = max(peaks)
        row["local_shape"] = info["local_shape"]
    Path(out).write_text(json.dumps(row))


def _mpiexec() -> str:
    here = Path(sys.executable).parent / "mpiexec"
    exe = str(here) if here.exists() else shutil.which("mpiexec")
    if exe is None:
        raise SystemExit('mpiexec not found: pip install "quantgeo[mpi]"')
    return exe


def launch(ranks: int | None, n: int, steps: int, static: bool) -> dict[str, Any]:
    """One run: ``ranks=None`` is the serial solver (no mpiexec)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "row.json")
        args = [str(HERE), "--worker", "--n", str(n), "--steps", str(steps), "--out", out]
        args += ["--static"] if static else []
        if ranks is None:
            cmd = [sys.executable, *args, "--backend", "numba"]
        else:
            cmd = [_mpiexec(), "-n", str(ranks), sys.executable, *args, "--backend", "mpi"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
        row: dict[str, Any] = json.loads(Path(out).read_text())
        return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=128, help="sites per axis (default 128)")
    p.add_argument("--steps", type=int, default=10, help="Strang steps per run (default 10)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--ranks", default="1,2,4", help="rank counts (default 1,2,4)")
    p.add_argument(
        "--static", action="store_true", help="a static trap (no per-step V build) instead"
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--backend", default="mpi", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        worker(a.n, a.steps, a.backend, a.out, a.static)
        return
    configs: list[int | None] = [None, *(int(r) for r in a.ranks.split(","))]
    rows: dict[int | None, list[dict[str, Any]]] = {c: [] for c in configs}
    for r in range(a.rounds):
        for c in configs:
            rows[c].append(launch(c, a.n, a.steps, a.static))
        print(f"round {r + 1}/{a.rounds} done", file=sys.stderr, flush=True)
    med = {
        c: {k: statistics.median(x[k] for x in rs) for k in rs[0] if k != "local_shape"}
        for c, rs in rows.items()
    }
    serial = med[None]
    cores = os.cpu_count() or 1
    what = "static V" if a.static else "time-dependent V"
    print(
        f"{a.n}³ lattice, {a.steps} Strang steps per run ({what}, absorber), "
        f"median of {a.rounds} interleaved rounds; {cores} cores; load {os.getloadavg()[0]:.1f}"
    )
    head = (
        f"{'config':<14}{'s/step':>9}{'×serial':>9}{'fft':>7}{'alltoall':>10}"
        f"{'elemwise':>10}{'V build':>9}{'other':>7}{'MiB/rank':>10}{'×serial':>9}"
    )
    print(head)
    for c, m in med.items():
        name = "serial numba" if c is None else f"mpi P = {c}" + (" (over)" if c > cores else "")
        parts = [m[k] for k in ("fft", "transpose", "elementwise", "factors")]
        shares = [x / m["step"] for x in parts] if c is not None else [float("nan")] * 4
        other = 1.0 - sum(shares)
        print(
            f"{name:<14}{m['step']:>9.3f}{m['step'] / serial['step']:>9.2f}"
            + "".join(f"{s:>7.0%}" if i != 1 else f"{s:>10.0%}" for i, s in enumerate(shares[:2]))
            + f"{shares[2]:>10.0%}{shares[3]:>9.0%}{other:>7.0%}"
            + f"{m['peak'] / 2**20:>10.0f}{m['peak'] / serial['peak']:>9.2f}"
        )
    state = 16 * a.n**3 / 2**20
    print(
        f"(one {a.n}³ complex128 state = {state:.0f} MiB; memory = peak RSS while the solver "
        "is built and runs, above the RSS before it; the largest over the ranks)"
    )


if __name__ == "__main__":
    main()
