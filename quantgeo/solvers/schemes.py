r"""Splitting schemes for :math:`e^{-i(T+V)h/\hbar}`.

A scheme is a palindromic product of potential and kinetic factors

.. math::  \Phi(h) = e^{-ia_0 hV/\hbar}\, e^{-ib_1 hT/\hbar}\, e^{-ia_1 hV/\hbar} \cdots
   e^{-ib_s hT/\hbar}\, e^{-ia_s hV/\hbar}, \qquad \sum_j a_j = \sum_j b_j = 1,

with ``s`` kinetic weights :math:`b_j` (:attr:`SplittingScheme.coefficients`) and ``s + 1``
potential weights :math:`a_j` (:attr:`SplittingScheme.potential_weights`).  The last potential
factor of a step merges with the first of the next, so one step costs ``s`` FFT pairs.

Most schemes are *compositions* of Strang steps
:math:`S(h) = e^{-iVh/2\hbar} e^{-iTh/\hbar} e^{-iVh/2\hbar}` with weights :math:`w_j`:
:math:`\Phi(h) = S(w_s h)\cdots S(w_1 h)`, i.e. :math:`b_j = w_j`, :math:`a_0 = w_1/2`,
:math:`a_j = (w_j + w_{j+1})/2`, :math:`a_s = w_s/2`.  With a time-dependent V each Strang
sub-step evaluates V at its own midpoint time; this keeps every sub-step symmetric, so the
composition keeps its order.  The others (Blanes & Moan's) are general splittings with their own
:math:`a_j`; a time-dependent V is evaluated at the clock of the extended system in which t
advances with the kinetic flows (potential factor j at :math:`t + h\sum_{i\le j} b_i`), which is
that scheme applied exactly to :math:`(T + p_t) + V(x, t)` and so keeps its order too.

Registered schemes (order, FFT pairs per step):

=================  =====  ======  ==============================================================
name               order  stages  reference
=================  =====  ======  ==============================================================
``strang``         2      1       Strang (1968)
``yoshida4``       4      3       Yoshida (1990) triple jump
``suzuki4``        4      5       Suzuki (1990) fractal, Phys. Lett. A 146, 319
``blanes-moan4``   4      6       Blanes & Moan (2002) S6, J. Comput. Appl. Math. 142, 313,
                                  Table 2
``yoshida6``       6      7       Yoshida (1990) solution A, Phys. Lett. A 150, 262
``kahan-li6``      6      9       Kahan & Li (1997) s9odr6a, Math. Comp. 66, 1089
``blanes-moan6``   6      10      Blanes & Moan (2002) S10, Table 2
``suzuki-umeno8``  8      15      Suzuki & Umeno (1993), as given by McLachlan (1995), SIAM J.
                                  Sci. Comput. 16, 151, and Hairer, Lubich & Wanner (2006) V.3.2
``kahan-li8``      8      17      Kahan & Li (1997) s17odr8a
=================  =====  ======  ==============================================================

The optimised ones trade more stages per step for much smaller error constants: on the 2D 48²
trap of ``benchmarks/qutip_methods.py`` (relative error 1e-6 over t = 10) ``blanes-moan6``
needs 200 FFT pairs, ``suzuki-umeno8`` 300, ``kahan-li6`` 450 and ``yoshida6`` 490.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCHEMES", "SplittingScheme", "get_scheme"]

CArray = NDArray[np.complex128]


@dataclass(frozen=True)
class SplittingScheme:
    """A palindromic splitting: a composition of Strang steps, or general potential weights.

    Attributes
    ----------
    name
        Registry key.
    order
        Order of accuracy in the time step (global error ``O(dt**order)``).
    coefficients
        Kinetic weights :math:`b_j` (sum to 1); for a composition the Strang sub-step weights.
    v_weights
        Potential weights :math:`a_0 … a_s` (``s + 1`` values, sum 1) of a general splitting;
        ``None`` for a composition of Strang steps (then derived from ``coefficients``).
    reference
        Where the coefficients are published.
    """

    name: str
    order: int
    coefficients: tuple[float, ...]
    v_weights: tuple[float, ...] | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        if abs(sum(self.coefficients) - 1.0) > 1e-14:
            raise ValueError(f"scheme {self.name!r}: coefficients must sum to 1")
        if self.v_weights is not None:
            if len(self.v_weights) != len(self.coefficients) + 1:
                raise ValueError(
                    f"scheme {self.name!r}: `v_weights` needs {len(self.coefficients) + 1} "
                    f"values (one more than the coefficients), got {len(self.v_weights)}"
                )
            if abs(sum(self.v_weights) - 1.0) > 1e-14:
                raise ValueError(f"scheme {self.name!r}: v_weights must sum to 1")

    @property
    def stages(self) -> int:
        """FFT pairs per step."""
        return len(self.coefficients)

    @property
    def composition(self) -> bool:
        """Whether the scheme is a composition of Strang steps (``v_weights`` is None)."""
        return self.v_weights is None

    @property
    def potential_weights(self) -> tuple[float, ...]:
        """The ``s + 1`` potential weights :math:`a_j` (derived for a composition)."""
        if self.v_weights is not None:
            return self.v_weights
        w = self.coefficients
        return (0.5 * w[0], *(0.5 * (w[j] + w[j + 1]) for j in range(len(w) - 1)), 0.5 * w[-1])

    @property
    def factor_weights(self) -> tuple[float, float]:
        """Largest ``|weight|`` of a potential factor and of a kinetic factor a run applies
        (the factor merged between two steps weighs ``a₀ + a_s``).  A factor's phase is its
        weight times the phase per step: Strang's are (1, 1), Yoshida-4's (1.35, 1.70),
        Blanes–Moan S10's (0.73, 0.43)."""
        a = self.potential_weights
        v = max(abs(a[0] + a[-1]), *(abs(x) for x in a[1:-1]), 0.0)
        return v, max(abs(b) for b in self.coefficients)

    @property
    def phase_weights(self) -> tuple[float, float]:
        """:attr:`factor_weights` capped at 1: the weights of the phase-per-step check, which
        warns only when both the step's phase and its largest factor's exceed π
        (:func:`~quantgeo.solvers.accuracy.check_phase_per_step`)."""
        wv, wk = self.factor_weights
        return min(1.0, wv), min(1.0, wk)

    @property
    def positive(self) -> bool:
        """All weights positive (needed for imaginary time and absorbing layers)."""
        return all(c > 0 for c in (*self.coefficients, *self.potential_weights))

    def substep_midpoints(self) -> NDArray[np.float64]:
        """Midpoint time of each Strang sub-step, in units of the step (0 … 1)."""
        w = np.asarray(self.coefficients)
        return np.cumsum(w) - w / 2

    def potential_times(self) -> NDArray[np.float64]:
        """Time of each of the ``s + 1`` potential factors of a general splitting, in units of
        the step: :math:`\\sum_{i \\le j} b_i` (the clock advanced by the kinetic flows)."""
        return np.concatenate(([0.0], np.cumsum(self.coefficients)))


def _static_layout(scheme: SplittingScheme) -> tuple[tuple[float, ...], NDArray[np.int64], int]:
    """``(weights, index, merged)`` of a general splitting's static potential factors: the
    distinct weights (the ``s + 1`` palindromic :math:`a_j` repeat) with the merged weight
    :math:`a_s + a_0` last, the row of each of the ``s + 1`` factors, and the merged row.
    Fewer distinct rows: less ``expm1j`` work and a smaller working set for the kernel."""
    a = scheme.potential_weights
    weights = list(dict.fromkeys(a))
    index = np.array([weights.index(w) for w in a], dtype=np.int64)
    weights.append(a[-1] + a[0])
    return tuple(weights), index, len(weights) - 1


def _triple_jump(inner: tuple[float, ...], order: int) -> tuple[float, ...]:
    """Yoshida's triple jump raising a symmetric method of ``order`` to ``order + 2``."""
    x1 = 1.0 / (2.0 - 2.0 ** (1.0 / (order + 1)))
    x0 = 1.0 - 2.0 * x1
    return (
        tuple(x1 * c for c in inner) + tuple(x0 * c for c in inner) + tuple(x1 * c for c in inner)
    )


def _palindrome(half: tuple[float, ...], middle: float | None = None) -> tuple[float, ...]:
    """``half + (middle,) + reversed(half)``; ``middle`` None: ``1 − 2·sum(half)``, so the whole
    sums to 1 (the published tables give the free half and fix the middle this way)."""
    mid = 1.0 - 2.0 * sum(half) if middle is None else middle
    return (*half, mid, *half[::-1])


def _even_palindrome(half: tuple[float, ...]) -> tuple[float, ...]:
    """``half`` with its last entry set to ``½ − sum(the others)``, then mirrored (sum 1)."""
    head = half[:-1]
    last = 0.5 - sum(head)
    return (*head, last, last, *head[::-1])


# Yoshida (1990) solution A for order 6 (7 Strang sub-steps).
_Y6 = (0.784513610477560, 0.235573213359357, -1.17767998417887)
# Suzuki (1990): four sub-steps of p = 1/(4 − 4^{1/3}) around one of 1 − 4p.
_SZ4 = 1.0 / (4.0 - 4.0 ** (1.0 / 3.0))
# Kahan & Li (1997) s9odr6a; Hairer, Lubich & Wanner (2006) eq. V.3.11 (γ₁ … γ₄, γ₅ = 1 − 2Σ).
_KL6 = (
    0.39216144400731413927925056,
    0.33259913678935943859974864,
    -0.70624617255763935980996482,
    0.08221359629355080023149045,
)
# Suzuki & Umeno (1993) order 8, 15 sub-steps; McLachlan (1995); HLW (2006) V.3.2 (γ₈ = 1 − 2Σ).
_SU8 = (
    0.74167036435061295344822780,
    -0.40910082580003159399730010,
    0.19075471029623837995387626,
    -0.57386247111608226665638773,
    0.29906418130365592384446354,
    0.33462491824529818378495798,
    0.31529309239676659663205666,
)
# Kahan & Li (1997) s17odr8a; HLW (2006) eq. V.3.13 (γ₁ … γ₈, γ₉ = 1 − 2Σ).
_KL8 = (
    0.13020248308889008087881763,
    0.56116298177510838456196441,
    -0.38947496264484728640807860,
    0.15884190655515560089621075,
    -0.39590389413323757733623154,
    0.18453964097831570709183254,
    0.25837438768632204729397911,
    0.29501172360931029887096624,
)
# Blanes & Moan (2002) Table 2, S6 (order 4) and S10 (order 6): the published a_i (potential,
# at the ends) and b_i (kinetic); the last of each half follows from the sums.
_BM6_A = (0.0792036964311957, 0.353172906049774, -0.0420650803577195)
_BM6_B = (0.209515106613362, -0.143851773179818, 0.0)  # b₃ = ½ − b₁ − b₂
_BM10_A = (
    0.0502627644003922,
    0.413514300428344,
    0.0450798897943977,
    -0.188054853819569,
    0.541960678450780,
)
_BM10_B = (0.148816447901042, -0.132385865767784, 0.067307604692185, 0.432666402578175, 0.0)

SCHEMES: dict[str, SplittingScheme] = {
    s.name: s
    for s in (
        SplittingScheme("strang", 2, (1.0,), reference="Strang (1968)"),
        SplittingScheme(
            "yoshida4", 4, _triple_jump((1.0,), 2), reference="Yoshida (1990), triple jump"
        ),
        SplittingScheme(
            "suzuki4",
            4,
            (_SZ4, _SZ4, 1.0 - 4.0 * _SZ4, _SZ4, _SZ4),
            reference="Suzuki (1990), Phys. Lett. A 146, 319",
        ),
        SplittingScheme(
            "blanes-moan4",
            4,
            _even_palindrome(_BM6_B),
            _palindrome(_BM6_A),
            reference="Blanes & Moan (2002), J. Comput. Appl. Math. 142, 313, Table 2, S6",
        ),
        SplittingScheme(
            "yoshida6",
            6,
            _palindrome(_Y6),
            reference="Yoshida (1990), Phys. Lett. A 150, 262, solution A",
        ),
        SplittingScheme(
            "kahan-li6",
            6,
            _palindrome(_KL6),
            reference="Kahan & Li (1997), Math. Comp. 66, 1089, s9odr6a",
        ),
        SplittingScheme(
            "blanes-moan6",
            6,
            _even_palindrome(_BM10_B),
            _palindrome(_BM10_A),
            reference="Blanes & Moan (2002), J. Comput. Appl. Math. 142, 313, Table 2, S10",
        ),
        SplittingScheme(
            "suzuki-umeno8",
            8,
            _palindrome(_SU8),
            reference="Suzuki & Umeno (1993); McLachlan (1995), SIAM J. Sci. Comput. 16, 151",
        ),
        SplittingScheme(
            "kahan-li8",
            8,
            _palindrome(_KL8),
            reference="Kahan & Li (1997), Math. Comp. 66, 1089, s17odr8a",
        ),
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
