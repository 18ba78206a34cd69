"""Periodic lattices in 1, 2 or 3 dimensions.

A lattice has ``shape = (N_0, …)`` sites and ``bounds = ((lo_0, hi_0), …)``; the spacing is
``Δ_i = (hi_i − lo_i)/N_i`` and site ``n`` sits at ``x_i = lo_i + n·Δ_i`` (``hi_i`` is the
periodic image of ``lo_i``).  The Fourier grid is ``k_i = 2π·fftfreq(N_i, Δ_i)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._geometry import BoxGeometry
from quantgeo._validation import check_shape_bounds, format_bytes
from quantgeo.errors import LatticeMismatchError

__all__ = ["MAX_SITES", "Lattice"]

MAX_DIM = 3
#: Largest number of sites of a :class:`Lattice`: 2²⁶ sites, so one complex128 state is
#: 1 GiB.  The solvers hold a few states and the potential, so this keeps a run within the
#: memory of a workstation; a larger shape is refused at construction, before any array exists.
MAX_SITES = 1 << 26
_STATE_BYTES = np.dtype(np.complex128).itemsize


class Lattice(BoxGeometry):
    """A periodic rectangular lattice.

    Parameters
    ----------
    shape
        Sites per axis: an int (1D) or a sequence of 1–3 ints, each ≥ 2, at most
        :data:`MAX_SITES` sites in all.
    bounds
        ``(lo, hi)`` for a 1D lattice, or one ``(lo, hi)`` pair per axis; ``hi > lo``.  A
        single pair is used for every axis.

    Examples
    --------
    >>> lat = Lattice(256, (-10.0, 10.0))
    >>> lat.spacing
    (0.078125,)
    """

    def __init__(self, shape: int | Sequence[int], bounds: Sequence[Any]) -> None:
        self.shape: tuple[int, ...]
        self.bounds: tuple[tuple[float, float], ...]
        self.shape, self.bounds = check_shape_bounds(shape, bounds, MAX_DIM)
        if self.size > MAX_SITES:
            raise ValueError(
                f"`shape` {self.shape} has {self.size:,} sites, above MAX_SITES = {MAX_SITES:,} "
                f"(2²⁶): one state alone would need {format_bytes(self.size * _STATE_BYTES)}"
            )

    # -- geometry (ndim, size, lengths, cell_volume from BoxGeometry) -----------------------
    @property
    def spacing(self) -> tuple[float, ...]:
        """Lattice spacing ``Δ_i = (hi_i − lo_i)/N_i`` per axis."""
        return self._spacings()

    @cached_property
    def axes(self) -> tuple[NDArray[np.float64], ...]:
        """1D site coordinates per axis, ``x_i = lo_i + n·Δ_i``."""
        return tuple(
            np.asarray(lo + d * np.arange(n), dtype=np.float64)
            for (lo, _), d, n in zip(self.bounds, self.spacing, self.shape, strict=True)
        )

    @cached_property
    def k_axes(self) -> tuple[NDArray[np.float64], ...]:
        """1D angular wavenumbers per axis in FFT order, ``2π·fftfreq(N_i, Δ_i)``."""
        return tuple(
            np.asarray(2 * np.pi * np.fft.fftfreq(n, d), dtype=np.float64)
            for n, d in zip(self.shape, self.spacing, strict=True)
        )

    def coordinates(self) -> tuple[NDArray[np.float64], ...]:
        """Broadcastable coordinate arrays (``indexing="ij"``, sparse), one per axis."""
        return tuple(np.meshgrid(*self.axes, indexing="ij", sparse=True))

    def wavenumbers(self) -> tuple[NDArray[np.float64], ...]:
        """Broadcastable wavenumber arrays in FFT order, one per axis."""
        return tuple(np.meshgrid(*self.k_axes, indexing="ij", sparse=True))

    # -- checks -----------------------------------------------------------------------------
    def check_array(self, name: str, arr: NDArray[Any]) -> None:
        """Raise :class:`LatticeMismatchError` if ``arr`` does not have this lattice's shape."""
        if tuple(arr.shape) != self.shape:
            raise LatticeMismatchError(
                f"`{name}` has shape {tuple(arr.shape)}, the lattice has shape {self.shape}"
            )

    def check_same(self, name: str, other: Lattice) -> None:
        """Raise :class:`LatticeMismatchError` unless ``other`` equals this lattice."""
        if other != self:
            raise LatticeMismatchError(f"`{name}` lives on {other!r}, expected {self!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lattice):
            return NotImplemented
        return self.shape == other.shape and bool(
            np.allclose(self.bounds, other.bounds, rtol=1e-12, atol=0.0)
        )

    def __hash__(self) -> int:
        return hash((self.shape, self.bounds))

    def __repr__(self) -> str:
        b = self.bounds[0] if self.ndim == 1 else list(self.bounds)
        s = self.shape[0] if self.ndim == 1 else self.shape
        return f"Lattice({s}, {b})"
