"""Problems shared by the learning tests."""

from __future__ import annotations

import numpy as np

from quantgeo.learning import LearningProblem, Polynomial

#: Anisotropic curvature and constant noise of the P1–P5 tests: κ is not proportional to A and
#: does not commute with it (‖Aκ − κA‖ ≈ 0.8).
A2 = np.array([[2.0, 0.6], [0.6, 1.0]])
KAPPA2 = np.array([[0.5, -0.25], [-0.25, 1.5]])


def state_dependent_problem(full: bool = True) -> LearningProblem:
    """2D quadratic loss with an anisotropic, state-dependent κ(q) (P6).

    ``κ(q) = [[0.5 + 0.3 q0², o], [o, 1 + 0.2 q1²]]`` with ``o = −0.2 + 0.1 q0 q1`` (``full``) or
    ``0``; positive definite everywhere for ``|q| ≲ 10``.
    """
    x, y = Polynomial.variable(0, 2), Polynomial.variable(1, 2)
    off = (-0.2 + 0.1 * x * y) if full else Polynomial.constant(0.0, 2)
    kap = [[0.5 + 0.3 * x * x, off], [off, 1.0 + 0.2 * y * y]]
    h = Polynomial.quadratic_form([[2.0, 0.5], [0.5, 1.0]])
    return LearningProblem(h, kap, minimizer=[0.0, 0.0], name="quad-kappa(q)")


def state_dependent_problem_1d() -> LearningProblem:
    """1D anharmonic loss ``½q² + 0.1 q⁴`` with ``κ(q) = 0.5 + 0.3 q²``."""
    x = Polynomial.variable(0, 1)
    return LearningProblem(
        0.5 * x * x + 0.1 * x * x * x * x, [[0.5 + 0.3 * x * x]], minimizer=[0.0]
    )
