"""Argument checks shared by the two learning engines
(:class:`~quantgeo.learning.ensemble.LangevinEnsemble` and
:class:`~quantgeo.learning.fokker_planck.FokkerPlanck`); their run loop is the fixed-step
template of :mod:`quantgeo.solvers.base`."""

from __future__ import annotations

import math

from quantgeo.learning.grid import Grid
from quantgeo.learning.problem import LearningProblem

__all__ = ["check_grid", "check_problem", "check_t_span"]


def check_problem(problem: object) -> LearningProblem:
    """Return ``problem`` if it is a :class:`LearningProblem`, else raise ``TypeError``."""
    if not isinstance(problem, LearningProblem):
        raise TypeError(f"`problem` must be a LearningProblem, got {type(problem).__name__}")
    return problem


def check_grid(grid: object, problem: LearningProblem) -> Grid:
    """Return ``grid`` if it is a :class:`Grid` with one axis per variable of ``problem``."""
    if not isinstance(grid, Grid):
        raise TypeError(f"`grid` must be a Grid, got {type(grid).__name__}")
    if grid.ndim != problem.dim:
        raise ValueError(
            f"`grid` has {grid.ndim} axes but `problem` has {problem.dim} trainable variables"
        )
    return grid


def check_t_span(t_span: tuple[float, float]) -> tuple[float, float]:
    """``(t0, t1)`` as floats if both are finite and ``t0 ≤ t1``, else ``ValueError``."""
    t0, t1 = float(t_span[0]), float(t_span[1])
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 >= t0):
        raise ValueError(f"`t_span` must satisfy t0 ≤ t1 (both finite), got {t_span!r}")
    return t0, t1
