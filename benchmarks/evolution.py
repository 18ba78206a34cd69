"""Benchmarks of quantgeo.evolution (a script; not collected by pytest).

Wright–Fisher replicate-generations per second, Numba kernel vs its vectorised NumPy twin, on
equal models and equally seeded generators (the end states are checked to be identical), as
ratios of interleaved best-of-``repeats`` timings taken in one run:

* ``fixation``: neutral K = 2, N = 100 diploid, new mutants (p = 1/2N), 10⁵ replicates ×
  10³ generations — most replicates are absorbed early; the kernel skips them at no cost, the
  twin masks them out each generation;
* ``mutation``: K = 2 with selection and mutation (no absorption), 10⁵ × 200;
* ``K=5``: five alleles with mutation, 10⁵ × 100 (four binomials per replicate-generation).

"binomial alone" is NumPy's ``rng.binomial`` rate over an array of probabilities (what the twin
calls each generation): it bounds the twin, while the kernel runs the same algorithm (Numba's
``Generator.binomial`` is NumPy's code, bit for bit) once per replicate, so where nothing is
absorbed the speed-up is roughly the ratio of the two per-draw costs.  Numba compile time is
measured in a fresh subprocess with an empty cache directory, separately from run time.

Run:  .venv/bin/python benchmarks/evolution.py  [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from quantgeo.evolution import WrightFisher
from quantgeo.recording import Recorder

CASES = {
    "fixation": dict(n=100, fitness=None, mutation=0.0, k=2, x0=0.005, generations=1000),
    "mutation": dict(
        n=100, fitness=[0.01, 0.0], mutation=(1e-3, 1e-3), k=2, x0=0.5, generations=200
    ),
    "K=5": dict(n=100, fitness=None, mutation=1e-3, k=5, x0=None, generations=100),
}


def _run(case: dict, backend: str, reps: int, gens: int) -> tuple[float, np.ndarray]:
    k = case["k"]
    x0 = np.full(k, 1 / k) if case["x0"] is None else np.array([case["x0"], 1 - case["x0"]])
    wf = WrightFisher(
        case["n"], case["fitness"], case["mutation"], n_alleles=k, seed=1, backend=backend
    )
    rec = Recorder(observables=(), store_states=True)
    t = time.perf_counter()
    tr = wf.run(x0, gens, recorder=rec, replicates=reps)
    return time.perf_counter() - t, tr.states[-1]


def bench(reps: int, scale: float, repeats: int) -> list[tuple[str, float, float, float]]:
    rows = []
    for name, case in CASES.items():
        gens = max(1, int(case["generations"] * scale))
        best = {"numba": np.inf, "numpy": np.inf}
        ends = {}
        for _ in range(repeats):  # interleaved: both see the same machine load
            for backend in ("numba", "numpy"):
                dt, end = _run(case, backend, reps, gens)
                best[backend] = min(best[backend], dt)
                ends[backend] = end
        if not np.array_equal(ends["numba"], ends["numpy"]):
            raise SystemExit(f"{name}: kernel and twin disagree")
        rate_numba = reps * gens / best["numba"]
        rate_numpy = reps * gens / best["numpy"]
        rows.append((name, rate_numba, rate_numpy, rate_numba / rate_numpy))
    return rows


def binomial_rate(n_draws: int) -> float:
    rng = np.random.default_rng(0)
    p = rng.uniform(0.2, 0.8, n_draws)
    t = time.perf_counter()
    rng.binomial(200, p)
    return n_draws / (time.perf_counter() - t)


def compile_time() -> tuple[float, float]:
    """Cold-cache compilation and a from-cache load, each in a fresh interpreter."""
    code = (
        "import time; from quantgeo._kernels import evolution as k; "
        "t = time.perf_counter(); k.warmup(); print(time.perf_counter() - t)"
    )
    out = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for _ in range(2):
            res = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            out.append(float(res.stdout.split()[-1]))
    return out[0], out[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁴ replicates, shorter runs")
    args = parser.parse_args()
    reps = 10_000 if args.quick else 100_000
    scale = 0.2 if args.quick else 1.0
    from quantgeo._kernels import evolution

    evolution.warmup()
    rows = bench(reps, scale, 2 if args.quick else 3)
    print(f"Wright–Fisher, {reps} replicates (replicate-generations per second, best of repeats)")
    print(f"{'case':<10} {'numba':>12} {'numpy':>12} {'ratio':>7}  (target ≥ 5×)")
    for name, a, b, r in rows:
        print(f"{name:<10} {a:12.3e} {b:12.3e} {r:6.2f}×")
    print(f"NumPy rng.binomial alone (array p): {binomial_rate(reps * 10):.3e} draws/s")
    cold, warm = compile_time()
    print(f"Numba compile: cold cache {cold:.2f} s, from cache {warm:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
