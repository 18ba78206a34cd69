"""Potential builders: V(x) or V(x, t) evaluated on a :class:`~quantgeo.lattice.Lattice`.

A :class:`Potential` is evaluated lazily with ``pot.values(lattice, t, mass)`` (energy units,
float64 array of ``lattice.shape``); ``mass`` is the Hamiltonian's per-axis mass, so a trap of
frequency ω is ``½ m ω² x²`` whatever the mass.  Potentials add with ``+``.  A time-dependent
potential may also expose :meth:`Potential.terms`, the separable form
``V(x, t) = V₀(x) + Σ_j f_j(t)·s_j(x)`` that QuTiP's ``QobjEvo`` takes directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import (
    as_numeric_array,
    as_per_axis,
    check_finite_array,
    check_int,
    check_positive,
    check_real,
)
from quantgeo.lattice import Lattice

__all__ = [
    "ArrayPotential",
    "Potential",
    "absorbing_mask",
    "barrier",
    "cosine",
    "double_slit",
    "double_well",
    "from_array",
    "harmonic",
    "shaken_trap",
    "time_dependent",
    "zero",
]

FloatArray = NDArray[np.float64]
Drive = tuple[FloatArray, Callable[[float], float]]


class Potential:
    """Base class: a real potential on a lattice, possibly time dependent."""

    time_dependent: bool = False

    def values(self, lattice: Lattice, t: float = 0.0, mass: ArrayLike = 1.0) -> FloatArray:
        """Return V on every site at time ``t`` (shape ``lattice.shape``, energy units)."""
        out = np.broadcast_to(
            self._evaluate(
                lattice, float(t), as_per_axis("mass", mass, lattice.ndim, positive=True)
            ),
            lattice.shape,
        ).astype(np.float64, copy=True)
        try:
            check_finite_array("potential", out)
        except ValueError as exc:
            raise ValueError(f"{exc} (at t = {t:g})") from None
        return out

    def terms(
        self, lattice: Lattice, mass: ArrayLike = 1.0
    ) -> tuple[FloatArray, list[Drive]] | None:
        """Separable form ``(V₀, [(s_j, f_j), …])`` with ``V = V₀ + Σ f_j(t) s_j``, or ``None``."""
        if self.time_dependent:
            return None
        return self.values(lattice, 0.0, mass), []

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        raise NotImplementedError

    def __add__(self, other: Potential) -> Potential:
        if not isinstance(other, Potential):
            return NotImplemented
        return _Sum((self, other))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class _Sum(Potential):
    def __init__(self, parts: Sequence[Potential]) -> None:
        self.parts = tuple(parts)
        self.time_dependent = any(p.time_dependent for p in parts)

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        return sum(
            (np.broadcast_to(p._evaluate(lattice, t, mass), lattice.shape) for p in self.parts),
            np.zeros(lattice.shape),
        )

    def terms(
        self, lattice: Lattice, mass: ArrayLike = 1.0
    ) -> tuple[FloatArray, list[Drive]] | None:
        static = np.zeros(lattice.shape)
        drives: list[Drive] = []
        for p in self.parts:
            t = p.terms(lattice, mass)
            if t is None:
                return None
            static = static + t[0]
            drives.extend(t[1])
        return static, drives

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.parts)


class _Static(Potential):
    """A time-independent potential given by a function of the coordinates and mass."""

    def __init__(self, name: str, fn: Callable[[Lattice, FloatArray], Any], **params: Any) -> None:
        self.name, self._fn, self.params = name, fn, params

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        return self._fn(lattice, mass)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{self.name}({args})"


class ArrayPotential(Potential):
    """A static potential given as an array of site values."""

    def __init__(self, values: ArrayLike) -> None:
        arr = as_numeric_array("values", values, "an array of site values", copy=True)
        check_finite_array("values", arr)
        self.array = arr

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        lattice.check_array("values", self.array)
        return self.array

    def __repr__(self) -> str:
        return f"from_array(<{self.array.shape} array>)"


class _Function(Potential):
    time_dependent = True

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise TypeError(f"`fn` must be callable as fn(*coords, t), got {fn!r}")
        self.fn = fn

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        return np.asarray(self.fn(*lattice.coordinates(), t), dtype=np.float64)

    def __repr__(self) -> str:
        return f"time_dependent({getattr(self.fn, '__name__', self.fn)!r})"


class _ShakenTrap(Potential):
    time_dependent = True

    def __init__(self, omega: Any, amplitude: float, drive_frequency: float, axis: int) -> None:
        self.omega, self.amplitude, self.drive_frequency, self.axis = (
            omega,
            amplitude,
            drive_frequency,
            axis,
        )

    def _parts(
        self, lattice: Lattice, mass: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        _check_axis(lattice, self.axis)
        w = as_per_axis("omega", self.omega, lattice.ndim, positive=True)
        coords = lattice.coordinates()
        k = mass * w**2
        static = sum(0.5 * k[i] * coords[i] ** 2 for i in range(lattice.ndim))
        a = self.axis
        lin = np.broadcast_to(-k[a] * self.amplitude * coords[a], lattice.shape).copy()
        const = np.full(lattice.shape, 0.5 * k[a] * self.amplitude**2)
        return np.broadcast_to(static, lattice.shape).copy(), lin, const

    def _evaluate(self, lattice: Lattice, t: float, mass: FloatArray) -> Any:
        static, lin, const = self._parts(lattice, mass)
        s = np.sin(self.drive_frequency * t)
        return static + s * lin + s * s * const

    def terms(self, lattice: Lattice, mass: ArrayLike = 1.0) -> tuple[FloatArray, list[Drive]]:
        m = as_per_axis("mass", mass, lattice.ndim, positive=True)
        static, lin, const = self._parts(lattice, m)
        om = self.drive_frequency
        return static, [
            (lin, lambda t: float(np.sin(om * t))),
            (const, lambda t: float(np.sin(om * t) ** 2)),
        ]

    def __repr__(self) -> str:
        return (
            f"shaken_trap(omega={self.omega!r}, amplitude={self.amplitude!r}, "
            f"drive_frequency={self.drive_frequency!r}, axis={self.axis})"
        )


def _axis(name: str, axis: int) -> int:
    return check_int(name, axis, 0, maximum=2)


def _check_axis(lattice: Lattice, axis: int) -> None:
    if axis >= lattice.ndim:
        raise ValueError(f"`axis` must be < the lattice dimension {lattice.ndim}, got {axis}")


# -- builders -------------------------------------------------------------------------------
def zero() -> Potential:
    """V = 0 (free particle)."""
    return _Static("zero", lambda lat, m: np.zeros(lat.shape))


def harmonic(
    omega: float | Sequence[float] = 1.0, center: float | Sequence[float] = 0.0
) -> Potential:
    r"""Harmonic trap :math:`V = \sum_i \tfrac12 m_i \omega_i^2 (x_i - c_i)^2`.

    Parameters
    ----------
    omega
        Angular frequency per axis (scalar or one per axis), > 0.
    center
        Trap centre per axis.
    """
    if np.ndim(omega) == 0:
        check_positive("omega", omega)
    if np.ndim(center) == 0:
        check_real("center", center)

    def fn(lat: Lattice, m: FloatArray) -> Any:
        w = as_per_axis("omega", omega, lat.ndim, positive=True)
        c = as_per_axis("center", center, lat.ndim)
        x = lat.coordinates()
        return sum(0.5 * m[i] * w[i] ** 2 * (x[i] - c[i]) ** 2 for i in range(lat.ndim))

    return _Static("harmonic", fn, omega=omega, center=center)


def double_well(
    barrier_height: float = 4.0, separation: float = 1.5, omega_perp: float = 1.0, axis: int = 0
) -> Potential:
    r"""Quartic double well :math:`V = V_0\,((x/a)^2 - 1)^2` along ``axis``.

    Minima at ``x = ±a`` (``a = separation``), barrier ``V_0`` at ``x = 0``; the other axes get
    a harmonic confinement :math:`\tfrac12 m\omega_\perp^2 y^2`.
    """
    v0 = check_positive("barrier_height", barrier_height)
    a = check_positive("separation", separation)
    wp = check_positive("omega_perp", omega_perp)
    ax = _axis("axis", axis)

    def fn(lat: Lattice, m: FloatArray) -> Any:
        _check_axis(lat, ax)
        x = lat.coordinates()
        v = v0 * ((x[ax] / a) ** 2 - 1.0) ** 2
        for i in range(lat.ndim):
            if i != ax:
                v = v + 0.5 * m[i] * wp**2 * x[i] ** 2
        return v

    return _Static("double_well", fn, barrier_height=v0, separation=a, omega_perp=wp, axis=ax)


def barrier(height: float, width: float, center: float = 0.0, axis: int = 0) -> Potential:
    """Rectangular barrier: ``V = height`` where ``|x_axis − center| < width/2``, else 0.

    ``height`` may be negative (a well).  Sites exactly on the edge are outside.
    """
    h = check_real("height", height)
    w = check_positive("width", width)
    c = check_real("center", center)
    ax = _axis("axis", axis)

    def fn(lat: Lattice, m: FloatArray) -> Any:
        _check_axis(lat, ax)
        x = lat.coordinates()[ax]
        return np.where(np.abs(x - c) < w / 2, h, 0.0)

    return _Static("barrier", fn, height=h, width=w, center=c, axis=ax)


def double_slit(
    separation: float,
    slit_width: float,
    *,
    position: float = 0.0,
    thickness: float = 0.5,
    height: float = 50.0,
    center: float = 0.0,
    axis: int = 0,
) -> Potential:
    """A wall with two slits on a 2D lattice.

    ``V = height`` where ``|x_axis − position| < thickness/2`` (the wall, normal to ``axis``),
    except in the two openings ``|y − center ∓ separation/2| < slit_width/2`` along the other
    axis ``y``; 0 elsewhere.  Lengths in the lattice's units, ``height`` in energy units.
    """
    d = check_positive("separation", separation)
    w = check_positive("slit_width", slit_width)
    if w >= d:
        raise ValueError(
            f"`slit_width` must be smaller than `separation` ({d}), got {slit_width!r}"
        )
    pos = check_real("position", position)
    thick = check_positive("thickness", thickness)
    h = check_positive("height", height)
    c = check_real("center", center)
    ax = _axis("axis", axis)

    def fn(lat: Lattice, m: FloatArray) -> Any:
        if lat.ndim != 2:
            raise ValueError(f"a double slit needs a 2D lattice, got {lat.ndim}D")
        _check_axis(lat, ax)
        x = lat.coordinates()
        n = np.broadcast_to(x[ax], lat.shape)
        y = np.broadcast_to(x[1 - ax], lat.shape) - c
        wall = np.abs(n - pos) < thick / 2
        openings = (np.abs(y - d / 2) < w / 2) | (np.abs(y + d / 2) < w / 2)
        return np.where(wall & ~openings, h, 0.0)

    params = dict(position=pos, thickness=thick, height=h, center=c, axis=ax)
    return _Static("double_slit", fn, separation=d, slit_width=w, **params)


def cosine(amplitude: float, period: float, axis: int | None = None) -> Potential:
    r"""Cosine lattice :math:`V = A \sum_i \cos(2\pi x_i / \text{period})` (all axes, or ``axis``).

    Choose ``period`` to divide the box length so that V is periodic on the lattice.
    """
    amp = check_real("amplitude", amplitude)
    per = check_positive("period", period)
    ax = None if axis is None else _axis("axis", axis)

    def fn(lat: Lattice, m: FloatArray) -> Any:
        x = lat.coordinates()
        axes = range(lat.ndim) if ax is None else [ax]
        if ax is not None:
            _check_axis(lat, ax)
        return sum(amp * np.cos(2 * np.pi * x[i] / per) for i in axes)

    return _Static("cosine", fn, amplitude=amp, period=per, axis=ax)


def from_array(values: ArrayLike) -> Potential:
    """A static potential from an array of site values (shape must equal the lattice's)."""
    return ArrayPotential(values)


def time_dependent(fn: Callable[..., Any]) -> Potential:
    """A time-dependent potential ``V = fn(*coords, t)``.

    ``coords`` are the lattice's broadcastable coordinate arrays (``x`` or ``x, y`` …); ``fn``
    must return an array broadcastable to the lattice shape.
    """
    return _Function(fn)


def shaken_trap(
    omega: float | Sequence[float] = 1.0,
    amplitude: float = 1.0,
    drive_frequency: float = 1.0,
    axis: int = 0,
) -> Potential:
    r"""Harmonic trap whose centre oscillates along ``axis``: :math:`x_c(t) = A\sin(\Omega t)`.

    :math:`V = \tfrac12 m\omega^2 (x - A\sin\Omega t)^2` (+ the static trap on the other axes).
    Separable: ``V = V₀ − mω²A x·sin Ωt + ½mω²A²·sin²Ωt``, so QuTiP gets a ``QobjEvo``.
    """
    if np.ndim(omega) == 0:
        check_positive("omega", omega)
    return _ShakenTrap(
        omega,
        check_real("amplitude", amplitude),
        check_real("drive_frequency", drive_frequency),
        _axis("axis", axis),
    )


def absorbing_mask(lattice: Lattice, width: float | Sequence[float], power: int = 2) -> FloatArray:
    r"""Profile of a complex absorbing potential, 0 inside and rising to 1 at the box edges.

    :math:`w(x) = \sum_i (d_i/\ell_i)^{p}` where :math:`d_i` is the depth into the absorbing
    layer of width :math:`\ell_i` at either end of axis ``i`` (0 outside the layer).
    """
    ell = as_per_axis("width", width, lattice.ndim, positive=True)
    out = np.zeros(lattice.shape)
    for i, (x, (lo, hi)) in enumerate(zip(lattice.coordinates(), lattice.bounds, strict=True)):
        if 2 * ell[i] >= hi - lo:
            raise ValueError(
                f"`width[{i}]` = {ell[i]} leaves no interior in a box of length {hi - lo}"
            )
        depth = np.maximum(np.maximum(lo + ell[i] - x, x - (hi - ell[i])), 0.0)
        out = out + (depth / ell[i]) ** power
    return out
