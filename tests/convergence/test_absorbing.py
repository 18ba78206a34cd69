"""Complex absorbing layers: an outgoing packet is removed with little reflection."""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg


def test_absorber_removes_outgoing_packet():
    """k₀ = 3 packet leaving a 100-long box through quadratic layers of width 15 (7 wavelengths).

    The WKB absorption of one pass is exp(−2∫W dx/ħv) = exp(−2·η·ℓ/(3v)) ≈ e⁻¹³ for η = 4,
    ℓ = 15, v = 3, so anything left in the box at the end is reflection."""
    lat = qg.Lattice(2048, (-50.0, 50.0))
    ham = qg.Hamiltonian(lat, None, kinetic="spectral")
    psi0 = qg.gaussian(lat, center=0.0, width=2.0, momentum=3.0)
    absorber = qg.AbsorbingBoundary(width=15.0, strength=4.0)
    solver = qg.SplitOperatorSolver(ham, 0.01, absorber=absorber)
    traj = solver.run(psi0, (0.0, 30.0), recorder=qg.Recorder([15.0, 30.0], observables=("norm",)))
    final = traj.state(-1)
    interior = np.abs(lat.axes[0]) < 35.0
    reflected = float(np.sum(np.abs(final.data[interior]) ** 2) * lat.cell_volume)
    assert traj["norm"][-1] <= 0.01  # ≥ 99 % removed
    assert reflected < 0.01  # < 1 % back in the interior
    assert np.all(np.diff(traj["norm"]) <= 0)


def test_absorber_off_keeps_packet():
    lat = qg.Lattice(512, (-25.0, 25.0))
    ham = qg.Hamiltonian(lat, None, kinetic="spectral")
    traj = qg.SplitOperatorSolver(ham, 0.05).run(qg.gaussian(lat, momentum=3.0), (0.0, 10.0))
    assert traj["norm"][-1] == pytest.approx(1.0, abs=1e-12)


def test_absorber_rejects_too_wide_layer():
    lat = qg.Lattice(64, (-5.0, 5.0))
    with pytest.raises(ValueError, match=r"`width\[0\]` = 6.0 leaves no interior"):
        qg.SplitOperatorSolver(
            qg.Hamiltonian(lat), 0.01, absorber=qg.AbsorbingBoundary(width=6.0, strength=1.0)
        )


def test_absorber_rules_agree_with_the_scenario_loader():
    """Yoshida schemes (negative sub-steps) are refused with an absorber, as by the scenario
    loader, and the imaginary-time ground state refuses an absorber instead of ignoring it."""
    lat = qg.Lattice(128, (-20.0, 20.0))
    ham = qg.Hamiltonian(lat)
    absorber = qg.AbsorbingBoundary(width=3.0, strength=1.0)
    with pytest.raises(ValueError, match="`scheme` 'yoshida4' has negative sub-steps"):
        qg.SplitOperatorSolver(ham, 0.01, "yoshida4", absorber=absorber)
    solver = qg.SplitOperatorSolver(ham, 0.01, absorber=absorber)
    with pytest.raises(ValueError, match="`absorber` applies to real-time runs only"):
        solver.ground_state()
