"""Fitted order in dt against the exact solution of a small lattice, and norm conservation."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

import quantgeo as qg
from quantgeo.potentials import harmonic
from tests.conftest import fit_order

pytestmark = pytest.mark.convergence

T_END = 1.0


@pytest.fixture(scope="module")
def problem():
    """32-site anharmonic trap with a moving packet; exact ψ(T) from expm_multiply."""
    lat = qg.Lattice(32, (-6.0, 6.0))
    pot = harmonic(1.0) + qg.potentials.cosine(0.5, 3.0)
    ham = qg.Hamiltonian(lat, pot)
    psi0 = qg.gaussian(lat, center=0.8, width=0.7, momentum=0.5)
    exact = spla.expm_multiply(-1j * T_END * ham.to_sparse(), psi0.data)
    return ham, psi0, exact


# dt ranges chosen in the asymptotic regime dt·ε_max ≲ 1 (ε_max = 2/Δ² ≈ 14 here) and above the
# round-off floor (~1e-13) for the highest order.
@pytest.mark.parametrize(
    ("scheme", "steps"),
    [
        ("strang", [20, 40, 80, 160]),
        ("yoshida4", [20, 40, 80, 160]),
        ("yoshida6", [10, 14, 20, 28]),
    ],
)
def test_fitted_order(problem, scheme, steps):
    ham, psi0, exact = problem
    dv = ham.lattice.cell_volume
    errors = []
    for n in steps:
        solver = qg.SplitOperatorSolver(ham, T_END / n, scheme)
        psi = solver.evolve(psi0, T_END).data
        errors.append(np.sqrt(np.sum(np.abs(psi - exact) ** 2) * dv))
    order = fit_order(T_END / np.asarray(steps), np.asarray(errors))
    expected = qg.SCHEMES[scheme].order
    assert abs(order - expected) <= 0.3, (scheme, order, errors)


def test_numpy_backend_same_result(problem):
    ham, psi0, _ = problem
    a = qg.SplitOperatorSolver(ham, 0.01, "yoshida4").evolve(psi0, T_END).data
    b = qg.SplitOperatorSolver(ham, 0.01, "yoshida4", backend="numpy").evolve(psi0, T_END).data
    assert np.abs(a - b).max() <= 1e-12


def test_norm_conserved_over_1e4_steps():
    """Every factor is applied as ψ + ψ·(f − 1) with f unit-modulus, so only FFT round-off moves
    the norm: 1D trap coherent state (N = 256), 10⁴ Strang steps, drift ≤ 1e-12."""
    lat = qg.Lattice(256, (-10.0, 10.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.coherent(ham, center=1.0, momentum=0.5)
    rec = qg.Recorder(every=10.0, observables=("norm",), store_states=False)
    traj = qg.SplitOperatorSolver(ham, 0.01, "strang", norm_tol=1e-10).run(
        psi0, (0.0, 100.0), recorder=rec
    )
    assert traj.info["steps"] == 10_000
    assert np.abs(traj["norm"] - 1.0).max() <= 1e-12


@pytest.mark.parametrize("scheme", ["strang", "yoshida4"])
@pytest.mark.parametrize("shape", [(4096,), (64, 64)])
def test_norm_drift_within_fft_roundoff_bound(scheme, shape):
    """pocketfft's round trip is unitary only to ~u·log₂N per pair (a fixed twiddle error, so it
    adds up linearly over steps): bound the drift of 10⁴ steps by pairs·log₂N·u/2."""
    lat = qg.Lattice(shape, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.gaussian(lat, center=1.0, width=0.8, momentum=1.0)
    rec = qg.Recorder(observables=("norm",), store_states=False)
    traj = qg.SplitOperatorSolver(ham, 0.01, scheme, norm_tol=1e-10).run(
        psi0, (0.0, 100.0), recorder=rec
    )
    bound = traj.info["fft_pairs"] * np.log2(lat.size) * np.finfo(float).eps / 2
    assert abs(traj["norm"][-1] - 1.0) <= bound
