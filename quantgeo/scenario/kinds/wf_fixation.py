"""The ``wright_fisher_fixation`` kind: the fraction of Wright–Fisher replicates in which an
allele fixes against Kimura's ``(1 − e^{−2N_g s p})/(1 − e^{−2N_g s})``, within ``k`` binomial
standard errors (THEORY §3; engine: :class:`quantgeo.evolution.WrightFisher`)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from quantgeo.recording import Recorder, Trajectory
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.kinds import Context, Kind
from quantgeo.scenario.kinds._evolution import (
    population_keys,
    run_timed,
    validate_kind,
    warm_wright_fisher,
    z_score,
)
from quantgeo.scenario.kinds._shared import expectation_checks
from quantgeo.scenario.run import CheckResult
from quantgeo.scenario.schema import REQUIRED, _k
from quantgeo.scenario.specs import Scenario

__all__ = ["EXPECT_FIXATION_KEYS", "FIXATION_KEYS", "KIND"]

FIXATION_KEYS = (
    *population_keys(20_000),
    _k(
        "s",
        "numbers",
        (0.0,),
        "1/generation",
        "Selection coefficients of allele A (weights 1 + s : 1), one population each",
    ),
    _k("p0", "number", REQUIRED, "fraction", "Initial frequency p of allele A, in (0, 1)"),
)

EXPECT_FIXATION_KEYS = (
    _k(
        "max_z",
        "number",
        None,
        "SE",
        "max over s of |P̂_fix − π_Kimura|/SE, SE = √(π(1 − π)/R) of the replicates",
        nonneg=True,
    ),
    _k(
        "max_unabsorbed",
        "number",
        None,
        "fraction",
        "Largest fraction of replicates neither fixed nor lost by the end",
        nonneg=True,
    ),
)


def _check(vals: dict[str, Any], exp: dict[str, Any], ck: Checker) -> None:
    p0, s = vals["p0"], vals["s"]
    if ok(p0) and not 0.0 < p0 < 1.0:
        ck.add("fixation", "p0", f"must be in (0, 1), got {p0}")
    if ok(s) and any(x <= -1.0 for x in s):
        ck.add("fixation", "s", f"every s must be > −1 (weights 1 + s > 0), got {list(s)}")


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    return validate_kind(doc, ck, ctx, "fixation", FIXATION_KEYS, EXPECT_FIXATION_KEYS, _check)


def _fixation(
    scenario: Scenario, info: dict[str, Any]
) -> tuple[list[CheckResult], Trajectory | None, str]:
    from quantgeo.evolution import WrightFisher, kimura_fixation_probability

    v = scenario.extra["fixation"]
    reps, gens, p0 = v["replicates"], v["generations"], v["p0"]
    cases = []
    traj = None
    for s in v["s"]:
        wf = WrightFisher(v["n"], [s, 0.0], ploidy=v["ploidy"], seed=scenario.meta.seed)
        rec = Recorder(times=[0, gens], observables=("fixed",), store_states=False)
        traj = wf.run([p0, 1.0 - p0], gens, recorder=rec, replicates=reps)
        allele = np.asarray(traj.info["fixed_allele"])
        p_hat = float(np.mean(allele == 0))
        ref = float(kimura_fixation_probability(p0, v["n"], s, ploidy=v["ploidy"]))
        se = math.sqrt(ref * (1.0 - ref) / reps)
        cases.append(
            {
                "s": s,
                "scaled_selection": 2 * wf.n_genes * s,
                "fixed": p_hat,
                "kimura": ref,
                "se": se,
                "z": z_score(p_hat, ref, se),
                "unabsorbed": float(np.mean(allele < 0)),
            }
        )
    info["fixation"] = cases
    worst = max(cases, key=lambda c: c["z"])
    measured = {
        "max_z": (
            worst["z"],
            ", ".join(
                f"2N_g s={c['scaled_selection']:g}: {c['fixed']:.4f} vs {c['kimura']:.4f} "
                f"(z {c['z']:.2f})"
                for c in cases
            ),
        ),
        "max_unabsorbed": (max(c["unabsorbed"] for c in cases), f"after {gens} generations"),
    }
    return expectation_checks(scenario.expect.extra, EXPECT_FIXATION_KEYS, measured), traj, ""


KIND = Kind(
    name="wright_fisher_fixation",
    required=("fixation", "expect"),
    optional=(),
    tables=("fixation",),
    validate=_validate,
    run=functools.partial(run_timed, body=_fixation, warm=warm_wright_fisher),
    engine="quantgeo.evolution",
    table_keys={"fixation": FIXATION_KEYS, "expect": EXPECT_FIXATION_KEYS},
    system=False,
)
