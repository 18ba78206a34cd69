"""Bad input: every error names the argument and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Recorder, gaussian
from quantgeo.emergence import BornEnsemble, MadelungLattice, drift_field, emergence
from quantgeo.errors import LatticeMismatchError, StabilityError
from quantgeo.potentials import harmonic


@pytest.fixture
def small():
    return Hamiltonian(Lattice(32, (-5.0, 5.0)), harmonic(1.0))


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"rtol": -1.0}, ValueError, "`rtol` must be positive"),
        ({"rtol": 1e-16}, ValueError, "`rtol` must be ≥ 1e-14"),
        ({"atol": 0.0}, ValueError, "`atol` must be positive"),
        ({"method": "Euler"}, ValueError, "`method` must be one of 'DOP853'"),
        ({"density_floor": 2.0}, ValueError, "`density_floor` must be < 1"),
        ({"tail_density": 0.0}, ValueError, "`tail_density` must be positive"),
        ({"backend": "cuda"}, ValueError, "`backend` must be one of"),
        ({"boundary": "reflecting"}, ValueError, "`boundary` must be one of"),
        ({"shift_symmetric": "yes"}, TypeError, "`shift_symmetric` must be a bool"),
        ({"max_step": -1.0}, ValueError, "`max_step` must be positive"),
    ],
)
def test_madelung_arguments(small, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        MadelungLattice(small, **kwargs)


def test_madelung_needs_lattice_kinetic():
    ham = Hamiltonian(Lattice(16, (-3.0, 3.0)), harmonic(1.0), kinetic="spectral")
    with pytest.raises(ValueError, match="kinetic='lattice'"):
        MadelungLattice(ham)
    with pytest.raises(TypeError, match="`ham` must be a Hamiltonian"):
        MadelungLattice("ham")  # type: ignore[arg-type]


def test_madelung_run_inputs(small):
    ml = MadelungLattice(small)
    psi = gaussian(small.lattice, 0.0, 0.8)
    with pytest.raises(LatticeMismatchError, match="state0"):
        ml.run(np.ones(31, dtype=complex), (0.0, 1.0))
    with pytest.raises(ValueError, match="zero everywhere"):
        ml.run(np.zeros(32, dtype=complex), (0.0, 1.0))
    with pytest.raises(ValueError, match="t_span"):
        ml.run(psi, (1.0, 0.0))
    with pytest.raises(ValueError, match="unknown observable"):
        ml.run(psi, (0.0, 0.1), recorder=Recorder(observables=("colour",)))


def test_open_boundary_needs_three_sites():
    ham = Hamiltonian(Lattice((2, 8), [(-1.0, 1.0), (-2.0, 2.0)]), None)
    with pytest.raises(ValueError, match="more than 2 sites"):
        MadelungLattice(ham, boundary="open")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"walkers": 0}, "`walkers` must be a positive integer"),
        ({"walkers": 2.5}, "`walkers` must be a positive integer"),
        ({"seed": -1}, "`seed` must be a non-negative integer"),
        ({"dt": 0.0}, "`dt` must be positive"),
        ({"psi_dt": 0.001, "dt": 0.01}, "`psi_dt` must be ≥ `dt`"),
        ({"floor_draws": 1}, "`floor_draws` must be an integer ≥ 2"),
        ({"a": float("nan")}, "`a` must be finite"),
    ],
)
def test_born_arguments(small, kwargs, match):
    with pytest.raises(ValueError, match=match):
        BornEnsemble(small, **kwargs)


def test_born_rejects_nodes_and_unknown_observables(small):
    _, states = small.eigh(2)
    with pytest.raises(StabilityError, match="vanishes at site"):
        data = states[1].copy()
        data[16] = 0.0
        drift_field(data, small.lattice, small.mass, small.hbar)
    ens = BornEnsemble(small, 1.0, 10, seed=0)
    with pytest.raises(ValueError, match="unknown observable 'energy' for the Born ensemble"):
        ens.run(gaussian(small.lattice, 0.0, 0.8), (0.0, 0.1), recorder=Recorder())


def test_emergence_arguments(small):
    psi = gaussian(small.lattice, 0.0, 0.8)
    with pytest.raises(ValueError, match="`every` must be positive"):
        emergence(small, psi, (0.0, 1.0), every=0.0)
    with pytest.raises(ValueError, match="t_span"):
        emergence(small, psi, (2.0, 1.0))
