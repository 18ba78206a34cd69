"""Geometry shared by the rectangular boxes: :class:`~quantgeo.lattice.Lattice` (periodic,
site-centred) and :class:`~quantgeo.learning.grid.Grid` (bounded, cell-centred).

Both split the box ``Π_i [lo_i, hi_i]`` into ``N_i`` equal intervals per axis, so the spacing
``Δ_i = (hi_i − lo_i)/N_i``, the lengths and the volume element are the same formulas; where
the points sit (sites at ``lo + nΔ``, cell centres at ``lo + (n + ½)Δ``) is each class's own.
"""

from __future__ import annotations

import math

__all__ = ["BoxGeometry"]


class BoxGeometry:
    """Mixin for a class with ``shape: tuple[int, ...]`` and ``bounds: ((lo, hi), …)``."""

    shape: tuple[int, ...]
    bounds: tuple[tuple[float, float], ...]

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Total number of points (sites or cells)."""
        return math.prod(self.shape)  # exact: no int64 wrap-around for a huge shape

    @property
    def lengths(self) -> tuple[float, ...]:
        """Box length ``L_i = hi_i − lo_i`` per axis (the period of a lattice)."""
        return tuple(hi - lo for lo, hi in self.bounds)

    def _spacings(self) -> tuple[float, ...]:
        """``Δ_i = (hi_i − lo_i)/N_i`` per axis."""
        return tuple((hi - lo) / n for (lo, hi), n in zip(self.bounds, self.shape, strict=True))

    @property
    def cell_volume(self) -> float:
        """Volume element ``ΔV = Π Δ_i`` (length, area or volume of one cell)."""
        return math.prod(self._spacings())
