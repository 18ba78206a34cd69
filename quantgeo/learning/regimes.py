r"""``quantgeo regimes``: measured vs predicted P1–P6 across the metric power ``a``.

For each ``a`` (default ``0, ¼, ½, ¾, 1``) an ensemble of learners (≥ 10⁵ walkers by default)
is run on the chosen loss from its minimiser until stationary, and

* P1 ``Cov(Δq)/Δt`` of one step (trace and anisotropy ``λ_max/λ_min``; isotropic at ``a = ½``),
* P2 the RMS step under ``H → λH`` relative to ``H`` (``λ^{1−2a}``),
* P3 the stationary covariance ``Σ`` (entries),
* P4 the excess loss ``⟨H⟩ − H_min``,
* P5 the relaxation rates (eigenvalues of the lag-``τ`` regression ``q(t+τ) ≈ P q(t)`` across
  walkers),
* P6 the relative stationary probability current of the Fokker–Planck equation (0 only at
  ``a = 1``) and the L1 distance of the walkers' histogram from ``√det g · e^{−H/T}`` (at the
  multinomial noise floor only at ``a = 1``)

are measured with standard errors computed from the walkers (independent samples) and
compared with :mod:`quantgeo.learning.predictions`.  P1–P5 use the quadratic model at the
minimiser (exact for ``loss="quadratic"``; a local approximation, flagged, otherwise) and the
exact Euler–Maruyama values for the time step used.  P6's current carries a discretisation
uncertainty from two grids (the whole change between them).  The Euler–Maruyama O(dt) bias is
not in the P6 histogram prediction (it is in P1–P5's exact discrete-time values).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._io import atomic_path
from quantgeo._table import Column, format_table
from quantgeo._validation import check_choice, check_positive, check_real
from quantgeo.errors import QuantgeoError
from quantgeo.learning import predictions as pred
from quantgeo.learning.coefficients import CONVENTIONS
from quantgeo.learning.ensemble import BACKENDS, LangevinEnsemble
from quantgeo.learning.fokker_planck import FokkerPlanck
from quantgeo.learning.grid import Grid
from quantgeo.learning.losses import DoubleWell, LinearRegression, Quadratic
from quantgeo.learning.problem import LearningProblem
from quantgeo.recording import Recorder

__all__ = [
    "LOSSES",
    "RegimeRow",
    "RegimesReport",
    "add_regimes_parser",
    "preset_problem",
    "regimes",
    "run_regimes_cli",
]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]
LOSSES: tuple[str, ...] = (
    "quadratic",
    "quadratic-multiplicative",
    "linear-regression",
    "double-well",
)
DEFAULT_A: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)

#: Curvature and noise of the ``"quadratic"`` preset: anisotropic, κ not ∝ A, [A, κ] ≠ 0.
PRESET_A = np.array([[2.0, 0.6], [0.6, 1.0]])
PRESET_KAPPA = np.array([[0.5, -0.25], [-0.25, 1.5]])


def preset_problem(name: str, *, seed: int = 0) -> LearningProblem:
    """The named 2D learning problem used by :func:`regimes` (data from ``seed``)."""
    name = check_choice("loss", name, LOSSES)
    if name == "quadratic":
        return Quadratic(PRESET_A, noise_cov=PRESET_KAPPA, seed=seed, name=name).problem()
    if name == "quadratic-multiplicative":
        return Quadratic(
            PRESET_A, noise_cov=PRESET_KAPPA, multiplicative=(0.6, 0.4), seed=seed, name=name
        ).problem()
    if name == "linear-regression":
        return LinearRegression(2000, 2, noise=0.5, feature_scales=(1.0, 0.5), seed=seed).problem()
    return DoubleWell(
        2, noise_cov=[[0.4, 0.1], [0.1, 0.3]], multiplicative=0.5, seed=seed
    ).problem()


@dataclass(frozen=True)
class RegimeRow:
    """One measured-vs-predicted comparison.

    ``z = (measured − predicted)/se`` (``nan`` when the prediction is qualitative).
    """

    a: float
    prediction: str
    quantity: str
    measured: float
    se: float
    predicted: float
    note: str = ""

    @property
    def z(self) -> float:
        if not math.isfinite(self.predicted) or self.se <= 0:
            return float("nan")
        return (self.measured - self.predicted) / self.se


@dataclass(frozen=True)
class RegimesReport:
    """All comparisons of a :func:`regimes` run."""

    rows: list[RegimeRow]
    problem: str
    settings: dict[str, Any] = field(default_factory=dict)
    figure: Path | None = None

    def table(self) -> str:
        """Plain-text table (the CLI prints it)."""
        head = f"geometric learning regimes — problem {self.problem!r}, " + ", ".join(
            f"{k}={v}" for k, v in self.settings.items()
        )
        columns = [
            Column("a", ">", 5, "g"),
            Column("P", "<", 3),
            Column("quantity", "<", 30),
            Column("measured", ">", 13, ".6g", gap=" "),
            Column("± se", ">", 11, ".3g", gap=" "),
            Column("predicted", ">", 13, ".6g", gap=" "),
            Column("z", ">", 7, ".2f", gap=" "),
            Column("note"),
        ]
        cells = [
            [
                r.a,
                r.prediction,
                r.quantity,
                r.measured,
                r.se,
                r.predicted if math.isfinite(r.predicted) else "(qualit.)",
                r.z if math.isfinite(r.z) else "",
                r.note,
            ]
            for r in self.rows
        ]
        lines = [head, "", format_table(cells, columns, rule=110, strip=False)]
        if self.figure is not None:
            lines += ["", f"figure: {self.figure}"]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "problem": self.problem,
            "settings": self.settings,
            "figure": None if self.figure is None else str(self.figure),
            "rows": [{**r.__dict__, "z": r.z if math.isfinite(r.z) else None} for r in self.rows],
        }


# -- estimators with standard errors (walkers are independent samples; the tests use them too)
def cov_se(x: Array) -> tuple[Array, Array]:
    """Sample covariance and the standard error of each entry."""
    n = x.shape[0]
    d = x - x.mean(axis=0)
    prod = d[:, :, None] * d[:, None, :]
    return prod.mean(axis=0) * n / (n - 1), prod.std(axis=0, ddof=1) / np.sqrt(n)


def _eig_ratio_se(x: Array) -> tuple[float, float, float, float]:
    """Trace and anisotropy ``λ_max/λ_min`` of Cov(x) with standard errors (delta method)."""
    n = x.shape[0]
    d = x - x.mean(axis=0)
    c = d.T @ d / (n - 1)
    lam, vec = np.linalg.eigh(c)
    s = (d @ vec) ** 2  # per-sample contributions to each eigenvalue
    cov_s = np.atleast_2d(np.cov(s, rowvar=False)) / n
    tr = float(lam.sum())
    tr_se = float(np.sqrt(np.sum(cov_s)))
    r = float(lam[-1] / lam[0])
    grad = np.zeros(len(lam))
    grad[-1], grad[0] = 1.0 / lam[0], -lam[-1] / lam[0] ** 2
    r_se = float(np.sqrt(grad @ cov_s @ grad))
    return tr, tr_se, r, r_se


def rates_se(x0: Array, x1: Array, lag: float) -> tuple[Array, Array]:
    """Rates ``−ln eig(P)/lag`` of the regression ``x1 ≈ P x0`` (through the mean) and SEs."""
    m0, m1 = x0.mean(axis=0), x1.mean(axis=0)
    X, Y = x0 - m0, x1 - m1
    xtx = X.T @ X
    B = np.linalg.solve(xtx, X.T @ Y)  # Y ≈ X B,  P = Bᵀ
    P = B.T
    resid = Y - X @ B
    sig_e = resid.T @ resid / (len(X) - X.shape[1])
    xtx_inv = np.linalg.inv(xtx)
    lam, right = np.linalg.eig(P)
    left = np.linalg.inv(right).T  # columns: left eigenvectors, wᵀv = 1
    rates, ses = [], []
    for k in range(len(lam)):
        v, w = right[:, k].real, left[:, k].real
        var = float((w @ sig_e @ w) * (v @ xtx_inv @ v))
        lk = float(lam[k].real)
        rates.append(-math.log(lk) / lag)
        ses.append(math.sqrt(max(var, 0.0)) / (lk * lag))
    order = np.argsort(rates)
    return np.asarray(rates)[order], np.asarray(ses)[order]


def l1_floor(p_bins: Array, n: int) -> tuple[float, float]:
    """Expected L1 distance of an ``n``-sample histogram from its bin probabilities ``p_bins``
    and its standard deviation (normal approximation of the multinomial)."""
    p = np.clip(p_bins.ravel(), 0.0, 1.0)
    mean = float(np.sum(np.sqrt(2.0 * p * (1.0 - p) / (math.pi * n))))
    sd = float(math.sqrt(max(1.0 - 2.0 / math.pi, 0.0) * np.sum(p * (1.0 - p)) / n))
    return mean, sd


def regimes(
    loss: str | LearningProblem = "quadratic",
    a_values: Sequence[float] = DEFAULT_A,
    *,
    n_walkers: int = 100_000,
    gamma: float = 1.0,
    c: float = 1.0,
    dt: float = 0.01,
    lam: float = 10.0,
    seed: int = 0,
    convention: str = "covariant",
    backend: str = "numba",
    grid_cells: int = 64,
    figure: str | os.PathLike[str] | None = None,
    progress: bool = True,
) -> RegimesReport:
    """Run the ensembles for each ``a`` and compare P1–P6 with the predictions.

    Parameters
    ----------
    loss
        A preset name (:data:`LOSSES`) or a 2D :class:`LearningProblem` with a ``minimizer``.
    a_values
        Metric powers.
    n_walkers, dt, seed, backend
        Ensemble size, Euler–Maruyama step, seed, kernel backend.
    gamma, c
        Learning rate and metric scale (``T = γ/2c``).
    lam
        Loss scale of P2.
    convention
        Fokker–Planck/ensemble convention (``"covariant"``: the one under which P6 holds).
    grid_cells
        Cells per axis of the Fokker–Planck grid (P6; also half that for the error estimate).
    figure
        Where to save a PNG summary (``None``: no figure).
    progress
        tqdm bars (terminal only).

    Returns
    -------
    RegimesReport
        Its :meth:`~RegimesReport.table` is what ``quantgeo regimes`` prints.
    """
    problem = preset_problem(loss, seed=seed) if isinstance(loss, str) else loss
    if not isinstance(problem, LearningProblem):
        raise TypeError(f"`loss` must be a preset name or a LearningProblem, got {loss!r}")
    if problem.dim != 2:
        raise ValueError(f"`loss` must be a 2D problem, got dim={problem.dim}")
    if problem.minimizer is None:
        raise ValueError("`loss` needs a known `minimizer` (the walkers start there)")
    avals = [check_real("a_values[]", v) for v in a_values]
    if not avals:
        raise ValueError("`a_values` must not be empty")
    n_walkers = int(n_walkers)
    if n_walkers < 100:
        raise ValueError(f"`n_walkers` must be ≥ 100, got {n_walkers}")
    gamma, c = check_positive("gamma", gamma), check_positive("c", c)
    dt, lam = check_positive("dt", dt), check_positive("lam", lam)
    convention = check_choice("convention", convention, CONVENTIONS)
    backend = check_choice("backend", backend, BACKENDS)
    if int(grid_cells) < 16 or int(grid_cells) % 2:
        raise ValueError(f"`grid_cells` must be an even integer ≥ 16, got {grid_cells!r}")
    A, kap0 = problem.local_quadratic()
    x_star = problem.minimizer
    exact = problem.constant_kappa and problem.loss.degree <= 2
    note = "" if exact else "local model"
    rows: list[RegimeRow] = []
    per_a: dict[float, dict[str, Any]] = {}
    for a in avals:
        rates = pred.relaxation_rates(A, kap0, a, gamma=gamma, c=c)
        if dt * rates[-1] >= 1.0:
            raise ValueError(
                f"`dt` = {dt:g} too large for a = {a:g}: "
                f"γ dt λ_max(g⁻¹A) = {dt * rates[-1]:.3g} ≥ 1"
            )
        n_eq = math.ceil(6.0 / rates[0] / dt)
        n_lag = max(1, round(1.0 / math.sqrt(rates[0] * rates[-1]) / dt))
        n_eq = max(n_eq, n_lag + 2)
        times = dt * np.array([0, n_eq - n_lag, n_eq - 1, n_eq], dtype=float)
        ens = LangevinEnsemble(
            problem,
            a,
            gamma=gamma,
            c=c,
            dt=dt,
            n_walkers=n_walkers,
            seed=seed,
            convention=convention,
            backend=backend,
            progress=progress,
        )
        traj = ens.run(
            x_star, (0.0, times[-1]), recorder=Recorder(times, observables=(), store_states=True)
        )
        assert traj.states is not None
        q_lag, q_prev, q_end = traj.states[1], traj.states[2], traj.states[3]
        res: dict[str, Any] = {}
        # P1: one-step update covariance
        dq = q_end - q_prev
        tr, tr_se, an, an_se = _eig_ratio_se(dq / math.sqrt(dt))
        p1 = pred.update_covariance(kap0, a, gamma=gamma, c=c, dt=dt, A=A) / dt
        p1_lam = np.linalg.eigvalsh(p1)
        rows.append(RegimeRow(a, "P1", "tr Cov(Δq)/Δt", tr, tr_se, float(p1_lam.sum()), note))
        rows.append(
            RegimeRow(
                a, "P1", "anisotropy λmax/λmin", an, an_se, float(p1_lam[-1] / p1_lam[0]), note
            )
        )
        res["p1"] = (tr, tr_se, float(p1_lam.sum()), an, an_se, float(p1_lam[-1] / p1_lam[0]))
        # P2: same walkers, H -> λH, one step with independent noise
        steps_ref = []
        for prob_s, s in ((problem, 1), (problem.scaled(lam), 2)):
            e2 = LangevinEnsemble(
                prob_s,
                a,
                gamma=gamma,
                c=c,
                dt=dt,
                n_walkers=n_walkers,
                seed=seed + 1000 * s + 7,
                convention=convention,
                backend=backend,
            )
            t2 = e2.run(q_prev, (0.0, dt), recorder=Recorder(observables=(), store_states=True))
            assert t2.states is not None
            steps_ref.append(np.sum((t2.states[-1] - q_prev) ** 2, axis=1))
        m1, m2 = steps_ref[0].mean(), steps_ref[1].mean()
        ratio = math.sqrt(m2 / m1)
        var = (steps_ref[1].var(ddof=1) / m2**2 + steps_ref[0].var(ddof=1) / m1**2) / n_walkers
        ratio_se = 0.5 * ratio * math.sqrt(var)
        rows.append(
            RegimeRow(
                a,
                "P2",
                f"RMS step ratio (λ={lam:g})",
                ratio,
                ratio_se,
                pred.step_scale(lam, a),
                note,
            )
        )
        res["p2"] = (ratio, ratio_se, pred.step_scale(lam, a))
        # P3: stationary covariance
        sig, sig_se = cov_se(q_end)
        sig_p = pred.stationary_covariance(A, kap0, a, gamma=gamma, c=c, dt=dt)
        for i, j in ((0, 0), (0, 1), (1, 1)):
            rows.append(
                RegimeRow(
                    a,
                    "P3",
                    f"Σ[{i}{j}]",
                    float(sig[i, j]),
                    float(sig_se[i, j]),
                    float(sig_p[i, j]),
                    note,
                )
            )
        # P4: excess loss
        h = problem.value(q_end) - problem.h_min
        ex, ex_se = float(h.mean()), float(h.std(ddof=1) / math.sqrt(n_walkers))
        ex_p = pred.excess_loss(A, kap0, a, gamma=gamma, c=c, dt=dt)
        rows.append(
            RegimeRow(
                a,
                "P4",
                "⟨H⟩ − H_min",
                ex,
                ex_se,
                ex_p,
                note + (" (=KT/2 at dt→0)" if a == 1 else ""),
            )
        )
        res["p4"] = (ex, ex_se, ex_p)
        # P5: relaxation rates from the lag regression across walkers
        r_m, r_se = rates_se(q_lag, q_end, n_lag * dt)
        r_p = pred.relaxation_rates(A, kap0, a, gamma=gamma, c=c, dt=dt)
        for k, name in enumerate(("slow", "fast")):
            rows.append(
                RegimeRow(
                    a, "P5", f"rate ({name})", float(r_m[k]), float(r_se[k]), float(r_p[k]), note
                )
            )
        res["p5"] = (r_m, r_se, r_p)
        # P6: Fokker–Planck current and distance of the histogram from √det g e^{−H/T}
        mean, std = q_end.mean(axis=0), q_end.std(axis=0)
        bounds = [(mean[i] - 7 * std[i], mean[i] + 7 * std[i]) for i in range(2)]
        currents = []
        for cells in (grid_cells // 2, grid_cells):
            fp = FokkerPlanck(
                problem, Grid(bounds, cells), a, gamma=gamma, c=c, convention=convention
            )
            currents.append(fp.relative_current(fp.stationary_density()))
        # discretisation uncertainty: the whole coarse–fine change (conservative; Richardson's
        # third of it presumes the asymptotic regime)
        j_fine, j_err = currents[1], abs(currents[0] - currents[1])
        rows.append(
            RegimeRow(
                a,
                "P6",
                "relative stationary current",
                j_fine,
                j_err,
                0.0 if a == 1.0 else float("nan"),
                "se: discretisation" + ("" if a == 1.0 else "; ≠ 0 predicted"),
            )
        )
        hist_grid = Grid(bounds, 40)
        hist, _ = hist_grid.histogram(q_end)
        gibbs = pred.gibbs_density(problem, hist_grid, gamma=gamma, c=c)
        l1 = hist_grid.integrate(np.abs(hist - gibbs))
        floor, floor_sd = l1_floor(gibbs * hist_grid.cell_volume, n_walkers)
        rows.append(
            RegimeRow(
                a,
                "P6",
                "L1(hist, √det g e^(−H/T))",
                l1,
                floor_sd,
                floor if a == 1.0 else float("nan"),
                "predicted: noise floor (+ O(dt) bias)" if a == 1.0 else "≠ Gibbs expected",
            )
        )
        res["p6"] = (j_fine, j_err, l1, floor)
        per_a[a] = res
        log.info("regimes: a = %g done (%d walkers, %d steps)", a, n_walkers, n_eq)
    settings = {
        "walkers": n_walkers,
        "dt": dt,
        "gamma": gamma,
        "c": c,
        "T": pred.temperature(gamma, c),
        "convention": convention,
        "seed": seed,
    }
    fig_path = None
    if figure is not None:
        fig_path = Path(figure)
        fig = _regimes_figure(per_a, problem.name, settings)
        with atomic_path(fig_path) as tmp:
            fig.savefig(tmp, format="png", dpi=110)
    return RegimesReport(rows, problem.name, settings, fig_path)


def _regimes_figure(per_a: dict[float, dict[str, Any]], name: str, settings: dict[str, Any]) -> Any:
    """The 2×2 figure of P1, P4, P5, P6 against ``a`` (labelled axes, a caption line with the
    run's settings); a matplotlib ``Figure`` (Agg canvas, no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    a = np.array(sorted(per_a))
    get = lambda key, i: np.array([per_a[x][key][i] for x in a])  # noqa: E731
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    FigureCanvasAgg(fig)
    axs = fig.subplots(2, 2)
    ax = axs[0, 0]
    ax.errorbar(a, get("p1", 3), yerr=get("p1", 4), fmt="o", label="measured")
    ax.plot(a, get("p1", 5), "-", label="predicted")
    ax.axhline(1.0, color="0.7", lw=0.8)
    xlab = "metric power a  (g = c·κ^a)"
    ax.set(
        xlabel=xlab,
        ylabel="λmax/λmin of Cov(Δq)  (dimensionless)",
        title="P1 update anisotropy",
        yscale="log",
    )
    ax.legend()
    ax = axs[0, 1]
    ax.errorbar(a, get("p4", 0), yerr=get("p4", 1), fmt="o", label="measured")
    ax.plot(a, get("p4", 2), "-", label="predicted")
    ax.set(xlabel=xlab, ylabel="⟨H⟩ − H_min  (loss units)", title="P4 excess loss")
    ax.legend()
    ax = axs[1, 0]
    rm = np.array([per_a[x]["p5"][0] for x in a])
    rs = np.array([per_a[x]["p5"][1] for x in a])
    rp = np.array([per_a[x]["p5"][2] for x in a])
    for k, lab in enumerate(("slow", "fast")):
        ax.errorbar(a, rm[:, k], yerr=rs[:, k], fmt="o", label=f"measured {lab}")
        ax.plot(a, rp[:, k], "-", label=f"predicted {lab}")
    ax.set(xlabel=xlab, ylabel="relaxation rate  (1/t)", title="P5 relaxation rates", yscale="log")
    ax.legend(fontsize="small")
    ax = axs[1, 1]
    ax.errorbar(a, get("p6", 0), yerr=get("p6", 1), fmt="o-", label="relative current (FP)")
    ax.plot(a, get("p6", 2), "s--", label="L1(hist, √det g e^(−H/T))")
    ax.plot(a, get("p6", 3), ":", color="0.5", label="L1 noise floor")
    ax.set(
        xlabel=xlab,
        ylabel="current, L1 distance  (dimensionless)",
        title="P6 detailed balance at a = 1",
        yscale="log",
    )
    ax.legend(fontsize="small")
    fig.suptitle(f"geometric learning regimes — {name}")
    fig.supxlabel(
        f"Measured (points, ± 1 standard error) vs predicted (lines): {settings['walkers']} "
        f"walkers, dt = {settings['dt']:g}, γ = {settings['gamma']:g}, c = {settings['c']:g}, "
        f"T = γ/2c = {settings['T']:g}, {settings['convention']} convention, "
        f"seed {settings['seed']}.",
        fontsize=8,
    )
    return fig


# -- command line -----------------------------------------------------------------------------
def add_regimes_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``regimes`` sub-command to an ``argparse`` sub-parser collection.

    Sets ``func=run_regimes_cli`` as the parser default.
    """
    p = subparsers.add_parser(
        "regimes",
        help="measure P1–P6 of the learning dynamics for several metric powers a",
        description=(
            "Run ensembles of learners for a in {0, 1/4, 1/2, 3/4, 1} (or --a ...) and print "
            "measured vs predicted P1–P6 with standard errors; save a figure."
        ),
    )
    p.add_argument(
        "--a",
        type=float,
        nargs="+",
        default=list(DEFAULT_A),
        metavar="A",
        help="metric powers (default: 0 0.25 0.5 0.75 1)",
    )
    p.add_argument("--loss", choices=LOSSES, default="quadratic", help="learning problem")
    p.add_argument("--walkers", type=int, default=100_000, help="walkers per ensemble")
    p.add_argument("--dt", type=float, default=0.01, help="Euler–Maruyama time step")
    p.add_argument("--gamma", type=float, default=1.0, help="learning rate γ")
    p.add_argument("--c", type=float, default=1.0, help="metric scale c")
    p.add_argument("--lam", type=float, default=10.0, help="loss scale λ of P2")
    p.add_argument("--seed", type=int, default=0, help="random seed")
    p.add_argument("--convention", choices=CONVENTIONS, default="covariant")
    p.add_argument("--backend", choices=BACKENDS, default="numba")
    p.add_argument("--grid", type=int, default=64, help="Fokker–Planck cells per axis (even)")
    p.add_argument("--figure", default="quantgeo-out/regimes.png", help="PNG path")
    p.add_argument("--no-figure", action="store_true", help="do not save a figure")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument(
        "--json", metavar="PATH", help="also write the rows (and the provenance) as JSON"
    )
    p.set_defaults(func=run_regimes_cli)
    return p


def run_regimes_cli(args: argparse.Namespace) -> int:
    """Entry point of ``quantgeo regimes``: run, print the table, return the exit code."""
    try:
        report = regimes(
            args.loss,
            args.a,
            n_walkers=args.walkers,
            gamma=args.gamma,
            c=args.c,
            dt=args.dt,
            lam=args.lam,
            seed=args.seed,
            convention=args.convention,
            backend=args.backend,
            grid_cells=args.grid,
            figure=None if args.no_figure else args.figure,
            progress=not args.no_progress,
        )
    except (QuantgeoError, ValueError, TypeError) as exc:
        print(f"quantgeo regimes: error: {exc}", file=sys.stderr)
        return 2
    print(report.table())
    if getattr(args, "json", None):
        from quantgeo.cli._common import provenance, write_json

        data = report.to_dict()
        data["provenance"] = provenance(args, backend=args.backend, seed=args.seed)
        write_json(args.json, data)
        print(f"wrote {args.json}")
    return 0
