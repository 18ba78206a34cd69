"""Cell-centred grid on a box in the space of trainable variables (1D or 2D).

The Fokker–Planck solver stores cell averages of the density on this grid and the ensembles
bin their walkers on it, so a histogram and a Fokker–Planck density can be compared cell by
cell.  (The Schrödinger :class:`~quantgeo.lattice.Lattice` is periodic and site-centred; the
learning densities live on a bounded box with zero-flux walls, hence a separate, small class.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from quantgeo._geometry import BoxGeometry
from quantgeo._validation import check_axis_sizes, check_bound_pair, check_int

__all__ = ["Grid"]


@dataclass(frozen=True, eq=False)
class Grid(BoxGeometry):
    """Uniform cell-centred grid on the box ``[lo_0, hi_0] × … `` (``ndim`` = 1 or 2).

    Parameters
    ----------
    bounds
        ``(lo, hi)`` per axis, ``lo < hi`` (units of the trainable variables ``q``).
    shape
        Number of cells per axis (each ≥ 2).

    Attributes
    ----------
    spacing
        Cell widths ``h_i = (hi_i − lo_i)/N_i``, shape ``(ndim,)``.
    cell_volume
        ``Π h_i``.
    """

    bounds: tuple[tuple[float, float], ...]
    shape: tuple[int, ...]

    def __init__(self, bounds: Sequence[Sequence[float]], shape: int | Sequence[int]) -> None:
        try:
            bnds = [tuple(b) for b in bounds]
        except TypeError:
            raise TypeError(
                f"`bounds` must be a sequence of (lo, hi) pairs, one per axis, got {bounds!r}"
            ) from None
        ndim = len(bnds)
        if ndim not in (1, 2):
            raise ValueError(f"`bounds` must give 1 or 2 axes, got {ndim}: {bounds!r}")
        shp: list[Any] = [shape] * ndim if np.ndim(shape) == 0 else list(cast(Sequence[int], shape))
        if len(shp) != ndim:
            raise ValueError(
                f"`shape` must be an int or have one entry per axis ({ndim}), got {shape!r}"
            )
        clean_b = tuple(
            check_bound_pair(f"bounds[{i}]", b, order="must satisfy lo < hi, got {pair}")
            for i, b in enumerate(bnds)
        )
        object.__setattr__(self, "bounds", clean_b)
        object.__setattr__(self, "shape", check_axis_sizes(shp))

    # ndim, size, lengths and cell_volume come from BoxGeometry
    @property
    def spacing(self) -> NDArray[np.float64]:
        """Cell widths per axis, shape ``(ndim,)``."""
        return np.array(self._spacings())

    def edges(self, axis: int) -> NDArray[np.float64]:
        """Cell edges along ``axis``, shape ``(N_axis + 1,)``."""
        lo, hi = self.bounds[axis]
        return np.linspace(lo, hi, self.shape[axis] + 1)

    def centers(self, axis: int) -> NDArray[np.float64]:
        """Cell centres along ``axis``, shape ``(N_axis,)``."""
        e = self.edges(axis)
        return 0.5 * (e[1:] + e[:-1])

    def points(self) -> NDArray[np.float64]:
        """Cell centres as points, shape ``(*shape, ndim)`` (C order, axis 0 slowest)."""
        mesh = np.meshgrid(*(self.centers(i) for i in range(self.ndim)), indexing="ij")
        return np.stack(mesh, axis=-1)

    def face_points(self, axis: int) -> NDArray[np.float64]:
        """Centres of the faces normal to ``axis``, boundary faces included.

        Shape ``(*shape_f, ndim)`` with ``shape_f[axis] = shape[axis] + 1``.
        """
        axes = [self.centers(i) for i in range(self.ndim)]
        axes[axis] = self.edges(axis)
        mesh = np.meshgrid(*axes, indexing="ij")
        return np.stack(mesh, axis=-1)

    def interior_faces(self, axis: int) -> tuple[sp.csr_matrix, sp.csr_matrix, NDArray[np.float64]]:
        """The faces normal to ``axis`` between two cells (the walls excluded).

        Returns
        -------
        left, right
            Sparse selectors of shape ``(n_faces, size)``: ``left @ p`` and ``right @ p`` are
            the values of the cell below and above each face, ``n_faces = size·(N_axis − 1)/N_axis``
            (C order of the faces, like the cells).  ``right − left`` is the face difference.
        points
            Face centres, shape ``(*shape_f, ndim)`` with ``shape_f[axis] = N_axis − 1``.
        """
        n_ax = self.shape[axis]
        idx = np.arange(self.size).reshape(self.shape)
        below = np.take(idx, np.arange(n_ax - 1), axis=axis).ravel()
        above = np.take(idx, np.arange(1, n_ax), axis=axis).ravel()
        rows, ones, full = np.arange(below.size), np.ones(below.size), (below.size, self.size)
        left = sp.csr_matrix((ones, (rows, below)), shape=full)
        right = sp.csr_matrix((ones, (rows, above)), shape=full)
        points = np.take(self.face_points(axis), np.arange(1, n_ax), axis=axis)
        return left, right, points

    def derivative_matrix(self, axis: int) -> sp.csr_matrix:
        """Sparse first derivative along ``axis`` on cell centres, shape ``(size, size)``.

        Central differences inside (second order), one-sided at the walls (first order).
        """
        n, h = self.shape[axis], float(self.spacing[axis])
        main = np.zeros(n)
        up = np.full(n - 1, 0.5 / h)
        lo = np.full(n - 1, -0.5 / h)
        main[0], up[0] = -1.0 / h, 1.0 / h
        main[-1], lo[-1] = 1.0 / h, -1.0 / h
        d1 = sp.diags([lo, main, up], [-1, 0, 1], format="csr")
        mats = [sp.identity(m, format="csr") for m in self.shape]
        mats[axis] = d1
        out = mats[0]
        for m in mats[1:]:
            out = sp.kron(out, m, format="csr")
        return sp.csr_matrix(out)

    def integrate(self, values: ArrayLike) -> float:
        """Midpoint-rule integral ``Σ values · cell_volume`` (second order for smooth values)."""
        return float(np.sum(np.asarray(values, dtype=float)) * self.cell_volume)

    def normalize(self, density: ArrayLike) -> NDArray[np.float64]:
        """Return ``density`` scaled to unit integral."""
        p = np.asarray(density, dtype=float)
        mass = self.integrate(p)
        if not np.isfinite(mass) or mass <= 0:
            raise ValueError(f"`density` must have a positive finite integral, got {mass!r}")
        return p / mass

    def coarsen(self, factor: int) -> Grid:
        """Grid whose cells are blocks of ``factor`` cells per axis (``N_i`` divisible)."""
        check_int("factor", factor)
        for i, n in enumerate(self.shape):
            if n % factor or n // factor < 2:
                raise ValueError(
                    f"`factor` {factor} must divide shape[{i}] = {n} into at least 2 cells"
                )
        return Grid(self.bounds, [n // factor for n in self.shape])

    def block_average(self, values: ArrayLike, factor: int) -> NDArray[np.float64]:
        """Average ``values`` (shape :attr:`shape`) over ``factor``-blocks (see :meth:`coarsen`)."""
        coarse = self.coarsen(factor)
        v = np.asarray(values, dtype=float)
        if v.shape != self.shape:
            raise ValueError(f"`values` must have shape {self.shape}, got {v.shape}")
        new_shape: list[int] = []
        for n in coarse.shape:
            new_shape += [n, factor]
        return v.reshape(new_shape).mean(axis=tuple(range(1, 2 * self.ndim, 2)))

    def histogram(self, q: ArrayLike, weights: ArrayLike | None = None) -> tuple[Any, float]:
        """Density histogram of points ``q`` (shape ``(n, ndim)``) on the cells.

        Returns
        -------
        density
            ``counts / (n · cell_volume)``, shape :attr:`shape`; integrates to the fraction of
            points inside the box.
        outside
            Fraction of points outside the box.
        """
        pts = np.asarray(q, dtype=float)
        if pts.ndim != 2 or pts.shape[1] != self.ndim:
            raise ValueError(f"`q` must have shape (n, {self.ndim}), got {pts.shape}")
        n = pts.shape[0]
        flat = np.zeros(n, dtype=np.int64)
        inside = np.ones(n, dtype=bool)
        for i in range(self.ndim):
            lo, _ = self.bounds[i]
            k = np.floor((pts[:, i] - lo) / self.spacing[i]).astype(np.int64)
            inside &= (k >= 0) & (k < self.shape[i])
            flat = flat * self.shape[i] + np.clip(k, 0, self.shape[i] - 1)
        counts = np.bincount(flat[inside], minlength=self.size).astype(float)
        density = counts.reshape(self.shape) / (max(n, 1) * self.cell_volume)
        return density, float(1.0 - inside.mean()) if n else 0.0

    def gaussian(self, mean: ArrayLike, cov: ArrayLike) -> NDArray[np.float64]:
        """Cell averages of the normal density ``N(mean, cov)`` (diagonal ``cov`` exact via erf,
        otherwise point values normalised on the grid)."""
        from scipy.special import ndtr

        mu = np.asarray(mean, dtype=float).reshape(self.ndim)
        sig = np.asarray(cov, dtype=float).reshape(self.ndim, self.ndim)
        if np.array_equal(sig, np.diag(np.diag(sig))):
            out = np.ones(self.shape)
            for i in range(self.ndim):
                e = (self.edges(i) - mu[i]) / np.sqrt(sig[i, i])
                w = np.diff(ndtr(e)) / self.spacing[i]
                shape = [1] * self.ndim
                shape[i] = self.shape[i]
                out = out * w.reshape(shape)
            return out
        x = self.points() - mu
        prec = np.linalg.inv(sig)
        return self.normalize(np.exp(-0.5 * np.einsum("...i,ij,...j->...", x, prec, x)))
