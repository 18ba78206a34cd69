"""Benchmarks of quantgeo.evolution (a script; not collected by pytest).

Wright–Fisher replicate-generations per second: ``WrightFisher(...).run`` with the Numba kernel
on one thread (``workers=1``: the honest kernel figure against single-threaded NumPy) and on
every core (``workers=None``: what a user gets) against the best vectorised NumPy
implementation of the same model — not the twin, which mirrors the kernel's algorithm —
measured interleaved in one run, the median of ``rounds`` ratios (each round times the three
back to back, so all see the same load).  The 1-thread ratio is given twice: by wall time and
by the thread's CPU time (``time.thread_time``: both sides run on the calling thread), which a
machine shared with other jobs does not inflate by time slicing.  The NumPy side draws with
``Generator.binomial`` on arrays (K = 2, ``z`` looked up by count; absorbed replicates
compressed out of the arrays) or with the faster of ``Generator.multinomial`` on a
``(R, K)`` array of probabilities and ``K − 1`` sequential array binomials (K = 5); it keeps
the same fixation and loss bookkeeping as the engine.

Cases, each for N = 100, 1000, 10⁴ diploids (N_g = 2N):

* ``neutral``: K = 2, new mutants (p = 1/2N), 10⁵ replicates × 10³ generations;
* ``sel+mut``: K = 2, s = 0.01, u = v = 10⁻³, from p = ½, 10⁵ × 200 (nothing absorbs);
* ``K=5``: five alleles, s = (0.02, 0.01, 0, −0.01, 0.005), μ = 10⁻³, 10⁵ × 100.

A consistency line compares the two implementations' end-state means (their draws differ, so
the check is statistical: |Δ| / SE).  Numba compile time is measured in a fresh subprocess
with an empty cache directory, separately from run time.

With ``--fwdpy11 PYTHON`` it first prints a side-by-side of quantgeo and fwdpy11 (a forward
simulator, GPL: never a quantgeo dependency) on an equal K = 2 model
(:func:`fwdpy11_side_by_side`); fwdpy11 lives in its own virtual environment::

    python -m venv .venv-fwdpy11 && .venv-fwdpy11/bin/pip install fwdpy11==0.24.7
    .venv/bin/python benchmarks/evolution.py --fwdpy11 .venv-fwdpy11/bin/python [--only-fwdpy11]

Run:  .venv/bin/python benchmarks/evolution.py  [--quick] [--rounds R] [--sizes N ...]
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

# The NumPy side's one matrix product (the K = 5 mutation step, (R, K) @ (K, K)) would run on
# OpenBLAS's threads: measured on 2 cores, its calling thread then saw half the CPU time of
# the wall time, so the "1 thread" NumPy figure was not one thread.  Pinned to one here (before
# NumPy loads its BLAS), NumPy is single-threaded like the kernel's 1-thread figure.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from quantgeo.evolution import WrightFisher  # noqa: E402
from quantgeo.recording import Recorder  # noqa: E402

FIT5 = [0.02, 0.01, 0.0, -0.01, 0.005]
CASES: dict[str, dict[str, Any]] = {
    "neutral": dict(fitness=None, mutation=0.0, k=2, x0="mutant", generations=1000),
    "sel+mut": dict(fitness=[0.01, 0.0], mutation=(1e-3, 1e-3), k=2, x0=0.5, generations=200),
    "K=5": dict(fitness=FIT5, mutation=1e-3, k=5, x0=None, generations=100),
}
SIZES = (100, 1000, 10_000)


def _model(
    case: dict[str, Any], n: int, workers: int | None = 1
) -> tuple[WrightFisher, np.ndarray]:
    k = case["k"]
    wf = WrightFisher(n, case["fitness"], case["mutation"], n_alleles=k, seed=1, workers=workers)
    if case["x0"] == "mutant":
        p = 1.0 / wf.n_genes
        x0 = np.array([p, 1.0 - p])
    elif case["x0"] is None:
        x0 = np.full(k, 1.0 / k)
    else:
        x0 = np.array([case["x0"], 1.0 - case["x0"]])
    return wf, x0


def run_engine(wf: WrightFisher, x0: np.ndarray, reps: int, gens: int) -> tuple[float, np.ndarray]:
    dt, _, end = run_timed(wf, x0, reps, gens)
    return dt, end


def run_timed(
    wf: WrightFisher, x0: np.ndarray, reps: int, gens: int
) -> tuple[float, float, np.ndarray]:
    """Wall seconds, this thread's CPU seconds (the whole run with ``workers=1``) and the end
    state."""
    rec = Recorder(observables=(), store_states=True)
    t, c = time.perf_counter(), time.thread_time()
    tr = wf.run(x0, gens, recorder=rec, replicates=reps)
    return time.perf_counter() - t, time.thread_time() - c, tr.states[-1]


def numpy_k2(wf: WrightFisher, x0: np.ndarray, reps: int, gens: int) -> np.ndarray:
    """Best NumPy, K = 2: ``c ← rng.binomial(N_g, z[c])`` over the live replicates."""
    rng = np.random.default_rng(2)
    ng = wf.n_genes
    z = wf.transition_probabilities()
    assert z is not None
    count = np.full(reps, round(x0[0] * ng), dtype=np.int64)
    fix_time = np.full(reps, -1, dtype=np.int64)
    fixed_allele = np.full(reps, -1, dtype=np.int64)
    loss_time = np.full((reps, 2), -1, dtype=np.int64)
    live = np.arange(reps)
    c = count.copy()
    for t in range(1, gens + 1):
        if wf.mutates:
            c = rng.binomial(ng, z[c])
            for allele, edge in ((0, 0), (1, ng)):
                new = (c == edge) & (loss_time[:, allele] < 0)
                loss_time[new, allele] = t
                first = new & (fix_time < 0)
                fix_time[first], fixed_allele[first] = t, 1 - allele
        else:
            if live.size == 0:
                break
            c = rng.binomial(ng, z[c])
            done = (c == 0) | (c == ng)
            if done.any():
                gone = live[done]
                lost = (c[done] == ng).astype(np.int64)  # allele lost: 0 if c = 0, 1 if c = N_g
                loss_time[gone, lost] = t
                fix_time[gone], fixed_allele[gone] = t, 1 - lost
                count[gone] = c[done]
                keep = ~done
                live, c = live[keep], c[keep]
    if wf.mutates:
        count = c
    else:
        count[live] = c
    return np.stack([count / ng, (ng - count) / ng], axis=1)


def numpy_multi(
    wf: WrightFisher, x0: np.ndarray, reps: int, gens: int, how: str = "multinomial"
) -> np.ndarray:
    """Best NumPy, K ≥ 3: selection, mutation by matrix product, then one multinomial call
    on ``(R, K)`` probabilities (``how="multinomial"``) or K − 1 array binomials."""
    rng = np.random.default_rng(2)
    ng, k = wf.n_genes, wf.n_alleles
    w = wf._weights[0]
    p = wf.transition
    x = np.tile(x0, (reps, 1))
    loss_time = np.full((reps, k), -1, dtype=np.int64)
    for t in range(1, gens + 1):
        y = x * w
        y /= y.sum(axis=1, keepdims=True)
        z = y @ p
        if how == "multinomial":
            cnt = rng.multinomial(ng, z)
        else:
            cnt = np.empty((reps, k), dtype=np.int64)
            rem_n = np.full(reps, ng, dtype=np.int64)
            rem_p = np.ones(reps)
            for j in range(k - 1):
                q = np.minimum(1.0, z[:, j] / np.maximum(rem_p, 1e-300))
                cnt[:, j] = rng.binomial(rem_n, q)
                rem_n -= cnt[:, j]
                rem_p -= z[:, j]
            cnt[:, k - 1] = rem_n
        new = (cnt == 0) & (loss_time < 0)
        loss_time[new] = t
        x = cnt / ng
    return x


def bench(reps: int, scale: float, rounds: int, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
    rows = []
    for name, case in CASES.items():
        for n in sizes:
            wf, x0 = _model(case, n)
            wf_all, _ = _model(case, n, workers=None)
            gens = max(1, int(case["generations"] * scale))
            if case["k"] > 2:  # the faster of NumPy's two multinomial routes, on a short run
                short = max(1, gens // 10)
                tm = []
                for how in ("multinomial", "binomials"):
                    s = time.perf_counter()
                    numpy_multi(wf, x0, reps, short, how)
                    tm.append(time.perf_counter() - s)
                best_how = ("multinomial", "binomials")[int(np.argmin(tm))]
            ratios, ratios_all, ratios_cpu, t_nb, t_all, t_np = [], [], [], [], [], []
            for _ in range(rounds):
                dt_nb, cpu_nb, end_nb = run_timed(wf, x0, reps, gens)
                dt_all, end_all = run_engine(wf_all, x0, reps, gens)
                assert np.array_equal(end_nb, end_all), "the result depends on `workers`"
                s, c = time.perf_counter(), time.thread_time()
                if case["k"] == 2:
                    end_np = numpy_k2(wf, x0, reps, gens)
                else:
                    end_np = numpy_multi(wf, x0, reps, gens, best_how)
                dt_np, cpu_np = time.perf_counter() - s, time.thread_time() - c
                ratios.append(dt_np / dt_nb)
                ratios_cpu.append(cpu_np / cpu_nb)
                ratios_all.append(dt_np / dt_all)
                t_nb.append(dt_nb)
                t_all.append(dt_all)
                t_np.append(dt_np)
            se = np.sqrt(end_nb[:, 0].var() / reps + end_np[:, 0].var() / reps)
            dev = abs(end_nb[:, 0].mean() - end_np[:, 0].mean()) / se if se > 0 else 0.0
            sampler = "table" if wf._table_cells() else "binomial"
            row = dict(
                case=name,
                n=n,
                sampler=sampler,
                numba=reps * gens / float(np.median(t_nb)),
                numba_all=reps * gens / float(np.median(t_all)),
                numpy=reps * gens / float(np.median(t_np)),
                ratio=float(np.median(ratios)),
                spread=(min(ratios), max(ratios)),
                ratio_all=float(np.median(ratios_all)),
                ratio_cpu=float(np.median(ratios_cpu)),
                spread_cpu=(min(ratios_cpu), max(ratios_cpu)),
                spread_all=(min(ratios_all), max(ratios_all)),
                dev=dev,
                how="binomial" if case["k"] == 2 else best_how,
            )
            rows.append(row)
            _print_row(row)
    return rows


def _print_row(r: dict[str, Any]) -> None:
    lo, hi = r["spread"]
    la, ha = r["spread_all"]
    lc, hc = r["spread_cpu"]
    print(
        f"{r['case']:<8} {r['n']:>6} {r['sampler']:>8} {r['numba']:10.3e} {r['numba_all']:10.3e} "
        f"{r['numpy']:10.3e} {r['ratio']:6.2f}× ({lo:.2f}–{hi:.2f}) "
        f"{r['ratio_cpu']:6.2f}× ({lc:.2f}–{hc:.2f}) "
        f"{r['ratio_all']:6.2f}× ({la:.2f}–{ha:.2f})  {r['how']:<11} {r['dev']:.1f}",
        flush=True,
    )


@functools.cache
def _draw_kernels() -> tuple[Any, Any]:
    """Numba's ``Generator.binomial`` one draw at a time and one uniform at a time, compiled
    once per process (not per :func:`draw_costs` call)."""
    from numba import njit

    @njit(cache=False)
    def scalar_binomials(rng: np.random.Generator, n: int, ps: np.ndarray) -> int:
        acc = 0
        for q in ps:
            acc += rng.binomial(n, q)
        return acc

    @njit(cache=False)
    def uniforms(rng: np.random.Generator, m: int) -> float:
        acc = 0.0
        for _ in range(m):
            acc += rng.random()
        return acc

    return scalar_binomials, uniforms


def draw_costs(n_genes: int, p: float, draws: int) -> dict[str, float]:
    """Nanoseconds per draw of ``Bin(N_g, p')`` with ``p'`` spread around ``p`` (a fresh
    probability each draw, as in a K ≥ 3 or large-N generation): NumPy on an array, Numba's
    ``Generator.binomial`` (NumPy's algorithm) one at a time, quantgeo's batch, one uniform by
    Numba's ``Generator.random()`` and one by the kernels' inlined PCG64 (the same stream)."""
    scalar_binomials, uniforms = _draw_kernels()
    rng = np.random.default_rng(0)
    ps = np.clip(rng.normal(p, 0.1 * p, draws), 1e-9, 1 - 1e-9)
    scalar_binomials(rng, n_genes, ps[:10])
    uniforms(rng, 10)
    out: dict[str, float] = {}
    t = time.perf_counter()
    rng.binomial(n_genes, ps)
    out["numpy binomial"] = (time.perf_counter() - t) / draws * 1e9
    t = time.perf_counter()
    scalar_binomials(rng, n_genes, ps)
    out["numba binomial"] = (time.perf_counter() - t) / draws * 1e9
    t = time.perf_counter()
    uniforms(rng, draws)
    out["numba uniform"] = (time.perf_counter() - t) / draws * 1e9
    from quantgeo._kernels import binomial, pcg64

    st, buf = pcg64.state(rng), np.empty(draws)
    pcg64.fill_uniforms(st, buf[:10])
    t = time.perf_counter()
    pcg64.fill_uniforms(st, buf)
    out["inlined uniform"] = (time.perf_counter() - t) / draws * 1e9
    nn = np.full(draws, n_genes, dtype=np.int64)
    res = np.empty(draws, dtype=np.int64)
    work = (np.empty(draws), np.empty(draws, np.int64), np.empty(draws, np.int64))
    lf = binomial.log_factorials(n_genes)
    args = (res, draws, lf, binomial.reciprocals(n_genes), *work, np.empty(draws, np.uint8))
    binomial.binomials(rng, nn, ps, *args)  # compiled or loaded
    t = time.perf_counter()
    binomial.binomials(rng, nn, ps, *args)
    out["quantgeo binomials"] = (time.perf_counter() - t) / draws * 1e9
    return out


#: replicates of the fwdpy11 side per N (its cost is O(N) per simulated generation)
FWD_REPS = {100: 400, 1000: 100, 10_000: 10}
FWD_CASES = {"new mutant, neutral": 0.0, "new mutant, s = 0.01": 0.01}


def fwdpy11_side_by_side(python: str, sizes: tuple[int, ...], rounds: int) -> None:
    """Replicate-generations per second of quantgeo and of fwdpy11 on an equal model.

    K = 2, N diploids, one new mutant copy (p = 1/2N) with selection coefficient s (quantgeo:
    genic weights 1 + s, 1; fwdpy11: multiplicative, heterozygote 1 + s, homozygote 1 + 2s),
    no further mutation, until absorption, at most 10³ generations; both count R × 10³
    replicate-generations (each stops an absorbed replicate).  fwdpy11 runs in its own
    interpreter ``python`` (``benchmarks/_fwdpy11_wf.py``; its time excludes imports), round
    by round interleaved with quantgeo (1 thread); median of ``rounds``.  The fixed fraction
    of both is printed as a check (binomial SE).
    """
    import json

    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fwdpy11_wf.py")
    gens, reps = 1000, 100_000
    print(
        f"side by side with fwdpy11 ({python}): K = 2 new mutant, ≤ {gens} generations, "
        f"replicate-generations per second, median of {rounds} interleaved rounds"
    )
    print(
        f"{'model':<22} {'N':>6} {'quantgeo 1t':>12} {'fwdpy11':>10} {'ratio':>9}  "
        "fixed: ours | fwdpy11"
    )
    for name, s in FWD_CASES.items():
        for n in sizes:
            fw_reps = FWD_REPS.get(n, 10)
            wf = WrightFisher(n, None if s == 0.0 else [s, 0.0], 0.0, seed=1, workers=1)
            x0 = np.array([1.0 / wf.n_genes, 1.0 - 1.0 / wf.n_genes])
            t_q, t_f, fix_q, fix_f = [], [], 0.0, (0, 0)
            for r in range(rounds):
                dt, end = run_engine(wf, x0, reps, gens)
                t_q.append(dt)
                fix_q = float((end[:, 0] == 1.0).mean())
                cmd = [python, script, str(n), str(s), str(gens), str(fw_reps), str(1 + 1000 * r)]
                res = json.loads(
                    subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                )
                t_f.append(res["seconds"])
                fix_f = (fix_f[0] + res["fixed"], fix_f[1] + fw_reps)
            q = reps * gens / float(np.median(t_q))
            f = fw_reps * gens / float(np.median(t_f))
            print(
                f"{name:<22} {n:>6} {q:12.3e} {f:10.3e} {q / f:8.0f}×  "
                f"{fix_q:.4f} | {fix_f[0] / fix_f[1]:.4f} (of {fix_f[1]})  "
                f"[fwdpy11 {res['version']}]",
                flush=True,
            )


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


def _uptime() -> str:
    try:
        return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "load average unavailable"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10⁴ replicates, shorter runs")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (median)")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES), help="N values")
    parser.add_argument(
        "--fwdpy11", metavar="PYTHON", default=None,
        help="interpreter of a separate venv with fwdpy11 (GPL, bench-only): side-by-side table",
    )  # fmt: skip
    parser.add_argument("--only-fwdpy11", action="store_true", help="only the fwdpy11 table")
    args = parser.parse_args()
    reps = 10_000 if args.quick else 100_000
    scale = 0.2 if args.quick else 1.0
    rounds = args.rounds or (3 if args.quick else 5)
    from quantgeo._kernels import evolution

    evolution.warmup()
    print(f"before: {_uptime()} ({os.cpu_count()} cores)")
    if args.fwdpy11:
        fwdpy11_side_by_side(args.fwdpy11, tuple(args.sizes), rounds)
        if args.only_fwdpy11:
            print(f"after: {_uptime()}")
            return 0
    print(
        f"Wright–Fisher, {reps} replicates: replicate-generations per second, Numba kernel "
        f"(1 thread, all {os.cpu_count()} cores) vs best NumPy (1 thread), median of {rounds} "
        "interleaved rounds (min–max); target ≥ 5×"
    )
    head = (
        f"{'case':<8} {'N':>6} {'sampler':>8} {'numba 1t':>10} {'numba all':>10} {'numpy':>10} "
        f"{'1 thread':>18} {'1 thread, CPU':>18} {'all cores':>18}  NumPy route |Δmean|/SE"
    )
    print(head, flush=True)
    bench(reps, scale, rounds, tuple(args.sizes))
    print(
        "per draw, fresh p each draw (ns): NumPy array binomial | Numba Generator.binomial | "
        "quantgeo BTRD/inversion batch | Numba uniform | inlined PCG64 uniform (stored)"
    )
    for ng, p in ((200, 0.01), (200, 0.2), (200, 0.5), (2000, 0.5), (20000, 0.2), (20000, 0.5)):
        c = draw_costs(ng, p, reps * 10)
        print(
            f"  N_g = {ng:>5}, p ≈ {p}: {c['numpy binomial']:6.1f} | {c['numba binomial']:6.1f} | "
            f"{c['quantgeo binomials']:6.1f} | {c['numba uniform']:5.1f} | "
            f"{c['inlined uniform']:5.1f}"
        )
    print(f"after: {_uptime()}")
    cold, warm = compile_time()
    print(f"Numba compile: cold cache {cold:.2f} s, from cache {warm:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
