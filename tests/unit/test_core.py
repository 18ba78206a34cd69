"""Lattice, Hamiltonian, wavefunction and observable basics against exact references."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import quantgeo as qg
from quantgeo import observables as obs
from quantgeo.potentials import barrier, cosine, double_well, harmonic, shaken_trap


def test_lattice_geometry():
    lat = qg.Lattice((8, 4), [(-2.0, 2.0), (0.0, 1.0)])
    assert lat.spacing == (0.5, 0.25)
    assert lat.cell_volume == pytest.approx(0.125, rel=1e-15)
    assert lat.axes[0][0] == -2.0 and lat.axes[0][-1] == 1.5
    np.testing.assert_allclose(lat.k_axes[1], 2 * np.pi * np.fft.fftfreq(4, 0.25))


@pytest.mark.parametrize("shape", [(16,), (6, 5), (4, 3, 5)])
@pytest.mark.parametrize("mass", [1.0, "per-axis"])
def test_sparse_operator_is_diagonalised_by_dispersion(rng, shape, mass):
    """to_sparse() is exactly the operator whose Fourier eigenvalues are dispersion()."""
    lat = qg.Lattice(shape, (-3.0, 3.0))
    m = 1.0 if mass == 1.0 else [1.0, 4.0, 0.5][: len(shape)]
    ham = qg.Hamiltonian(lat, None, mass=m, hbar=0.7)
    psi = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    via_fft = np.fft.ifftn(ham.dispersion() * np.fft.fftn(psi))
    via_csr = (ham.to_sparse() @ psi.ravel()).reshape(shape)
    np.testing.assert_allclose(via_csr, via_fft, atol=1e-12 * np.abs(via_fft).max())


def test_sparse_two_site_rabi_dispersion():
    """N = 2: both bonds join the same pair; eigenvalues 0 and 2ħ²/(mΔ²)."""
    lat = qg.Lattice(2, (0.0, 2.0))
    ham = qg.Hamiltonian(lat)
    vals = np.linalg.eigvalsh(ham.to_sparse().toarray())
    np.testing.assert_allclose(vals, [0.0, 2.0], atol=1e-14)


def test_dense_spectral_matches_fft_application(rng):
    lat = qg.Lattice((8, 6), (-2.0, 2.0))
    ham = qg.Hamiltonian(lat, harmonic(1.3), kinetic="spectral", mass=[1.0, 2.0])
    psi = rng.standard_normal(lat.shape) + 1j * rng.standard_normal(lat.shape)
    np.testing.assert_allclose(
        (ham.to_dense() @ psi.ravel()).reshape(lat.shape), ham.apply(psi), atol=1e-12
    )
    h = ham.to_dense()
    assert np.abs(h - h.conj().T).max() < 1e-13


def test_eigh_matches_sparse_eigsh():
    lat = qg.Lattice(128, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, double_well(4.0, 1.5))
    e, states = ham.eigh(3)
    e_ref = np.sort(spla.eigsh(ham.to_sparse(), k=3, which="SA")[0])
    np.testing.assert_allclose(e, e_ref, rtol=1e-10)
    for s in states:
        assert qg.Wavefunction(lat, s).norm() == pytest.approx(1.0, abs=1e-12)


def test_harmonic_lattice_spectrum_matches_perturbation_theory():
    """Lattice dispersion (1 − cos kΔ)/Δ² = k²/2 − k⁴Δ²/24 + O(Δ⁴): first-order perturbation
    theory gives E_n − (n + ½) = −(Δ²/24)⟨p⁴⟩_n with ⟨p⁴⟩_n = ¾(2n² + 2n + 1) (ħ = m = ω = 1);
    the remainder is O(Δ⁴), i.e. a relative O(Δ²) ≈ 2 % correction at Δ = 1/8."""
    lat = qg.Lattice(128, (-8.0, 8.0))
    d = lat.spacing[0]
    e, _ = qg.Hamiltonian(lat, harmonic(1.0)).eigh(4)
    n = np.arange(4)
    predicted = -(d**2 / 24) * 0.75 * (2 * n**2 + 2 * n + 1)
    np.testing.assert_allclose(e - (n + 0.5), predicted, rtol=3 * d**2)


def test_wavefunction_builders_are_normalised_and_centred():
    lat = qg.Lattice((64, 64), [(-8.0, 8.0), (-6.0, 6.0)])
    psi = qg.gaussian(lat, center=(1.0, -0.5), width=(0.8, 0.6), momentum=(2.0, 0.0))
    assert psi.norm() == pytest.approx(1.0, abs=1e-14)
    np.testing.assert_allclose(obs.position(psi), [1.0, -0.5], atol=1e-10)
    np.testing.assert_allclose(obs.width(psi), [0.8, 0.6], rtol=1e-8)
    np.testing.assert_allclose(obs.momentum(psi), [2.0, 0.0], atol=1e-8)


def test_plane_wave_commensurate_and_error_names_nearest():
    lat = qg.Lattice(32, (0.0, 2 * np.pi))
    pw = qg.plane_wave(lat, 3.0)
    assert pw.norm() == pytest.approx(1.0, abs=1e-14)
    with pytest.raises(ValueError, match=r"`momentum\[0\]`.*nearest allowed: 3 or 4"):
        qg.plane_wave(lat, 3.5)


def test_energy_of_eigenstate_and_fidelity():
    lat = qg.Lattice(64, (-6.0, 6.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    e, _ = ham.eigh(2)
    s0 = qg.eigenstate(ham, 0)
    s1 = qg.eigenstate(ham, 1)
    assert obs.energy(s0, ham) == pytest.approx(e[0], rel=1e-12)
    assert obs.fidelity(s0, s1) < 1e-24
    assert obs.fidelity(s0, s0) == pytest.approx(1.0, abs=1e-14)


def test_potential_builders_values():
    lat = qg.Lattice(40, (-4.0, 4.0))
    x = lat.axes[0]
    np.testing.assert_allclose(
        barrier(2.0, 1.0, 0.5).values(lat), np.where(np.abs(x - 0.5) < 0.5, 2.0, 0.0)
    )
    np.testing.assert_allclose(cosine(1.5, 2.0).values(lat), 1.5 * np.cos(np.pi * x))
    np.testing.assert_allclose(harmonic(2.0).values(lat, mass=3.0), 0.5 * 3.0 * 4.0 * x**2)
    trap = shaken_trap(1.0, 0.3, 2.0)
    t = 0.7
    np.testing.assert_allclose(
        trap.values(lat, t), 0.5 * (x - 0.3 * np.sin(2.0 * t)) ** 2, atol=1e-13
    )
    static, drives = trap.terms(lat)
    rebuilt = static + sum(f(t) * s for s, f in drives)
    np.testing.assert_allclose(rebuilt, trap.values(lat, t), atol=1e-13)


def test_trajectory_roundtrip(tmp_path):
    lat = qg.Lattice(32, (-4.0, 4.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    traj = qg.SplitOperatorSolver(ham, 0.01).run(
        qg.coherent(ham, center=0.5), (0.0, 0.5), recorder=qg.Recorder(every=0.25)
    )
    path = tmp_path / "t.npz"
    traj.save(path)
    back = qg.Trajectory.load(path)
    assert back.lattice == lat
    np.testing.assert_array_equal(back.states, traj.states)
    np.testing.assert_array_equal(back["energy"], traj["energy"])
    assert back.info["scheme"] == "strang"
    assert not list(tmp_path.glob(".*part*"))
