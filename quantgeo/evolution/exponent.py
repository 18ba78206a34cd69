r"""Which metric power ``a`` does a stochastic model realise?  Fit it from an ensemble.

THEORY §1: with ``g = c·κ^a`` the update covariance is ``Cov(Δq) = γ² g⁻¹κg⁻¹ ∝ κ^{1−2a}`` and
the mean response to a force is ``E[Δq] = −γ g⁻¹∇H``: the **mobility** ``g⁻¹ ∝ κ^{−a}``.  Two
ways to read ``a`` off an ensemble, in the eigen-directions of the mobility (or of κ):

* against the mobility ``m`` (no κ needed — what a population geneticist can measure):
  ``κ ∝ m^{−1/a}``, so ``Cov ∝ m^{−(1−2a)/a} = m^{2 − 1/a}``: slope ``σ = 2 − 1/a``,
  **a = 1/(2 − σ)** (σ = 1 ⇒ a = 1; σ = 0 ⇒ a = ½; a constant mobility is a = 0, where the
  slope is undefined);
* against ``κ`` itself: slope ``σ = 1 − 2a``, **a = (1 − σ)/2**.

Both are consistent with ``D ∝ κ^{1−2a}`` (checked: ``m^{2−1/a} = κ^{−a(2−1/a)} = κ^{1−2a}``).
For Wright–Fisher the mobility is the selection response ``∂E[Δx]/∂s = diag x − xxᵀ`` (the
inverse Shahshahani metric) and ``Cov(Δx) = (diag x − xxᵀ)/N_g``: σ = 1, a = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_int, check_positive
from quantgeo.evolution.wright_fisher import WrightFisher, check_frequencies

__all__ = ["ExponentFit", "measured_exponent", "moran_increments", "wright_fisher_increments"]

Array = NDArray[np.float64]
AGAINST: tuple[str, ...] = ("mobility", "kappa")


@dataclass(frozen=True)
class ExponentFit:
    """Least-squares fit ``ln Cov = σ ln x + b`` and the metric power it implies.

    Attributes
    ----------
    a
        ``1/(2 − σ)`` (against the mobility) or ``(1 − σ)/2`` (against κ).
    a_se
        Its standard error from ``slope_se`` (delta method).
    slope, slope_se, intercept
        ``σ``, its OLS standard error and ``b``.
    n_points
        Number of (direction, state) points fitted.
    against
        ``"mobility"`` or ``"kappa"``.
    """

    a: float
    a_se: float
    slope: float
    slope_se: float
    intercept: float
    n_points: int
    against: str


def _directional(cov: Array, scale: Array, rtol: float) -> tuple[Array, Array]:
    """``(vᵀ Cov v, λ)`` over the eigenpairs ``(λ, v)`` of each ``scale`` matrix with
    ``λ > rtol·λ_max`` (the null direction ``1`` of ``diag x − xxᵀ`` is dropped)."""
    lam, vec = np.linalg.eigh(0.5 * (scale + np.swapaxes(scale, -1, -2)))
    proj = np.einsum("mki,mkl,mli->mi", vec, cov, vec)
    keep = lam > rtol * np.max(np.abs(lam), axis=-1, keepdims=True)
    return proj[keep], lam[keep]


def measured_exponent(
    cov: ArrayLike, scale: ArrayLike, *, against: str = "mobility", rtol: float = 1e-8
) -> ExponentFit:
    r"""Fit the metric power ``a`` from increment covariances and mobilities (or κ).

    Parameters
    ----------
    cov
        ``Cov(Δq)`` per state: shape ``(M,)`` (one direction) or ``(M, K, K)``.
    scale
        The mobility (mean response ``∂E[Δq]/∂(−∇H)``) or ``κ`` at the same states, same shape.
    against
        ``"mobility"`` (``a = 1/(2 − σ)``) or ``"kappa"`` (``a = (1 − σ)/2``).
    rtol
        Eigenvalues of ``scale`` below ``rtol·max`` (null directions) are left out.

    Returns
    -------
    ExponentFit
    """
    against = check_choice("against", against, AGAINST)
    rtol = check_positive("rtol", rtol)
    c = np.asarray(cov, dtype=float)
    m = np.asarray(scale, dtype=float)
    if c.shape != m.shape or c.ndim not in (1, 3):
        raise ValueError(
            f"`cov` and `scale` must both have shape (M,) or (M, K, K), got {c.shape}, {m.shape}"
        )
    if c.ndim == 3:
        y, x = _directional(c, m, rtol)
    else:
        y, x = c, m
    ok = (y > 0) & (x > 0)
    if ok.sum() < 3:
        raise ValueError(f"need ≥ 3 positive (cov, {against}) points to fit, got {int(ok.sum())}")
    lx, ly = np.log(x[ok]), np.log(y[ok])
    if np.ptp(lx) < 1e-12:
        raise ValueError(
            f"the {against} does not vary across the ensemble: a constant mobility is a = 0 "
            "(and a constant κ leaves a undetermined)"
        )
    coef, res, *_ = np.polyfit(lx, ly, 1, full=True)
    slope, icpt = float(coef[0]), float(coef[1])
    npts = int(lx.size)
    dof = max(npts - 2, 1)
    resid = float(res[0]) if res.size else 0.0
    slope_se = float(np.sqrt(resid / dof / np.sum((lx - lx.mean()) ** 2)))
    if against == "mobility":
        a = 1.0 / (2.0 - slope)
        a_se = slope_se / (2.0 - slope) ** 2
    else:
        a = 0.5 * (1.0 - slope)
        a_se = 0.5 * slope_se
    return ExponentFit(a, a_se, slope, slope_se, icpt, npts, against)


def wright_fisher_increments(
    model: WrightFisher, states: ArrayLike, *, replicates: int = 10_000, ds: float = 1e-6
) -> tuple[Array, Array]:
    r"""One-generation ``Cov(Δx)`` (simulated) and mobility (selection response) at ``states``.

    Parameters
    ----------
    model
        A neutral-or-not :class:`WrightFisher` (its seed drives the simulations).
    states
        Frequencies ``(M, K)``.
    replicates
        Populations simulated per state for the sample covariance.
    ds
        Step of the central difference ``∂E[x']/∂s_j`` of the model's mean map
        (:meth:`WrightFisher.expected_next` with the weights perturbed by ``±ds`` along
        allele ``j``).

    Returns
    -------
    cov, mobility
        Shapes ``(M, K, K)``.
    """
    reps = check_int("replicates", replicates, 2)
    ds = check_positive("ds", ds)
    xs = check_frequencies("states", np.atleast_2d(states), model.n_alleles)
    k = model.n_alleles
    covs = np.empty((xs.shape[0], k, k))
    mobs = np.empty_like(covs)
    for i, x in enumerate(xs):
        tr = model.run(x, 1, replicates=reps)
        assert tr.states is not None
        covs[i] = np.cov(tr.states[-1] - x, rowvar=False)
        base = model.weights(x[None, :])[0]
        for j in range(k):
            e = np.zeros(k)
            e[j] = ds * base[j]
            mobs[i, :, j] = (_mean_map(model, x, base + e) - _mean_map(model, x, base - e)) / (
                2 * ds
            )
    return covs, mobs


def _mean_map(model: WrightFisher, x: Array, w: Array) -> Array:
    y = x * w / np.dot(x, w)
    return np.asarray(y @ model.transition if model.mutates else y)


def moran_increments(
    n: int,
    states: ArrayLike,
    *,
    fitness: ArrayLike | None = None,
    replicates: int = 10_000,
    seed: int = 0,
    ds: float = 1e-6,
) -> tuple[Array, Array]:
    r"""``Cov(Δx)`` (simulated) and mobility of one birth–death event of a haploid Moran model.

    One event: an individual reproduces with probability ``∝ x_k w_k`` (``w = 1 + s``), one dies
    uniformly, so ``Δx = (e_b − e_d)/n``.  Mean map ``E[Δx_i] = (x_i w_i/w̄ − x_i)/n``; the
    mobility is its central difference in ``s_j`` (step ``ds``); neutral
    ``Cov(Δx) = 2(diag x − xxᵀ)/n²`` and mobility ``(diag x − xxᵀ)/n`` — again a = 1.

    Returns
    -------
    cov, mobility
        Shapes ``(M, K, K)`` for ``states`` ``(M, K)``.
    """
    n = check_int("n", n, 2)
    reps = check_int("replicates", replicates, 2)
    ds = check_positive("ds", ds)
    xs = check_frequencies("states", np.atleast_2d(states))
    k = xs.shape[1]
    w = np.ones(k) if fitness is None else 1.0 + np.asarray(fitness, dtype=float).reshape(k)
    if np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"`fitness` must give weights 1 + s ≥ 0, got {fitness!r}")
    rng = np.random.default_rng(seed)
    eye = np.eye(k)
    covs = np.empty((xs.shape[0], k, k))
    mobs = np.empty_like(covs)

    def mean(x: Array, wts: Array) -> Array:
        return np.asarray((x * wts / np.dot(x, wts) - x) / n)

    for i, x in enumerate(xs):
        birth = rng.choice(k, size=reps, p=x * w / np.dot(x, w))
        death = rng.choice(k, size=reps, p=x)
        covs[i] = np.cov((eye[birth] - eye[death]) / n, rowvar=False)
        for j in range(k):
            e = np.zeros(k)
            e[j] = ds * w[j]
            mobs[i, :, j] = (mean(x, w + e) - mean(x, w - e)) / (2 * ds)
    return covs, mobs
