"""Lattice learners: jumps per second (Numba kernel vs NumPy twin) and cost against the guide.

Set-up: 1D trap ω = 1, 160 sites on [−10, 10), coherent state from x = 2 (moving), a = 1,
refresh h = 0.01 (midpoint), split-operator yoshida4 dt = 0.005, t ∈ [0, T].

Printed, all measured in this one run, the engines interleaved (A B A B …) so that the load of
the shared machine hits both alike; Numba compilation is timed first and apart:

- jumps/s of the event-by-event kernel and of its NumPy twin (same seed, same jumps) and their
  ratio, at ``--learners`` learners;
- absolute jumps/s of the kernel at M = ``--big`` (default 10⁶);
- the cost of one learner run relative to the split-operator run that guides it (the same
  solver, the same record grid, alone), at equal simulated time.

Usage::

    .venv/bin/python benchmarks/learners.py
    .venv/bin/python benchmarks/learners.py --t-end 2 --repeat 5
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from quantgeo import Hamiltonian, Lattice, Recorder, SplitOperatorSolver, coherent
from quantgeo._kernels import learners as kernel
from quantgeo.emergence import LatticeLearners
from quantgeo.potentials import harmonic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--t-end", type=float, default=1.0)
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ham = Hamiltonian(Lattice(160, (-10.0, 10.0)), harmonic(1.0))
    psi0 = coherent(ham, center=2.0, momentum=1.0)
    span = (0.0, args.t_end)
    tic = time.perf_counter()
    kernel.warmup()
    LatticeLearners(ham, 10, 0).run(psi0, (0.0, 0.02))  # split kernels too
    print(f"compile / cache load: {time.perf_counter() - tic:.2f} s (excluded below)")

    def learners(m: int, backend: str) -> dict:
        traj = LatticeLearners(ham, m, 1, backend=backend).run(
            psi0, span, recorder=Recorder(observables=())
        )
        return dict(traj.info)

    guide = SplitOperatorSolver(ham, 0.005, "yoshida4")
    n = int(np.ceil(args.t_end / 0.01 - 1e-9))
    half_grid = np.linspace(0.0, args.t_end, 2 * n + 1)

    def split_alone() -> float:
        traj = guide.run(psi0, span, recorder=Recorder(times=half_grid, observables=()))
        return float(traj.info["run_time"])

    rates: dict[str, list[float]] = {"numba": [], "numpy": []}
    jumps: dict[str, int] = {}
    for _ in range(args.repeat):
        for be in ("numba", "numpy"):
            info = learners(args.learners, be)
            rates[be].append(info["jumps"] / info["jump_time"])
            jumps[be] = info["jumps"]
    assert jumps["numba"] == jumps["numpy"], "kernel and twin made different jumps"
    nb, np_ = np.median(rates["numba"]), np.median(rates["numpy"])
    print(
        f"M = {args.learners:.0e}, t = {args.t_end}: {jumps['numba']} jumps; "
        f"numba {nb:.3e} jumps/s, numpy twin {np_:.3e} jumps/s, ratio {nb / np_:.1f}× "
        f"(median of {args.repeat})"
    )
    big, cost, alone = [], [], []
    for _ in range(args.repeat):
        info = learners(args.big, "numba")
        big.append(info["jumps"] / info["jump_time"])
        cost.append(info["run_time"])
        alone.append(split_alone())
    print(
        f"M = {args.big:.0e}: numba {np.median(big):.3e} jumps/s ({info['jumps']} jumps, "
        f"kernel {info['jump_time']:.2f} s of a {info['run_time']:.2f} s run)"
    )
    ratio = np.median(np.array(cost) / np.array(alone))
    print(
        f"learner run / split-operator run alone at equal simulated time: {ratio:.1f}× "
        f"(run {np.median(cost):.2f} s, split-operator {np.median(alone):.3f} s)"
    )
    small = []
    for _ in range(args.repeat):
        info = learners(args.learners, "numba")
        small.append(info["run_time"] / split_alone())
    print(f"same at M = {args.learners:.0e}: {np.median(small):.1f}×")


if __name__ == "__main__":
    main()
