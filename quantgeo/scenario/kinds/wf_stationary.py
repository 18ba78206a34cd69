"""The ``wright_stationary`` kind: the histogram of Wright–Fisher replicates with mutation after
relaxation against Wright's density ``∝ x^{2N_g u − 1}(1 − x)^{2N_g v − 1}e^{2N_g s x}``
integrated over the bins; the total-variation distance is compared with its multinomial floor,
the TV of ``R`` exact draws from the binned density (engine:
:class:`quantgeo.evolution.WrightFisher`)."""

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
)
from quantgeo.scenario.kinds._shared import expectation_checks
from quantgeo.scenario.run import CheckResult
from quantgeo.scenario.schema import REQUIRED, _k
from quantgeo.scenario.specs import Scenario

__all__ = ["EXPECT_STATIONARY_KEYS", "KIND", "STATIONARY_KEYS", "binned_counts"]

STATIONARY_KEYS = (
    *population_keys(10_000),
    _k("s", "number", 0.0, "1/generation", "Selection coefficient of allele A (weights 1 + s : 1)"),
    _k("u", "number", REQUIRED, "1/generation", "Mutation rate into allele A", positive=True),
    _k("v", "number", REQUIRED, "1/generation", "Mutation rate out of allele A", positive=True),
    _k("x0", "number", 0.5, "fraction", "Initial frequency of allele A (every replicate)"),
    _k("bins", "int", 20, "bins", "Histogram bins of the N_g + 1 count values", minimum=2),
    _k(
        "floor_draws",
        "int",
        400,
        "draws",
        "Exact multinomial samples of R draws that give the TV floor",
        minimum=2,
    ),
)

EXPECT_STATIONARY_KEYS = (
    _k(
        "max_z",
        "number",
        None,
        "floor std",
        "(TV − mean floor)/std(floor) ≤ this, TV = ½Σ|histogram − Wright's bin mass|",
        nonneg=True,
    ),
    _k("max_tv", "number", None, "—", "TV(histogram, Wright's bin masses)", nonneg=True),
)


def binned_counts(n_genes: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin starts (copy counts) and the bin edges in frequency: bin ``j`` holds the counts
    ``c_j ≤ c < c_{j+1}`` (the last also ``N_g``), edges half-way between count values."""
    lo = np.unique(np.rint(np.linspace(0, n_genes, bins + 1)[:-1]).astype(int))
    edges = np.clip(np.append(lo - 0.5, n_genes + 0.5) / n_genes, 0.0, 1.0)
    return lo, edges


def _check(vals: dict[str, Any], exp: dict[str, Any], ck: Checker) -> None:
    if ok(vals["s"]) and vals["s"] <= -1.0:
        ck.add("stationary", "s", f"must be > −1 (weights 1 + s > 0), got {vals['s']}")
    if ok(vals["x0"]) and not 0.0 <= vals["x0"] <= 1.0:
        ck.add("stationary", "x0", f"must be in [0, 1], got {vals['x0']}")
    if ok(vals["n"], vals["ploidy"], vals["bins"]) and vals["bins"] > vals["n"] * vals["ploidy"]:
        ck.add("stationary", "bins", f"must be ≤ N_g = {vals['n'] * vals['ploidy']} count values")


def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    return validate_kind(
        doc, ck, ctx, "stationary", STATIONARY_KEYS, EXPECT_STATIONARY_KEYS, _check
    )


def _stationary(
    scenario: Scenario, info: dict[str, Any]
) -> tuple[list[CheckResult], Trajectory | None, str]:
    from quantgeo.evolution import WrightFisher, wright_bin_probabilities

    v = scenario.extra["stationary"]
    n, ploidy, reps, gens = v["n"], v["ploidy"], v["replicates"], v["generations"]
    wf = WrightFisher(n, [v["s"], 0.0], (v["u"], v["v"]), ploidy=ploidy, seed=scenario.meta.seed)
    rec = Recorder(times=[0, gens], observables=("mean",), store_states=True)
    tr = wf.run([v["x0"], 1.0 - v["x0"]], gens, recorder=rec, replicates=reps)
    assert tr.states is not None
    ng = wf.n_genes
    counts = np.rint(np.asarray(tr.states[-1])[:, 0] * ng).astype(int)
    lo, edges = binned_counts(ng, v["bins"])
    hist = np.bincount(np.searchsorted(lo, counts, side="right") - 1, minlength=lo.size) / reps
    ref = np.asarray(
        wright_bin_probabilities(edges, n, s=v["s"], u=v["u"], v=v["v"], ploidy=ploidy)
    )
    ref = ref / ref.sum()
    tv = 0.5 * float(np.abs(hist - ref).sum())
    # the floor: TV of R exact draws from the binned density (a seed of its own)
    rng = np.random.default_rng([scenario.meta.seed, 1])
    floor = 0.5 * np.abs(rng.multinomial(reps, ref, size=v["floor_draws"]) / reps - ref).sum(1)
    mean, std = float(floor.mean()), float(floor.std(ddof=1))
    z = (tv - mean) / std
    info["stationary"] = {
        "edges": edges.tolist(),
        "histogram": hist.tolist(),
        "wright": ref.tolist(),
        "tv": tv,
        "floor_mean": mean,
        "floor_std": std,
    }
    measured = {
        "max_z": (z, f"TV {tv:.4f}, floor {mean:.4f} ± {std:.4f}"),
        "max_tv": (tv, f"{reps} replicates, {lo.size} bins"),
    }
    return expectation_checks(scenario.expect.extra, EXPECT_STATIONARY_KEYS, measured), tr, ""


KIND = Kind(
    name="wright_stationary",
    required=("stationary", "expect"),
    optional=(),
    tables=("stationary",),
    validate=_validate,
    run=functools.partial(run_timed, body=_stationary, warm=warm_wright_fisher),
    engine="quantgeo.evolution",
    table_keys={"stationary": STATIONARY_KEYS, "expect": EXPECT_STATIONARY_KEYS},
    system=False,
)
