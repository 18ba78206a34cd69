"""Shared set-ups and the exact reference of the emergence tests.

The exact reference is the eigendecomposition of ``ham.to_sparse()`` (the lattice Hamiltonian
the learning variables must reproduce), or of :func:`open_boundary_sparse` for the open seam:
``ψ(t) = U e^{-iEt/ħ} Uᵀ ψ₀`` to ~1e-13.  Each matrix is decomposed once per session.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from quantgeo import Hamiltonian, Lattice, Trajectory, Wavefunction
from quantgeo.emergence import open_boundary_sparse
from quantgeo.potentials import harmonic

ExactFn = Callable[..., Trajectory]


class _Exact:
    """``exact(ham, psi0, times, boundary="periodic") -> Trajectory`` by eigendecomposition."""

    def __init__(self) -> None:
        # (id(ham), boundary) -> (ham, energies, vectors); ham is kept so its id stays unique
        self._eig: dict[tuple[int, str], tuple[Hamiltonian, np.ndarray, np.ndarray]] = {}

    def _decomposition(self, ham: Hamiltonian, boundary: str) -> tuple[np.ndarray, np.ndarray]:
        key = (id(ham), boundary)
        if key not in self._eig:
            h = ham.to_sparse() if boundary == "periodic" else open_boundary_sparse(ham)
            self._eig[key] = (ham, *np.linalg.eigh(h.toarray().real))
        _, energies, vecs = self._eig[key]
        return energies, vecs

    def __call__(
        self,
        ham: Hamiltonian,
        psi0: Wavefunction,
        times: np.ndarray,
        boundary: str = "periodic",
    ) -> Trajectory:
        energies, vecs = self._decomposition(ham, boundary)
        coeff = vecs.T @ psi0.data.ravel()
        states = np.array(
            [
                (vecs @ (np.exp(-1j * energies * t / ham.hbar) * coeff)).reshape(ham.lattice.shape)
                for t in times
            ]
        )
        info = {"engine": "eigh", "boundary": boundary}
        return Trajectory(np.asarray(times, dtype=float), {}, states, info, ham.lattice)


@pytest.fixture(scope="session")
def exact() -> ExactFn:
    """``exact(ham, psi0, times, boundary="periodic") -> Trajectory`` by eigendecomposition."""
    return _Exact()


@pytest.fixture(scope="session")
def trap1d() -> Hamiltonian:
    """160-site harmonic trap, ω = 1, box [−10, 10), Δ = 0.125, lattice kinetic model."""
    return Hamiltonian(Lattice(160, (-10.0, 10.0)), harmonic(1.0))


@pytest.fixture(scope="session")
def trap2d() -> Hamiltonian:
    """Anisotropic 2D trap: 48×40 sites on [−8, 8)×[−6, 6), masses (1, 2), ω = (1, 1.4)."""
    lat = Lattice((48, 40), ((-8.0, 8.0), (-6.0, 6.0)))
    return Hamiltonian(lat, harmonic((1.0, 1.4)), mass=(1.0, 2.0))
