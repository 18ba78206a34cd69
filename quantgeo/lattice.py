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

from quantgeo._validation import check_shape_bounds
from quantgeo.errors import LatticeMismatchError

__all__ = ["Lattice"]

MAX_DIM = 3


class Lattice:
    """A periodic rectangular lattice.

    Parameters
    ----------
    shape
        Sites per axis: an int (1D) or a sequence of 1–3 ints, each ≥ 2.
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

    # -- geometry ---------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        """Number of axes (1, 2 or 3)."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Total number of sites."""
        return int(np.prod(self.shape))

    @property
    def spacing(self) -> tuple[float, ...]:
        """Lattice spacing ``Δ_i = (hi_i − lo_i)/N_i`` per axis."""
        return tuple((hi - lo) / n for (lo, hi), n in zip(self.bounds, self.shape, strict=True))

    @property
    def lengths(self) -> tuple[float, ...]:
        """Period ``L_i = hi_i − lo_i`` per axis."""
        return tuple(hi - lo for lo, hi in self.bounds)

    @property
    def cell_volume(self) -> float:
        """Volume element ``ΔV = Π Δ_i``; ψ is normalised so that ``Σ|ψ|²·ΔV = 1``."""
        return float(np.prod(self.spacing))

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
