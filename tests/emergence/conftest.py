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
from quantgeo.analytic import SpectralPropagator
from quantgeo.emergence import open_boundary_sparse
from quantgeo.potentials import harmonic

ExactFn = Callable[..., Trajectory]


class _Exact:
    """``exact(ham, psi0, times, boundary="periodic") -> Trajectory`` by eigendecomposition."""

    def __init__(self) -> None:
        # (id(ham), boundary) -> propagator; the propagator keeps ham, so its id stays unique
        self._props: dict[tuple[int, str], SpectralPropagator] = {}

    def __call__(
        self,
        ham: Hamiltonian,
        psi0: Wavefunction,
        times: np.ndarray,
        boundary: str = "periodic",
    ) -> Trajectory:
        key = (id(ham), boundary)
        if key not in self._props:
            matrix = None if boundary == "periodic" else open_boundary_sparse(ham)
            self._props[key] = SpectralPropagator(ham, matrix)
        return self._props[key].trajectory(psi0, times, boundary=boundary)


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
