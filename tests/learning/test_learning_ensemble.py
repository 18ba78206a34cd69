"""P1–P5 measured from Langevin ensembles vs the predictions, within 3 computed standard errors.

2D quadratic ``H = ½qᵀAq`` with a constant, anisotropic κ that is neither proportional to A
nor commuting with it (general Lyapunov case).  The walkers are independent, so every standard
error is computed from the walkers themselves.  Predictions are the exact values of the
Euler–Maruyama chain for the ``dt`` used (they differ from the continuous closed forms by
O(dt); ``test_learning_predictions`` checks that limit), so there is no time-step bias to absorb.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from quantgeo.learning import (
    LangevinEnsemble,
    LearningProblem,
    excess_loss,
    relaxation_rates,
    stationary_covariance,
    step_scale,
    update_covariance,
)
from quantgeo.learning.regimes import cov_se, l1_floor, rates_se
from quantgeo.recording import Recorder
from tests.learning.learning_helpers import A2, KAPPA2

N_WALKERS = 20_000
DT = 0.02
GAMMA, C = 0.8, 1.25
Z = 3.0  # the comparison band, in computed standard errors


@pytest.fixture(scope="module")
def problem() -> LearningProblem:
    return LearningProblem.quadratic(A2, KAPPA2)


@pytest.mark.parametrize("a", [0.0, 0.5, 0.75, 1.0])
def test_p1_to_p5_within_three_standard_errors(problem: LearningProblem, a: float) -> None:
    _check_p1_to_p5(problem, a, N_WALKERS)


@pytest.mark.slow
@pytest.mark.parametrize("a", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_p1_to_p5_hundred_thousand_walkers(problem: LearningProblem, a: float) -> None:
    _check_p1_to_p5(problem, a, 100_000)


def _check_p1_to_p5(problem: LearningProblem, a: float, n_walkers: int) -> None:
    rates_c = relaxation_rates(A2, KAPPA2, a, gamma=GAMMA, c=C)
    n_eq = math.ceil(7.0 / rates_c[0] / DT)  # transient of Σ ∝ e^{−2 r_min t} < 1e-6
    n_lag = max(1, round(1.0 / math.sqrt(rates_c[0] * rates_c[1]) / DT))
    times = DT * np.array([0, n_eq - n_lag, n_eq - 1, n_eq])
    ens = LangevinEnsemble(problem, a, gamma=GAMMA, c=C, dt=DT, n_walkers=n_walkers, seed=11)
    traj = ens.run(
        np.zeros(2),
        (0.0, times[-1]),
        recorder=Recorder(times, observables=("mean",), store_states=True),
    )
    assert traj.info["steps"] == n_eq
    q_lag, q_prev, q_end = traj.states[1], traj.states[2], traj.states[3]
    failures = []

    def check(label: str, measured: float, se: float, predicted: float) -> None:
        if abs(measured - predicted) > Z * se:
            failures.append(f"{label}: {measured:.6g} ± {se:.2g} vs {predicted:.6g}")

    # P1: one-step update covariance (stationary chain): γ²dt²(GA)Σ(GA)ᵀ + dt·D
    cov_dq, se_dq = cov_se(q_end - q_prev)
    p1 = update_covariance(KAPPA2, a, gamma=GAMMA, c=C, dt=DT, A=A2)
    for i, j in ((0, 0), (0, 1), (1, 1)):
        check(f"P1 Cov(Δq)[{i}{j}]", cov_dq[i, j], se_dq[i, j], p1[i, j])
    # P3: stationary covariance (discrete Lyapunov of the chain)
    sig, se_sig = cov_se(q_end)
    p3 = stationary_covariance(A2, KAPPA2, a, gamma=GAMMA, c=C, dt=DT)
    for i, j in ((0, 0), (0, 1), (1, 1)):
        check(f"P3 Σ[{i}{j}]", sig[i, j], se_sig[i, j], p3[i, j])
    # P4: excess loss
    h = problem.value(q_end)
    check(
        "P4 ⟨H⟩",
        h.mean(),
        h.std(ddof=1) / math.sqrt(n_walkers),
        excess_loss(A2, KAPPA2, a, gamma=GAMMA, c=C, dt=DT),
    )
    # P5: relaxation rates from the lag regression
    r, r_se = rates_se(q_lag, q_end, n_lag * DT)
    p5 = relaxation_rates(A2, KAPPA2, a, gamma=GAMMA, c=C, dt=DT)
    for k in range(2):
        check(f"P5 rate[{k}]", r[k], r_se[k], p5[k])
    assert not failures, "; ".join(failures)
    if a == 0.5:  # P1: isotropic update noise (anisotropy of Cov(Δq) is O(dt) only)
        lam = np.linalg.eigvalsh(cov_dq)
        assert lam[1] / lam[0] < 1.1


@pytest.mark.parametrize("a", [0.0, 0.25, 0.5, 1.0])
def test_p2_step_scales_as_lambda_power(problem: LearningProblem, a: float) -> None:
    """With the same noise, one step of H → λH equals λ^{1−2a} times the step of H (eps = 0),
    walker by walker."""
    lam = 7.0
    q0 = np.random.default_rng(3).multivariate_normal([0, 0], [[0.3, 0.1], [0.1, 0.5]], size=2000)
    steps = []
    for prob in (problem, problem.scaled(lam)):
        ens = LangevinEnsemble(prob, a, gamma=GAMMA, c=C, dt=DT, n_walkers=2000, seed=5)
        tr = ens.run(q0, (0.0, DT), recorder=Recorder(observables=(), store_states=True))
        steps.append(tr.states[-1] - q0)
    np.testing.assert_allclose(steps[1], step_scale(lam, a) * steps[0], rtol=1e-12, atol=1e-15)


def test_p2_trajectories_invariant_at_one_half(problem: LearningProblem) -> None:
    runs = []
    for prob in (problem, problem.scaled(50.0)):
        ens = LangevinEnsemble(prob, 0.5, gamma=GAMMA, c=C, dt=DT, n_walkers=500, seed=9)
        runs.append(
            ens.run(
                np.array([1.0, -1.0]),
                (0.0, 2.0),
                recorder=Recorder(every=0.5, observables=(), store_states=True),
            ).states
        )
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-11, atol=1e-13)


def test_observables_and_recorder_protocol(problem: LearningProblem) -> None:
    from quantgeo.learning import Grid

    grid = Grid([(-4, 4), (-4, 4)], 16)
    ens = LangevinEnsemble(problem, 0.5, dt=DT, n_walkers=1000, seed=1, grid=grid)
    tr = ens.run(
        np.zeros(2),
        (0.0, 1.0),
        recorder=Recorder(
            every=0.2,
            observables=("mean", "cov", "loss", "loss_se", "histogram", "outside"),
            store_states=False,
        ),
    )
    np.testing.assert_allclose(tr.times, [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert (
        tr["mean"].shape == (6, 2)
        and tr["cov"].shape == (6, 2, 2)
        and tr["histogram"].shape == (6, 16, 16)
    )
    np.testing.assert_allclose(grid.integrate(tr["histogram"][-1]) + tr["outside"][-1], 1.0)
    assert tr.info["steps"] == 50 and tr.states is None
    default = ens.run(np.zeros(2), (0.0, 0.1))
    assert set(default.observables) == {"mean", "cov", "loss"}


def _gibbs_bins(prob: LearningProblem, grid) -> np.ndarray:
    from quantgeo.learning import Grid, gibbs_density

    fine = Grid(grid.bounds, tuple(8 * n for n in grid.shape))
    return fine.block_average(gibbs_density(prob, fine), 8)


@pytest.mark.parametrize(
    ("n_walkers", "dt"),
    [(20_000, 0.01), pytest.param(100_000, 0.005, marks=pytest.mark.slow)],
)
def test_p6_ensemble_reaches_riemannian_gibbs_only_in_covariant_form(
    n_walkers: int, dt: float
) -> None:
    """a = 1, state-dependent anisotropic κ(q): the walkers' stationary histogram is
    √det g·e^{−H/T} up to the multinomial noise floor (covariant convention); the Itô algorithm
    (THEORY's Fokker–Planck form) ends measurably elsewhere."""
    from quantgeo.learning import Grid
    from tests.learning.learning_helpers import state_dependent_problem

    prob = state_dependent_problem(full=True)
    A, K = prob.local_quadratic()
    t_end = dt * math.ceil(8.0 / relaxation_rates(A, K, 1.0)[0] / dt)
    grid = Grid([(-4.0, 4.0), (-4.5, 4.5)], 24)
    mass = _gibbs_bins(prob, grid) * grid.cell_volume
    floor, sd = l1_floor(mass, n_walkers)
    l1 = {}
    for conv in ("covariant", "ito"):
        ens = LangevinEnsemble(
            prob, 1.0, dt=dt, n_walkers=n_walkers, seed=3, grid=grid, convention=conv
        )
        rec = Recorder(observables=("histogram",), store_states=False)
        hist = ens.run(np.zeros(2), (0.0, t_end), recorder=rec)["histogram"][-1]
        l1[conv] = grid.integrate(np.abs(hist - mass / grid.cell_volume))
    assert abs(l1["covariant"] - floor) <= Z * sd, (l1, floor, sd)
    assert l1["ito"] > floor + 10 * sd, (l1, floor, sd)
