r"""Wavefunctions on a lattice and their builders.

Site values :math:`\psi_n` (complex128, shape ``lattice.shape``) normalised so that
:math:`\sum_n |\psi_n|^2\,\Delta V = 1` (a density with the units of 1/volume).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._qutip import array_from_ket, is_qobj, ket_from_array
from quantgeo._validation import (
    as_numeric_array,
    as_per_axis,
    check_finite_array,
    check_instance,
    check_int,
    check_positive,
)
from quantgeo.lattice import Lattice

if TYPE_CHECKING:
    from quantgeo.hamiltonian import Hamiltonian

__all__ = ["Wavefunction", "coherent", "eigenstate", "gaussian", "plane_wave"]

CArray = NDArray[np.complex128]
_SITE_VALUES = "an array of complex site values"


class Wavefunction:
    """Site values of ψ on a lattice.

    Parameters
    ----------
    lattice
        The lattice.
    data
        Array of shape ``lattice.shape``; converted to complex128 (copied).  A ket
        ``qutip.Qobj`` is converted as by :meth:`from_qobj` (divided by √ΔV).
    """

    __slots__ = ("data", "lattice")

    def __init__(self, lattice: Lattice, data: ArrayLike) -> None:
        check_instance("lattice", lattice, Lattice)
        if is_qobj(data):
            data = array_from_ket(data, lattice, "data")
        arr = as_numeric_array("data", data, _SITE_VALUES, np.complex128, copy=True)
        _check_not_column("data", arr, lattice)
        lattice.check_array("data", arr)
        check_finite_array("data", arr)
        self.lattice = lattice
        self.data: CArray = arr

    @classmethod
    def from_qobj(cls, lattice: Lattice, ket: Any) -> Wavefunction:
        r"""The state of a ket ``qutip.Qobj``: :math:`\psi_n = c_n/\sqrt{\Delta V}`.

        Parameters
        ----------
        lattice
            The lattice; ``ket`` must have dimension ``lattice.size`` and ``dims[0]`` equal
            to ``list(lattice.shape)`` (as :meth:`to_qobj` writes) or ``[lattice.size]``.
        ket
            Amplitudes :math:`c_n` in the C-order site index, :math:`\sum|c_n|^2 = 1` for a
            unit ket (QuTiP's normalisation); the result then has ``Σ|ψ|²ΔV = 1``.

        Raises
        ------
        ValueError
            If ``ket`` is not a ket or does not fit ``lattice``.
        """
        check_instance("lattice", lattice, Lattice)
        return cls(lattice, array_from_ket(ket, lattice, "ket"))

    def to_qobj(self) -> Any:
        r"""This state as a ket ``qutip.Qobj``: :math:`c_n = \psi_n\sqrt{\Delta V}` (unit
        Euclidean norm when ``Σ|ψ|²ΔV = 1``), ``dims = [list(shape), [1]*ndim]`` — the
        space of :meth:`Hamiltonian.to_qobj <quantgeo.hamiltonian.Hamiltonian.to_qobj>`."""
        return ket_from_array(self.data, self.lattice)

    def norm(self) -> float:
        r""":math:`\sum_n |\psi_n|^2 \Delta V` (1 for a normalised state)."""
        return float(np.vdot(self.data, self.data).real * self.lattice.cell_volume)

    def normalized(self) -> Wavefunction:
        """Return a copy scaled to unit norm."""
        nrm = self.norm()
        if nrm == 0.0:
            raise ValueError("cannot normalise a wavefunction that is zero everywhere")
        return Wavefunction(self.lattice, self.data / np.sqrt(nrm))

    def density(self) -> NDArray[np.float64]:
        """Probability density :math:`|\\psi_n|^2` (1/volume)."""
        return np.abs(self.data) ** 2

    def copy(self) -> Wavefunction:
        return Wavefunction(self.lattice, self.data)

    def __repr__(self) -> str:
        return f"Wavefunction({self.lattice!r}, norm={self.norm():.12g})"


def gaussian(
    lattice: Lattice,
    center: ArrayLike = 0.0,
    width: ArrayLike = 1.0,
    momentum: ArrayLike = 0.0,
    hbar: float = 1.0,
) -> Wavefunction:
    r"""Gaussian packet :math:`\psi \propto \prod_i e^{-(x_i-c_i)^2/4\sigma_i^2 + i p_i x_i/\hbar}`.

    Parameters
    ----------
    center
        Centre :math:`c_i` per axis (length units).
    width
        Position standard deviation :math:`\sigma_i` of :math:`|\psi|^2` per axis (> 0).
    momentum
        Mean momentum :math:`p_i` per axis.
    hbar
        ħ of the Hamiltonian the state is for.

    Notes
    -----
    Normalised on the lattice (``Σ|ψ|²ΔV = 1`` exactly).  The packet should sit well inside
    the periodic box: its tails are cut at the box edge.

    Raises
    ------
    ValueError
        If the centre lies outside the box ``[lo_i, hi_i]`` on some axis (then more than half
        of the packet is cut off), or if the packet has no weight on any site (a width far
        below the spacing); the message names ``center`` and ``width``.
    """
    check_instance("lattice", lattice, Lattice)
    d = lattice.ndim
    c = as_per_axis("center", center, d)
    s = as_per_axis("width", width, d, positive=True)
    p = as_per_axis("momentum", momentum, d)
    hb = check_positive("hbar", hbar)
    for i, (lo, hi) in enumerate(lattice.bounds):
        if not lo <= c[i] <= hi:
            ci, wi = ("center", "width") if d == 1 else (f"center[{i}]", f"width[{i}]")
            raise ValueError(
                f"the packet lies outside the box: `{ci}` = {c[i]:g} is outside [{lo:g}, {hi:g}] "
                f"(`{wi}` = {s[i]:g}); put the centre inside the box"
            )
    x = lattice.coordinates()
    log = sum(
        -((x[i] - c[i]) ** 2) / (4 * s[i] ** 2) + 1j * p[i] * (x[i] - c[i]) / hb for i in range(d)
    )
    psi = Wavefunction(lattice, np.broadcast_to(np.exp(log), lattice.shape))
    if psi.norm() == 0.0:
        raise ValueError(
            f"the packet has no weight on any lattice site: `width` = {_per_axis(s)} is far "
            f"below the spacing {_per_axis(lattice.spacing)} around `center` = {_per_axis(c)}"
        )
    return psi.normalized()


def _per_axis(v: Any) -> str:
    vals = [f"{x:g}" for x in np.ravel(v)]
    return vals[0] if len(vals) == 1 else "(" + ", ".join(vals) + ")"


def coherent(
    ham: Hamiltonian,
    omega: float | Sequence[float] = 1.0,
    center: float | Sequence[float] = 0.0,
    momentum: float | Sequence[float] = 0.0,
) -> Wavefunction:
    r"""Coherent state of a harmonic trap of frequency ω: a Gaussian of width
    :math:`\sigma_i = \sqrt{\hbar / 2 m_i \omega_i}` (the trap's ground-state width), displaced to
    ``center`` with mean momentum ``momentum``.  Uses the mass and ħ of ``ham``.
    """
    _check_ham(ham)
    w = as_per_axis("omega", omega, ham.lattice.ndim, positive=True)
    sigma = np.sqrt(ham.hbar / (2.0 * ham.mass * w))
    return gaussian(ham.lattice, center, sigma, momentum, ham.hbar)


def plane_wave(
    lattice: Lattice, momentum: float | Sequence[float], hbar: float = 1.0
) -> Wavefunction:
    r"""Plane wave :math:`e^{i p\cdot x/\hbar}/\sqrt{V}`.

    ``momentum`` must be commensurate with the periodic box, :math:`p_i = 2\pi\hbar n_i/L_i`;
    otherwise a ``ValueError`` names the two nearest allowed values.
    """
    check_instance("lattice", lattice, Lattice)
    hb = check_positive("hbar", hbar)
    p = as_per_axis("momentum", momentum, lattice.ndim)
    for i, length in enumerate(lattice.lengths):
        quantum = 2 * np.pi * hb / length
        n = p[i] / quantum
        if abs(n - round(n)) > 1e-9 * max(1.0, abs(n)):
            lo, hi = np.floor(n) * quantum, np.ceil(n) * quantum
            raise ValueError(
                f"`momentum[{i}]` = {p[i]} is not commensurate with the box length {length} "
                f"(p = 2πħn/L); nearest allowed: {lo:.12g} or {hi:.12g}"
            )
    x = lattice.coordinates()
    phase = sum(p[i] * x[i] / hb for i in range(lattice.ndim))
    vol = float(np.prod(lattice.lengths))
    return Wavefunction(lattice, np.broadcast_to(np.exp(1j * phase) / np.sqrt(vol), lattice.shape))


def eigenstate(ham: Hamiltonian, n: int = 0, t: float = 0.0) -> Wavefunction:
    """The ``n``-th eigenstate (0 = ground state) of ``ham`` at time ``t`` (small lattices)."""
    _check_ham(ham)
    n = check_int("n", n, 0)
    _, states = ham.eigh(n + 1, t)
    return Wavefunction(ham.lattice, states[n])


def _check_ham(ham: Any) -> None:
    from quantgeo.hamiltonian import Hamiltonian  # runtime import: hamiltonian is the heavier

    check_instance("ham", ham, Hamiltonian)


def _as_data(state: Any, lattice: Lattice, name: str = "state") -> CArray:
    """Return the site array of a Wavefunction, a ket ``qutip.Qobj`` (divided by √ΔV, see
    :meth:`Wavefunction.from_qobj`) or an array, checking the lattice.

    The one place where every wavefunction engine coerces its ``state0``.
    """
    if isinstance(state, Wavefunction):
        lattice.check_same(name, state.lattice)
        return state.data
    if is_qobj(state):
        return array_from_ket(state, lattice, name)
    arr = as_numeric_array(name, state, "a Wavefunction or " + _SITE_VALUES, np.complex128)
    _check_not_column(name, arr, lattice)
    lattice.check_array(name, arr)
    check_finite_array(name, arr)
    return arr


def _check_not_column(name: str, arr: NDArray[Any], lattice: Lattice) -> None:
    """A column of ``lattice.size`` values is a QuTiP ket's ``full()``: say how to pass it."""
    if arr.shape == (lattice.size, 1) and lattice.shape != (lattice.size, 1):
        from quantgeo.errors import LatticeMismatchError

        raise LatticeMismatchError(
            f"`{name}` has shape {arr.shape}, a column vector like `Qobj.full()`, but the lattice "
            f"has shape {lattice.shape}; pass the ket Qobj itself (converted with ψ = c/√ΔV), "
            "or `Wavefunction.from_qobj(lattice, ket)`"
        )
