r"""The metric of the learning engines: a power ``a`` of ``g = c·(κ + eps·I)^a`` or a metric
object applied per eigen-direction of κ (:class:`~quantgeo.learning.CrossoverMetric`).

A metric object needs ``phi(λ)`` (the metric eigenvalue ``φ(λ)``) and ``dlog_phi(λ)``
(``φ'(λ)/φ(λ)``); :mod:`quantgeo.learning.coefficients` (and so
:class:`~quantgeo.learning.FokkerPlanck`) uses them at every point.  The Euler–Maruyama kernel
of :class:`~quantgeo.learning.LangevinEnsemble` evaluates ``φ = c(λ + eps)^a`` per walker; for a
constant κ it needs ``φ`` only on the ≤ 2 eigenvalues ``λ_i`` of κ, and every function on two
positive points is a power law: ``φ(λ_i) = c′λ_i^{a′}`` with
``a′ = ln(φ₁/φ₂)/ln(λ₁/λ₂)``, ``c′ = φ₁/λ₁^{a′}`` (``a′ = 0``, ``c′ = φ(λ)`` for one distinct
eigenvalue).  :func:`spectrum_power_law` gives ``(a′, c′)``, so the kernel and its twin run
unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["is_metric_object", "metric_object_for_engine", "spectrum_power_law"]

Array = NDArray[np.float64]


def is_metric_object(a: Any) -> bool:
    """Whether ``a`` is a metric object (has ``phi`` and ``dlog_phi``) rather than a power."""
    return callable(getattr(a, "phi", None)) and callable(getattr(a, "dlog_phi", None))


def metric_object_for_engine(a: Any, c: float, eps: float, engine: str) -> Any:
    """``a`` if it is a metric object whose engine ``c`` and ``eps`` are left at their defaults
    (the object carries its own scale and regulariser), else ``None``."""
    if not is_metric_object(a):
        return None
    if c != 1.0 or eps != 0.0:
        raise ValueError(
            f"{engine}: `c` and `eps` must keep their defaults (1, 0) when `a` is a metric object "
            f"({type(a).__name__} carries its own scale and regulariser), got c={c!r}, eps={eps!r}"
        )
    return a


def spectrum_power_law(metric: Any, kappa: Array) -> tuple[float, float]:
    """``(a′, c′)`` with ``c′λ^{a′} = φ(λ)`` on the eigenvalues of the constant ``kappa``
    (shape ``(d, d)``, ``d`` ≤ 2, positive definite; module docstring)."""
    lam = np.linalg.eigvalsh(np.atleast_2d(np.asarray(kappa, dtype=float)))
    if lam.size > 2:
        raise ValueError(f"`a`: a metric object needs dim ≤ 2 here, got κ of size {lam.size}")
    if lam[0] <= 0:
        raise ValueError(
            "`a`: a metric object in LangevinEnsemble needs a positive definite constant κ, got "
            f"eigenvalues {lam.tolist()}"
        )
    phi = np.asarray(metric.phi(lam), dtype=float)
    if lam.size == 1 or lam[1] == lam[0]:
        return 0.0, float(phi[0])
    a = math.log(phi[1] / phi[0]) / math.log(lam[1] / lam[0])
    return a, float(phi[0] / lam[0] ** a)
