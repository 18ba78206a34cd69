r"""The weak-mutation (origin–fixation) walk over genotypes and its Boltzmann law.

With mutation rare (``N_g μ ≪ 1``) a population is monomorphic almost always and jumps from
genotype ``i`` to ``j`` at rate ``Q_ij = N_g μ_ij φ(s_ij)``: mutants arise at ``N_g μ_ij`` and
fix with probability ``φ`` (Kimura's formula at ``p = 1/N_g`` for Wright–Fisher, the exact
Moran formula for Moran), ``s_ij = F_j − F_i`` with ``F`` the log fitness.  For symmetric
``μ`` the chain satisfies detailed balance with ``π ∝ e^{νF}`` (Sella & Hirsh 2005;
:func:`~quantgeo.evolution.analytic.sella_hirsh_nu`).  In the learning dictionary this is the
equilibrium ``p∞ ∝ e^{−H/T}`` of the a = 0 Fokker–Planck equation with ``H = −F`` and
``T = 1/ν``: a walk with constant, isotropic noise, where every metric power gives the same
Boltzmann law (THEORY §3).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_int, check_positive
from quantgeo.evolution.analytic import SELLA_HIRSH_MODELS, gene_copies, kimura_fixation_probability

__all__ = ["origin_fixation_generator", "stationary_distribution"]

Array = NDArray[np.float64]


def _fixation(s: Array, n: int, ploidy: int, model: str) -> Array:
    if model == "moran":
        # exact Moran fixation of one mutant of fitness r = e^s among n: (1 − 1/r)/(1 − 1/r^n)
        out = np.full(s.shape, 1.0 / n)
        nz = s != 0
        out[nz] = np.expm1(-s[nz]) / np.expm1(-n * s[nz])
        return out
    ng = gene_copies(n, ploidy)
    # Kimura at p = 1/N_g; s is the (genic) log-fitness difference per gene copy
    flat = [kimura_fixation_probability(1.0 / ng, n, si, ploidy=ploidy) for si in s.ravel()]
    return np.asarray(flat, dtype=float).reshape(s.shape)


def origin_fixation_generator(
    log_fitness: ArrayLike,
    n: int,
    *,
    mutation: float | ArrayLike = 1e-3,
    ploidy: int = 1,
    model: str = "wright-fisher",
) -> Array:
    """Rate matrix ``Q`` (rows sum to 0) of the weak-mutation genotype walk (module docstring).

    ``mutation``: a rate ``μ`` between every pair of genotypes, or a symmetric matrix (zeros:
    not neighbours).  ``model``: ``"wright-fisher"`` or ``"moran"`` (haploid).
    """
    f = np.asarray(log_fitness, dtype=float)
    if f.ndim != 1 or f.size < 2 or not np.all(np.isfinite(f)):
        raise ValueError(f"`log_fitness` must be a finite 1-D array of ≥ 2 genotypes, got {f!r}")
    model = check_choice("model", model, SELLA_HIRSH_MODELS)
    n = check_int("n", n, 2)
    g = f.size
    mu = np.asarray(mutation, dtype=float)
    if mu.ndim == 0:
        mu = np.full((g, g), check_positive("mutation", float(mu)))
    if mu.shape != (g, g) or np.any(mu < 0) or not np.allclose(mu, mu.T):
        raise ValueError(f"`mutation` must be a rate ≥ 0 or a symmetric {g}×{g} matrix of rates")
    s = f[None, :] - f[:, None]
    ng = n if model == "moran" else gene_copies(n, ploidy)
    q = ng * mu * _fixation(s, n, ploidy, model)
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(q, -q.sum(axis=1))
    return np.asarray(q)


def stationary_distribution(q: ArrayLike) -> Array:
    """Stationary law ``πQ = 0``, ``Σπ = 1`` of an irreducible rate matrix (dense solve)."""
    mat = np.asarray(q, dtype=float)
    g = mat.shape[0]
    a = mat.T.copy()
    a[-1, :] = 1.0
    b = np.zeros(g)
    b[-1] = 1.0
    return np.asarray(np.linalg.solve(a, b))
