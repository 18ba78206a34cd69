"""What the population-genetics and crossover kinds share: table validation without the
lattice tables, the population keys, the run harness (warm-up, timings) and the z-score of a
Monte-Carlo estimate against its closed form."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

from quantgeo.recording import Trajectory
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context
from quantgeo.scenario.run import CheckResult, ScenarioResult
from quantgeo.scenario.schema import BAD, REQUIRED, Key, _k
from quantgeo.scenario.specs import ExpectSpec, Scenario

__all__ = ["population_keys", "run_timed", "validate_kind", "z_score"]

#: ``body(scenario, info) -> (checks, trajectory, error)``.
Body = Callable[[Scenario, dict[str, Any]], tuple[list[CheckResult], Trajectory | None, str]]


def population_keys(replicates: int, generations: Any = REQUIRED) -> tuple[Key, ...]:
    """``n``, ``ploidy``, ``replicates`` and ``generations`` of a Wright–Fisher population."""
    return (
        _k("n", "int", REQUIRED, "individuals", "Population size N (= N_e)", minimum=1),
        _k(
            "ploidy",
            "int",
            2,
            "—",
            "1 (haploid, N_g = N gene copies) or 2 (diploid, N_g = 2N)",
            minimum=1,
        ),
        _k("replicates", "int", replicates, "populations", "Independent replicates", minimum=1),
        _k("generations", "int", generations, "generations", "Generations simulated", minimum=0),
    )


def validate_kind(
    doc: dict[str, Any],
    ck: Checker,
    ctx: Context,
    table: str,
    keys: Sequence[Key],
    ekeys: Sequence[Key],
    check: Callable[[dict[str, Any], dict[str, Any], Checker], None] | None = None,
) -> Scenario | None:
    """The kind's table and ``[expect]`` (at least one tolerance), ``check(vals, exp, ck)`` for
    the kind's cross-key rules, frozen into a :class:`Scenario` (``None``: problems reported)."""
    vals = ck.table(doc.get(table, {}), table, keys, None)
    expect_raw = doc.get("expect", {})
    exp = ck.table(expect_raw, "expect", ekeys, None)
    if isinstance(expect_raw, dict) and all(exp[k.name] in (None, BAD) for k in ekeys):
        ck.add("expect", None, "no expectation given: set at least one tolerance")
    if "ploidy" in vals and ok(vals["ploidy"]) and vals["ploidy"] not in (1, 2):
        ck.add(table, "ploidy", f"must be 1 or 2, got {vals['ploidy']}")
    if check is not None:
        check(vals, exp, ck)
    if ck.problems:
        return None
    return Scenario(
        ctx.path,
        ctx.fast,
        ctx.meta,
        None,
        None,
        None,
        None,
        expect=ExpectSpec(
            extra=MappingProxyType({k.name: exp[k.name] for k in ekeys if exp[k.name] is not None})
        ),
        extra=MappingProxyType({table: MappingProxyType(dict(vals))}),
    )


def z_score(estimate: float, reference: float, se: float) -> float:
    """``|estimate − reference|/se`` (0 when both the difference and ``se`` vanish)."""
    diff = abs(estimate - reference)
    if se > 0:
        return diff / se
    return 0.0 if diff == 0 else math.inf


def run_timed(
    scenario: Scenario,
    *,
    body: Body,
    warm: Callable[[], None] | None = None,
    **_: Any,
) -> ScenarioResult:
    """Warm the kernels up (``warm``, timed as ``compile``) and time ``body``, the kind's run
    that evaluates the ``[expect]`` tolerances; a kind's ``run`` is this with its ``body``."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {"build": 0.0}
    t0 = time.perf_counter()
    if warm is not None:
        warm()
    timings["compile"] = time.perf_counter() - t0
    info: dict[str, Any] = {"seed": scenario.meta.seed}
    t0 = time.perf_counter()
    checks, traj, error = body(scenario, info)
    timings["run"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    return ScenarioResult(scenario, traj, None, None, tuple(checks), timings, info, error)


def warm_wright_fisher() -> None:
    """Compile (or load from cache) the Wright–Fisher kernel outside the timed run (once per
    process: :func:`quantgeo._kernels.warmup` remembers it)."""
    from quantgeo._kernels import warmup

    warmup(("evolution",))
