r"""Splitting schemes for :math:`e^{-i(T+V)h/\hbar}`.

A scheme is a symmetric composition of Strang steps
:math:`S(h) = e^{-iVh/2\hbar} e^{-iTh/\hbar} e^{-iVh/2\hbar}` with weights :math:`w_1…w_s`
(:math:`\sum w_j = 1`): :math:`\Phi(h) = S(w_s h)\cdots S(w_1 h)`.  Adjacent half-steps of V merge,
so one step costs ``s`` FFT pairs.  With a time-dependent V each Strang sub-step evaluates V at
its own midpoint time; this keeps every sub-step symmetric, so the composition keeps its order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCHEMES", "SplittingScheme", "get_scheme"]


@dataclass(frozen=True)
class SplittingScheme:
    """A composition of Strang steps.

    Attributes
    ----------
    name
        Registry key.
    order
        Order of accuracy in the time step (global error ``O(dt**order)``).
    coefficients
        Strang sub-step weights :math:`w_j` (sum to 1).
    """

    name: str
    order: int
    coefficients: tuple[float, ...]

    def __post_init__(self) -> None:
        if abs(sum(self.coefficients) - 1.0) > 1e-14:
            raise ValueError(f"scheme {self.name!r}: coefficients must sum to 1")

    @property
    def stages(self) -> int:
        """FFT pairs per step."""
        return len(self.coefficients)

    @property
    def positive(self) -> bool:
        """All weights positive (needed for imaginary time and absorbing layers)."""
        return all(c > 0 for c in self.coefficients)

    def substep_midpoints(self) -> NDArray[np.float64]:
        """Midpoint time of each Strang sub-step, in units of the step (0 … 1)."""
        w = np.asarray(self.coefficients)
        return np.cumsum(w) - w / 2


def _triple_jump(inner: tuple[float, ...], order: int) -> tuple[float, ...]:
    """Yoshida's triple jump raising a symmetric method of ``order`` to ``order + 2``."""
    x1 = 1.0 / (2.0 - 2.0 ** (1.0 / (order + 1)))
    x0 = 1.0 - 2.0 * x1
    return (
        tuple(x1 * c for c in inner) + tuple(x0 * c for c in inner) + tuple(x1 * c for c in inner)
    )


# Yoshida (1990) solution A for order 6 (7 Strang sub-steps).
_Y6 = (0.784513610477560, 0.235573213359357, -1.17767998417887)
_Y6_0 = 1.0 - 2.0 * sum(_Y6)

SCHEMES: dict[str, SplittingScheme] = {
    s.name: s
    for s in (
        SplittingScheme("strang", 2, (1.0,)),
        SplittingScheme("yoshida4", 4, _triple_jump((1.0,), 2)),
        SplittingScheme("yoshida6", 6, (*_Y6, _Y6_0, *_Y6[::-1])),
    )
}


def get_scheme(scheme: str | SplittingScheme) -> SplittingScheme:
    """Look up a scheme by name (``ValueError`` listing the known names otherwise)."""
    if isinstance(scheme, SplittingScheme):
        return scheme
    try:
        return SCHEMES[scheme]
    except (KeyError, TypeError):
        raise ValueError(
            f"`scheme` must be one of {', '.join(map(repr, SCHEMES))}, got {scheme!r}"
        ) from None
