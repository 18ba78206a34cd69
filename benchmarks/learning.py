"""Benchmarks of quantgeo.learning (a script; not collected by pytest).

1. Iterations to reach a loss tolerance for a = 0, ½, 1
   * quadratic of condition number 10⁴ (K = 20):
     - exact κ ∝ A, full-batch gradients, lr = 1/λ_max(g⁻¹A) (no tuning: P5 in action);
     - minibatch gradients (B = 8) with EMA moments, best lr of a log grid per a;
   * logistic regression (N = 2000, K = 10) with minibatch noise (B = 32), EMA moments,
     best lr of the same grid per a.
   a = 0 is SGD, a = ½ RMSProp-type (diagonal EMA), a = 1 natural gradient (full EMA,
   damping eps).  All with β2 = 0.999, no momentum, bias correction.
2. Walker-steps per second of the Numba Euler–Maruyama kernel vs its vectorised NumPy twin
   (1e5 walkers, 2D), interleaved repetitions (best of each), both including the generation
   of their normal increments: the kernel draws them itself from the
   ``numpy.random.Generator`` it is given, the twin with ``rng.standard_normal((n, 2))`` per
   step (NumPy).  Both start from equally seeded generators and must end at the same walkers
   (≤ 1e-12, checked).  "NumPy RNG alone" is the rate of the twin's normal draws by
   themselves.  Numba compile time is measured in a fresh subprocess with an empty cache
   directory, separately from run time.

Run:  .venv/bin/python benchmarks/learning.py  [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from quantgeo._kernels import learning as kern
from quantgeo._kernels import learning_reference as twin
from quantgeo.errors import StabilityError
from quantgeo.learning import (
    CovariantGD,
    LearningProblem,
    LogisticRegression,
    Polynomial,
    ill_conditioned_quadratic,
    inverse_metric,
)
from quantgeo.learning.regimes import PRESET_A, PRESET_KAPPA

A_VALUES = (0.0, 0.5, 1.0)
LR_GRID = np.logspace(-4, 0.5, 10)


def _optimizer(a: float, lr: float) -> CovariantGD:
    if a == 0.0:
        return CovariantGD(0.0, lr)
    if a == 0.5:
        return CovariantGD(0.5, lr, moments="ema-diag", beta2=0.999, eps=1e-8)
    return CovariantGD(1.0, lr, moments="ema-full", beta2=0.999, eps=1e-4)


def iterations_exact_quadratic() -> list[tuple[float, int, float]]:
    loss = ill_conditioned_quadratic(20, 1e4, seed=0, noise_scale=1.0)
    A = loss.A
    q0 = np.random.default_rng(1).standard_normal(20)
    tol = 1e-6 * loss.value(q0)
    out = []
    for a in A_VALUES:
        lam_max = np.linalg.eigvals(inverse_metric(A, a, diagonal=False) @ A).real.max()
        lr = 1.0 / lam_max
        opt = CovariantGD(a, lr, moments="exact", kappa=lambda q: loss.kappa(q), eps=0.0)
        res = opt.minimize(loss, q0, 200_000, tol=tol)
        out.append((a, res.n_steps if res.converged else -1, lr))
    return out


def iterations_tuned(
    loss, batch: int, tol: float, max_steps: int, q0: np.ndarray
) -> list[tuple[float, int, float]]:
    out = []
    for a in A_VALUES:
        best = (-1, float("nan"))
        for lr in LR_GRID:
            try:
                res = _optimizer(a, lr).minimize(
                    loss, q0, max_steps, batch_size=batch, seed=0, tol=tol, record_every=10
                )
            except StabilityError:  # diverged: not a candidate
                continue
            if res.converged and (best[0] < 0 or res.n_steps < best[0]):
                best = (res.n_steps, float(lr))
        out.append((a, best[0], best[1]))
    return out


def _problems() -> dict[str, LearningProblem]:
    x, y = Polynomial.variable(0, 2), Polynomial.variable(1, 2)
    kap = [[0.5 + 0.3 * x * x, -0.2 + 0.1 * x * y], [-0.2 + 0.1 * x * y, 1.0 + 0.2 * y * y]]
    return {
        "constant κ, Itô": LearningProblem.quadratic(PRESET_A, PRESET_KAPPA),
        "κ(q), covariant": LearningProblem(Polynomial.quadratic_form(PRESET_A), kap),
    }


def walker_throughput(
    n: int, steps: int, reps: int
) -> list[tuple[str, float, float, float, float]]:
    rng = np.random.default_rng(0)
    rows = []
    for name, prob in _problems().items():
        cov = "covariant" in name
        ptr, pw, cf = prob.packed()
        for a in (0.5, 0.7):
            q0 = rng.standard_normal((n, 2)) * 0.5
            best = {"numba": np.inf, "numpy": np.inf}
            t_rng = np.inf
            kern.langevin_em(
                q0.copy(), np.random.default_rng(1), 1, 0.01, 1.0, a, 1.0, 0.0, ptr, pw, cf, cov
            )
            for _ in range(reps):  # interleaved: the shared machine's load hits both alike
                t0 = time.perf_counter()
                g = np.random.default_rng(1)
                for _ in range(steps):  # the twin's draws, alone
                    g.standard_normal((n, 2))
                t_rng = min(t_rng, time.perf_counter() - t0)
                out = {}
                for backend, fn in (("numba", kern.langevin_em), ("numpy", twin.langevin_em)):
                    q = q0.copy()
                    t0 = time.perf_counter()
                    fn(q, np.random.default_rng(1), steps, 0.01, 1.0, a, 1.0, 0.0, ptr, pw, cf, cov)
                    best[backend] = min(best[backend], time.perf_counter() - t0)
                    out[backend] = q
                err = np.abs(out["numba"] - out["numpy"]).max()
                if not err <= 1e-12 * np.abs(out["numpy"]).max():
                    raise AssertionError(f"{name}, a={a:g}: kernel and twin differ by {err:.3g}")
            ws = n * steps
            rows.append(
                (
                    f"{name}, a={a:g}",
                    ws / best["numba"],
                    ws / best["numpy"],
                    best["numpy"] / best["numba"],
                    ws / t_rng,
                )
            )
    return rows


def compile_time() -> tuple[float, float]:
    """First call (compilation into an empty cache) and second call, in a fresh process."""
    code = (
        "import time, numpy as np\n"
        "t=time.perf_counter()\n"
        "from quantgeo._kernels import learning as k\n"
        "t1=time.perf_counter(); k.warmup(); t2=time.perf_counter()\n"
        "k.warmup(); t3=time.perf_counter()\n"
        "print(t2-t1, t3-t2)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    first, second = (float(v) for v in out.stdout.split())
    return first, second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (smoke run)")
    args = parser.parse_args()
    n, steps, reps = (20_000, 50, 2) if args.quick else (100_000, 100, 3)

    print("== iterations to reach the tolerance (−1: not reached) ==")
    t0 = time.perf_counter()
    print(
        "quadratic, condition 1e4, K=20, exact κ ∝ A, full batch, lr = 1/λmax(g⁻¹A), "
        "tol = 1e-6·H(q0):"
    )
    for a, it, lr in iterations_exact_quadratic():
        print(f"  a = {a:<4g} iterations {it:>8d}   (lr = {lr:.3g})")
    q_loss = ill_conditioned_quadratic(20, 1e4, seed=0, noise_scale=1e-6)
    q0 = np.random.default_rng(1).standard_normal(20)
    tol_q = 1e-3 * q_loss.value(q0)
    print(
        f"quadratic, condition 1e4, minibatch B=8, EMA moments, best lr of {len(LR_GRID)}, "
        f"tol = 1e-3·H(q0):"
    )
    for a, it, lr in iterations_tuned(q_loss, 8, tol_q, 4000 if args.quick else 20_000, q0):
        print(f"  a = {a:<4g} iterations {it:>8d}   (best lr = {lr:.3g})")
    lg = LogisticRegression(2000, 10, seed=0)
    qz = np.zeros(lg.dim)
    tol_l = 1e-2 * (lg.value(qz) - lg.h_min)
    print(
        f"logistic regression, N=2000, K=10, minibatch B=32, EMA moments, best lr of "
        f"{len(LR_GRID)}, tol = 1e-2·(H(0) − H*):"
    )
    for a, it, lr in iterations_tuned(lg, 32, tol_l, 4000 if args.quick else 20_000, qz):
        print(f"  a = {a:<4g} iterations {it:>8d}   (best lr = {lr:.3g})")
    print(f"  [{time.perf_counter() - t0:.1f} s]")

    print(
        f"\n== Euler–Maruyama walker-steps per second: {n} walkers × {steps} steps, 2D, "
        f"best of {reps} interleaved =="
    )
    head = ("case", "numba", "numpy", "× incl. RNG", "NumPy RNG alone")
    print("{:<28} {:>10} {:>10} {:>12} {:>16}".format(*head))
    for name, wn, wp, ratio, w_rng in walker_throughput(n, steps, reps):
        print(f"{name:<28} {wn:10.3g} {wp:10.3g} {ratio:12.1f} {w_rng:16.3g}")
    print(
        "(both include their normal draws: Numba from the Generator inside the kernel, NumPy "
        "with rng.standard_normal per step; same seed, same walkers ≤ 1e-12)"
    )
    first, second = compile_time()
    print(
        f"\nNumba compile time (fresh process, empty cache): {first:.2f} s; "
        f"second call: {second * 1e3:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
