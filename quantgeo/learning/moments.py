r"""Exponential-moving-average gradient moments and the noise covariance ``κ`` built from them.

THEORY §1: ``M1 = ⟨∇H⟩``, ``M2 = ⟨∇H ∇Hᵀ⟩``, ``κ = M2 − M1 M1ᵀ``, each average an EMA

.. math:: M_1 ← β_2 M_1 + (1 − β_2)\,G,\qquad M_2 ← β_2 M_2 + (1 − β_2)\,G Gᵀ

(``G`` the gradient sample, ``G Gᵀ`` replaced by ``G ∘ G`` for a diagonal estimate).  Three
centrings:

``"none"`` (``centered=False``)
    ``κ = M̂2`` — the uncentred second moment (RMSProp, Adam).
``"ema"`` (``centered=True``)
    ``κ = M̂2 − M̂1 M̂1ᵀ``, ``M1`` averaged with the same ``β2`` (centred RMSProp).
``"belief"``
    ``M2 ← β2 M2 + (1 − β2)(G − m)(G − m)ᵀ`` with ``m`` the optimiser's momentum after its
    update, ``κ = M̂2`` (AdaBelief's second moment).

Hats are bias corrections ``M̂ = M/(1 − β2^t)`` after ``t`` updates (when enabled).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_choice, check_int, check_real

__all__ = ["CENTERINGS", "EMAMoments", "MomentState", "normalize_centering"]

Array = NDArray[np.float64]
Centering = Literal["none", "ema", "belief"]
CENTERINGS: tuple[str, ...] = ("none", "ema", "belief")


def normalize_centering(centered: bool | str) -> Centering:
    """Map ``False``/``True``/``"none"``/``"ema"``/``"belief"`` to a centring name."""
    if centered is False:
        return "none"
    if centered is True:
        return "ema"
    return check_choice("centered", centered, CENTERINGS)  # type: ignore[return-value]


def check_beta(name: str, value: float) -> float:
    """Return a decay rate in ``[0, 1)`` or raise naming ``name``."""
    b = check_real(name, value)
    if not 0.0 <= b < 1.0:
        raise ValueError(f"`{name}` must lie in [0, 1), got {value!r}")
    return b


@dataclass(frozen=True)
class MomentState:
    """EMA moments after ``count`` updates.

    Attributes
    ----------
    count
        Number of gradients absorbed (``t``).
    m2
        Second moment, shape ``(K,)`` (diagonal) or ``(K, K)``.
    m1
        First moment (``centered="ema"`` only), shape ``(K,)``; otherwise ``None``.
    """

    count: int
    m2: Array
    m1: Array | None = None


class EMAMoments:
    """Estimator of ``κ`` from exponential moving moments (functional: states are immutable).

    Parameters
    ----------
    beta2
        EMA decay in ``[0, 1)`` for ``M1`` and ``M2``.
    full
        Keep the full ``K × K`` second moment (else its diagonal).
    centered
        ``False``/``"none"``, ``True``/``"ema"`` or ``"belief"`` (module docstring).
    bias_correction
        Divide by ``1 − β2^t``.
    """

    def __init__(
        self,
        beta2: float,
        *,
        full: bool = False,
        centered: bool | str = False,
        bias_correction: bool = True,
    ) -> None:
        self.beta2 = check_beta("beta2", beta2)
        self.full = bool(full)
        self.centered: Centering = normalize_centering(centered)
        self.bias_correction = bool(bias_correction)

    def init(self, dim: int) -> MomentState:
        """Zero moments for ``dim`` trainable variables."""
        dim = check_int("dim", dim)
        m2 = np.zeros((dim, dim) if self.full else dim)
        m1 = np.zeros(dim) if self.centered == "ema" else None
        return MomentState(0, m2, m1)

    def update(
        self, state: MomentState, grad: ArrayLike, center: ArrayLike | None = None
    ) -> MomentState:
        """Absorb one gradient sample ``grad`` (shape ``(K,)``).

        ``center`` is the momentum ``m_t`` for ``centered="belief"`` (required there).
        """
        g = np.asarray(grad, dtype=float)
        b = self.beta2
        if self.centered == "belief":
            if center is None:
                raise ValueError('`center` (the momentum m_t) is required for centered="belief"')
            g2 = g - np.asarray(center, dtype=float)
        else:
            g2 = g
        outer = np.outer(g2, g2) if self.full else g2 * g2
        m2 = b * state.m2 + (1.0 - b) * outer
        m1 = None
        if state.m1 is not None:
            m1 = b * state.m1 + (1.0 - b) * g
        return MomentState(state.count + 1, m2, m1)

    def kappa(self, state: MomentState) -> Array:
        """Estimated ``κ`` (bias corrected if enabled); shape of ``state.m2``."""
        if state.count == 0:
            raise ValueError("no gradient absorbed yet: call `update` before `kappa`")
        corr = 1.0 - self.beta2**state.count if self.bias_correction else 1.0
        m2 = state.m2 / corr
        if self.centered == "ema":
            assert state.m1 is not None
            m1 = state.m1 / corr
            return m2 - (np.outer(m1, m1) if self.full else m1 * m1)
        return m2
