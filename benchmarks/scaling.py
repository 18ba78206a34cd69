"""Scaling of the split-operator step with the lattice size (issue 13, target R5).

Times one Strang step (the steps ``SplitOperatorSolver.run`` takes, without its per-run set-up;
1 FFT thread) for

* 1D N = 2¹² … 2²²,
* 2D 128² … 2048²,
* 3D 32³ … 256³,

and fits the exponent p of t ∝ (N log N)^p per dimension and over all sizes (least squares of
log t against log(N log₂ N)).  Target R5: p within 10 % of 1.  It also prints t / (N log₂ N)
in ns, whose drift from size to size is what the exponent summarises.  The step is the
difference of one call of 2n steps and one of n: what a call costs once (the four-step engine
moves ψ into and out of its buffer, ~0.4 of a step) cancels.

Sizes are measured interleaved: every round times each size of a dimension once, and the
median over the rounds is kept, so a change of machine load hits all sizes alike.  Both the
wall-clock and the process CPU time are printed: with one thread on a loaded machine the CPU
time leaves out the waits for a core, the wall-clock time is what a user sees.  The bare FFT
pair (CPU time, same array, 1 thread) is timed in the same rounds: its exponent is the floor
the step's is compared with, and step/FFT pair shows where the element-wise passes cost more.
Sizes whose working set (``memory_estimate``) exceeds half the available memory are skipped and
named.  The solver runs with the default ``fft="auto"``; the backend it picked is printed per
size (the bare pair stays rocket-fft's, the floor of the earlier runs).  In 1D, with pyFFTW,
the four-step engine (``"auto"`` candidate ``"fftw-fourstep"``) is also timed on the same
factors in the same rounds, whether ``auto`` picked it or not (column ``4-step``, CPU time).

Usage: python benchmarks/scaling.py [--quick] [--rounds R] [--seconds S] [--json FILE]
       [--dims 1 2 3]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from typing import Any

import numpy as np

FULL = {
    1: [(2**k,) for k in range(12, 23)],
    2: [(n, n) for n in (128, 256, 512, 1024, 2048)],
    3: [(n, n, n) for n in (32, 64, 128, 256)],
}
QUICK = {
    1: [(2**k,) for k in range(12, 19, 2)],
    2: [(n, n) for n in (128, 256, 512)],
    3: [(n, n, n) for n in (32, 64)],
}
DT = 1e-3


def _solver(shape: tuple[int, ...]) -> tuple[Any, Any]:
    import quantgeo as qg
    from quantgeo.potentials import harmonic

    lat = qg.Lattice(shape, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    solver = qg.SplitOperatorSolver(ham, DT, "strang", workers=1, error_samples=0)
    return solver, qg.gaussian(lat, center=1.0, width=0.8, momentum=0.5)


def _recorder() -> Any:
    import quantgeo as qg

    return qg.Recorder(observables=(), store_states=False)


def _time_steps(solver: Any, buf: Any, steps: int) -> tuple[float, float, float]:
    """Wall-clock and CPU seconds of ``steps`` Strang steps of ``buf`` in place: the difference
    of one call of ``2·steps`` and one of ``steps`` steps.

    ``_advance`` is the call ``run`` makes for every chunk of steps (the kernels, factors
    cached): timing it leaves out the per-run set-up (state copy, phase and norm checks, ~2
    steps whose cost varies with the load), which would otherwise bend the small sizes.  The
    difference also cancels what every call costs once: the four-step engine's first and last
    half sweeps (ψ in and out of its buffer, ~0.4 of a step), which at 2²² (2 steps a call)
    added ~20 % to the step.  A 1-step call first warms the caches: every size is timed after
    another (cold, the n-step call ran slower than the 2n-step one's extra steps, and the
    difference came out too small: 1D 2¹⁸ 1.2 against 3.1 ms).  The third value is the CPU
    seconds of the warm ``steps``-step call alone (a chunk of steps, its set-up included).
    """
    _time_call(solver, buf, 1)  # warm: the size timed before evicted this one's arrays
    wall, cpu = _time_call(solver, buf, steps)
    wall2, cpu2 = _time_call(solver, buf, 2 * steps)
    return wall2 - wall, cpu2 - cpu, cpu


def _time_call(solver: Any, buf: Any, steps: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one ``_advance`` call of ``steps`` steps."""
    t, c = time.perf_counter(), time.process_time()
    solver._advance(buf, 0.0, DT, steps)
    return time.perf_counter() - t, time.process_time() - c


def _time_pairs(buf: Any, steps: int) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``steps`` bare FFT pairs (rocket-fft in Numba, 1 thread):
    the floor of a step, whose own scaling the step's is compared with."""
    from quantgeo._kernels import split

    split.fft_pair(buf, 1, 1)  # warm, as the steps are (_time_steps)
    t, c = time.perf_counter(), time.process_time()
    split.fft_pair(buf, steps, 1)
    return time.perf_counter() - t, time.process_time() - c


def _fourstep(solver: Any, shape: tuple[int, ...]) -> Any:
    """A copy of ``solver`` stepping with the 1D four-step engine (None: 2D/3D, no pyFFTW)."""
    import copy

    from quantgeo.solvers.fft import have_pyfftw

    if len(shape) != 1 or not have_pyfftw():
        return None
    from quantgeo.solvers.fftw_fourstep import FourStepEngine

    other = copy.copy(solver)
    other._fft = FourStepEngine(solver._k, shape, 1)
    return other


def fit_exponent(sites: list[int], seconds: list[float]) -> float:
    """Least-squares slope of log t against log(N log₂ N)."""
    x = np.log([n * math.log2(n) for n in sites])
    return float(np.polyfit(x, np.log(seconds), 1)[0])


def measure(
    shapes: list[tuple[int, ...]], rounds: int, seconds: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """Median time per step of each shape over interleaved rounds; the shapes skipped."""
    from quantgeo._preflight import available_memory

    avail = available_memory() or 2**34
    cases, skipped = [], []
    for shape in shapes:
        solver, psi = _solver(shape)
        need = solver.memory_estimate((0.0, DT), _recorder()).total
        if need > avail / 2:
            skipped.append(f"{'x'.join(map(str, shape))} (needs {need / 2**30:.1f} GiB)")
            continue
        solver.run(psi, (0.0, 2 * DT), recorder=_recorder(), progress=False)  # compile, cache
        # the layout run() gives the engine (FFTW's plans want SIMD alignment; a plain array
        # would be copied to an aligned one at every call)
        buf = solver._fft.aligned(np.array(psi.data, dtype=np.complex128))
        two = _time_call(solver, buf, 2)[0] / 2
        steps = max(2, math.ceil(seconds / max(two, 1e-7)))
        cases.append({"shape": shape, "solver": solver, "buf": buf, "steps": steps})
        cases[-1].update(wall=[], cpu=[], call=[], pair=[], four=[], pbuf=buf.copy())
        _time_pairs(cases[-1]["pbuf"], 1)
        four = _fourstep(solver, shape)
        if four is not None:
            cases[-1].update(four_solver=four, fbuf=np.array(psi.data, dtype=np.complex128))
            _time_call(four, cases[-1]["fbuf"], 1)
    for _ in range(rounds):
        for c in cases:
            wall, cpu, call = _time_steps(c["solver"], c["buf"], c["steps"])
            c["wall"].append(wall / c["steps"])
            c["cpu"].append(cpu / c["steps"])
            c["call"].append(call / c["steps"])
            c["pair"].append(_time_pairs(c["pbuf"], c["steps"])[1] / c["steps"])
            if "four_solver" in c:
                four_cpu = _time_steps(c["four_solver"], c["fbuf"], c["steps"])[1]
                c["four"].append(four_cpu / c["steps"])
    rows = []
    for c in cases:
        n = int(np.prod(c["shape"]))
        wall, cpu = statistics.median(c["wall"]), statistics.median(c["cpu"])
        pair = statistics.median(c["pair"])
        rows.append(
            {
                "shape": list(c["shape"]),
                "sites": n,
                "steps": c["steps"],
                "step_ms": 1e3 * wall,
                "cpu_step_ms": 1e3 * cpu,
                "cpu_call_ms": 1e3 * statistics.median(c["call"]),
                "ns_per_nlogn": 1e9 * wall / (n * math.log2(n)),
                "cpu_ns_per_nlogn": 1e9 * cpu / (n * math.log2(n)),
                "cpu_pair_ms": 1e3 * pair,
                "cpu_fourstep_ms": 1e3 * statistics.median(c["four"]) if c["four"] else None,
                "fft": (c["solver"]._fft.auto_info() or {}).get("picked", c["solver"].fft),
            }
        )
    return rows, skipped


def _fourstep_min() -> int:
    from quantgeo.solvers.fft import FOURSTEP_MIN

    return FOURSTEP_MIN


def _verdicts(fits: dict[str, float]) -> str:
    return ", ".join(
        f"{key} p = {p:.3f} ({'ok' if abs(p - 1.0) <= 0.1 else 'MISS'})" for key, p in fits.items()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a subset of the sizes")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    parser.add_argument("--seconds", type=float, default=0.2, help="seconds per timed run")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument(
        "--dims", type=int, nargs="+", default=[1, 2, 3], help="lattice dimensions to run"
    )
    args = parser.parse_args()
    families = QUICK if args.quick else FULL
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    out: dict[str, Any] = {}
    all_n: list[int] = []
    all_t: dict[str, list[float]] = {"wall": [], "cpu": [], "FFT pair": []}
    for ndim, shapes in families.items():
        if ndim not in args.dims:
            continue
        rows, skipped = measure(shapes, args.rounds, args.seconds)
        print(f"\n{ndim}D: time per Strang step, 1 thread, median of {args.rounds} rounds")
        print(
            f"{'shape':>14} {'sites':>9} {'wall [ms]':>10} {'cpu [ms]':>10} "
            f"{'wall/(N log2 N) [ns]':>21} {'cpu/(N log2 N) [ns]':>20} {'step/FFT pair':>13}"
            f"{' 4-step cpu [ms]' if ndim == 1 else ''}  fft (auto)"
        )
        for r in rows:
            shape = "x".join(map(str, r["shape"]))
            four = "" if ndim != 1 else f"{r['cpu_fourstep_ms'] or math.nan:>16.4g}"
            print(
                f"{shape:>14} {r['sites']:>9} {r['step_ms']:>10.4g} {r['cpu_step_ms']:>10.4g} "
                f"{r['ns_per_nlogn']:>21.3f} {r['cpu_ns_per_nlogn']:>20.3f} "
                f"{r['cpu_step_ms'] / r['cpu_pair_ms']:>13.2f}{four}  {r['fft']}"
            )
        if skipped:
            print("  skipped (memory): " + ", ".join(skipped))
        sites = [r["sites"] for r in rows]
        fits = {}
        for key, col in (("wall", "step_ms"), ("cpu", "cpu_step_ms"), ("FFT pair", "cpu_pair_ms")):
            secs = [r[col] / 1e3 for r in rows]
            fits[key] = fit_exponent(sites, secs) if len(rows) >= 2 else math.nan
            all_t[key] += secs
        print("  fitted exponent of t ∝ (N log N)^p: " + _verdicts(fits))
        if len(rows) >= 2:
            call = fit_exponent(sites, [r["cpu_call_ms"] / 1e3 for r in rows])
            print(f"  cpu of one call of n steps / n (per-call set-up included): p = {call:.3f}")
        if ndim == 1 and all(r["cpu_fourstep_ms"] for r in rows):
            big = [r for r in rows if r["sites"] >= _fourstep_min()]
            if big:  # auto's step at the small sizes, four-step's where it is a candidate
                mixed = [r["cpu_step_ms"] for r in rows if r["sites"] < _fourstep_min()]
                mixed += [min(r["cpu_step_ms"], r["cpu_fourstep_ms"]) for r in big]
                p = fit_exponent(sites, [t / 1e3 for t in mixed])
                print(f"  cpu, the faster of auto and 4-step from {_fourstep_min()}: p = {p:.3f}")
        out[f"{ndim}d"] = {"rows": rows, "exponent": fits, "skipped": skipped}
        all_n += sites
    p_all = {key: fit_exponent(all_n, ts) for key, ts in all_t.items()}
    print("\nall sizes: " + _verdicts(p_all) + "  (R5: |p - 1| ≤ 0.1)")
    out["exponent_all"] = p_all
    if args.json:
        from quantgeo.cli._common import write_json  # atomic, strict JSON

        write_json(args.json, out)


if __name__ == "__main__":
    main()
