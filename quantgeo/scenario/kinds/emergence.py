"""The ``emergence_three_way`` kind: the learning variables (p, S) of THEORY §2 against the
split-operator solver and QuTiP on one lattice (engines: :mod:`quantgeo.emergence`)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from quantgeo._io import jsonable
from quantgeo.emergence.comparison import EmergenceOptions
from quantgeo.errors import StabilityError
from quantgeo.hamiltonian import MAX_DENSE_SITES, Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Trajectory
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context, Kind
from quantgeo.scenario.kinds._shared import (
    expectation_checks,
    freeze,
    run_engine,
    validate_tables,
)
from quantgeo.scenario.run import CheckResult
from quantgeo.scenario.schema import BAD, REQUIRED, _k, keys_of
from quantgeo.scenario.specs import Scenario
from quantgeo.wavefunction import Wavefunction

__all__ = ["EMERGENCE_KEYS", "EXPECT_EMERGENCE_KEYS", "KIND", "MIN_RTOL"]

#: Smallest ``[emergence].rtol``: scipy's ``solve_ivp`` (DOP853, RK45, RK23) raises a smaller
#: ``rtol`` to 100·eps with a warning, so the tolerance asked for would not be the one met.
MIN_RTOL = 100 * float(np.finfo(float).eps)

EMERGENCE_KEYS = (
    _k("t_start", "number", 0.0, "time", "Start time"),
    _k("t_end", "number", REQUIRED, "time", "End time of the three-way comparison"),
    *keys_of(EmergenceOptions),
)

EXPECT_EMERGENCE_KEYS = (
    _k(
        "max_l2_learning_vs_split", "number", None, "—", "max_t ‖ψ_learning − ψ_split‖", nonneg=True
    ),
    _k(
        "max_l2_learning_vs_qutip", "number", None, "—", "max_t ‖ψ_learning − ψ_QuTiP‖", nonneg=True
    ),
    _k("max_l2_split_vs_qutip", "number", None, "—", "max_t ‖ψ_split − ψ_QuTiP‖", nonneg=True),
    _k("max_norm_drift", "number", None, "—", "Largest norm drift of the engines", nonneg=True),
    _k(
        "max_energy_drift",
        "number",
        None,
        "energy",
        "Largest energy drift of the engines",
        nonneg=True,
    ),
)


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    common = ctx.system
    vals, exp = validate_tables(
        doc, ck, "emergence", EMERGENCE_KEYS, EXPECT_EMERGENCE_KEYS, common["ndim"]
    )
    if ok(vals["rtol"]) and vals["rtol"] < MIN_RTOL:
        ck.add(
            "emergence",
            "rtol",
            f"must be ≥ {MIN_RTOL:.3g} (100 × float64 epsilon, the least scipy's solve_ivp "
            f"accepts), got {vals['rtol']!r}",
        )
    ham = common["hamiltonian"]
    if ham["kinetic"] not in (BAD, "lattice"):
        ck.add("hamiltonian", "kinetic", "the learning variables need kinetic = 'lattice'")
    if vals["qutip"] is False:
        for key in ("max_l2_learning_vs_qutip", "max_l2_split_vs_qutip"):
            if exp[key] not in (None, BAD):
                ck.add("expect", key, "needs [emergence] qutip = true")
    if (
        vals["qutip"] is True
        and common["size"] is not None
        and ham["kinetic"] == "spectral"
        and common["size"] > MAX_DENSE_SITES
    ):
        ck.add("emergence", "qutip", f"a dense QuTiP operator allows ≤ {MAX_DENSE_SITES} sites")
    return freeze(ck, ctx, "emergence", vals, exp, EXPECT_EMERGENCE_KEYS)


_PAIRS = {
    "max_l2_learning_vs_split": "learning vs split-operator",
    "max_l2_learning_vs_qutip": "learning vs qutip",
    "max_l2_split_vs_qutip": "split-operator vs qutip",
}


def _three_way(
    em: Any,
    scenario: Scenario,
    lattice: Lattice,
    ham: Hamiltonian,
    state0: Wavefunction,
    info: dict[str, Any],
    progress: bool,
) -> tuple[list[CheckResult], Trajectory | None, str]:
    """Learning variables vs split-operator vs QuTiP."""
    v = scenario.extra["emergence"]
    try:
        res = em.emergence(
            ham,
            state0,
            (v["t_start"], v["t_end"]),
            every=v["every"],
            rtol=v["rtol"],
            atol=v["atol"],
            solver_dt=v["solver_dt"],
            scheme=v["scheme"],
            qutip=v["qutip"],
            born_a=(),
            seed=scenario.meta.seed,
            progress=progress,
        )
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
        return [CheckResult("learning_completed", math.nan, 0.0, "—", error)], None, error
    info["emergence"] = jsonable(res.to_dict())
    completed = res.singular is None
    stopped = "" if completed else str(res.singular["message"])
    obs: dict[str, Any] = {}
    measured: dict[str, tuple[float, str]] = {}
    for key, pair in _PAIRS.items():
        pe = res.pairs.get(pair)
        if pe is not None:
            obs["l2 " + pair] = np.asarray(pe.l2)
        measured[key] = (math.nan if pe is None else pe.max_l2, "")
    for key, attr in (("max_norm_drift", "norm_drift"), ("max_energy_drift", "energy_drift")):
        drifts = {n: getattr(e, attr) for n, e in res.engines.items()}
        worst = max(drifts, key=lambda n: drifts[n])
        measured[key] = (float(drifts[worst]), f"largest: {worst}")
    checks = [CheckResult("learning_completed", 0.0 if completed else 1.0, 0.0, "—", stopped)]
    checks += expectation_checks(scenario.expect.extra, EXPECT_EMERGENCE_KEYS, measured)
    traj = Trajectory(np.asarray(res.times), obs, None, info["emergence"]["setup"], lattice)
    return checks, traj, "" if completed else f"learning variables stopped: {stopped}"


KIND = Kind(
    name="emergence_three_way",
    required=("lattice", "hamiltonian", "initial_state", "emergence", "expect"),
    optional=(),
    tables=("emergence",),
    validate=_validate,
    run=functools.partial(run_engine, body=_three_way, families=("split", "madelung")),
    engine="quantgeo.emergence",
    table_keys={"emergence": EMERGENCE_KEYS, "expect": EXPECT_EMERGENCE_KEYS},
)
