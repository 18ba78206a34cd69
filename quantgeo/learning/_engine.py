"""Argument checks and the time-step plan shared by the two learning engines
(:class:`~quantgeo.learning.ensemble.LangevinEnsemble` and
:class:`~quantgeo.learning.fokker_planck.FokkerPlanck`)."""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.typing import NDArray

from quantgeo.learning.grid import Grid
from quantgeo.learning.problem import LearningProblem
from quantgeo.recording import Recorder

__all__ = ["check_grid", "check_problem", "step_plan"]


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


def step_plan(
    t_span: tuple[float, float], rec: Recorder, dt: float, engine: str
) -> tuple[NDArray[np.float64], list[tuple[int, float]]]:
    """Record times of ``rec`` over ``t_span`` and, per interval between them, ``(m, h)``: the
    fewest equal steps ``h ≤ dt`` (``m = 0`` for an empty interval).

    The engines start recording at ``t_span[0]``; a recorder whose times start later is an
    error naming ``engine``.
    """
    t0, t1 = float(t_span[0]), float(t_span[1])
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 >= t0):
        raise ValueError(f"`t_span` must satisfy t0 ≤ t1 (both finite), got {t_span!r}")
    times = rec.schedule((t0, t1))
    if times[0] > t0 + 1e-12 * max(1.0, abs(t0)):
        raise ValueError(
            f"recorder times must start at t_span[0] = {t0:g} for {engine}, got {times[0]:g}"
        )
    plan = []
    for ta, tb in itertools.pairwise(times):
        m = max(1, math.ceil((tb - ta) / dt - 1e-9)) if tb > ta else 0
        plan.append((m, (tb - ta) / m if m else 0.0))
    return times, plan
