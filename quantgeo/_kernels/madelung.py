r"""Numba right-hand sides of the a = 1 lattice learning dynamics (THEORY.md §2).

The state is the learning-variable pair :math:`(p_n, S_n)` held as ``lnp = ln p`` and
``phi = S/ħ`` (dimensionless), flattened over the lattice sites.  With
:math:`\rho_{nm} = \sqrt{p_m/p_n} = e^{(\ln p_m - \ln p_n)/2}`,
:math:`\theta_{nm} = \varphi_m - \varphi_n = (S_m - S_n)/\hbar` and the hopping
:math:`\tau_j = \hbar^2 / (2 m_j \Delta_j^2)` of the bond direction ``j``:

compact (shift-symmetric) form, the continuity equation divided by :math:`p_n` and the
Hamilton–Jacobi equation divided by ħ,

.. math::
    \frac{d\ln p_n}{dt} = -\sum_m \frac{2\tau_j}{\hbar}\,\rho_{nm}\sin\theta_{nm},\qquad
    \frac{d\varphi_n}{dt} = -\frac{V_n}{\hbar}
        - \sum_m \frac{\tau_j}{\hbar}\,\big[1 - \rho_{nm}\cos\theta_{nm}\big];

non-compact control (``compact=False``): :math:`\sin\theta \to \theta` and
:math:`\cos\theta \to 1 - \theta^2/2` (currents linear in :math:`S_m - S_n`, kinetic energy
:math:`(S_m - S_n)^2/2m\Delta^2` per bond).

:math:`2\tau/\hbar = \hbar/(m\Delta^2)`, so these are exactly the equations of THEORY.md §2.
:math:`\rho` is formed from the difference of logarithms, never from a quotient of densities, so it
is exact for any :math:`p > 0` (Gaussian tails at :math:`10^{-30}` or :math:`10^{-300}` alike).

Kernels are module-level, take arrays and scalars, write in place and never raise.  The NumPy
twins with the same signatures are in :mod:`quantgeo._kernels.madelung_reference`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["madelung_rhs", "relative_log_density"]


@njit(cache=True, fastmath=False)
def madelung_rhs(lnp, phi, v_over_hbar, nbr, rate, compact, dlnp, dphi):
    """Time derivatives of ``ln p`` and ``φ = S/ħ`` on every site.

    Parameters
    ----------
    lnp : float64 array, shape (n,) — ``ln p_n``
    phi : float64 array, shape (n,) — ``S_n/ħ``
    v_over_hbar : float64 array, shape (n,) — ``V_n/ħ`` (1/time)
    nbr : int64 array, shape (n, z) — neighbour ``j`` of site ``n`` (``z = 2·ndim``)
    rate : float64 array, shape (z,) — ``τ_j/ħ = ħ/(2 m Δ²)`` of neighbour direction ``j``
    compact : bool — shift-symmetric (sin/cos) form, else the non-compact control
    dlnp, dphi : float64 arrays, shape (n,) — outputs, overwritten
    """
    n_sites = lnp.shape[0]
    z = nbr.shape[1]
    # cos/sin of θ_nm from per-site values (angle-difference identities): 2 trig calls per
    # site instead of 2 per bond; the products are accurate to a few ulp like sin(φ_m − φ_n).
    cs = np.empty(n_sites)
    sn = np.empty(n_sites)
    if compact:
        for n in range(n_sites):
            cs[n] = math.cos(phi[n])
            sn[n] = math.sin(phi[n])
    for n in range(n_sites):
        a = lnp[n]
        acc_p = 0.0
        acc_s = 0.0
        for j in range(z):
            m = nbr[n, j]
            rho = math.exp(0.5 * (lnp[m] - a))
            if compact:
                s = sn[m] * cs[n] - cs[m] * sn[n]
                c = cs[m] * cs[n] + sn[m] * sn[n]
            else:
                th = phi[m] - phi[n]
                s = th
                c = 1.0 - 0.5 * th * th
            acc_p += rate[j] * rho * s
            acc_s += rate[j] * (1.0 - rho * c)
        dlnp[n] = -2.0 * acc_p
        dphi[n] = -v_over_hbar[n] - acc_s


@njit(cache=True, fastmath=False)
def relative_log_density(lnp, nbr, rel, top):
    """Log-density contrast of every site with its largest neighbour.

    ``top[n] = max_m ln p_m`` over the neighbours ``m`` of ``n`` and
    ``rel[n] = ln p_n − top[n] = ln(p_n / max_m p_m)``: very negative where a site's density drops
    far below its largest neighbour's (a node on the site); moderate on smooth Gaussian tails.
    Where ``p_n`` and all its neighbours are zero (``-inf``), ``rel[n] = 0`` (no contrast).

    Parameters
    ----------
    lnp : float64 array, shape (n,);  nbr : int64 array, shape (n, z)
    rel, top : float64 arrays, shape (n,) — outputs, overwritten
    """
    n_sites = lnp.shape[0]
    z = nbr.shape[1]
    for n in range(n_sites):
        best = -math.inf
        for j in range(z):
            val = lnp[nbr[n, j]]
            if val > best:
                best = val
        top[n] = best
        if best == -math.inf:
            rel[n] = 0.0
        else:
            rel[n] = lnp[n] - best
