"""The ``lattice_learners`` kind: M learners jumping on the lattice with Bell's rates of ψ(t)
(a = 1) or the E3 family (a < 1), one run per exponent a, against |ψ(t)|² (issue 11; engine:
:class:`quantgeo.emergence.LatticeLearners`)."""

from __future__ import annotations

import functools
import math
from typing import Any

from quantgeo.emergence.born import FLOOR_OBSERVABLES
from quantgeo.emergence.learners import LearnerOptions
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Recorder, Trajectory
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context, Kind
from quantgeo.scenario.kinds._shared import (
    family_result,
    freeze,
    per_exponent,
    run_engine,
    validate_tables,
)
from quantgeo.scenario.run import CheckResult
from quantgeo.scenario.schema import BAD, REQUIRED, _k, keys_of
from quantgeo.scenario.specs import Scenario
from quantgeo.wavefunction import Wavefunction

__all__ = ["EXPECT_LEARNER_KEYS", "KIND", "LEARNER_KEYS"]

#: Record times the a = 1 check needs (|z| ≤ 3 at 5 times: ~1 % false alarms).
MIN_RECORDS = 5

LEARNER_KEYS = (
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", REQUIRED, "time", "End time of the learner runs"),
    _k(
        "every",
        "number",
        0.5,
        "time",
        "Record interval of the histograms (a multiple of refresh)",
        positive=True,
    ),
    _k("a", "numbers", (0.0, 0.5, 1.0), "—", "Exponents a in [0, 1], one learner run each"),
    _k("learners", "int", 20_000, "learners", "Learners M per run", minimum=1),
    _k(
        "seed",
        "int",
        None,
        "—",
        "Seed of the learners (default: [scenario].seed); every a uses the same",
        minimum=0,
    ),
    *keys_of(LearnerOptions),
)

EXPECT_LEARNER_KEYS = (
    _k(
        "max_z_a1",
        "number",
        None,
        "floor std",
        "a = 1 keeps |ψ|²: max_t |TV − floor|/std(floor) ≤ this (at ≥ 5 record times)",
        nonneg=True,
    ),
    _k(
        "min_z_end_other",
        "number",
        None,
        "floor std",
        "every a ≠ 1 departs: min over a of (TV − floor)/std(floor) at t_end ≥ this",
        nonneg=True,
    ),
    _k("max_tv_a1", "number", None, "—", "max_t TV(histogram, |ψ|²ΔV) at a = 1", nonneg=True),
)


def _records(v: dict[str, Any]) -> int:
    """Record times after t_start (the check at t_start is a draw from |ψ₀|² by construction)."""
    return math.floor((v["t_end"] - v["t_start"]) / v["every"] + 1e-9)


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    vals, exp = validate_tables(
        doc, ck, "learners", LEARNER_KEYS, EXPECT_LEARNER_KEYS, ctx.system["ndim"]
    )
    a_list = vals["a"]
    if a_list is not BAD:
        for a in a_list:
            if not 0.0 <= a <= 1.0:
                ck.add("learners", "a", f"every exponent must lie in [0, 1], got {a}")
        if exp["max_z_a1"] not in (None, BAD) or exp["max_tv_a1"] not in (None, BAD):
            if 1.0 not in a_list:
                ck.add("learners", "a", "must include 1.0 for the a = 1 expectations")
        if exp["min_z_end_other"] not in (None, BAD) and all(a == 1.0 for a in a_list):
            ck.add("learners", "a", "must include an a ≠ 1 for `min_z_end_other`")
    if ok(vals["t_start"], vals["t_end"], vals["every"], vals["refresh"]):
        if vals["t_end"] > vals["t_start"] and exp["max_z_a1"] not in (None, BAD):
            if _records(vals) < MIN_RECORDS:
                ck.add(
                    "learners",
                    "every",
                    f"`max_z_a1` needs ≥ {MIN_RECORDS} record times after t_start, got "
                    f"{_records(vals)} (t_end − t_start = {vals['t_end'] - vals['t_start']:g}, "
                    f"every = {vals['every']:g})",
                )
        ratio = vals["every"] / vals["refresh"]
        if abs(ratio - round(ratio)) > 1e-9 * max(1.0, ratio):
            ck.add(
                "learners",
                "every",
                f"must be a multiple of refresh = {vals['refresh']:g} (the records sit on the "
                f"refresh grid), got {vals['every']:g}",
            )
    return freeze(ck, ctx, "learners", vals, exp, EXPECT_LEARNER_KEYS)


def _runs(
    em: Any,
    scenario: Scenario,
    lattice: Lattice,
    ham: Hamiltonian,
    state0: Wavefunction,
    info: dict[str, Any],
    progress: bool,
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """One learner run per exponent a against |ψ(t)|²."""
    v = scenario.extra["learners"]
    seed = v["seed"] if v["seed"] is not None else scenario.meta.seed

    def run_one(a: float) -> Trajectory:
        eng = em.LatticeLearners(
            ham,
            v["learners"],
            seed,
            a,
            refresh=v["refresh"],
            rule=v["rule"],
            solver_dt=v["solver_dt"],
            scheme=v["scheme"],
            floor_draws=v["floor_draws"],
            backend=v["backend"],
        )
        rec = Recorder(every=v["every"], observables=FLOOR_OBSERVABLES)
        return eng.run(state0, (v["t_start"], v["t_end"]), recorder=rec, progress=progress)

    trajs, summaries, a1, others, error = per_exponent(run_one, v["a"])
    info["learners"] = [s.to_dict() for s in summaries]
    info["learner_seed"] = seed
    # |z| after t_start: the first record is the initial multinomial draw itself.
    z_a1 = max((abs(z) for z in a1.z[1:]), default=math.nan) if a1 is not None else math.nan
    measured = {
        "max_z_a1": (
            z_a1,
            ""
            if a1 is None
            else f"{len(a1.z) - 1} records, TV(end) {a1.final_tv:.4f}, "
            f"floor {a1.floor_mean[-1]:.4f}",
        ),
        "max_tv_a1": (math.nan if a1 is None else a1.max_tv, ""),
        "min_z_end_other": (
            min((s.z[-1] for s in others), default=math.nan),
            ", ".join(f"a={s.a:g}: z(end) {s.z[-1]:.1f}, TV {s.final_tv:.3f}" for s in others),
        ),
    }
    return family_result(
        scenario.expect.extra, EXPECT_LEARNER_KEYS, measured, error, "learners_completed", trajs
    )


KIND = Kind(
    name="lattice_learners",
    required=("lattice", "hamiltonian", "initial_state", "learners", "expect"),
    optional=("animation",),  # quantgeo.animation_learners.animate_learner_scenario
    tables=("learners",),
    validate=_validate,
    run=functools.partial(run_engine, body=_runs, families=("split", "learners")),
    engine="quantgeo.emergence",
    table_keys={"learners": LEARNER_KEYS, "expect": EXPECT_LEARNER_KEYS},
)
