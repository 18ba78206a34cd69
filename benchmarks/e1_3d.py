"""E1 in 3D: learning variables vs split-operator vs QuTiP on 20×16×12 sites, t ∈ [0, 10].

Set-up as ``tests/emergence/test_3d.py`` (trap ω = (1, 1.2, 1.5), masses (1, 1.5, 2), spacing
0.7, coherent state from (0.8, −0.5, 0.3) with momentum (0, 0.5, 0), ``kinetic="lattice"``);
records every 0.1.  Prints each engine's wall time (Numba compile or cache load included in
the first engine that needs it) and the max L2 distance of each pair.

Usage::

    .venv/bin/python benchmarks/e1_3d.py
"""

from __future__ import annotations

import time

import numpy as np

from quantgeo import (
    Hamiltonian,
    Lattice,
    QutipReference,
    Recorder,
    SplitOperatorSolver,
    coherent,
    compare,
)
from quantgeo.emergence import MadelungLattice
from quantgeo.potentials import harmonic

OMEGA = (1.0, 1.2, 1.5)
MASS = (1.0, 1.5, 2.0)
SHAPE = (20, 16, 12)


def main() -> None:
    lat = Lattice(SHAPE, [(-0.35 * n, 0.35 * n) for n in SHAPE])
    ham = Hamiltonian(lat, harmonic(OMEGA), mass=MASS)
    psi0 = coherent(ham, omega=OMEGA, center=(0.8, -0.5, 0.3), momentum=(0.0, 0.5, 0.0))
    times = np.linspace(0.0, 10.0, 101)
    engines = {
        "learning": MadelungLattice(ham),
        "split-operator": SplitOperatorSolver(ham, 0.005, "yoshida4"),
        "qutip": QutipReference(ham),
    }
    trajs = {}
    for name, eng in engines.items():
        tic = time.perf_counter()
        rec = Recorder(times=times, observables=("norm", "energy"))
        trajs[name] = eng.run(psi0, (0.0, 10.0), recorder=rec)
        print(f"{name:15s} {time.perf_counter() - tic:6.2f} s")
    names = list(trajs)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            print(f"{a} vs {b}: max L2 {compare(trajs[a], trajs[b]).max_l2:.2e}")
    lrn = trajs["learning"]
    print(
        f"learning: {lrn.info['steps']} steps, norm drift {np.ptp(lrn['norm']):.1e}, "
        f"energy drift {np.ptp(lrn['energy']):.1e}"
    )


if __name__ == "__main__":
    main()
