"""LangevinEnsemble and FokkerPlanck accept a metric object (CrossoverMetric) in place of `a`:
its three limits give the a = 0, ½, 1 results; a genuine crossover metric against the exact
Euler–Maruyama mean and the 1D covariant stationary density; refusals name `a`, `c`, `eps`."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import cumulative_trapezoid

from quantgeo.learning import (
    CrossoverMetric,
    FokkerPlanck,
    Grid,
    LangevinEnsemble,
    LearningProblem,
    Polynomial,
)
from quantgeo.recording import Recorder

from .learning_helpers import A2, KAPPA2, state_dependent_problem, state_dependent_problem_1d

LAWS = ("sum", "product")


def _limits(lam_max: float, law: str) -> list[tuple[CrossoverMetric, float, float]]:
    # (metric, power a, its c): ε ≫ κ → a = 0; ε = ζ = 0 → ½; ζκ² ≫ ε + bκ → 1.  The neglected
    # terms are ≤ 1e-16 relative (below rounding), so the runs must agree to rounding.
    return [
        (CrossoverMetric(1e32 * lam_max, 0.0, c=3.0, law=law), 0.0, 3.0 * 1e16 * lam_max**0.5),
        (CrossoverMetric(0.0, 0.0, c=3.0, law=law), 0.5, 3.0),
        (CrossoverMetric(0.0, 1e32 / lam_max**2, c=3.0, law=law), 1.0, 3.0 * 1e16 / lam_max),
    ]


def _problems() -> list[LearningProblem]:
    return [
        LearningProblem.quadratic([[1.5]], [[0.7]]),
        LearningProblem.quadratic(A2, KAPPA2),
        LearningProblem.quadratic(A2, np.eye(2) * 0.8),  # one repeated eigenvalue
    ]


@pytest.mark.parametrize("law", LAWS)
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_ensemble_limits_equal_the_power_law_runs(law: str, backend: str) -> None:
    for prob in _problems():
        lam_max = float(np.linalg.eigvalsh(prob.kappa_at(np.zeros(prob.dim)))[-1])
        for metric, a, c in _limits(lam_max, law):
            lr = 0.2 * (c / 3.0)  # the same γ/φ scale for every limit: stable, not trivial
            out = []
            for m, kw in ((metric, {}), (a, {"c": c})):
                ens = LangevinEnsemble(
                    prob, m, gamma=lr, dt=0.05, n_walkers=500, seed=7, backend=backend, **kw
                )
                rec = Recorder(times=[0.0, 2.0], observables=("mean",), store_states=True)
                out.append(ens.run(np.ones(prob.dim), (0.0, 2.0), recorder=rec).states[-1])
            np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-14)


def test_ensemble_crossover_mean_is_the_exact_euler_maruyama_mean() -> None:
    # H = ½qᵀAq, A and κ diagonal: E[q_i] after n steps is (1 − γ dt A_i/φ(κ_i))ⁿ q0_i exactly
    a_diag, k_diag = np.array([1.0, 2.0]), np.array([0.05, 20.0])
    prob = LearningProblem.quadratic(np.diag(a_diag), np.diag(k_diag))
    metric = CrossoverMetric(0.3, 0.2, c=1.5)
    ens = LangevinEnsemble(prob, metric, gamma=0.5, dt=0.02, n_walkers=20_000, seed=3)
    n = 50
    rec = Recorder(times=[0.0, n * 0.02], observables=("mean", "mean_se"), store_states=False)
    tr = ens.run([1.0, 1.0], (0.0, n * 0.02), recorder=rec)
    ref = (1.0 - 0.5 * 0.02 * a_diag / metric.phi(k_diag)) ** n
    assert np.all(np.abs(tr["mean"][-1] - ref) <= 3 * tr["mean_se"][-1])
    assert ens.metric is metric and ens.c > 0


@pytest.mark.parametrize("law", LAWS)
def test_fokker_planck_limits_equal_the_power_law_operators(law: str) -> None:
    for prob, grid in (
        (LearningProblem.quadratic([[1.5]], [[0.7]]), Grid([(-4, 4)], 64)),
        (LearningProblem.quadratic(A2, KAPPA2), Grid([(-5, 5), (-6, 6)], 24)),
        (state_dependent_problem_1d(), Grid([(-4, 4)], 64)),
        (state_dependent_problem(), Grid([(-4, 4), (-4, 4)], 20)),
    ):
        pts = grid.points()
        lam_max = float(np.max(np.linalg.eigvalsh(prob.kappa_at(pts))))
        for metric, a, c in _limits(lam_max, law):
            for conv in ("covariant", "ito"):
                ours = FokkerPlanck(prob, grid, metric, gamma=c / 3.0, convention=conv)
                ref = FokkerPlanck(prob, grid, a, gamma=c / 3.0, c=c, convention=conv)
                diff = abs(ours.operator - ref.operator).max()
                assert diff <= 1e-12 * abs(ref.operator).max(), (law, a, conv, diff)


def _covariant_stationary_1d(metric: CrossoverMetric, x: np.ndarray, gamma: float) -> np.ndarray:
    # zero flux of ∂_t p = ∂(γ p H'/g + ½ D √g ∂(p/√g)), D = γ²κ/g²: p ∝ √g exp(−∫ 2gH'/(γκ))
    kap = 0.5 + 0.3 * x * x
    g = metric.phi(kap)
    dh = x + 0.4 * x**3
    log_p = 0.5 * np.log(g) - cumulative_trapezoid(2 * g * dh / (gamma * kap), x, initial=0.0)
    p = np.exp(log_p - log_p.max())
    return p


def test_fokker_planck_crossover_stationary_density_converges_to_the_closed_form() -> None:
    prob = state_dependent_problem_1d()  # H = ½q² + 0.1q⁴, κ = 0.5 + 0.3q²
    metric = CrossoverMetric(0.4, 0.5, c=1.2, law="product")
    fine = np.linspace(-4.0, 4.0, 400_001)  # the quadrature's error ~1e-12, far below the grid's
    ref_fine = _covariant_stationary_1d(metric, fine, 1.0)
    errors = []
    for n in (50, 100, 200):
        grid = Grid([(-4.0, 4.0)], n)
        p = FokkerPlanck(prob, grid, metric).stationary_density().ravel()
        x = grid.points().ravel()
        ref = np.interp(x, fine, ref_fine)
        ref /= ref.sum()
        errors.append(0.5 * np.abs(p / p.sum() - ref).sum())
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    # finite volumes with exponential fitting: second order in h
    assert np.all(np.abs(orders - 2.0) < 0.3), (errors, orders)
    assert errors[-1] < 1e-3


def test_refusals_name_the_argument() -> None:
    metric = CrossoverMetric(1.0, 1.0)
    with pytest.raises(ValueError, match=r"`a`: a metric object \(CrossoverMetric\) needs a const"):
        LangevinEnsemble(state_dependent_problem_1d(), metric, n_walkers=10)
    prob = LearningProblem.quadratic([[1.0]], [[1.0]])
    with pytest.raises(ValueError, match=r"`c` and `eps` must keep their defaults"):
        LangevinEnsemble(prob, metric, c=2.0, n_walkers=10)
    with pytest.raises(ValueError, match=r"FokkerPlanck: `c` and `eps` must keep"):
        FokkerPlanck(prob, Grid([(-3, 3)], 16), metric, eps=0.1)
    with pytest.raises(ValueError, match=r"`a`: a metric object in LangevinEnsemble needs a pos"):
        x = Polynomial.variable(0, 1)
        singular = LearningProblem(0.5 * x * x, [[Polynomial.constant(0.0, 1)]])
        LangevinEnsemble(singular, metric, n_walkers=10)
