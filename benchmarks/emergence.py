"""Cost per unit simulated time: lattice learning variables (p, S) vs split-operator.

Both engines evolve the same state on the same lattice Hamiltonian; the accuracy of each run is
its largest L2 distance to the exact evolution (eigendecomposition of ``ham.to_sparse()``) over
the record times.  For every learning-variable tolerance the script finds the cheapest
split-operator run (scheme × dt grid) that is at least as accurate and prints the ratio of the
costs per unit simulated time, all measured in this one run.  Compilation (Numba) is timed
separately and excluded from the costs.

Usage::

    .venv/bin/python benchmarks/emergence.py            # 1D and 2D trap, t ∈ [0, 10]
    .venv/bin/python benchmarks/emergence.py --dim 1 --t-end 5
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

from quantgeo import (
    Hamiltonian,
    Lattice,
    Recorder,
    SplitOperatorSolver,
    Trajectory,
    coherent,
    compare,
)
from quantgeo._kernels import warmup as split_warmup
from quantgeo.analytic import SpectralPropagator
from quantgeo.emergence import MadelungLattice
from quantgeo.emergence import warmup as madelung_warmup
from quantgeo.potentials import harmonic

TOLS = (1e-4, 1e-6, 1e-8, 1e-10)
SPLIT = [
    (scheme, dt)
    for scheme in ("strang", "yoshida4", "yoshida6")
    for dt in (0.04, 0.02, 0.01, 0.005, 0.0025, 0.00125, 0.000625)
]


@dataclass
class Point:
    label: str
    error: float
    seconds: float
    steps: int

    def cost(self, t_end: float) -> float:
        return self.seconds / t_end


def setup(dim: int) -> tuple[Hamiltonian, object]:
    if dim == 1:
        ham = Hamiltonian(Lattice(160, (-10.0, 10.0)), harmonic(1.0))
        return ham, coherent(ham, center=2.0)
    lat = Lattice((48, 40), ((-8.0, 8.0), (-6.0, 6.0)))
    ham = Hamiltonian(lat, harmonic((1.0, 1.4)), mass=(1.0, 2.0))
    return ham, coherent(ham, omega=(1.0, 1.4), center=(1.5, -0.8), momentum=(0.0, 0.5))


def exact(ham: Hamiltonian, psi0: object, times: np.ndarray) -> Trajectory:
    return SpectralPropagator(ham).trajectory(psi0, times)


def timed(
    engine: object, psi0: object, t_end: float, times: np.ndarray, ref: Trajectory, repeat: int
) -> tuple[float, float, Trajectory]:
    best = np.inf
    traj = None
    for _ in range(repeat):
        start = time.perf_counter()
        traj = engine.run(
            psi0, (0.0, t_end), recorder=Recorder(times=times, observables=()), progress=False
        )  # type: ignore[attr-defined]
        best = min(best, time.perf_counter() - start)
    assert traj is not None
    return compare(traj, ref).max_l2, best, traj


def bench(dim: int, t_end: float, repeat: int) -> None:
    ham, psi0 = setup(dim)
    times = np.linspace(0.0, t_end, 11)
    ref = exact(ham, psi0, times)
    c_m = madelung_warmup()
    c_s = split_warmup((dim,))
    print(f"\n== {dim}D: {ham!r}, t ∈ [0, {t_end:g}]")
    print(
        f"compile (or cache load): learning kernels {c_m:.2f} s, split-operator kernels {c_s:.2f} s"
    )
    learning = []
    for tol in TOLS:
        err, sec, traj = timed(MadelungLattice(ham, rtol=tol, atol=tol), psi0, t_end, times, ref, 1)
        learning.append(Point(f"(p,S) DOP853 tol={tol:g}", err, sec, int(traj.info["steps"])))
    split = []
    for scheme, dt in SPLIT:
        err, sec, traj = timed(
            SplitOperatorSolver(ham, dt, scheme), psi0, t_end, times, ref, repeat
        )
        split.append(Point(f"split {scheme} dt={dt:g}", err, sec, int(traj.info["steps"])))
    print(f"{'run':<34}{'max L2 vs exact':>16}{'steps':>8}{'s per unit t':>14}")
    for p in learning + split:
        print(f"{p.label:<34}{p.error:>16.3e}{p.steps:>8d}{p.cost(t_end):>14.3e}")
    print("\nequal accuracy: cheapest split-operator run with error ≤ the learning run's")
    floor = min(p.error for p in split)
    for p in learning:
        ok = [q for q in split if q.error <= max(p.error, floor)]
        q = min(ok, key=lambda r: r.seconds)
        note = "" if q.error <= p.error else f"  (split floor {floor:.1e})"
        print(
            f"{p.label:<34} error {p.error:.2e}: {q.label:<28} error {q.error:.2e}  "
            f"cost ratio (p,S)/split = {p.seconds / q.seconds:8.1f}{note}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dim", type=int, choices=(1, 2), nargs="*", default=[1, 2])
    ap.add_argument("--t-end", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3, help="repeats of each split-operator run")
    args = ap.parse_args()
    for dim in args.dim:
        bench(dim, args.t_end, args.repeat)


if __name__ == "__main__":
    main()
