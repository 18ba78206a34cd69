r"""The lattice Hamiltonian :math:`H = T + V(x, t)`.

Kinetic models (per axis ``i``, mass :math:`m_i`, spacing :math:`\Delta_i`):

- ``"lattice"`` — nearest-neighbour hopping on the periodic lattice,
  :math:`(T\psi)_n = -\sum_i \frac{\hbar^2}{2 m_i \Delta_i^2}
  (\psi_{n+e_i} - 2\psi_n + \psi_{n-e_i})`,
  diagonal in the lattice Fourier basis with dispersion
  :math:`\varepsilon(k) = \sum_i \frac{\hbar^2}{m_i\Delta_i^2}(1 - \cos k_i\Delta_i)`.
  This is the operator of the emergent quantum regime (THEORY.md §2); ``to_sparse`` returns
  exactly it, so QuTiP and the split-operator solver evolve the same matrix.
- ``"spectral"`` — the continuum :math:`\varepsilon(k) = \sum_i \hbar^2 k_i^2 / 2m_i` on the
  Fourier grid (spectrally accurate for smooth states); its matrix is dense.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import (
    as_numeric_array,
    as_per_axis,
    check_choice,
    check_instance,
    check_int,
    check_positive,
)
from quantgeo.lattice import Lattice
from quantgeo.potentials import ArrayPotential, Potential, zero

if TYPE_CHECKING:
    import qutip

__all__ = ["KINETIC_MODELS", "MAX_DENSE_SITES", "Hamiltonian"]

KINETIC_MODELS = ("lattice", "spectral")
#: Largest number of sites for which a dense matrix is built (``to_dense``, spectral
#: ``to_qobj``, full ``eigh``): 4096 sites is a 256 MiB complex128 matrix.
MAX_DENSE_SITES = 4096


class Hamiltonian:
    """Hamiltonian of one particle on a periodic lattice.

    Parameters
    ----------
    lattice
        The :class:`~quantgeo.lattice.Lattice`.
    potential
        A :class:`~quantgeo.potentials.Potential`, an array of site values, or ``None``
        (free particle).  Energy units.
    mass
        Mass, scalar or one per axis (> 0).  Default 1.
    hbar
        Reduced Planck constant (> 0).  Default 1.
    kinetic
        ``"lattice"`` (nearest-neighbour hopping) or ``"spectral"`` (ħ²k²/2m).
    """

    def __init__(
        self,
        lattice: Lattice,
        potential: Potential | ArrayLike | None = None,
        mass: float | Sequence[float] = 1.0,
        hbar: float = 1.0,
        kinetic: str = "lattice",
    ) -> None:
        check_instance("lattice", lattice, Lattice)
        self.lattice = lattice
        self.mass: NDArray[np.float64] = as_per_axis("mass", mass, lattice.ndim, positive=True)
        self.hbar = check_positive("hbar", hbar)
        self.kinetic = check_choice("kinetic", kinetic, KINETIC_MODELS)
        if potential is None:
            potential = zero()
        elif not isinstance(potential, Potential):
            what = "a Potential, an array of site values or None"
            potential = ArrayPotential(as_numeric_array("potential", potential, what, None))
        self.potential: Potential = potential
        # Validate now: shape and finiteness errors surface at construction, not mid-run.
        self._v0 = self.potential.values(lattice, 0.0, self.mass)

    @property
    def time_dependent(self) -> bool:
        """Whether V depends on time."""
        return self.potential.time_dependent

    # -- spectra and operators ----------------------------------------------------------------
    @cached_property
    def _axis_dispersions(self) -> tuple[NDArray[np.float64], ...]:
        lat, hb = self.lattice, self.hbar
        out = []
        for i, k in enumerate(lat.k_axes):
            d = lat.spacing[i]
            if self.kinetic == "lattice":
                eps = hb**2 / (self.mass[i] * d**2) * (1.0 - np.cos(k * d))
            else:
                eps = hb**2 * k**2 / (2.0 * self.mass[i])
            eps.setflags(write=False)
            out.append(eps)
        return tuple(out)

    @cached_property
    def _dispersion(self) -> NDArray[np.float64]:
        grids = np.meshgrid(*self._axis_dispersions, indexing="ij", sparse=True)
        eps = np.broadcast_to(sum(grids, np.zeros(())), self.lattice.shape).copy()
        eps.setflags(write=False)
        return eps

    def axis_dispersions(self) -> tuple[NDArray[np.float64], ...]:
        """Per-axis kinetic energies ε_i(k_i) (FFT order); ε(k) = Σ_i ε_i(k_i)."""
        return self._axis_dispersions

    def dispersion(self) -> NDArray[np.float64]:
        """Kinetic energy ε(k) on the Fourier grid (FFT order, shape ``lattice.shape``)."""
        return self._dispersion

    def potential_values(self, t: float = 0.0) -> NDArray[np.float64]:
        """V on every site at time ``t`` (float64, ``lattice.shape``)."""
        if not self.time_dependent:
            return self._v0
        return self.potential.values(self.lattice, t, self.mass)

    def apply(self, psi: NDArray[np.complex128], t: float = 0.0) -> NDArray[np.complex128]:
        """Return ``H ψ`` for site values ``psi`` (shape ``lattice.shape``)."""
        kin = np.fft.ifftn(self._dispersion * np.fft.fftn(psi))
        return kin + self.potential_values(t) * psi

    def kinetic_sparse(self) -> sp.csr_matrix:
        """CSR matrix of the lattice hopping operator (``kinetic="lattice"`` only)."""
        if self.kinetic != "lattice":
            raise ValueError(
                "`to_sparse` needs kinetic='lattice'; the spectral kinetic operator is dense: "
                "use `to_dense()` (≤ MAX_DENSE_SITES sites)"
            )
        lat = self.lattice
        total: sp.csr_matrix = sp.csr_matrix((lat.size, lat.size))
        for i, n in enumerate(lat.shape):
            t = self.hbar**2 / (2.0 * self.mass[i] * lat.spacing[i] ** 2)
            # 1D periodic second difference; sp.diags sums duplicate entries (N = 2 keeps
            # both bonds to the single neighbour), matching the Fourier dispersion exactly.
            off = np.full(n, -t)
            one = sp.diags([off[:-1], off[:-1]], [1, -1], shape=(n, n), format="lil")
            one[0, n - 1] += -t
            one[n - 1, 0] += -t
            one = sp.csr_matrix(one) + sp.identity(n, format="csr") * (2.0 * t)
            before = int(np.prod(lat.shape[:i]))
            after = int(np.prod(lat.shape[i + 1 :]))
            total = total + sp.kron(
                sp.identity(before), sp.kron(one, sp.identity(after)), format="csr"
            )
        return sp.csr_matrix(total)

    def to_sparse(self, t: float = 0.0) -> sp.csr_matrix:
        """CSR matrix (C-order site index) of exactly the operator the solver applies.

        Only for ``kinetic="lattice"``; raises ``ValueError`` for the spectral model.
        """
        return sp.csr_matrix(
            self.kinetic_sparse() + sp.diags(self.potential_values(t).ravel(), format="csr")
        )

    def _check_dense(self, what: str) -> None:
        if self.lattice.size > MAX_DENSE_SITES:
            raise ValueError(
                f"`{what}` builds a dense {self.lattice.size}×{self.lattice.size} matrix; "
                f"allowed up to MAX_DENSE_SITES = {MAX_DENSE_SITES} sites, got lattice "
                f"shape {self.lattice.shape}"
                + (
                    " — use to_sparse() for the lattice kinetic model"
                    if self.kinetic == "lattice"
                    else ""
                )
            )

    def kinetic_dense(self) -> NDArray[np.complex128]:
        r"""Dense kinetic matrix :math:`F^{-1}\mathrm{diag}(\varepsilon)F` (≤ MAX_DENSE_SITES)."""
        self._check_dense("to_dense")
        lat = self.lattice
        eye = np.eye(lat.size, dtype=np.complex128).reshape((lat.size, *lat.shape))
        axes = tuple(range(1, lat.ndim + 1))
        cols = np.fft.ifftn(self._dispersion * np.fft.fftn(eye, axes=axes), axes=axes)
        # cols[j] is T applied to basis vector j, i.e. column j.
        return np.ascontiguousarray(cols.reshape(lat.size, lat.size).T)

    def to_dense(self, t: float = 0.0) -> NDArray[np.complex128]:
        """Dense matrix of H (either kinetic model); refuses above ``MAX_DENSE_SITES`` sites."""
        return self.kinetic_dense() + np.diag(self.potential_values(t).ravel()).astype(complex)

    def to_qobj(self, t: float = 0.0) -> qutip.Qobj:
        """``qutip.Qobj`` of H at time ``t`` (sparse CSR for lattice, dense for spectral).

        ``dims`` is ``[list(shape), list(shape)]``: the C-order site index is the tensor
        product of the axes.
        """
        import qutip

        mat = self.to_sparse(t) if self.kinetic == "lattice" else self.to_dense(t)
        dims = [list(self.lattice.shape), list(self.lattice.shape)]
        return qutip.Qobj(mat, dims=dims)

    def eigh(
        self, k: int | None = None, t: float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.complex128]]:
        """Lowest ``k`` eigenpairs of H at time ``t`` (all of them if ``k`` is None).

        Returns
        -------
        energies
            Shape ``(k,)``, increasing.
        states
            Shape ``(k, *lattice.shape)``, each normalised so that ``Σ|ψ|²·ΔV = 1``, with the
            phase fixed so that the largest-magnitude entry is real and positive.
        """
        n = self.lattice.size
        if k is not None:
            k = check_int("k", k, 1, maximum=n)
        if self.kinetic == "lattice" and n > MAX_DENSE_SITES:
            if k is None or k >= n - 1:
                self._check_dense("eigh")
            assert k is not None
            import scipy.sparse.linalg as spla

            h = self.to_sparse(t)
            sigma = float(self.potential_values(t).min()) - 1.0
            vals, vecs = spla.eigsh(h, k=int(k), sigma=sigma, which="LM", tol=1e-13)
        else:
            import scipy.linalg as sla

            h_dense = self.to_dense(t)
            subset = None if k is None else (0, int(k) - 1)
            # The lattice matrix is real symmetric: the real solver is twice as fast.
            h_in = h_dense.real if self.kinetic == "lattice" else h_dense
            vals, vecs = sla.eigh(h_in, subset_by_index=subset)
        order = np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order].T.astype(np.complex128)
        for row in vecs:
            j = int(np.argmax(np.abs(row)))
            row *= np.abs(row[j]) / row[j]
        vecs /= np.sqrt(self.lattice.cell_volume)
        return np.asarray(vals, dtype=float), vecs.reshape((len(vals), *self.lattice.shape))

    def __repr__(self) -> str:
        m = self.mass[0] if np.all(self.mass == self.mass[0]) else tuple(self.mass)
        return (
            f"Hamiltonian({self.lattice!r}, {self.potential!r}, mass={m}, hbar={self.hbar}, "
            f"kinetic={self.kinetic!r})"
        )
