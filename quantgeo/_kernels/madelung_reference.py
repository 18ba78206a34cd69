"""NumPy twins of :mod:`quantgeo._kernels.madelung`: same names, signatures, in-place outputs.

They are the readable definition of the lattice learning dynamics' right-hand side; tests assert
agreement with the Numba kernels to ~1e-12 and :class:`~quantgeo.emergence.MadelungLattice`
accepts ``backend="numpy"`` to run on them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["madelung_rhs", "relative_log_density"]

FArray = NDArray[np.float64]


def madelung_rhs(
    lnp: FArray,
    phi: FArray,
    v_over_hbar: FArray,
    nbr: NDArray[Any],
    rate: FArray,
    compact: bool,
    dlnp: FArray,
    dphi: FArray,
) -> None:
    """Time derivatives of ``ln p`` and ``φ = S/ħ`` (see the Numba kernel for the equations)."""
    rho = np.exp(0.5 * (lnp[nbr] - lnp[:, None]))
    th = phi[nbr] - phi[:, None]
    if compact:
        s, c = np.sin(th), np.cos(th)
    else:
        s, c = th, 1.0 - 0.5 * th * th
    dlnp[:] = -2.0 * np.sum(rate * rho * s, axis=1)
    dphi[:] = -v_over_hbar - np.sum(rate * (1.0 - rho * c), axis=1)


def relative_log_density(lnp: FArray, nbr: NDArray[Any], rel: FArray, top: FArray) -> None:
    """``top[n] = max_m ln p_m``, ``rel[n] = ln p_n − top[n]`` (0 where ``top[n] = -inf``)."""
    top[:] = np.max(lnp[nbr], axis=1)
    with np.errstate(invalid="ignore"):
        rel[:] = np.where(np.isneginf(top), 0.0, lnp - top)
