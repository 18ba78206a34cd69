"""The ``neutral_heterozygosity`` kind: the mean heterozygosity ``1 − Σx_k²`` of neutral
Wright–Fisher replicates against ``H_t = H_0(1 − 1/N_g)^t`` (exact for the chain, any K), within
``k`` standard errors of the replicate mean (engine: :class:`quantgeo.evolution.WrightFisher`)."""

from __future__ import annotations

import functools
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

__all__ = ["EXPECT_HETEROZYGOSITY_KEYS", "HETEROZYGOSITY_KEYS", "KIND"]

HETEROZYGOSITY_KEYS = (
    *population_keys(20_000),
    _k(
        "x0",
        "numbers",
        REQUIRED,
        "fraction",
        "Initial allele frequencies (K ≥ 2 values in [0, 1] summing to 1)",
    ),
    _k("every", "int", 25, "generations", "Record interval of H_t", minimum=1),
)

EXPECT_HETEROZYGOSITY_KEYS = (
    _k(
        "max_z",
        "number",
        None,
        "SE",
        "max_t |H̄_t − H_0(1 − 1/N_g)^t|/SE_t, SE_t the standard error of the replicate mean",
        nonneg=True,
    ),
    _k(
        "max_final_fraction",
        "number",
        None,
        "fraction",
        "H̄ at the end / H_0 ≤ this: the decay is resolved, not trivial",
        nonneg=True,
    ),
)


def _check(vals: dict[str, Any], exp: dict[str, Any], ck: Checker) -> None:
    x0 = vals["x0"]
    if not ok(x0):
        return
    if len(x0) < 2 or any(not 0.0 <= x <= 1.0 for x in x0) or abs(sum(x0) - 1.0) > 1e-12:
        ck.add(
            "heterozygosity",
            "x0",
            f"must be K ≥ 2 frequencies in [0, 1] summing to 1, got {list(x0)}",
        )


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    return validate_kind(
        doc, ck, ctx, "heterozygosity", HETEROZYGOSITY_KEYS, EXPECT_HETEROZYGOSITY_KEYS, _check
    )


def _decay(
    scenario: Scenario, info: dict[str, Any]
) -> tuple[list[CheckResult], Trajectory | None, str]:
    from quantgeo.evolution import WrightFisher, heterozygosity_decay

    v = scenario.extra["heterozygosity"]
    x0 = np.asarray(v["x0"], dtype=float)
    wf = WrightFisher(v["n"], None, n_alleles=x0.size, ploidy=v["ploidy"], seed=scenario.meta.seed)
    gens = v["generations"]
    times = np.unique(np.append(np.arange(0, gens + 1, v["every"]), gens))
    rec = Recorder(
        times=times, observables=("heterozygosity", "heterozygosity_se"), store_states=False
    )
    tr = wf.run(x0, gens, recorder=rec, replicates=v["replicates"])
    h0 = float(1.0 - np.sum(x0 * x0))
    ref = np.asarray(heterozygosity_decay(tr.times, h0, v["n"], ploidy=v["ploidy"]))
    h, se = np.asarray(tr["heterozygosity"]), np.asarray(tr["heterozygosity_se"])
    z = np.array([z_score(a, b, c) for a, b, c in zip(h, ref, se, strict=True)])
    i = int(np.argmax(z))
    info["heterozygosity"] = {
        "times": tr.times.tolist(),
        "mean": h.tolist(),
        "se": se.tolist(),
        "reference": ref.tolist(),
        "z": z.tolist(),
    }
    final = float(h[-1] / h0) if h0 > 0 else float("nan")
    measured = {
        "max_z": (float(z[i]), f"worst at t = {tr.times[i]:g}: {h[i]:.5f} vs {ref[i]:.5f}"),
        "max_final_fraction": (final, f"H_0 = {h0:.4f}, reference {ref[-1] / h0:.4f}"),
    }
    return expectation_checks(scenario.expect.extra, EXPECT_HETEROZYGOSITY_KEYS, measured), tr, ""


KIND = Kind(
    name="neutral_heterozygosity",
    required=("heterozygosity", "expect"),
    optional=(),
    tables=("heterozygosity",),
    validate=_validate,
    run=functools.partial(run_timed, body=_decay, warm=warm_wright_fisher),
    engine="quantgeo.evolution",
    table_keys={"heterozygosity": HETEROZYGOSITY_KEYS, "expect": EXPECT_HETEROZYGOSITY_KEYS},
    system=False,
)
