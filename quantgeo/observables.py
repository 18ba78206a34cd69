r"""Pure functions of a wavefunction.

All take a :class:`~quantgeo.wavefunction.Wavefunction` and return floats or small arrays;
expectation values are divided by the norm, so they are meaningful for absorbed (sub-normalised)
states too.  Vectors have one entry per axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.errors import LatticeMismatchError
from quantgeo.wavefunction import Wavefunction

if TYPE_CHECKING:
    from quantgeo.hamiltonian import Hamiltonian

__all__ = [
    "OBSERVABLES",
    "density",
    "energy",
    "fidelity",
    "momentum",
    "norm",
    "overlap",
    "position",
    "resolver",
    "width",
]


def norm(state: Wavefunction) -> float:
    r""":math:`\sum_n |\psi_n|^2 \Delta V`."""
    return state.norm()


def density(state: Wavefunction) -> NDArray[np.float64]:
    r""":math:`|\psi_n|^2` (shape ``lattice.shape``, 1/volume)."""
    return state.density()


def energy(state: Wavefunction, ham: Hamiltonian, t: float = 0.0) -> float:
    r""":math:`\langle\psi|H(t)|\psi\rangle / \langle\psi|\psi\rangle` (energy units)."""
    ham.lattice.check_same("state", state.lattice)
    e = np.vdot(state.data, ham.apply(state.data, t)).real
    return float(e / np.vdot(state.data, state.data).real)


def _moments(state: Wavefunction) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    p = state.density()
    total = p.sum()
    mean = np.empty(state.lattice.ndim)
    second = np.empty(state.lattice.ndim)
    for i, x in enumerate(state.lattice.coordinates()):
        mean[i] = float((p * x).sum() / total)
        second[i] = float((p * (x - mean[i]) ** 2).sum() / total)
    return mean, second


def position(state: Wavefunction) -> NDArray[np.float64]:
    r""":math:`\langle x_i\rangle`, shape ``(ndim,)``, with coordinates in ``[lo, hi)`` (the
    state should be localised away from the periodic seam)."""
    return _moments(state)[0]


def width(state: Wavefunction) -> NDArray[np.float64]:
    r"""Position standard deviation :math:`\sqrt{\langle x_i^2\rangle - \langle x_i\rangle^2}`,
    shape ``(ndim,)``."""
    return np.sqrt(_moments(state)[1])


def momentum(state: Wavefunction, hbar: float = 1.0) -> NDArray[np.float64]:
    r""":math:`\langle \hbar k_i\rangle` from the Fourier coefficients, shape ``(ndim,)``."""
    pk = np.abs(np.fft.fftn(state.data)) ** 2
    total = pk.sum()
    return np.array([hbar * float((pk * k).sum() / total) for k in state.lattice.wavenumbers()])


def overlap(a: Wavefunction, b: Wavefunction) -> complex:
    r""":math:`\langle a|b\rangle = \sum_n \bar a_n b_n \Delta V`."""
    if a.lattice != b.lattice:
        raise LatticeMismatchError(f"`a` lives on {a.lattice!r}, `b` on {b.lattice!r}")
    return complex(np.vdot(a.data, b.data) * a.lattice.cell_volume)


def fidelity(a: Wavefunction, b: Wavefunction) -> float:
    r""":math:`|\langle a|b\rangle|^2 / (\langle a|a\rangle\langle b|b\rangle)` in [0, 1]."""
    return float(abs(overlap(a, b)) ** 2 / (a.norm() * b.norm()))


#: Names a :class:`~quantgeo.recording.Recorder` may ask a wavefunction engine for.
OBSERVABLES = ("norm", "energy", "position", "momentum", "width", "density")


def resolver(
    ham: Hamiltonian, clock: Callable[[], float] = lambda: 0.0
) -> Callable[[str], Callable[[Any], Any]]:
    """Return ``resolve(name)`` mapping observable names to ``fn(state)`` for ``ham``.

    ``clock()`` gives the time at which a time-dependent energy is evaluated (engines pass
    ``lambda: recorder.time``).
    """
    table: dict[str, Callable[[Wavefunction], Any]] = {
        "norm": norm,
        "energy": lambda s: energy(s, ham, clock()),
        "position": position,
        "momentum": lambda s: momentum(s, ham.hbar),
        "width": width,
        "density": density,
    }

    def resolve(name: str) -> Callable[[Any], Any]:
        try:
            return table[name]
        except KeyError:
            raise ValueError(
                f"unknown observable {name!r}; allowed: {', '.join(OBSERVABLES)} or a callable"
            ) from None

    return resolve
