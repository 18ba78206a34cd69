"""R1, the FFT floor: split-operator step / fastest FFT pair on this machine, per fft backend.

For 1D 4096, 2D 512² and 3D 64³, at 1 thread and at all cores, one process times, interleaved
in each of 7 rounds (the median of each is reported):

* the rocket-fft pair: ``fftn`` + ``ifftn`` in place inside Numba (``_kernels.split.fft_pair``);
* the pyFFTW pair: ``execute()`` of forward and backward plans made with ``FFTW_MEASURE``,
  in place on an aligned buffer, with the same thread count;
* the ``fft="fftw"`` engine's own pair executed from inside Numba (no Python between the two
  executes): in 2D and 3D the pyFFTW pair's plans, in 1D the engine's out-of-place plans
  (ψ → work → ψ, ``FFTW_PATIENT`` at 4096…16384 on 1 thread: faster than in place);
* one Strang step of ``SplitOperatorSolver`` (its ``_advance``: the stepping alone, without
  the run's once-per-chunk norm check or step-doubling samples) for ``fft`` = rocket, fftw
  (whole-lattice plans run from Numba), scipy, and — 2D and 3D — ``fftw-sweeps`` (the step as
  row and column sweeps of serial FFTW plans on cache-sized blocks, the blocks spread over
  Numba's threads at all cores) and, at all cores, ``fftw-serial`` (whole-lattice FFTW on one
  thread, which ``"auto"`` may pick where threads do not pay).

R1 is step / min(the three pairs); targets ≤ 1.10 at 1 thread and ≤ 1.15 at all cores.
In 2D and 3D a fourth pair is printed beside it: the whole-lattice FFTW pair on the padded
layout ``fftw-sweeps`` works on (FFTW itself runs faster there), with the sweeps' step over it.
The machine's ``uptime`` load is printed with the figures (ratios are measured interleaved,
so load cancels to first order, but not threads competing for cores).

Usage: python benchmarks/fft_floor.py [--quick] [--json FILE] [--cpu-clock] [--threads 1|all|both]
                                     [--sizes 1d,2d,3d]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import quantgeo as qg
from quantgeo._kernels import kernels
from quantgeo.potentials import harmonic
from quantgeo.solvers import fft as fftmod

split = kernels("split")

SIZES: tuple[tuple[int, ...], ...] = ((4096,), (512, 512), (64, 64, 64))
TARGET = {1: 1.10, "all": 1.15}


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return f"load average {os.getloadavg()}"


def _calibrate(fn: Callable[[int], Any], seconds: float) -> int:
    """Repetitions of ``fn`` that take about ``seconds``."""
    fn(1)
    t = time.perf_counter()
    fn(1)
    one = max(time.perf_counter() - t, 1e-7)
    return max(3, min(20000, int(seconds / one)))


def _medians(
    fns: dict[str, Callable[[], Any]], rounds: int, clock: Callable[[], float]
) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t = clock()
            fn()
            times[name].append(clock() - t)
    return {k: float(np.median(v)) for k, v in times.items()}


def _padded_pair(shape: tuple[int, ...], workers: int) -> Callable[[int], None] | None:
    """Bare pairs of whole-lattice FFTW plans on the padded layout of the ``fftw-sweeps``
    buffer (``fftw_plan_guru_dft`` with its strides), FFTW_MEASURE, ``workers`` threads; None
    in 1D (no padding there).  A floor the sweeps could be measured against: padding alone
    makes FFTW's own 2D/3D transforms faster on this machine."""
    import ctypes

    import pyfftw

    from quantgeo._kernels import fftw as fk
    from quantgeo.solvers import fftw_native

    if len(shape) < 2:
        return None
    lib = fftw_native.library()
    n1 = int(np.prod(shape[1:-1]))
    ld = fftw_native.padded_length(shape[-1])
    ps = fftw_native.padded_stride(n1, ld)
    strides = [ps] + ([ld] if len(shape) == 3 else []) + [1]

    class IODim(ctypes.Structure):
        _fields_ = [("n", ctypes.c_int), ("is_", ctypes.c_int), ("os", ctypes.c_int)]

    dims = (IODim * len(shape))(*[IODim(n, st, st) for n, st in zip(shape, strides, strict=True)])
    guru = lib.fftw_plan_guru_dft
    guru.restype = ctypes.c_void_p
    guru.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    guru.argtypes += [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint]
    buf = pyfftw.empty_aligned(shape[0] * ps, dtype=np.complex128, n=64)
    ptr = buf.ctypes.data
    with fftmod._lock:  # FFTW's planner and its thread count are process-wide
        lib.fftw_plan_with_nthreads(workers)
        owned = fftw_native._Plans(
            [guru(len(shape), dims, 0, None, ptr, ptr, s, 0) for s in (-1, 1)]
        )
    buf[...] = 0.0

    def run(n: int) -> None:
        fk.fftw_pair(buf, n, owned.array)  # the closure keeps the plans until it goes

    return run


def measure(
    shape: tuple[int, ...], workers: int, rounds: int, seconds: float, cpu: bool = False
) -> dict[str, Any]:
    """Per-step/per-pair seconds (median of ``rounds``) and the R1 ratios of one configuration."""
    import pyfftw

    lat = qg.Lattice(shape, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.gaussian(lat, center=1.0, width=0.8, momentum=0.5).data
    dt = 1e-3

    # the two bare FFT pairs
    rbuf = psi0.copy()
    fbuf = pyfftw.empty_aligned(shape, dtype=np.complex128)
    axes = tuple(range(len(shape)))
    t = time.perf_counter()
    fwd, inv = (
        pyfftw.FFTW(fbuf, fbuf, axes=axes, direction=d, flags=("FFTW_MEASURE",), threads=workers)
        for d in ("FFTW_FORWARD", "FFTW_BACKWARD")
    )
    plan_time = time.perf_counter() - t
    fbuf[...] = 0.0  # the bare pair is unnormalised: zeros cannot overflow (FFT time is data-blind)

    def fftw_pairs(n: int) -> None:
        fe, be = fwd.execute, inv.execute
        for _ in range(n):
            fe()
            be()

    def rocket_pairs(n: int) -> None:
        split.fft_pair(rbuf, n, workers)

    native = fftmod.make_fft("fftw", "numba", split, shape, workers)
    nbuf = native.aligned(np.zeros(shape, dtype=np.complex128))

    def native_pairs(n: int) -> None:
        native.pair(nbuf, n)  # type: ignore[attr-defined]

    padded_pairs = _padded_pair(shape, workers)

    # the solver's steps per backend
    steppers: dict[str, Callable[[int], None]] = {}
    chosen = {}
    names = ["rocket", "fftw", "scipy"] + (["fftw-sweeps"] if len(shape) > 1 else [])
    names += (["fftw-serial"] if workers > 1 else []) + ["auto"]
    for name in names:
        variant = name in ("fftw-sweeps", "fftw-serial")
        solver = qg.SplitOperatorSolver(ham, dt, workers=workers, fft="fftw" if variant else name)
        if variant:
            solver._fft = fftmod._candidate(name, split, shape, workers)
        if name == "auto":
            chosen = solver._fft.auto_info() or {"picked": solver.fft}
            continue
        psi = solver._fft.aligned(psi0.copy())
        steppers[name] = lambda n, s=solver, p=psi: s._advance(p, 0.0, dt, n)

    reps = {"rocket pair": _calibrate(rocket_pairs, seconds)}
    reps["fftw pair"] = _calibrate(fftw_pairs, seconds)
    reps["fftw pair (numba)"] = _calibrate(native_pairs, seconds)
    if padded_pairs is not None:
        reps["fftw pair (padded)"] = _calibrate(padded_pairs, seconds)
    for name, fn in steppers.items():
        reps[name] = _calibrate(fn, seconds)
    fns: dict[str, Callable[[], Any]] = {
        "rocket pair": lambda: rocket_pairs(reps["rocket pair"]),
        "fftw pair": lambda: fftw_pairs(reps["fftw pair"]),
        "fftw pair (numba)": lambda: native_pairs(reps["fftw pair (numba)"]),
    }
    if padded_pairs is not None:
        fns["fftw pair (padded)"] = lambda: padded_pairs(reps["fftw pair (padded)"])
    for name, fn in steppers.items():
        fns[name] = lambda f=fn, n=reps[name]: f(n)  # type: ignore[misc]
    # on a shared machine the calling thread's CPU time is what a single-threaded step costs
    clock = time.thread_time if cpu and workers == 1 else time.perf_counter
    med = _medians(fns, rounds, clock)
    per = {k: med[k] / reps[k] for k in med}
    pairs = ("rocket pair", "fftw pair", "fftw pair (numba)")
    floor = min(per[k] for k in pairs)
    return {
        "shape": "x".join(map(str, shape)),
        "workers": workers,
        "us": {k: v * 1e6 for k, v in per.items()},
        "r1": {k: per[k] / floor for k in steppers},
        # against a whole-lattice FFTW pair on the sweeps' padded layout (not the state's)
        "r1_padded": (
            {k: per[k] / per["fftw pair (padded)"] for k in steppers}
            if "fftw pair (padded)" in per
            else {}
        ),
        "floor": min(pairs, key=per.__getitem__),
        "fftw_plan_s": plan_time,
        "auto": chosen,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of ~20 ms timings")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument(
        "--cpu-clock",
        action="store_true",
        help="time 1-thread rows by the thread's CPU time (a loaded machine; wall time otherwise)",
    )
    parser.add_argument("--threads", choices=("1", "all", "both"), default="both")
    parser.add_argument(
        "--sizes", default="1d,2d,3d", help="comma-separated subset of 1d (4096), 2d, 3d"
    )
    args = parser.parse_args()
    wanted = {w.strip() for w in args.sizes.split(",")}
    if not wanted <= {"1d", "2d", "3d"}:
        parser.error(f"`--sizes` takes 1d, 2d and 3d, got {args.sizes!r}")
    if not os.environ.get("QUANTGEO_CACHE_DIR"):  # "auto" decides afresh, not from old timings
        os.environ["QUANTGEO_CACHE_DIR"] = tempfile.mkdtemp(prefix="quantgeo-fft-floor-")
    rounds, seconds = (3, 0.02) if args.quick else (7, 0.06)
    cores = os.cpu_count() or 1
    before = _uptime()
    rows = []
    head = f"{'size':>9} {'thr':>3}  {'rocket pair':>11} {'fftw pair':>9} {'(numba)':>9}"
    print(f"{head}  R1 per fft backend")
    for shape in (s for s in SIZES if f"{len(s)}d" in wanted):
        counts = {"1": [1], "all": [cores], "both": sorted({1, cores})}[args.threads]
        for workers in counts:
            row = measure(shape, workers, rounds, seconds, args.cpu_clock)
            rows.append(row)
            target = TARGET[1] if workers == 1 else TARGET["all"]
            ratios = "  ".join(
                f"{k} {v:.3f}{'' if v <= target else '*'}" for k, v in row["r1"].items()
            )
            if row["r1_padded"]:
                padded = row["r1_padded"]["fftw-sweeps"]
                ratios += f"  [fftw-sweeps / padded FFTW pair {padded:.3f}]"
            us = row["us"]
            print(
                f"{row['shape']:>9} {workers:>3}  {us['rocket pair']:>9.1f}us "
                f"{us['fftw pair']:>7.1f}us {us['fftw pair (numba)']:>7.1f}us  {ratios}"
                f"   (auto: {row['auto'].get('picked')})"
            )
    print(f"target ≤ {TARGET[1]} at 1 thread, ≤ {TARGET['all']} at {cores} (* = missed)")
    print(f"uptime before: {before}\nuptime after:  {_uptime()}")
    if args.json:
        from quantgeo.cli._common import write_json  # atomic, strict JSON

        write_json(args.json, {"rows": rows, "uptime": [before, _uptime()]})


if __name__ == "__main__":
    main()
