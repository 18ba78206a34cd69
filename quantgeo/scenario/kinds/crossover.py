"""The ``crossover_window`` kind: the order parameter of the crossover metric
``g = c·(ε + bκ + ζκ²)^{1/2}`` (THEORY §3; :class:`quantgeo.learning.CrossoverMetric`).

For each ``εζ`` the window ``|a_eff − ½| < δ`` is found two independent ways: its edges by
root-finding on the analytic ``a_eff(κ)`` (``brentq``) against the closed-form roots, and the
fraction ``f_½`` of a log-uniform spectrum of ``M`` directions over ``D`` decades (centred on
``κ* = √(ε/ζ)``) counted point by point against ``min(1, w/D)``: counting on a grid of ``M``
cells misses at most half a cell at each window edge, so ``|f̂ − f| ≤ 1/M``."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context, Kind
from quantgeo.scenario.kinds._evolution import run_timed, validate_kind
from quantgeo.scenario.kinds._shared import expectation_checks
from quantgeo.scenario.run import CheckResult
from quantgeo.scenario.schema import REQUIRED, _k
from quantgeo.scenario.specs import Scenario

__all__ = ["CROSSOVER_KEYS", "EXPECT_CROSSOVER_KEYS", "KIND"]

_LAWS = ("sum", "product")  # quantgeo.learning.crossover.LAWS (not imported: lazy packages)

CROSSOVER_KEYS = (
    _k(
        "eps_zeta",
        "numbers",
        REQUIRED,
        "—",
        "Values of the product εζ (dimensionless), one window each",
    ),
    _k("zeta", "number", 1.0, "1/κ", "ζ (ε = εζ/ζ)", positive=True),
    _k("c", "number", 1.0, "metric", "Scale c of the metric", positive=True),
    _k("law", "str", "sum", "—", "Crossover law", choices=_LAWS),
    _k("delta", "number", 0.1, "—", "Half-width δ of the window |a_eff − ½| < δ", positive=True),
    _k("decades", "number", 8.0, "decades", "Span D of the log-uniform spectrum", positive=True),
    _k("directions", "int", 10_000, "directions", "Directions M of the spectrum grid", minimum=1),
)

EXPECT_CROSSOVER_KEYS = (
    _k(
        "max_f_half_error",
        "number",
        None,
        "fraction",
        "max over εζ of |f_½ counted on the grid − min(1, w/D)| (bound 1/M)",
        nonneg=True,
    ),
    _k(
        "max_edge_error",
        "number",
        None,
        "decades",
        "max over εζ and both edges of |log₁₀ κ± (brentq) − log₁₀ κ± (closed form)|",
        nonneg=True,
    ),
)


def _check(vals: dict[str, Any], exp: dict[str, Any], ck: Checker) -> None:
    if ok(vals["eps_zeta"]) and (not vals["eps_zeta"] or any(x <= 0 for x in vals["eps_zeta"])):
        ck.add("crossover", "eps_zeta", f"must be positive values, got {list(vals['eps_zeta'])}")
    if ok(vals["delta"]) and vals["delta"] >= 0.5:
        ck.add("crossover", "delta", f"must be in (0, 0.5), got {vals['delta']}")


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    return validate_kind(doc, ck, ctx, "crossover", CROSSOVER_KEYS, EXPECT_CROSSOVER_KEYS, _check)


def _edges_by_root_finding(metric: Any, delta: float) -> tuple[float, float]:
    """The window edges from ``a_eff(κ) = ½ ∓ δ`` (a_eff rises monotonically from 0 to 1)."""
    from scipy.optimize import brentq

    ln_star = math.log(metric.kappa_star)

    def f(ln_k: float, target: float) -> float:
        return float(metric.a_eff(math.exp(ln_k))) - target

    def root(target: float, step: float) -> float:
        far = ln_star + step
        while np.sign(f(far, target)) == np.sign(f(ln_star, target)):
            far += step
        a, b = sorted((ln_star, far))
        return float(brentq(f, a, b, args=(target,), xtol=1e-14, rtol=1e-15))

    return math.exp(root(0.5 - delta, -5.0)), math.exp(root(0.5 + delta, 5.0))


def _windows(scenario: Scenario, info: dict[str, Any]) -> tuple[list[CheckResult], None, str]:
    from quantgeo.learning import CrossoverMetric

    v = scenario.extra["crossover"]
    delta, decades, m = v["delta"], v["decades"], v["directions"]
    rows = []
    for ez in v["eps_zeta"]:
        g = CrossoverMetric(ez / v["zeta"], v["zeta"], v["c"], law=v["law"])
        lo, hi, width = g.window(delta)
        lo_r, hi_r = _edges_by_root_finding(g, delta)
        log_k = math.log10(g.kappa_star) + decades * ((np.arange(m) + 0.5) / m - 0.5)
        counted = float(np.mean(np.abs(g.a_eff(10.0**log_k) - 0.5) < delta))
        closed = g.f_half(delta=delta, decades=decades)
        rows.append(
            {
                "eps_zeta": ez,
                "width": width,
                "f_half": closed,
                "f_half_counted": counted,
                "edges": [lo, hi],
                "edges_root_finding": [lo_r, hi_r],
                "edge_error": max(abs(math.log10(lo_r / lo)), abs(math.log10(hi_r / hi))),
            }
        )
    info["crossover"] = rows
    f_err = [abs(r["f_half_counted"] - r["f_half"]) for r in rows]
    worst = rows[int(np.argmax(f_err))]
    measured = {
        "max_f_half_error": (
            max(f_err),
            f"worst εζ = {worst['eps_zeta']:g}: {worst['f_half_counted']:.4f} vs "
            f"{worst['f_half']:.4f} (w = {worst['width']:.3f} decades); bound 1/M = {1 / m:.2g}",
        ),
        "max_edge_error": (max(r["edge_error"] for r in rows), f"{len(rows)} windows"),
    }
    return expectation_checks(scenario.expect.extra, EXPECT_CROSSOVER_KEYS, measured), None, ""


KIND = Kind(
    name="crossover_window",
    required=("crossover", "expect"),
    optional=(),
    tables=("crossover",),
    validate=_validate,
    run=functools.partial(run_timed, body=_windows),
    engine="quantgeo.learning",
    table_keys={"crossover": CROSSOVER_KEYS, "expect": EXPECT_CROSSOVER_KEYS},
    system=False,
)
