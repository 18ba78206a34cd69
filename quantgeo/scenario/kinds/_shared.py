"""What the emergence kinds share: their table validation, the run harness (build, warm-up,
timings) and the expectations → :class:`~quantgeo.scenario.CheckResult` mapping."""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from quantgeo.errors import ScenarioError, StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Trajectory
from quantgeo.scenario.build import build_system, dry_build
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context
from quantgeo.scenario.run import CheckResult, ScenarioResult
from quantgeo.scenario.schema import BAD, Key
from quantgeo.scenario.specs import ExpectSpec, Scenario
from quantgeo.scenario.system import animation_spec, system_specs
from quantgeo.wavefunction import Wavefunction

__all__ = ["expectation_checks", "freeze", "run_engine", "validate_tables"]

#: ``body(em, scenario, lattice, ham, state0, info, progress) -> (checks, trajectory, error)``.
Body = Callable[
    [Any, Scenario, Lattice, Hamiltonian, Wavefunction, dict[str, Any], bool],
    tuple[list[CheckResult], Trajectory | None, str],
]


def validate_tables(
    doc: dict[str, Any],
    ck: Checker,
    table: str,
    keys: Sequence[Key],
    ekeys: Sequence[Key],
    ndim: int | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The kind's own table and its ``[expect]`` tolerances (``BAD`` where reported)."""
    vals = ck.table(doc.get(table, {}), table, keys, ndim)
    if ok(vals["t_start"], vals["t_end"]) and vals["t_end"] <= vals["t_start"]:
        ck.add(table, "t_end", f"must be > t_start = {vals['t_start']}, got {vals['t_end']}")
    expect_raw = doc.get("expect", {})
    exp = ck.table(expect_raw, "expect", ekeys, ndim)
    if isinstance(expect_raw, dict) and all(exp[k.name] in (None, BAD) for k in ekeys):
        ck.add("expect", None, "no expectation given: set at least one tolerance")
    return vals, exp


def freeze(
    ck: Checker,
    ctx: Context,
    table: str,
    vals: dict[str, Any],
    exp: dict[str, Any],
    ekeys: Sequence[Key],
) -> Scenario | None:
    """The frozen :class:`Scenario` (``None`` if a problem was reported)."""
    if ck.problems:
        return None
    sc = Scenario(
        ctx.path,
        ctx.fast,
        ctx.meta,
        *system_specs(ctx.system),
        None,
        expect=ExpectSpec(
            extra=MappingProxyType({k.name: exp[k.name] for k in ekeys if exp[k.name] is not None})
        ),
        animation=animation_spec(ctx.animation),
        extra=MappingProxyType({table: MappingProxyType(dict(vals))}),
    )
    dry_build(sc, ck)
    return None if ck.problems else sc


def expectation_checks(
    exp: Mapping[str, float],
    ekeys: Sequence[Key],
    measured: Mapping[str, tuple[float, str]],
) -> list[CheckResult]:
    """One :class:`CheckResult` per tolerance given, in the order of ``measured``.

    ``measured`` maps an expectation key (``max_…``: value ≤ tolerance, ``min_…``: value ≥
    tolerance) to its measured value and detail; the check is named after the key without its
    prefix and carries the key's unit.
    """
    units = {k.name: k.unit for k in ekeys}
    out = []
    for key, (value, detail) in measured.items():
        if key in exp:
            bound, name = key.split("_", 1)
            out.append(CheckResult(name, value, exp[key], units[key], detail, bound))
    return out


def per_exponent(
    run_one: Callable[[float], Trajectory], exponents: Sequence[float]
) -> tuple[dict[float, Trajectory], list[Any], Any, list[Any], str]:
    """Run ``run_one(a)`` for every exponent a of a Born-type family (walkers or learners
    against |ψ(t)|²): the trajectories by a, their :class:`~quantgeo.emergence.BornSummary`,
    the a = 1 summary (or None), the others, and the message of a StabilityError that ended
    the family early ("" when none did)."""
    from quantgeo.emergence.born import BornSummary

    trajs: dict[float, Trajectory] = {}
    summaries: list[Any] = []
    error = ""
    try:
        for a in exponents:
            trajs[float(a)] = tr = run_one(float(a))
            summaries.append(BornSummary.from_trajectory(tr))
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
    a1 = {s.a: s for s in summaries}.get(1.0)
    return trajs, summaries, a1, [s for s in summaries if s.a != 1.0], error


def family_result(
    exp: Mapping[str, float],
    ekeys: Sequence[Key],
    measured: Mapping[str, tuple[float, str]],
    error: str,
    completed: str,
    trajs: Mapping[float, Trajectory],
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """The checks of a Born-type family (:func:`expectation_checks`, plus a failed
    ``completed`` check when a run stopped early) and the trajectory shown: a = 1's, else the
    first."""
    checks = expectation_checks(exp, ekeys, measured)
    if error:
        checks.append(CheckResult(completed, math.nan, 0.0, "—", error))
    traj = trajs.get(1.0) or (next(iter(trajs.values())) if trajs else None)
    return checks, traj, error


def run_engine(
    scenario: Scenario,
    *,
    body: Body,
    families: Sequence[str] = ("split",),
    progress: bool = False,
    **_: Any,
) -> ScenarioResult:
    """Build the shared system, warm up the kernel ``families`` the kind's engines use (timed
    as ``compile``) and time ``body`` (the kind's run, which evaluates the ``[expect]``
    tolerances); a kind's ``run`` is this with its ``body`` and ``families``."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        em = importlib.import_module("quantgeo.emergence")
    except ImportError as exc:  # pragma: no cover - part of the package
        raise ScenarioError(
            f"{scenario.file}: [scenario].kind: {scenario.meta.kind!r} needs quantgeo.emergence "
            f"({exc})"
        ) from None
    lattice, ham, state0, _eigh = build_system(scenario)
    timings["build"] = time.perf_counter() - t_start
    from quantgeo._kernels import warmup

    timings["compile"] = warmup(families, (lattice.ndim,))
    info: dict[str, Any] = {
        "lattice": {"shape": list(lattice.shape), "bounds": [list(b) for b in lattice.bounds]},
        "kinetic": ham.kinetic,
        "mass": ham.mass.tolist(),
        "seed": scenario.meta.seed,
        "backend": "numba",
    }
    t0 = time.perf_counter()
    checks, traj, error = body(em, scenario, lattice, ham, state0, info, progress)
    timings["run"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    return ScenarioResult(scenario, traj, None, None, tuple(checks), timings, info, error)
