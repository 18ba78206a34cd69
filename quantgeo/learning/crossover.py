r"""Crossover metric between the regimes a = 0, ½ and 1 (THEORY §3).

Per eigen-direction of ``κ`` (eigenvalue ``λ``) the metric has the eigenvalue ``φ(λ)`` with

.. math:: φ^2 = c^2(ε + bλ + ζλ^2),\qquad
          b = 1\ (\text{sum law}),\qquad b = 1 + εζ\ (\text{product law } (ε + λ)(1 + ζλ))

so both laws are one family.  Local exponent

.. math:: a_\text{eff}(λ) = \frac{d\ln φ}{d\ln λ} = \frac{λ(b + 2ζλ)}{2(ε + bλ + ζλ^2)},\qquad
          a_\text{eff} − ½ = \frac{ζλ^2 − ε}{2(ε + bλ + ζλ^2)}

which is 0 for ``λ ≪ ε/b``, ``½`` at ``λ* = √(ε/ζ)`` (both laws) and 1 for ``λ ≫ b/ζ``.

**Window.** ``|a_eff − ½| < δ`` holds exactly on ``(λ₋, λ₊)`` with

.. math:: R = \sqrt{δ^2 b^2 + εζ(1 − 4δ^2)},\qquad
          λ_+ = \frac{δb + R}{ζ(1 − 2δ)},\qquad λ_- = \frac{R − δb}{ζ(1 + 2δ)},

(the roots of ``ζ(1 ∓ 2δ)λ² ∓ 2δbλ − ε(1 ± 2δ) = 0``), centred on ``λ*`` in ``ln λ``
(``λ₊λ₋ = ε/ζ``).  Width ``w = log₁₀(λ₊/λ₋)`` decades.  For ``εζ ≪ 1`` both laws give
``w ≈ −log₁₀ εζ − 2 log₁₀((1 − 2δ)/2δ)``; the product law is symmetric under ``ε ↔ 1/ζ``
(``b/ζ`` and ``ε`` swap roles), so for ``εζ ≫ 1`` it gives ``w ≈ log₁₀ εζ − 2 log₁₀((1−2δ)/2δ)``
— the planning formula ``|log₁₀ εζ| − 2 log₁₀((1 − 2δ)/2δ)`` is this two-sided asymptote (it
goes negative near ``εζ = 1``, where the exact product width is ``2 log₁₀((1+2δ)/(1−2δ))``).
The sum law's window closes instead: for ``εζ ≫ 1``, ``w → log₁₀((1 + 2δ)/(1 − 2δ))`` (the
width of the jump from a = 0 to a = 1 itself, 0.18 decades at ``δ = 0.1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_positive
from quantgeo.learning.metric import eigh_stack

__all__ = ["LAWS", "CrossoverMetric", "measured_a_eff"]

Array = NDArray[np.float64]
LAWS: tuple[str, ...] = ("sum", "product")


@dataclass(frozen=True)
class CrossoverMetric:
    """Metric ``g = c·(ε + bκ + ζκ²)^{1/2}`` per eigen-direction of κ (module docstring).

    Parameters
    ----------
    eps
        ``ε ≥ 0``: below ``κ ≈ ε`` the metric is constant (a = 0).
    zeta
        ``ζ ≥ 0``: above ``κ ≈ 1/ζ`` the metric grows like κ (a = 1).
    c
        Scale ``c > 0``.
    law
        ``"sum"`` (``ε + κ + ζκ²``) or ``"product"`` (``(ε + κ)(1 + ζκ)``).

    Notes
    -----
    Pass it to :class:`~quantgeo.learning.CovariantGD` in place of ``a``.
    """

    eps: float
    zeta: float
    c: float = 1.0
    law: str = "sum"

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps", check_positive("eps", self.eps, allow_zero=True))
        object.__setattr__(self, "zeta", check_positive("zeta", self.zeta, allow_zero=True))
        object.__setattr__(self, "c", check_positive("c", self.c))
        object.__setattr__(self, "law", check_choice("law", self.law, LAWS))

    @property
    def b(self) -> float:
        """Linear coefficient: 1 (sum law) or ``1 + εζ`` (product law)."""
        return 1.0 if self.law == "sum" else 1.0 + self.eps * self.zeta

    @property
    def kappa_star(self) -> float:
        """``√(ε/ζ)``, where ``a_eff = ½`` exactly (``nan`` if ``ε = 0`` or ``ζ = 0``)."""
        if self.eps == 0 or self.zeta == 0:
            return float("nan")
        return math.sqrt(self.eps / self.zeta)

    # -- the scalar function ------------------------------------------------------------------
    def _g2(self, lam: Array) -> Array:
        # Horner form; for the product law it equals (ε + λ)(1 + ζλ) to rounding
        return np.asarray(self.eps + lam * (self.b + self.zeta * lam))

    def phi(self, lam: ArrayLike) -> Array:
        """Metric eigenvalue ``φ(λ) = c·√(ε + bλ + ζλ²)`` (``λ`` clipped at 0)."""
        x = np.maximum(np.asarray(lam, dtype=float), 0.0)
        return np.asarray(self.c * np.sqrt(self._g2(x)))

    def dlog_phi(self, lam: ArrayLike) -> Array:
        """``φ'(λ)/φ(λ) = (b + 2ζλ)/(2(ε + bλ + ζλ²))`` (``λ`` clipped at 0; for the
        learning engines' coefficients)."""
        x = np.maximum(np.asarray(lam, dtype=float), 0.0)
        return np.asarray((self.b + 2 * self.zeta * x) / (2 * self._g2(x)))

    def a_eff(self, lam: ArrayLike) -> Array:
        """Local exponent ``d ln φ/d ln λ = λ(b + 2ζλ)/(2(ε + bλ + ζλ²))``."""
        x = np.asarray(lam, dtype=float)
        if np.any(x <= 0):
            raise ValueError("`lam` must be positive for the local exponent")
        return np.asarray(x * (self.b + 2 * self.zeta * x) / (2 * self._g2(x)))

    # -- the matrix metric --------------------------------------------------------------------
    def metric(self, kappa: ArrayLike, *, diagonal: bool | None = None) -> Array:
        """``g`` for a diagonal ``(..., K)`` or full ``(..., K, K)`` κ (as :func:`metric`)."""
        k = np.asarray(kappa, dtype=float)
        if diagonal if diagonal is not None else k.ndim == 1:
            return self.phi(k)
        lam, vec = eigh_stack(k)
        return np.asarray(np.einsum("...ik,...k,...jk->...ij", vec, self.phi(lam), vec))

    def apply_inverse(self, kappa: ArrayLike, v: ArrayLike, *, diagonal: bool) -> Array:
        """``g⁻¹ v`` (``v`` shape ``(..., K)``), through the eigen-decomposition of a full κ."""
        k = np.asarray(kappa, dtype=float)
        x = np.asarray(v, dtype=float)
        if diagonal:
            return np.asarray(x / self.phi(k))
        lam, vec = eigh_stack(k)
        y = np.einsum("...ki,...k->...i", vec, x)
        return np.asarray(np.einsum("...ik,...k->...i", vec, y / self.phi(lam)))

    # -- the order parameter ------------------------------------------------------------------
    def window(self, delta: float = 0.1) -> tuple[float, float, float]:
        """``(λ₋, λ₊, width in decades)`` of ``|a_eff − ½| < δ`` (exact, module docstring)."""
        d = check_positive("delta", delta)
        if d >= 0.5:
            raise ValueError(f"`delta` must be in (0, 0.5), got {delta!r}")
        ez = self.eps * self.zeta
        r = math.sqrt(d * d * self.b * self.b + ez * (1 - 4 * d * d))
        # λ₊ = (δb + R)/(ζ(1 − 2δ)) (∞ without the a = 1 end); λ₋ = (R − δb)/(ζ(1 + 2δ)) written
        # as ε(1 − 4δ²)/((R + δb)(1 + 2δ)): no cancellation, finite at ζ = 0, zero at ε = 0
        hi = math.inf if self.zeta == 0 else (d * self.b + r) / (self.zeta * (1 - 2 * d))
        lo = self.eps * (1 - 4 * d * d) / ((r + d * self.b) * (1 + 2 * d))
        if lo == 0 or math.isinf(hi):
            return lo, hi, math.inf
        return lo, hi, math.log10(hi / lo)

    def window_width(self, delta: float = 0.1) -> float:
        """Exact width of the a = ½ window in decades of κ."""
        return self.window(delta)[2]

    def window_width_asymptotic(self, delta: float = 0.1) -> float:
        """``|log₁₀ εζ| − 2 log₁₀((1 − 2δ)/2δ)`` (product law, ``|log εζ| ≫ 1``; for the sum
        law only on the ``εζ ≪ 1`` side)."""
        d = check_positive("delta", delta)
        return abs(math.log10(self.eps * self.zeta)) - 2 * math.log10((1 - 2 * d) / (2 * d))

    def f_half(
        self, kappas: ArrayLike | None = None, *, delta: float = 0.1, decades: float = 8.0
    ) -> float:
        r"""Fraction of directions with ``|a_eff − ½| < δ``.

        ``kappas``: the eigenvalues of a κ (e.g. of a minibatch-noise covariance).  ``None``:
        a log-uniform spectrum over ``decades`` centred on ``λ*``, for which the fraction is
        ``min(1, w/decades)`` exactly (the window is centred on ``λ*`` in ``ln λ``).
        """
        d = check_positive("delta", delta)
        if kappas is None:
            return min(1.0, self.window_width(d) / check_positive("decades", decades))
        lam = np.asarray(kappas, dtype=float).ravel()
        return float(np.mean(np.abs(self.a_eff(lam) - 0.5) < d))


def measured_a_eff(
    metric: CrossoverMetric | float,
    kappas: ArrayLike,
    *,
    samples: int = 20_000,
    lr: float = 1.0,
    seed: int = 0,
) -> tuple[Array, Array, Array]:
    r"""``a_eff`` measured from an ensemble of updates, without using ``g``.

    :class:`~quantgeo.learning.CovariantGD` with the exact diagonal ``κ = diag(kappas)`` takes
    ``samples`` steps from gradient samples ``G = κ^{1/2} ξ`` (``ξ ~ N(0, I)``, pure noise, so
    every step starts afresh); ``Var(Δq_i) ∝ κ_i^{1−2a}`` gives, between neighbouring
    directions, ``a_eff = (1 − Δ ln Var/Δ ln κ)/2``.

    Returns
    -------
    kappa_mid, a_eff, a_se
        Geometric midpoints of neighbouring ``kappas`` (sorted), the measured exponents and their
        standard errors (``Var(ln s²) ≈ 2/(M − 1)`` per direction).
    """
    from quantgeo._validation import check_int
    from quantgeo.learning.optimizers import CovariantGD

    lam = np.sort(np.asarray(kappas, dtype=float).ravel())
    if lam.size < 2 or np.any(lam <= 0) or np.any(np.diff(lam) <= 0):
        raise ValueError("`kappas` must hold ≥ 2 distinct positive eigenvalues")
    m = check_int("samples", samples, 3)
    opt = CovariantGD(metric, lr, moments="exact", kappa=lambda q: lam, eps=0.0)
    rng = np.random.default_rng(seed)
    q0 = np.zeros(lam.size)
    state = opt.init(q0)
    steps = np.empty((m, lam.size))
    root = np.sqrt(lam)
    for i in range(m):
        q1, _ = opt.step(q0, root * rng.standard_normal(lam.size), state)
        steps[i] = q1 - q0
    log_var = np.log(steps.var(axis=0, ddof=1))
    dlk = np.diff(np.log(lam))
    slope = np.diff(log_var) / dlk
    se = np.sqrt(2 * 2.0 / (m - 1)) / dlk
    return np.sqrt(lam[1:] * lam[:-1]), 0.5 * (1 - slope), 0.5 * se
