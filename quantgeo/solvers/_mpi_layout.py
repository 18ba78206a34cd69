r"""How ``backend="mpi"`` splits a lattice over the ranks: the parallel FFT and each rank's piece.

Two layouts, one interface (:class:`Layout`):

- :class:`GridLayout` (2D, 3D): mpi4py-fft's ``PFFT`` on the lattice itself, slabs
  (``grid=(-1,)``: axis 0 split in position space, axis 1 in Fourier space) or pencils (3D:
  axes 0 and 1 over a P₀×P₁ grid).  A rank's pieces are rectangular (``local_slice``).
- :class:`FourStepLayout` (1D): the four-step (Cooley–Tukey) FFT.  With :math:`N = N_1 N_2` and
  :math:`n = N_2 n_1 + n_2`, :math:`k = k_1 + N_1 k_2`,

  .. math::
      X_{k_1 + N_1 k_2} = \sum_{n_2} e^{-2\pi i n_2 k_2/N_2}\,
      \Big[e^{-2\pi i n_2 k_1/N} \sum_{n_1} e^{-2\pi i n_1 k_1/N_1}\,x_{N_2 n_1 + n_2}\Big],

  i.e. a 2D ``PFFT`` of ``x.reshape(N₁, N₂)`` (axis 0 first, the input split along axis 1, the
  output along axis 0) with the twiddle factor applied between its two stages.  A rank holds
  the sites :math:`N_2 n_1 + n_2` for every :math:`n_1` and its range of :math:`n_2`, and the
  modes :math:`k_1 + N_1 k_2` for its range of :math:`k_1`.

Each layout gives the rank's coordinates and wavenumbers as arrays broadcastable to its pieces,
takes its piece of a whole-lattice array and puts pieces back (on rank 0), slices the serial
kinetic factors to its modes and applies them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from quantgeo.hamiltonian import Hamiltonian

__all__ = ["FourStepLayout", "GridLayout", "Layout", "four_step_factors"]

CArray = NDArray[np.complex128]


def _span(s: slice, n: int) -> int:
    return len(range(*s.indices(n)))


def _plan(comm: Any, shape: tuple[int, ...], **kw: Any) -> Any:
    from mpi4py_fft import PFFT

    effort = "FFTW_MEASURE" if math.prod(shape) >= 1 << 18 else "FFTW_ESTIMATE"
    return PFFT(comm, shape, dtype=np.complex128, backend="fftw", planner_effort=effort, **kw)


class Layout:
    """The interface; see the module docstring.  Attributes set by the subclasses:

    ``fft`` (the ``PFFT``), ``shape`` / ``spec_shape`` (this rank's pieces), ``where`` (a
    picklable description of the rank's sites, for :meth:`put`), ``coords``, ``k_grids``,
    ``eps_grids`` (one array per lattice axis, broadcastable to the pieces), ``empty`` (some
    axis of a piece is empty on this rank).
    """

    fft: Any
    shape: tuple[int, ...]
    spec_shape: tuple[int, ...]
    where: Any
    coords: tuple[NDArray[np.float64], ...]
    k_grids: tuple[NDArray[np.float64], ...]
    eps_grids: tuple[NDArray[np.float64], ...]
    empty: bool
    twiddle: CArray | None = None
    twiddle_conj: CArray | None = None

    def take(self, full: NDArray[Any]) -> NDArray[Any]:
        """This rank's piece of a whole-lattice array (a C-contiguous copy)."""
        raise NotImplementedError

    def put(self, whole: NDArray[Any], where: Any, block: NDArray[Any]) -> None:
        """Write the piece ``block`` of the rank described by ``where`` into ``whole``."""
        raise NotImplementedError

    def kinetic(self, rest: CArray, last: CArray) -> tuple[CArray, ...]:
        """The serial separable kinetic factors ``(k_rest, k_last)`` on this rank's modes."""
        raise NotImplementedError

    def apply_kinetic(self, kern: Any, spec: CArray, kin: tuple[CArray, ...], j: int) -> None:
        """``spec ← spec·(1 + g_j)`` with the Numba kernel module ``kern``."""
        raise NotImplementedError


def _sparse_grid(axes: Any, slices: Any) -> tuple[NDArray[Any], ...]:
    """Sparse ``ij`` meshgrid of each per-axis array restricted to this rank's slice."""
    return tuple(
        np.meshgrid(*(a[s] for a, s in zip(axes, slices, strict=True)), indexing="ij", sparse=True)
    )


class GridLayout(Layout):
    """Slabs (``decomposition=1``) or pencils (``2``) of a 2D/3D lattice."""

    def __init__(self, comm: Any, ham: Hamiltonian, decomposition: int) -> None:
        lat = ham.lattice
        self._lshape = lat.shape
        grid = (-1,) if decomposition == 1 else (0, 0)
        try:
            self.fft = _plan(comm, lat.shape, grid=grid, collapse=True)  # fewer stages, buffers
        except AssertionError:  # mpi4py-fft asserts that every rank gets sites
            self.empty, self.fft = True, None
            return
        piece, spectral = self.fft.local_slice(False), self.fft.local_slice(True)
        self.piece, self.spectral = tuple(piece), tuple(spectral)
        self.where = self.piece
        self.shape = tuple(_span(s, n) for s, n in zip(piece, lat.shape, strict=True))
        self.spec_shape = tuple(_span(s, n) for s, n in zip(spectral, lat.shape, strict=True))
        self.empty = 0 in self.shape or 0 in self.spec_shape
        self.coords = _sparse_grid(lat.axes, piece)
        self.k_grids = _sparse_grid(lat.k_axes, spectral)
        self.eps_grids = _sparse_grid(ham.axis_dispersions(), spectral)

    def take(self, full: NDArray[Any]) -> NDArray[Any]:
        return np.ascontiguousarray(full[self.piece])

    def put(self, whole: NDArray[Any], where: Any, block: NDArray[Any]) -> None:
        whole[where] = block

    def kinetic(self, rest: CArray, last: CArray) -> tuple[CArray, ...]:
        rest = rest.reshape(rest.shape[0], *self._lshape[:-1])[(slice(None), *self.spectral[:-1])]
        return (
            np.ascontiguousarray(rest.reshape(rest.shape[0], -1)),
            np.ascontiguousarray(last[:, self.spectral[-1]]),
        )

    def apply_kinetic(self, kern: Any, spec: CArray, kin: tuple[CArray, ...], j: int) -> None:
        kern.apply_kinetic(spec, kin[0][j], kin[1][j])


def four_step_factors(n: int, ranks: int) -> tuple[int, int] | None:
    """``(N₁, N₂)`` with ``N₁·N₂ = n``, both ≥ ``ranks``, ``N₁ ≤ N₂`` as close to √n as
    possible; ``None`` when there is none."""
    best = None
    for n1 in range(1, math.isqrt(n) + 1):
        if n % n1 == 0 and n1 >= ranks and n // n1 >= ranks:
            best = (n1, n // n1)
    return best


class FourStepLayout(Layout):
    """A 1D lattice as ``x.reshape(N₁, N₂)`` with the four-step twiddle (module docstring)."""

    def __init__(self, comm: Any, ham: Hamiltonian, factors: tuple[int, int]) -> None:
        lat = ham.lattice
        n1, n2 = self.factors = factors
        n = n1 * n2
        self.fft = _plan(comm, (n1, n2), axes=(1, 0))  # axis 0 first; input split on axis 1
        cols, rows = self.fft.local_slice(False)[1], self.fft.local_slice(True)[0]
        self.where = cols
        self.shape = (n1, _span(cols, n2))
        self.spec_shape = (_span(rows, n1), n2)
        self.empty = 0 in self.shape or 0 in self.spec_shape
        self.sites = n2 * np.arange(n1)[:, None] + np.arange(n2)[cols][None, :]
        self.modes = np.arange(n1)[rows][:, None] + n1 * np.arange(n2)[None, :]
        self.coords = (lat.axes[0][self.sites],)
        self.k_grids = (lat.k_axes[0][self.modes],)
        self.eps_grids = (ham.axis_dispersions()[0][self.modes],)
        # e^{−2πi k₁ n₂/N} on the input pencil, the angle reduced mod N before the division
        prod = (np.arange(n1)[:, None] * np.arange(n2)[cols][None, :]) % n
        self.twiddle = np.exp(-2j * np.pi * prod / n)
        self.twiddle_conj = self.twiddle.conj()  # the inverse's, made once (not per sub-step)

    def take(self, full: NDArray[Any]) -> NDArray[Any]:
        return np.ascontiguousarray(full.reshape(self.factors)[:, self.where])

    def put(self, whole: NDArray[Any], where: Any, block: NDArray[Any]) -> None:
        whole.reshape(self.factors)[:, where] = block

    def kinetic(self, rest: CArray, last: CArray) -> tuple[CArray, ...]:
        # not separable in (k₁, k₂): one factor per mode of the piece
        return (np.ascontiguousarray(last[:, self.modes]),)

    def apply_kinetic(self, kern: Any, spec: CArray, kin: tuple[CArray, ...], j: int) -> None:
        kern.apply_factor(spec, kin[0][j])
