"""The ``born_ensemble`` kind: one walker ensemble per exponent a of g = c·κ^a against |ψ(t)|²
(THEORY §2: only a = 1 keeps the Born distribution; engine: :class:`quantgeo.BornEnsemble`)."""

from __future__ import annotations

import functools
import math
from typing import Any

from quantgeo.emergence.born import BornOptions
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

__all__ = ["BORN_KEYS", "EXPECT_BORN_KEYS", "KIND"]

BORN_KEYS = (
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", REQUIRED, "time", "End time of the ensembles"),
    _k("every", "number", 0.5, "time", "Record interval of the histograms", positive=True),
    _k("a", "numbers", (0.0, 0.5, 1.0), "—", "Exponents a of g = c·κ^a, one ensemble each"),
    _k("walkers", "int", 20_000, "walkers", "Walkers per ensemble", minimum=1),
    *keys_of(BornOptions),
)

EXPECT_BORN_KEYS = (
    _k(
        "max_z_a1",
        "number",
        None,
        "floor std",
        "a = 1 keeps |ψ|²: max_t (TV − floor)/std(floor) ≤ this",
        nonneg=True,
    ),
    _k(
        "min_z_other",
        "number",
        None,
        "floor std",
        "every a ≠ 1 departs: min over a of max_t (TV − floor)/std(floor) ≥ this",
        nonneg=True,
    ),
    _k("max_tv_a1", "number", None, "—", "max_t TV(histogram, |ψ|²ΔV) at a = 1", nonneg=True),
)


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    vals, exp = validate_tables(doc, ck, "born", BORN_KEYS, EXPECT_BORN_KEYS, ctx.system["ndim"])
    a_list = vals["a"]
    if a_list is not BAD:
        if exp["max_z_a1"] not in (None, BAD) or exp["max_tv_a1"] not in (None, BAD):
            if 1.0 not in a_list:
                ck.add("born", "a", "must include 1.0 for the a = 1 expectations")
        if exp["min_z_other"] not in (None, BAD) and all(a == 1.0 for a in a_list):
            ck.add("born", "a", "must include an a ≠ 1 for `min_z_other`")
    if ok(vals["psi_dt"], vals["dt"]) and vals["psi_dt"] is not None:
        if vals["psi_dt"] < vals["dt"]:
            ck.add("born", "psi_dt", f"must be ≥ dt = {vals['dt']}, got {vals['psi_dt']}")
    return freeze(ck, ctx, "born", vals, exp, EXPECT_BORN_KEYS)


def _ensembles(
    em: Any,
    scenario: Scenario,
    lattice: Lattice,
    ham: Hamiltonian,
    state0: Wavefunction,
    info: dict[str, Any],
    progress: bool,
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """One walker ensemble per exponent a against |ψ(t)|²."""
    v = scenario.extra["born"]

    def run_one(a: float) -> Trajectory:
        ens = em.BornEnsemble(
            ham,
            a,
            v["walkers"],
            scenario.meta.seed,
            dt=v["dt"],
            psi_dt=v["psi_dt"],
            solver_dt=v["solver_dt"],
            scheme=v["scheme"],
            floor_draws=v["floor_draws"],
        )
        rec = Recorder(
            every=v["every"], observables=("tv", "floor_mean", "floor_std", "floor_normal")
        )
        return ens.run(state0, (v["t_start"], v["t_end"]), recorder=rec, progress=progress)

    trajs, summaries, a1, others, error = per_exponent(run_one, v["a"])
    info["born"] = [s.to_dict() for s in summaries]
    measured = {
        "max_z_a1": (
            math.nan if a1 is None else a1.max_z,
            "" if a1 is None else f"TV(end) {a1.final_tv:.4f}, floor {a1.floor_mean[-1]:.4f}",
        ),
        "max_tv_a1": (math.nan if a1 is None else a1.max_tv, ""),
        "min_z_other": (
            min((s.max_z for s in others), default=math.nan),
            ", ".join(f"a={s.a:g}: max z {s.max_z:.1f}, TV {s.final_tv:.3f}" for s in others),
        ),
    }
    return family_result(
        scenario.expect.extra, EXPECT_BORN_KEYS, measured, error, "ensembles_completed", trajs
    )


KIND = Kind(
    name="born_ensemble",
    required=("lattice", "hamiltonian", "initial_state", "born", "expect"),
    optional=(),
    tables=("born",),
    validate=_validate,
    run=functools.partial(run_engine, body=_ensembles),
    engine="quantgeo.emergence",
    table_keys={"born": BORN_KEYS, "expect": EXPECT_BORN_KEYS},
)
