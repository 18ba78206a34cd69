"""Bad input gives errors that name the argument, what was received and what is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo.errors import StabilityError
from quantgeo.learning import (
    CovariantGD,
    FokkerPlanck,
    Grid,
    LangevinEnsemble,
    LearningProblem,
    Polynomial,
    Quadratic,
    stationary_covariance,
)
from quantgeo.recording import Recorder
from tests.learning.learning_helpers import A2, KAPPA2


@pytest.fixture
def quad() -> LearningProblem:
    return LearningProblem.quadratic(A2, KAPPA2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(lr=-1.0), r"`lr` must be positive, got -1"),
        (
            dict(lr=0.1, moments="adam"),
            r"`moments` must be one of 'ema-diag', 'ema-full', 'exact', got 'adam'",
        ),
        (dict(lr=0.1, beta2=1.0), r"`beta2` must lie in \[0, 1\), got 1"),
        (dict(lr=0.1, beta1=-0.1), r"`beta1` must lie in \[0, 1\)"),
        (dict(lr=0.1, eps=-1e-8), r"`eps` must be non-negative"),
        (dict(lr=0.1, moments="exact"), r"`kappa` .* is required"),
        (dict(lr=0.1, kappa=lambda q: q), r"`kappa` is only used with"),
        (
            dict(lr=0.1, centered="yes"),
            r"`centered` must be one of 'none', 'ema', 'belief', got 'yes'",
        ),
    ],
)
def test_covariant_gd_validation(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CovariantGD(0.5, **kwargs)


def test_covariant_gd_shapes() -> None:
    opt = CovariantGD(0.5, lr=0.1)
    state = opt.init(np.zeros(3))
    with pytest.raises(ValueError, match=r"`grad` must have shape \(3,\)"):
        opt.step(np.zeros(3), np.zeros(2), state)
    with pytest.raises(ValueError, match="`q0` must be a flat"):
        opt.init(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="`a` must be a real number"):
        CovariantGD("half", lr=0.1)


def test_ensemble_validation(quad: LearningProblem) -> None:
    with pytest.raises(ValueError, match="`dt` must be positive, got 0"):
        LangevinEnsemble(quad, 0.5, dt=0.0)
    with pytest.raises(ValueError, match="`n_walkers` must be an integer ≥ 2, got 1"):
        LangevinEnsemble(quad, 0.5, n_walkers=1)
    with pytest.raises(ValueError, match="`backend` must be one of 'numba', 'numpy', got 'cuda'"):
        LangevinEnsemble(quad, 0.5, backend="cuda")
    with pytest.raises(ValueError, match="`convention` must be one of 'ito', 'covariant'"):
        LangevinEnsemble(quad, 0.5, convention="stratonovich")
    with pytest.raises(ValueError, match=r"`grid` has 1 axes but `problem` has 2"):
        LangevinEnsemble(quad, 0.5, grid=Grid([(-1, 1)], 10))
    ens = LangevinEnsemble(quad, 0.5, n_walkers=10)
    with pytest.raises(
        ValueError, match=r"`state0` must have shape \(2,\) or \(10, 2\), got \(3,\)"
    ):
        ens.run(np.zeros(3), (0.0, 1.0))
    with pytest.raises(ValueError, match="unknown ensemble observable 'norm'; known: mean"):
        ens.run(np.zeros(2), (0.0, 1.0), recorder=Recorder(observables=("norm",)))
    with pytest.raises(ValueError, match="observable 'histogram' needs a `grid`"):
        ens.run(np.zeros(2), (0.0, 1.0), recorder=Recorder(observables=("histogram",)))
    with pytest.raises(ValueError, match="`t_span` must satisfy t0 ≤ t1"):
        ens.run(np.zeros(2), (1.0, 0.0))


def test_ensemble_instability_raises_with_time_and_step(quad: LearningProblem) -> None:
    ens = LangevinEnsemble(quad, 0.0, dt=5.0, n_walkers=100, seed=0)  # γ dt λ_max(A) ≈ 11 ≫ 2
    with pytest.raises(StabilityError, match="reduce `dt`") as info:
        ens.run(np.array([1.0, 1.0]), (0.0, 5000.0))
    assert info.value.step > 0 and info.value.t > 0


def test_problem_and_grid_validation() -> None:
    x = [Polynomial.variable(i, 3) for i in range(3)]
    with pytest.raises(ValueError, match="1 or 2 variables, got dim=3"):
        LearningProblem(x[0] * x[0], np.eye(3))
    y = Polynomial.variable(0, 2)
    with pytest.raises(ValueError, match="`kappa` must be symmetric"):
        LearningProblem(y * y, [[1.0, y], [0.0, 1.0]])
    with pytest.raises(ValueError, match="`A` must be positive definite"):
        LearningProblem.quadratic([[1.0, 0.0], [0.0, -1.0]], np.eye(2))
    with pytest.raises(ValueError, match=r"`bounds\[0\]` must satisfy lo < hi, got \(1, -1\)"):
        Grid([(1, -1)], 10)
    with pytest.raises(ValueError, match=r"`shape\[1\]` must be an integer ≥ 2, got 1"):
        Grid([(0, 1), (0, 1)], (10, 1))
    with pytest.raises(ValueError, match="`A` must be a square matrix"):
        Quadratic(np.ones((2, 3)))


def test_fokker_planck_validation(quad: LearningProblem) -> None:
    with pytest.raises(
        ValueError, match=r"`grid` has 1 axes but `problem` has 2 trainable variables"
    ):
        FokkerPlanck(quad, Grid([(-1, 1)], 10), 0.5)
    y = Polynomial.variable(0, 1)
    bad = LearningProblem(0.5 * y * y, [[1.0 - y * y]])  # κ < 0 for |q| > 1
    with pytest.raises(
        ValueError, match=r"`kappa` of problem 'problem' is not positive definite at q = \[-?1\.\d+"
    ):
        FokkerPlanck(bad, Grid([(-2, 2)], 20), 0.5)
    fp = FokkerPlanck(quad, Grid([(-3, 3), (-3, 3)], 8), 0.5)
    with pytest.raises(ValueError, match=r"density must have the grid shape \(8, 8\), got \(64,\)"):
        fp.run(np.ones(64), (0.0, 1.0))
    with pytest.raises(ValueError, match="unknown Fokker–Planck observable 'norm'"):
        fp.run(np.ones((8, 8)), (0.0, 1.0), recorder=Recorder(observables=("norm",)))


def test_prediction_validation() -> None:
    with pytest.raises(ValueError, match="`kappa` must be positive definite"):
        stationary_covariance(np.eye(2), -np.eye(2), 0.5)
    with pytest.raises(ValueError, match="beyond the Euler–Maruyama stability limit"):
        stationary_covariance(np.eye(2) * 100, np.eye(2), 0.0, dt=0.5)
