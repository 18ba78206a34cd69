"""Split-operator benchmarks: ratios measured in one run (used by ``benchmarks/split_operator.py``
and ``quantgeo bench``).

Every figure is a ratio of two timings taken in the same process, back to back, with the same
array and thread count, so machine load cancels to first order.  Each timing is the best of
several repeats.  Numba compilation is measured separately (cold cache vs warm cache, each in
a fresh subprocess) and never included in run times.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["bench_compile", "bench_numpy_loop", "bench_overhead", "bench_qutip", "run_benchmarks"]


def _best(fn: Callable[[], Any], repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return float(best)


def _best_pair(a: Callable[[], Any], b: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Best-of-``repeats`` timings of ``a`` and ``b``, interleaved so both see the same load."""
    ta = tb = np.inf
    for _ in range(repeats):
        ta = min(ta, _best(a, 1))
        tb = min(tb, _best(b, 1))
    return float(ta), float(tb)


def _trap(shape: tuple[int, ...], kinetic: str = "lattice") -> tuple[Any, Any]:
    import quantgeo as qg
    from quantgeo.potentials import harmonic

    lat = qg.Lattice(shape, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0), kinetic=kinetic)
    return ham, qg.gaussian(lat, center=1.0, width=0.8, momentum=0.5)


def bench_overhead(
    shape: tuple[int, ...], workers: int, steps: int, repeats: int = 5
) -> dict[str, Any]:
    """Solver time per Strang step / bare FFT-pair time (rocket-fft in Numba, same workers)."""
    import quantgeo as qg
    from quantgeo._kernels import split

    ham, psi0 = _trap(shape)
    # the same FFT as the pair it is divided by (benchmarks/fft_floor.py compares the backends)
    solver = qg.SplitOperatorSolver(ham, 1e-3, "strang", workers=workers, fft="rocket")
    rec = lambda: qg.Recorder(observables=(), store_states=False)  # noqa: E731
    t_end = steps * 1e-3
    solver.run(psi0, (0.0, t_end), recorder=rec(), progress=False)  # compile + factor cache
    buf = psi0.data.copy()
    split.fft_pair(buf, 1, workers)
    step, pair = _best_pair(
        lambda: solver.run(psi0, (0.0, t_end), recorder=rec(), progress=False),
        lambda: split.fft_pair(buf, steps, workers),
        repeats,
    )
    return {
        "name": f"step/FFT-pair {'x'.join(map(str, shape))} workers={workers}",
        "value": step / pair,
        "target": "<= 1.15",
        "ok": step / pair <= 1.15,
        "detail": f"step {step / steps * 1e6:.1f} us, FFT pair {pair / steps * 1e6:.1f} us",
    }


def bench_numpy_loop(
    shape: tuple[int, ...], workers: int, steps: int, repeats: int = 3
) -> dict[str, Any]:
    """Speed-up of the solver over a plain NumPy split-operator loop (numpy.fft, fused halves)."""
    import quantgeo as qg

    ham, psi0 = _trap(shape)
    dt = 1e-3
    v = ham.potential_values()
    ev_half, ev = np.exp(-0.5j * dt * v), np.exp(-1j * dt * v)
    ek = np.exp(-1j * dt * ham.dispersion())

    def numpy_loop() -> np.ndarray:
        psi = psi0.data * ev_half
        for n in range(steps):
            psi = np.fft.ifftn(ek * np.fft.fftn(psi))
            psi *= ev if n < steps - 1 else ev_half
        return psi

    solver = qg.SplitOperatorSolver(ham, dt, "strang", workers=workers)
    rec = lambda: qg.Recorder(observables=(), store_states=False)  # noqa: E731
    ours = solver.run(psi0, (0.0, steps * dt), recorder=qg.Recorder(observables=()), progress=False)
    assert ours.states is not None
    err = float(np.abs(numpy_loop() - ours.states[-1]).max())  # same method: must agree
    t_ours, t_np = _best_pair(
        lambda: solver.run(psi0, (0.0, steps * dt), recorder=rec(), progress=False),
        numpy_loop,
        repeats,
    )
    return {
        "name": f"speed-up vs NumPy loop {'x'.join(map(str, shape))} workers={workers}",
        "value": t_np / t_ours,
        "target": ">= 1.5",
        "ok": t_np / t_ours >= 1.5,
        "detail": f"ours {t_ours / steps * 1e3:.2f} ms/step, NumPy {t_np / steps * 1e3:.2f} "
        f"ms/step, max |diff| {err:.1e}",
    }


def bench_qutip(
    shape: tuple[int, ...], t_end: float = 10.0, target_error: float = 1e-6
) -> dict[str, Any]:
    """Speed-up over qutip.sesolve at equal accuracy: each method takes the cheapest setting of
    a ladder (our dt; QuTiP's atol = rtol) whose error vs the exact solution (eigendecomposition
    of the same lattice operator) is ≤ ``target_error`` at every record time."""
    import quantgeo as qg
    from quantgeo.analytic import SpectralPropagator

    lat = qg.Lattice(shape, (-10.0, 10.0))
    from quantgeo.potentials import harmonic

    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)
    times = np.linspace(0.0, t_end, 11)
    exact = SpectralPropagator(ham).states(psi0, times)
    dv = lat.cell_volume

    def error(traj: Any) -> float:
        return float(
            np.sqrt((np.abs(traj.states - exact) ** 2).reshape(len(times), -1).sum(1) * dv).max()
        )

    ours = None
    for dt in (0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125):
        solver = qg.SplitOperatorSolver(ham, dt, "yoshida4")
        traj = solver.run(
            psi0, (0, t_end), recorder=qg.Recorder(times, observables=()), progress=False
        )
        if error(traj) <= target_error:

            def once(s: Any = solver) -> Any:
                return s.run(
                    psi0, (0, t_end), recorder=qg.Recorder(times, observables=()), progress=False
                )

            t = _best(once, 3)
            ours = (dt, error(traj), t)
            break
    theirs = None
    for tol in (1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12):
        ref = qg.QutipReference(ham, atol=tol, rtol=tol)
        t0 = time.perf_counter()
        traj = ref.run(
            psi0, (0, t_end), recorder=qg.Recorder(times, observables=()), progress=False
        )
        t = time.perf_counter() - t0
        if error(traj) <= target_error:
            theirs = (tol, error(traj), t)
            break
    name = f"speed-up vs QuTiP {'x'.join(map(str, shape))} (error <= {target_error:g})"
    if ours is None or theirs is None:
        return {
            "name": name,
            "value": float("nan"),
            "target": ">= 30 (1D)",
            "ok": False,
            "detail": f"no setting reached the accuracy: ours={ours}, qutip={theirs}",
        }
    ratio = theirs[2] / ours[2]
    return {
        "name": name,
        "value": ratio,
        "target": ">= 30" if len(shape) == 1 else "(report)",
        "ok": ratio >= 30 if len(shape) == 1 else True,
        "detail": f"ours dt={ours[0]} err={ours[1]:.1e} {ours[2] * 1e3:.1f} ms; "
        f"QuTiP tol={theirs[0]:g} err={theirs[1]:.1e} {theirs[2] * 1e3:.0f} ms",
    }


def bench_compile() -> list[dict[str, Any]]:
    """Numba compile time of the split-operator kernels (1D, 2D, 3D): cold cache vs from cache,
    each in a fresh interpreter so nothing is already loaded."""
    code = (
        "import time; t = time.perf_counter(); import quantgeo._kernels as k; "
        "t1 = time.perf_counter(); k.warmup((1, 2, 3)); print(time.perf_counter() - t1)"
    )
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("cold cache", "from cache"):
            out = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            rows.append(
                {
                    "name": f"Numba compile, {label}",
                    "value": float(out.stdout.split()[-1]),
                    "target": "(seconds)",
                    "ok": True,
                    "detail": "split kernels, 1D+2D+3D",
                }
            )
    return rows


def run_benchmarks(quick: bool = False, qutip: bool = True) -> list[dict[str, Any]]:
    """All split-operator benchmark rows (``quick``: fewer steps and sizes, for a smoke check;
    ``qutip=False`` leaves out the Adams-only QuTiP rows, which ``quantgeo bench
    --qutip-methods all`` replaces with :mod:`quantgeo._qutip_bench`)."""
    cores = os.cpu_count() or 1
    rows: list[dict[str, Any]] = []
    sizes = [((4096,), 10000), ((512, 512), 200), ((64, 64, 64), 200)]
    if quick:
        sizes = [((4096,), 500), ((128, 128), 50)]
    for shape, steps in sizes:
        for workers in sorted({1, cores}):
            rows.append(bench_overhead(shape, workers, steps))
    np_shape = (128, 128) if quick else (512, 512)
    for workers in sorted({1, cores}):
        rows.append(bench_numpy_loop(np_shape, workers, 20 if quick else 60))
    if qutip:
        rows.append(bench_qutip((256,) if quick else (1024,)))
        if not quick:
            rows.append(bench_qutip((48, 48)))
    rows.extend(bench_compile())
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    """Plain-text table of benchmark rows (``(!)`` marks a missed target)."""
    from quantgeo._table import Column, format_table

    columns = [
        Column("benchmark"),
        Column("ratio", ">", 8, ".3g"),
        Column("target", "<", 10),
        Column("detail"),
    ]
    cells = [
        [r["name"], r["value"], r["target"], r["detail"] + ("" if r["ok"] else "  (!)")]
        for r in rows
    ]
    return format_table(cells, columns, rule=None, strip=False)
