"""``BornEnsemble.run`` stores histogram *densities* (walker fraction per cell / ΔV), as its
docstring says: ``states·ΔV·W`` are whole walker counts and ``Σ states·ΔV = 1`` (periodic box,
every walker is in some cell)."""

from __future__ import annotations

import numpy as np

from quantgeo import Hamiltonian, Lattice, Recorder, gaussian
from quantgeo.emergence import BornEnsemble
from quantgeo.potentials import harmonic


def test_born_states_are_densities() -> None:
    lat = Lattice(32, (-4.0, 4.0))  # ΔV = 0.25: densities and probabilities differ by 4×
    ham = Hamiltonian(lat, harmonic(1.0))
    walkers = 500
    traj = BornEnsemble(ham, 1.0, walkers, seed=3).run(
        gaussian(lat, 0.0, 0.8),
        (0.0, 0.1),
        recorder=Recorder(times=[0.0, 0.1], observables=("norm",), store_states=True),
    )
    assert traj.states is not None
    dv = lat.cell_volume
    counts = traj.states * dv * walkers
    np.testing.assert_allclose(counts, np.round(counts), rtol=0, atol=1e-9)
    np.testing.assert_allclose(traj.states.sum(axis=1) * dv, 1.0, rtol=0, atol=1e-12)
