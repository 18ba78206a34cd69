"""Shared set-ups and the exact reference of the emergence tests.

The exact reference is the eigendecomposition of ``ham.to_sparse()`` (the lattice Hamiltonian
the learning variables must reproduce): ``ψ(t) = U e^{-iEt/ħ} Uᵀ ψ₀`` to ~1e-13.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import scipy.sparse as sp

from quantgeo import Hamiltonian, Lattice, Trajectory, Wavefunction
from quantgeo.potentials import harmonic

ExactFn = Callable[..., Trajectory]


def _exact(
    ham: Hamiltonian,
    psi0: Wavefunction,
    times: np.ndarray,
    matrix: sp.spmatrix | None = None,
) -> Trajectory:
    h = (ham.to_sparse() if matrix is None else matrix).toarray()
    energies, vecs = np.linalg.eigh(h.real)
    coeff = vecs.T @ psi0.data.ravel()
    states = np.array(
        [
            (vecs @ (np.exp(-1j * energies * t / ham.hbar) * coeff)).reshape(ham.lattice.shape)
            for t in times
        ]
    )
    return Trajectory(np.asarray(times, dtype=float), {}, states, {"engine": "eigh"}, ham.lattice)


@pytest.fixture(scope="session")
def exact() -> ExactFn:
    """``exact(ham, psi0, times, matrix=None) -> Trajectory`` by eigendecomposition."""
    return _exact


@pytest.fixture(scope="session")
def trap1d() -> Hamiltonian:
    """160-site harmonic trap, ω = 1, box [−10, 10), Δ = 0.125, lattice kinetic model."""
    return Hamiltonian(Lattice(160, (-10.0, 10.0)), harmonic(1.0))


@pytest.fixture(scope="session")
def trap2d() -> Hamiltonian:
    """Anisotropic 2D trap: 48×40 sites on [−8, 8)×[−6, 6), masses (1, 2), ω = (1, 1.4)."""
    lat = Lattice((48, 40), ((-8.0, 8.0), (-6.0, 6.0)))
    return Hamiltonian(lat, harmonic((1.0, 1.4)), mass=(1.0, 2.0))
