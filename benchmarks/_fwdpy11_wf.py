"""fwdpy11 side of ``benchmarks/evolution.py --fwdpy11 PYTHON`` (run by that interpreter).

A standalone script (fwdpy11 is GPL and lives in its own virtual environment, never in
quantgeo's): ``R`` replicate Wright–Fisher populations of ``N`` diploids, each started with one
new mutation (one copy of 2N, ``add_mutation``) of selection coefficient ``s`` (multiplicative
fitness: heterozygote 1 + s, homozygote 1 + 2s, i.e. genic selection 1 + s per copy to O(s²)),
no further mutation, no recombination; each runs until the mutation is lost or fixed
(``track_mutation_counts``: counts current every generation; tree-sequence simplification
every ``interval`` generations), at most ``G`` generations.  Prints one JSON line: seconds
(evolution only, imports and set-up excluded), the generations actually simulated, the
fixations.

Usage:  PYTHON benchmarks/_fwdpy11_wf.py N s G R seed [interval=100]
"""

from __future__ import annotations

import json
import sys
import time

import fwdpy11


def one(n: int, s: float, gens: int, seed: int, interval: int) -> tuple[float, int, int]:
    rng = fwdpy11.GSLrng(seed)
    # fwdpy11 refuses a new mutation of effect 0: "neutral" is s = 1e-12 (4Ns ≈ 0 at any N here)
    s = s if s != 0.0 else 1e-12
    pop = fwdpy11.DiploidPopulation(n, 1.0)

    def params(simlen: int) -> fwdpy11.ModelParams:
        demog = fwdpy11.ForwardDemesGraph.tubes([n], burnin=gens + 1, burnin_is_exact=True)
        return fwdpy11.ModelParams(
            gvalue=fwdpy11.Multiplicative(2.0), rates=(0.0, 0.0, 0.0), nregions=[],
            sregions=[], recregions=[], demography=demog, simlen=simlen, prune_selected=False,
        )  # fmt: skip

    # one neutral generation first: add_mutation needs a recorded ancestry
    fwdpy11.evolvets(rng, pop, params(1), 100)
    key = pop.add_mutation(
        rng, ndescendants=1, data=fwdpy11.NewMutationData(effect_size=s, dominance=1.0)
    )
    assert key is not None
    run = params(gens)
    two_n = 2 * n
    done = {"gen": gens, "fixed": 0}

    def absorbed(p: fwdpy11.DiploidPopulation, _simplified: bool) -> bool:
        c = p.mcounts[key]  # current every generation with track_mutation_counts
        if c == 0 or c == two_n:
            done["gen"], done["fixed"] = p.generation, int(c == two_n)
            return True
        return False

    t = time.perf_counter()
    fwdpy11.evolvets(rng, pop, run, interval, stopping_criterion=absorbed,
        suppress_table_indexing=True, track_mutation_counts=True,
    )  # fmt: skip
    return time.perf_counter() - t, done["gen"], done["fixed"]


def main() -> int:
    n, s, gens, reps, seed = (int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]),
                              int(sys.argv[4]), int(sys.argv[5]))  # fmt: skip
    interval = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    sec, simulated, fixed = 0.0, 0, 0
    for r in range(reps):
        dt, g, f = one(n, s, gens, seed + r, interval)
        sec, simulated, fixed = sec + dt, simulated + g, fixed + f
    print(
        json.dumps(
            {
                "seconds": sec,
                "generations": simulated,
                "fixed": fixed,
                "version": fwdpy11.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
