"""Spectral kinetic model against closed-form continuum solutions."""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg
from quantgeo import analytic
from quantgeo import observables as obs
from quantgeo.potentials import double_well, harmonic

pytestmark = pytest.mark.convergence


def test_coherent_state_matches_analytic():
    lat = qg.Lattice(256, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0), kinetic="spectral")
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)

    def exact(t: float) -> np.ndarray:
        return analytic.harmonic_coherent(lat, t, center=1.5, momentum=0.5)

    np.testing.assert_allclose(psi0.data, exact(0.0), atol=1e-13)
    times = np.linspace(0.0, 10.0, 11)
    solver = qg.SplitOperatorSolver(ham, 0.0025, "yoshida4")
    # Yoshida-4 global error is C·dt⁴; halving dt must shrink it 16×, so the first run is
    # within (16/15)·|ψ(dt) − ψ(dt/2)| of the exact ODE solution (Richardson).
    a = solver.run(psi0, (0, 10), recorder=qg.Recorder(times)).states
    b = (
        qg.SplitOperatorSolver(ham, 0.00125, "yoshida4")
        .run(psi0, (0, 10), recorder=qg.Recorder(times))
        .states
    )
    dv = lat.cell_volume
    splitting = np.sqrt((np.abs(a - b) ** 2).sum(axis=1) * dv).max() * 16 / 15
    assert splitting < 1e-9
    ref = np.stack([exact(t) for t in times])
    l2 = np.sqrt((np.abs(a - ref) ** 2).sum(axis=1) * dv)
    assert l2.max() <= 1e-8


def test_free_gaussian_width_law():
    """σ(t) = σ₀√(1 + (ħt/2mσ₀²)²); with V = 0 the spectral step is exact for any dt."""
    lat = qg.Lattice(1024, (-60.0, 60.0))
    m, hbar, s0 = 2.0, 1.3, 1.0
    ham = qg.Hamiltonian(lat, None, mass=m, hbar=hbar, kinetic="spectral")
    psi0 = qg.gaussian(lat, center=-5.0, width=s0, momentum=2.0, hbar=hbar)
    times = np.linspace(0.0, 8.0, 9)
    traj = qg.SplitOperatorSolver(ham, 0.5).run(
        psi0, (0, 8), recorder=qg.Recorder(times, observables=("width", "position"))
    )
    expected = s0 * np.sqrt(1 + (hbar * times / (2 * m * s0**2)) ** 2)
    np.testing.assert_allclose(traj["width"][:, 0], expected, atol=1e-8, rtol=0)
    np.testing.assert_allclose(traj["position"][:, 0], -5.0 + 2.0 / m * times, atol=1e-8)


def test_imaginary_time_harmonic_ground_energy():
    """Strang imaginary time: energy error O(dτ⁴) (variational); dτ = 1e-3 → ≪ 1e-9."""
    lat = qg.Lattice(128, (-10.0, 10.0))
    ham = qg.Hamiltonian(lat, harmonic(1.3), kinetic="spectral")
    gs = qg.SplitOperatorSolver(ham, 1e-3).ground_state(tol=1e-14)
    assert gs.converged
    assert abs(gs.energy - 0.65) <= 1e-9
    assert gs.residual < 1e-5


def test_imaginary_time_double_well_matches_eigh():
    """The Strang fixed point is the ground state of H + O(dτ²): the state error must fall 4× when
    dτ halves, and the energy approach eigh's from above."""
    lat = qg.Lattice(128, (-5.0, 5.0))
    ham = qg.Hamiltonian(lat, double_well(3.0, 1.5))
    e, states = ham.eigh(1)
    ref = qg.Wavefunction(lat, states[0])
    errs = []
    for dtau in (4e-3, 2e-3):
        gs = qg.SplitOperatorSolver(ham, dtau).ground_state(tol=1e-15)
        phase = obs.overlap(ref, gs.state)
        aligned = gs.state.data * abs(phase) / phase
        errs.append(np.sqrt(np.sum(np.abs(aligned - ref.data) ** 2) * lat.cell_volume))
        assert gs.energy >= e[0] - 1e-12
    ratio = errs[0] / errs[1]
    assert 4 * 2**-0.3 <= ratio <= 4 * 2**0.3, errs
    assert abs(gs.energy - e[0]) < 1e-9
