"""Bad input raises the documented error with a message naming the argument."""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg
from quantgeo.potentials import from_array, harmonic


@pytest.fixture
def ham() -> qg.Hamiltonian:
    return qg.Hamiltonian(qg.Lattice(32, (-4.0, 4.0)), harmonic(1.0))


def test_negative_dt(ham):
    with pytest.raises(ValueError, match=r"`dt` must be positive, got -0.001"):
        qg.SplitOperatorSolver(ham, dt=-0.001)


def test_unknown_scheme(ham):
    with pytest.raises(ValueError, match=r"`scheme` must be one of 'strang', 'yoshida4'"):
        qg.SplitOperatorSolver(ham, dt=0.01, scheme="rk4")


def test_unknown_backend_and_kinetic(ham):
    with pytest.raises(ValueError, match=r"`backend` must be one of 'numba', 'numpy'"):
        qg.SplitOperatorSolver(ham, dt=0.01, backend="cuda")
    with pytest.raises(ValueError, match=r"`kinetic` must be one of 'lattice', 'spectral'"):
        qg.Hamiltonian(ham.lattice, kinetic="continuum")


def test_bounds_mismatch():
    with pytest.raises(ValueError, match=r"`bounds` must give one \(lo, hi\) pair per axis \(2\)"):
        qg.Lattice((8, 8), [(0, 1), (0, 1), (0, 1)])
    with pytest.raises(ValueError, match=r"`bounds\[0\]` must have hi > lo"):
        qg.Lattice(8, (1.0, 0.0))
    with pytest.raises(ValueError, match=r"`shape\[1\]` must be an integer ≥ 2"):
        qg.Lattice((8, 1), (0, 1))


def test_potential_shape_mismatch(ham):
    with pytest.raises(qg.LatticeMismatchError, match=r"`values` has shape \(31,\)"):
        qg.Hamiltonian(ham.lattice, from_array(np.zeros(31)))


def test_non_finite_potential(ham):
    v = np.zeros(32)
    v[5] = np.nan
    with pytest.raises(ValueError, match=r"`values` must be finite everywhere.*index \(5,\)"):
        qg.Hamiltonian(ham.lattice, v)
    with pytest.raises(ValueError, match=r"`potential` must be finite everywhere"):
        qg.Hamiltonian(
            ham.lattice, qg.potentials.time_dependent(lambda x, t: np.where(x > 1, np.inf, 0.0))
        )


def test_state_on_another_lattice(ham):
    other = qg.Lattice(32, (-5.0, 5.0))
    psi = qg.gaussian(other)
    with pytest.raises(qg.LatticeMismatchError, match=r"`state0` lives on Lattice\(32"):
        qg.SplitOperatorSolver(ham, 0.01).run(psi, (0, 1))
    with pytest.raises(qg.LatticeMismatchError, match=r"`state0` has shape \(16,\)"):
        qg.SplitOperatorSolver(ham, 0.01).run(np.ones(16), (0, 1))


def test_bad_t_span_and_mass(ham):
    psi = qg.gaussian(ham.lattice)
    with pytest.raises(ValueError, match=r"`t_span` must be finite with t1 ≥ t0"):
        qg.SplitOperatorSolver(ham, 0.01).run(psi, (1.0, 0.0))
    with pytest.raises(ValueError, match=r"`mass` must be a scalar or have one entry per axis"):
        qg.Hamiltonian(qg.Lattice((4, 4), (0, 1)), mass=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"`mass\[1\]` must be positive, got -2"):
        qg.Hamiltonian(qg.Lattice((4, 4), (0, 1)), mass=[1.0, -2])


def test_dense_refuses_large_lattice():
    ham = qg.Hamiltonian(qg.Lattice((80, 80), (0, 1)), kinetic="spectral")
    with pytest.raises(ValueError, match=r"MAX_DENSE_SITES = 4096"):
        ham.to_dense()
    with pytest.raises(ValueError, match=r"`to_sparse` needs kinetic='lattice'"):
        ham.to_sparse()


def test_potential_turning_non_finite_mid_run(ham):
    """A time-dependent V that is finite at t = 0 but not later is caught when evaluated."""
    pot = qg.potentials.time_dependent(lambda x, t: 0.5 * x**2 + (np.inf if t > 0.5 else 0.0))
    solver = qg.SplitOperatorSolver(qg.Hamiltonian(ham.lattice, pot), 0.01)
    with pytest.raises(ValueError, match=r"`potential` must be finite everywhere, got inf"):
        solver.run(qg.gaussian(ham.lattice), (0.0, 1.0))


def test_norm_drift_raises_stability_error(ham):
    """An amplifying (non-unitary) factor is caught by the norm check with t and step."""
    solver = qg.SplitOperatorSolver(ham, 0.01, check_every=10)
    v = solver._static_potential(0.01)
    v[-1] += 1e-4  # corrupt the merged factor: |1 + g| > 1, the norm grows each step
    with pytest.raises(qg.StabilityError, match=r"norm drifted.*step 10") as info:
        solver.run(qg.gaussian(ham.lattice), (0.0, 1.0))
    assert info.value.step == 10
    assert info.value.t == pytest.approx(0.1)
