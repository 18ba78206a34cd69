"""Geometric learning dynamics (THEORY §1, §3): covariant gradient descent with
``g = c·κ^a``, ensembles of learners, their Fokker–Planck equation and the predictions P1–P7.

Modules (one concept each):

``metric``          ``g = c·[(κ + eps·I)^a + delta·I]`` and derivatives of matrix functions
``moments``         exponential-moving-average gradient moments and ``κ``
``crossover``       :class:`CrossoverMetric` — the a = 0 → ½ → 1 crossover and its window
``optimizers``      :class:`CovariantGD` (SGD, RMSProp, Adam, AdaBelief, natural gradient)
``losses``          loss library with per-sample gradients and true ``κ(q)``
``problem``         :class:`LearningProblem` — polynomial ``H`` and ``κ(q)`` for the solvers
``grid``            cell-centred :class:`Grid` shared by histograms and Fokker–Planck
``coefficients``    drift, diffusion, noise-induced drift (Itô / covariant conventions)
``ensemble``        :class:`LangevinEnsemble` (Numba Euler–Maruyama, NumPy twin)
``fokker_planck``   :class:`FokkerPlanck` (finite volumes, stationary density and current)
``predictions``     closed forms of P1–P7 (Lyapunov equation for non-commuting ``A``, ``κ``)
``regimes``         :func:`regimes` and the ``quantgeo regimes`` command
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantgeo._lazy import attach

if TYPE_CHECKING:  # the names as the type checker sees them; the table below must match
    from quantgeo.learning.coefficients import CONVENTIONS, Coefficients, langevin_coefficients
    from quantgeo.learning.crossover import CrossoverMetric, measured_a_eff
    from quantgeo.learning.ensemble import LangevinEnsemble
    from quantgeo.learning.fokker_planck import FokkerPlanck, stationary_current, stationary_density
    from quantgeo.learning.grid import Grid
    from quantgeo.learning.losses import (
        DoubleWell,
        LinearRegression,
        LogisticRegression,
        Loss,
        Quadratic,
        Rosenbrock,
        ill_conditioned_quadratic,
    )
    from quantgeo.learning.metric import apply_inverse_metric, inverse_metric, metric
    from quantgeo.learning.moments import EMAMoments, MomentState
    from quantgeo.learning.optimizers import CovariantGD, MinimizeResult, OptState
    from quantgeo.learning.predictions import (
        effective_potential,
        excess_loss,
        excess_loss_commuting,
        gibbs_density,
        relaxation_rates,
        schrodinger_operator,
        stationary_covariance,
        stationary_covariance_commuting,
        step_scale,
        temperature,
        update_covariance,
        update_covariance_exponent,
    )
    from quantgeo.learning.problem import LearningProblem, Polynomial
    from quantgeo.learning.regimes import (
        RegimesReport,
        add_regimes_parser,
        preset_problem,
        regimes,
        run_regimes_cli,
    )

__getattr__, __dir__ = attach(
    __name__,
    {
        ".coefficients": ["CONVENTIONS", "Coefficients", "langevin_coefficients"],
        ".crossover": ["CrossoverMetric", "measured_a_eff"],
        ".ensemble": ["LangevinEnsemble"],
        ".fokker_planck": ["FokkerPlanck", "stationary_current", "stationary_density"],
        ".grid": ["Grid"],
        ".losses": [
            "DoubleWell",
            "LinearRegression",
            "LogisticRegression",
            "Loss",
            "Quadratic",
            "Rosenbrock",
            "ill_conditioned_quadratic",
        ],
        ".metric": ["apply_inverse_metric", "inverse_metric", "metric"],
        ".moments": ["EMAMoments", "MomentState"],
        ".optimizers": ["CovariantGD", "MinimizeResult", "OptState"],
        ".predictions": [
            "effective_potential",
            "excess_loss",
            "excess_loss_commuting",
            "gibbs_density",
            "relaxation_rates",
            "schrodinger_operator",
            "stationary_covariance",
            "stationary_covariance_commuting",
            "step_scale",
            "temperature",
            "update_covariance",
            "update_covariance_exponent",
        ],
        ".problem": ["LearningProblem", "Polynomial"],
        ".regimes": [
            "RegimesReport",
            "add_regimes_parser",
            "preset_problem",
            "regimes",
            "run_regimes_cli",
        ],
    },
)

__all__ = [
    "CONVENTIONS",
    "Coefficients",
    "CovariantGD",
    "CrossoverMetric",
    "DoubleWell",
    "EMAMoments",
    "FokkerPlanck",
    "Grid",
    "LangevinEnsemble",
    "LearningProblem",
    "LinearRegression",
    "LogisticRegression",
    "Loss",
    "MinimizeResult",
    "MomentState",
    "OptState",
    "Polynomial",
    "Quadratic",
    "RegimesReport",
    "Rosenbrock",
    "add_regimes_parser",
    "apply_inverse_metric",
    "effective_potential",
    "excess_loss",
    "excess_loss_commuting",
    "gibbs_density",
    "ill_conditioned_quadratic",
    "inverse_metric",
    "langevin_coefficients",
    "measured_a_eff",
    "metric",
    "preset_problem",
    "regimes",
    "relaxation_rates",
    "run_regimes_cli",
    "schrodinger_operator",
    "stationary_covariance",
    "stationary_covariance_commuting",
    "stationary_current",
    "stationary_density",
    "step_scale",
    "temperature",
    "update_covariance",
    "update_covariance_exponent",
]
