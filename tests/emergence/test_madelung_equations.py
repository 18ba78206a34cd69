"""The (p, S) right-hand side: Numba kernel vs NumPy twin, and vs the lattice Schrödinger equation.

Independent references: ``Hamiltonian.to_sparse()`` (the operator the split-operator solver and
QuTiP evolve) and ``observables.energy``.  Tolerances are round-off bounds: a few ulp times the
size of the terms summed.
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Wavefunction, gaussian, observables
from quantgeo._kernels import madelung, madelung_reference
from quantgeo.emergence import (
    MadelungLattice,
    from_learning_variables,
    learning_energy,
    neighbour_table,
    open_boundary_sparse,
    to_learning_variables,
)
from quantgeo.potentials import harmonic

EPS = np.finfo(float).eps


def _random_state(rng, shape, spread=300.0):
    lnp = -spread * rng.random(shape)
    phi = 40.0 * (rng.random(shape) - 0.5)
    return lnp, phi


@pytest.mark.parametrize("shape", [(17,), (6, 5), (4, 3, 5), (2, 7)])
@pytest.mark.parametrize("compact", [True, False])
def test_kernel_matches_numpy_twin(rng, shape, compact):
    lat = Lattice(shape, [(-1.0, 1.0)] * len(shape))
    nbr, rate = neighbour_table(lat, np.linspace(1.0, 3.0, len(shape)), 0.7)
    n = lat.size
    # contrasts up to e^{±15} between neighbours (ρ up to e^{7.5}), phases over many turns
    lnp = -30.0 * rng.random(n)
    phi = 40.0 * (rng.random(n) - 0.5)
    v = rng.normal(size=n)
    outs = []
    for mod in (madelung, madelung_reference):
        a, b = np.empty(n), np.empty(n)
        mod.madelung_rhs(lnp, phi, v, nbr, rate, compact, a, b)
        outs.append((a, b))
    scale = float(np.sum(rate)) * np.exp(7.5) * (1.0 if compact else 1000.0)
    assert np.max(np.abs(outs[0][0] - outs[1][0])) <= 1e-12 * scale
    assert np.max(np.abs(outs[0][1] - outs[1][1])) <= 1e-12 * scale


def test_contrast_kernel_matches_twin(rng):
    lat = Lattice((9, 8), [(-1.0, 1.0)] * 2)
    nbr, _ = neighbour_table(lat, np.ones(2), 1.0)
    lnp = -700.0 * rng.random(lat.size)
    lnp[[3, 4, 5, 12, 13, 14, 21, 22, 23]] = -np.inf  # a zero patch: interior and boundary
    outs = []
    for mod in (madelung, madelung_reference):
        rel, top = np.empty(lat.size), np.empty(lat.size)
        mod.relative_log_density(lnp, nbr, rel, top)
        outs.append((rel, top))
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    np.testing.assert_array_equal(outs[0][1], outs[1][1])
    assert outs[0][0][13] == 0.0  # zero site with zero neighbours: no contrast
    assert outs[0][0][12] == -np.inf  # zero site next to a non-zero one


@pytest.mark.parametrize(
    ("shape", "bounds", "mass", "hbar"),
    [
        ((40,), (-5.0, 5.0), 1.0, 1.0),
        ((12, 10), [(-4.0, 4.0), (-3.0, 3.0)], (1.0, 4.0), 0.5),
        ((2, 9), [(-1.0, 1.0), (-3.0, 3.0)], (2.0, 1.0), 1.3),
        ((6, 5, 4), [(-3.0, 3.0)] * 3, (1.0, 2.0, 3.0), 1.0),
    ],
)
def test_neighbour_table_is_the_sparse_hopping(shape, bounds, mass, hbar):
    lat = Lattice(shape, bounds)
    ham = Hamiltonian(lat, None, mass=mass, hbar=hbar)
    nbr, rate = neighbour_table(lat, ham.mass, hbar)
    h = np.zeros((lat.size, lat.size))
    for j in range(nbr.shape[1]):
        tau = hbar * rate[j]  # ħ²/(2mΔ²)
        for n in range(lat.size):
            h[n, nbr[n, j]] -= tau
            h[n, n] += tau
    np.testing.assert_allclose(h, ham.to_sparse().toarray().real, rtol=0, atol=1e-12 * h.max())


def test_open_boundary_table_matches_open_sparse():
    lat = Lattice((7, 6), [(-3.0, 3.0), (-2.0, 2.0)])
    ham = Hamiltonian(lat, harmonic(1.0), mass=(1.0, 3.0))
    nbr, rate = neighbour_table(lat, ham.mass, 1.0, boundary="open")
    h = np.diag(ham.potential_values().ravel())
    for j in range(nbr.shape[1]):
        for n in range(lat.size):
            if nbr[n, j] != n:
                h[n, nbr[n, j]] -= rate[j]
                h[n, n] += rate[j]
    np.testing.assert_allclose(h, open_boundary_sparse(ham).toarray().real, atol=1e-12)


@pytest.mark.parametrize(
    ("shape", "bounds", "mass", "hbar"),
    [
        ((160,), (-10.0, 10.0), 1.0, 1.0),
        ((24, 20), [(-6.0, 6.0), (-4.0, 4.0)], (1.0, 4.0), 0.7),
    ],
)
def test_rhs_is_the_lattice_schrodinger_equation(shape, bounds, mass, hbar):
    r"""d ln ψ/dt = ½ d ln p/dt + (i/ħ) dS/dt must equal −(i/ħ)(Hψ)_n/ψ_n on every site.

    Checked site by site, relative to ψ_n, including Gaussian tails down to p ~ 1e-80: the
    log-variables keep full relative accuracy there.
    """
    lat = Lattice(shape, bounds)
    ham = Hamiltonian(lat, harmonic(1.0), mass=mass, hbar=hbar)
    psi = gaussian(lat, [0.7] * lat.ndim, [0.6] * lat.ndim, [1.3] * lat.ndim, hbar).data
    assert np.min(np.abs(psi) ** 2) < 1e-30
    lnp, S = to_learning_variables(psi, hbar)
    ml = MadelungLattice(ham)
    dlnp, dS = ml.rhs(0.0, lnp.ravel(), S.ravel())
    dlog = 0.5 * dlnp + 1j * dS / hbar
    hpsi = ham.to_sparse() @ psi.ravel()
    expected = -1j / hbar * hpsi / psi.ravel()
    # terms of size up to (4τ·max ρ + V)/ħ are summed: allow 100 ulp of that per site
    tau = hbar**2 / (2 * ham.mass * np.asarray(lat.spacing) ** 2)
    bound = 100 * EPS * (np.abs(expected) + 4 * tau.sum() * 10 / hbar)
    assert np.all(np.abs(dlog - expected) <= bound)


def test_learning_energy_is_expectation_of_h(trap2d):
    lat = trap2d.lattice
    psi = gaussian(lat, (1.0, -0.5), (0.8, 0.5), (0.7, -1.1))
    lnp, S = to_learning_variables(psi, trap2d.hbar)
    e_learning = learning_energy(trap2d, np.exp(lnp), S)
    e_quantum = observables.energy(psi, trap2d)
    assert abs(e_learning - e_quantum) <= 1e-12 * abs(e_quantum)


def test_round_trip_and_unwrap(rng):
    lat = Lattice((30, 20), [(-3.0, 3.0), (-2.0, 2.0)])
    psi = gaussian(lat, 0.0, (1.0, 0.7), (4.0, -3.0), 0.8)
    lnp, S = to_learning_variables(psi, 0.8)
    np.testing.assert_allclose(from_learning_variables(lnp, S, 0.8), psi.data, rtol=1e-14)
    lnp_u, S_u = to_learning_variables(psi, 0.8, unwrap=True)
    np.testing.assert_allclose(from_learning_variables(lnp_u, S_u, 0.8), psi.data, rtol=1e-13)
    # unwrapped: neighbour differences inside the box are below πħ, the total rise is p·L
    for ax in range(2):
        assert np.max(np.abs(np.diff(S_u, axis=ax))) < np.pi * 0.8
    assert np.ptp(S_u[:, 0]) > 2 * np.pi * 0.8


def test_shift_symmetry_of_the_compact_form(rng, trap1d):
    """S_n → S_n + 2πħ k_n leaves the compact right-hand side unchanged, not the control's."""
    psi = gaussian(trap1d.lattice, 0.5, 0.8, 2.0)
    lnp, S = to_learning_variables(psi)
    lnp, S = lnp.ravel(), S.ravel()
    kicks = 2 * np.pi * trap1d.hbar * rng.integers(-3, 4, size=S.size)
    for sym, same in ((True, True), (False, False)):
        ml = MadelungLattice(trap1d, sym)
        a = ml.rhs(0.0, lnp, S)
        b = ml.rhs(0.0, lnp, S + kicks)
        scale = float(np.max(np.abs(a[1])))
        close = np.allclose(a[0], b[0], atol=1e-11 * scale) and np.allclose(
            a[1], b[1], atol=1e-11 * scale
        )
        assert close is same


def test_control_is_the_small_angle_expansion(trap1d):
    """For phase differences θ ~ ε the two forms differ by O(ε³) in d ln p and O(ε⁴) in dS."""
    x = trap1d.lattice.axes[0]
    lnp = -(x**2)
    gaps = []
    for eps in (0.02, 0.01):
        S = eps * np.sin(3 * x) / trap1d.lattice.spacing[0]
        c = MadelungLattice(trap1d, True).rhs(0.0, lnp, S)
        nc = MadelungLattice(trap1d, False).rhs(0.0, lnp, S)
        gaps.append((np.max(np.abs(c[0] - nc[0])), np.max(np.abs(c[1] - nc[1]))))
    assert 2**3 * 0.9 < gaps[0][0] / gaps[1][0] < 2**3 * 1.1
    assert 2**4 * 0.9 < gaps[0][1] / gaps[1][1] < 2**4 * 1.1


def test_wavefunction_from_trajectory_states_are_normalised(trap1d):
    ml = MadelungLattice(trap1d)
    psi0 = gaussian(trap1d.lattice, 0.0, 0.7)
    traj = ml.run(psi0, (0.0, 0.2))
    assert isinstance(traj.state(-1), Wavefunction)
    assert abs(traj["norm"][-1] - 1.0) < 1e-9
