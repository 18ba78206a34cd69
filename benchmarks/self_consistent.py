"""Self-consistent learners: density error against M, t and smoothing (docs/emergence.md).

Free ring of 64 sites on [−8, 8), ψ₀ ∝ (1 + 0.6 cos(2πx/L)) e^{i·4πx/L}; the learners evolve with
no ψ(t) given and their density is compared afterwards with the split-operator ψ(t) on the same
lattice operator (relative L2 of the density).  Prints one line per (smooth, M, seed) and the
exponent of the error in M (least squares on the seed means) at every record time.

Usage::

    .venv/bin/python benchmarks/self_consistent.py                       # M = 10³ … 10⁶
    .venv/bin/python benchmarks/self_consistent.py --max-exp 7 --seeds 1  # adds 10⁷ (~0.5 GB)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from quantgeo import Hamiltonian, Lattice, Recorder, SplitOperatorSolver, Wavefunction
from quantgeo.emergence.self_consistent import SelfConsistentLearners, density_error

TIMES = np.array([0.0, 0.5, 1.0, 2.0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-exp", type=int, default=6, help="largest M = 10^max_exp")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 1 … n per M")
    parser.add_argument("--smooth", type=int, nargs="+", default=[0, 2])
    args = parser.parse_args()
    lat = Lattice(64, (-8.0, 8.0))
    ham = Hamiltonian(lat)
    x, length = lat.axes[0], 16.0
    data = (1 + 0.6 * np.cos(2 * np.pi * x / length)) * np.exp(1j * 4 * np.pi * x / length)
    psi0 = Wavefunction(lat, data).normalized()
    exact = SplitOperatorSolver(ham, 0.005, "yoshida4").run(
        psi0, (0.0, float(TIMES[-1])), recorder=Recorder(times=TIMES, observables=())
    )
    ms = [10**k for k in range(3, args.max_exp + 1)]
    print(f"times {TIMES.tolist()}")
    for w in args.smooth:
        means = []
        for m in ms:
            errs = []
            for seed in range(1, args.seeds + 1):
                tic = time.perf_counter()
                traj = SelfConsistentLearners(ham, m, seed, smooth=w).run(
                    psi0,
                    (0.0, float(TIMES[-1])),
                    recorder=Recorder(times=TIMES, observables=("occupied",)),
                )
                err = density_error(traj, exact)
                errs.append(err)
                print(
                    f"smooth={w} M={m:.0e} seed={seed} error={np.round(err, 5).tolist()} "
                    f"min occupied={int(traj['occupied'].min())}/64 "
                    f"({time.perf_counter() - tic:.1f} s)",
                    flush=True,
                )
            means.append(np.mean(errs, axis=0))
        slope = np.polyfit(np.log10(ms), np.log10(np.array(means)), 1)[0]
        print(
            f"smooth={w}: exponent α (error ∝ M^-α) at t = {TIMES.tolist()}: "
            f"{np.round(-slope, 3).tolist()}"
        )


if __name__ == "__main__":
    main()
