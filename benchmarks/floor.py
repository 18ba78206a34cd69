"""R1 at one thread: the floor of a split-operator step made of an FFT pair and separate passes.

Issue 13's R1 asks for step / fastest FFT pair ≤ 1.10 at 1 thread.  A Strang step that runs a
library FFT pair (FFTW offers no hook to fuse a pointwise multiply into its codelets) needs two
element-wise passes besides it: the kinetic factor in k-space and the potential factor in
x-space (the V factors of consecutive steps merged).  This script measures how cheap those
passes can be made, against the fastest FFT pair this machine offers, and so the lowest ratio
any such step can reach.  Per size (1D 1024, 4096, 16384; 2D 512²; 3D 64³), at 1 thread, all
interleaved in one process (every round times every item once; median of the rounds; wall
clock and the calling thread's CPU time, ``time.thread_time``):

1. FFT pairs (forward + unnormalised inverse, on zeros: the time is data-blind): FFTW through
   its C planner on the FFTW pyFFTW links (``quantgeo.solvers.fftw_native._plan``), in place and
   out of place (ψ → work → ψ, ``FFTW_DESTROY_INPUT``), ``FFTW_MEASURE`` and ``FFTW_PATIENT``
   (``--exhaustive``: also ``FFTW_EXHAUSTIVE``; minutes of planning), executed from Numba
   (``quantgeo._kernels.fftw.fftw_pair_out``: no Python between the executes), each planned
   after ``fftw_forget_wisdom`` so that no flag inherits another's wisdom; in 2D/3D also the
   whole-lattice FFTW pair on the padded layout quantgeo's sweeps use (rows 512 → 516); the
   rocket-fft pair inside Numba (``_kernels.split.fft_pair``); and, for context, pyFFTW's
   ``execute()``, ``scipy.fft`` and ``numpy.fft`` called from Python.
2. The passes (Numba, ``fastmath={"contract"}``; the vector code of each kernel is summarised
   from ``inspect_asm``): the bandwidth bound (ψ ← −ψ, a read and write of ψ; and a copy ψ →
   buffer); V: ψ ← ψ·f_V with a stored complex factor as (re, im) rows over ψ's float64 view,
   as interleaved complex, in quantgeo's ``ψ + ψ·g`` form, and NumPy's ``np.multiply(ψ, f,
   out=ψ)``; K: in 1D a stored factor (as V), in 2D/3D the separable factor formed on the fly
   from per-axis vectors (and NumPy with a stored full factor, for context); and V + K
   together as one sub-step applies them.
3. A step built from the fastest FFTW pair on the state's layout and the cheapest passes, in
   one compiled loop (checked against NumPy to 1e-12): the floor measured directly.
4. quantgeo's Strang step (``SplitOperatorSolver(ham, dt, "strang", fft=...)``, harmonic
   potential) for fft = auto, fftw, rocket, as the difference of a 2n- and an n-step
   ``_advance`` call after a 1-step warm call (as ``benchmarks/scaling.py`` times it).
5. The implied lower bound (floor pair + cheapest V + cheapest K) / floor pair, and whether it
   is ≤ 1.10.

Ratios are to the fastest pair on the state's own layout ("floor"); where a padded layout's
pair is faster still it is printed as a second floor.  ``auto`` decides afresh (a temporary
``QUANTGEO_CACHE_DIR`` unless one is set).  ``uptime``, the CPU, its caches and the idle cores
(from ``/proc/stat``) are printed before and after.

Usage: python benchmarks/floor.py [--rounds R] [--sizes 1024 4096 16384 512x512 64x64x64]
                                  [--quick] [--seconds S] [--exhaustive] [--plan-limit S]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

SIZES = ("1024", "4096", "16384", "512x512", "64x64x64")
QUICK = ("4096", "512x512", "64x64x64")
TARGET = 1.10
DT = 1e-3
FLAGS = {"MEASURE": 0, "PATIENT": 32, "EXHAUSTIVE": 8}
DESTROY_INPUT = 1

# ---------------------------------------------------------------------------- the passes


@njit(cache=False, nogil=True)
def negate(x, reps):
    """ψ ← −ψ over the float64 view: one read and one write of ψ (the bandwidth bound)."""
    for _ in range(reps):
        for i in range(x.size):
            x[i] = -x[i]


@njit(cache=False, nogil=True)
def copy(x, y, reps):
    """y ← x: ψ read, a second array written."""
    for _ in range(reps):
        for i in range(x.size):
            y[i] = x[i]


@njit(cache=False, nogil=True, fastmath={"contract"})
def mul_split(x, f, reps):
    """ψ ← ψ·f, ψ as its float64 view, f as (re, im) rows ``(2, n)``."""
    fr, fi = f[0], f[1]
    for _ in range(reps):
        for i in range(fr.size):
            xr, xi = x[2 * i], x[2 * i + 1]
            x[2 * i] = xr * fr[i] - xi * fi[i]
            x[2 * i + 1] = xr * fi[i] + xi * fr[i]


@njit(cache=False, nogil=True, fastmath={"contract"})
def mul_complex(psi, f, reps):
    """ψ ← ψ·f on interleaved complex128 (flat)."""
    for _ in range(reps):
        for i in range(psi.size):
            psi[i] *= f[i]


@njit(cache=False, nogil=True, fastmath={"contract"})
def gform_split(x, g, reps):
    """ψ ← ψ + ψ·g (quantgeo's ``g = f − 1`` form), g as (re, im) rows."""
    gr, gi = g[0], g[1]
    for _ in range(reps):
        for i in range(gr.size):
            xr, xi = x[2 * i], x[2 * i + 1]
            x[2 * i] = xr + (xr * gr[i] - xi * gi[i])
            x[2 * i + 1] = xi + (xr * gi[i] + xi * gr[i])


@njit(cache=False, nogil=True, fastmath={"contract"})
def kin_split(x, a0, a1, b, reps):
    """ψ ← ψ·a0[i0]·a1[i1]·b[j] (separable K formed on the fly), ψ's float64 view seen as
    rows ``(n0·n1, n_last)``; a0 ``(2, n0)``, a1 ``(2, n1)``, b ``(2, n_last)`` as (re, im)."""
    n1, nl = a1.shape[1], b.shape[1]
    br, bi = b[0], b[1]
    for _ in range(reps):
        for r in range(a0.shape[1] * n1):
            i0 = r // n1
            i1 = r - i0 * n1
            ar = a0[0, i0] * a1[0, i1] - a0[1, i0] * a1[1, i1]
            ai = a0[0, i0] * a1[1, i1] + a0[1, i0] * a1[0, i1]
            row = x[2 * r * nl : 2 * (r + 1) * nl]  # indexed from 0: no wraparound select
            for j in range(nl):
                cr = ar * br[j] - ai * bi[j]
                ci = ar * bi[j] + ai * br[j]
                xr, xi = row[2 * j], row[2 * j + 1]
                row[2 * j] = xr * cr - xi * ci
                row[2 * j + 1] = xr * ci + xi * cr


@njit(cache=False, nogil=True, fastmath={"contract"})
def kin_complex(psi, a, b, reps):
    """The same on interleaved complex ψ ``(rows, n_last)``, row factors ``a`` precombined."""
    for _ in range(reps):
        for r in range(a.size):
            ar = a[r]
            row = psi[r]
            for j in range(b.size):
                row[j] *= ar * b[j]


@njit(cache=False, nogil=True, fastmath={"contract"})
def substep(x, fv, fk, a0, a1, b, sep, reps):
    """V then K, as a sub-step applies them (the FFTs left out)."""
    for _ in range(reps):
        mul_split(x, fv, 1)
        if sep:
            kin_split(x, a0, a1, b, 1)
        else:
            mul_split(x, fk, 1)


def _own_step_kernel() -> Any:
    from quantgeo._kernels.fftw import _execute  # FFTW's fftw_execute_dft, bound for Numba

    @njit(cache=False, nogil=True, fastmath={"contract"})
    def own_step(x, h, fv, fk, a0, a1, b, sep, plans, reps):
        """``reps`` Strang steps (V merged): forward x → h, K on h, inverse h → x, V on x."""
        p, q = x.ctypes.data, h.ctypes.data
        for _ in range(reps):
            _execute(plans[0], p, q)
            if sep:
                kin_split(h, a0, a1, b, 1)
            else:
                mul_split(h, fk, 1)
            _execute(plans[1], q, p)
            mul_split(x, fv, 1)

    return own_step


def vector_summary(fn: Any) -> str:
    """Instruction counts of ``fn``'s machine code (its first signature): instructions on
    512-bit (zmm) and 256-bit (ymm) registers, scalar double arithmetic, and shuffles —
    enough to see whether its loops were vectorised."""
    asm = fn.inspect_asm(fn.signatures[0])
    body = [ln for ln in asm.splitlines() if ln.startswith("\t") and not ln.startswith("\t.")]
    zmm = sum("zmm" in ln for ln in body)
    ymm = sum("ymm" in ln for ln in body)
    scal = sum(bool(re.match(r"\tv(mul|add|sub|fn?m(add|sub)\w*)sd\s", ln)) for ln in body)
    shuf = sum(bool(re.match(r"\tv(perm|shuf|unpck|blend)\w*\s", ln)) for ln in body)
    calls = sum(ln.startswith("\tcall") for ln in body)
    return f"{zmm} on zmm, {ymm} on ymm, {scal} scalar-double arith, {shuf} shuffles, {calls} calls"


# ---------------------------------------------------------------------------- FFT pairs


def _aligned(shape: tuple[int, ...]) -> np.ndarray:
    import pyfftw

    a = pyfftw.empty_aligned(shape, dtype=np.complex128, n=64)
    a[...] = 0.0
    return a


def _guru(lib: Any) -> Any:
    class IODim(ctypes.Structure):
        _fields_ = [("n", ctypes.c_int), ("is_", ctypes.c_int), ("os", ctypes.c_int)]

    guru = lib.fftw_plan_guru_dft
    guru.restype = ctypes.c_void_p
    guru.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
    guru.argtypes += [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint]
    lib.fftw_forget_wisdom.restype = None
    return guru, IODim


def plan_pair(
    shape: tuple[int, ...], flags: int, out_of_place: bool, padded: bool, limit: float
) -> tuple[Any, np.ndarray, np.ndarray, float]:
    """Forward and inverse FFTW plans (1 thread, fresh wisdom): ``(plans, psi, work, seconds)``.

    ``padded``: in place on the layout of quantgeo's sweeps buffer (the last axis padded off a
    power of two, and the axis-0 stride in 3D), with FFTW's guru interface."""
    from quantgeo.solvers import fft as fftmod
    from quantgeo.solvers import fftw_native as fn

    lib = fn.library()
    guru, IODim = _guru(lib)
    if padded:
        n1 = int(np.prod(shape[1:-1]))
        ld = fn.padded_length(shape[-1])
        ps = fn.padded_stride(n1, ld)
        strides = [ps] + ([ld] if len(shape) == 3 else []) + [1]
        psi = work = _aligned((shape[0] * ps,))
    else:
        strides = [int(np.prod(shape[i + 1 :])) for i in range(len(shape))]
        psi = _aligned(shape)
        work = _aligned(shape) if out_of_place else psi
    dims = (IODim * len(shape))(*[IODim(n, s, s) for n, s in zip(shape, strides, strict=True)])
    fl = flags | (DESTROY_INPUT if out_of_place else 0)
    with fftmod._lock:  # FFTW's planner, its wisdom and thread count are process-wide
        lib.fftw_plan_with_nthreads(1)
        lib.fftw_set_timelimit(limit)
        lib.fftw_forget_wisdom()
        t = time.perf_counter()
        p, q = psi.ctypes.data, work.ctypes.data
        ptrs = [
            guru(len(shape), dims, 0, None, p, q, -1, fl),
            guru(len(shape), dims, 0, None, q, p, 1, fl),
        ]
        seconds = time.perf_counter() - t
        if not all(ptrs):
            raise RuntimeError(f"FFTW could not plan {shape} (flags {fl})")
        plans = fn._Plans([int(x) for x in ptrs])
    psi[...] = 0.0
    work[...] = 0.0
    return plans, psi, work, seconds


def fft_pairs(shape: tuple[int, ...], args: argparse.Namespace) -> tuple[dict[str, Any], dict]:
    """Callables ``f(n)`` running ``n`` pairs; planning seconds; the FFTW plans kept."""
    import pyfftw
    import scipy.fft as sfft

    from quantgeo._kernels import fftw as fk
    from quantgeo._kernels import split

    items: dict[str, Any] = {}
    info: dict[str, Any] = {"plan_s": {}, "native": {}}
    flags = ["MEASURE"] + ([] if args.quick else ["PATIENT"])
    flags += ["EXHAUSTIVE"] if args.exhaustive else []
    layouts = [("in place", False, False), ("out of place", True, False)]
    layouts += [("padded, in place", False, True)] if len(shape) > 1 else []
    for flag in flags:
        for where, oop, pad in layouts:
            name = f"FFTW {flag}, {where} (numba)"
            plans, psi, work, secs = plan_pair(shape, FLAGS[flag], oop, pad, args.plan_limit)
            info["plan_s"][name] = secs
            if not pad:
                info["native"][name] = (plans, oop)

            def run(n: int, p: Any = plans, a: Any = psi, w: Any = work) -> None:
                fk.fftw_pair_out(a, w, n, p.array)

            items[name] = run
    rbuf = np.zeros(shape, dtype=np.complex128)
    items["rocket-fft (numba)"] = lambda n: split.fft_pair(rbuf, n, 1)
    pbuf = _aligned(shape)
    from quantgeo.solvers import fftw_native as fn

    with __import__("quantgeo.solvers.fft", fromlist=["_lock"])._lock:
        fn.library().fftw_forget_wisdom()
        t = time.perf_counter()
        fwd, inv = (
            pyfftw.FFTW(
                pbuf,
                pbuf,
                axes=tuple(range(len(shape))),
                direction=d,
                flags=("FFTW_MEASURE",),
                threads=1,
            )
            for d in ("FFTW_FORWARD", "FFTW_BACKWARD")
        )
        info["plan_s"]["pyFFTW MEASURE, in place, execute() (python)"] = time.perf_counter() - t
    pbuf[...] = 0.0

    def pyfftw_pairs(n: int) -> None:
        fe, be = fwd.execute, inv.execute
        for _ in range(n):
            fe()
            be()

    items["pyFFTW MEASURE, in place, execute() (python)"] = pyfftw_pairs
    sbuf = np.zeros(shape, dtype=np.complex128)

    def scipy_pairs(n: int) -> None:
        x = sbuf
        for _ in range(n):
            x = sfft.ifftn(sfft.fftn(x, workers=1, overwrite_x=True), workers=1, overwrite_x=True)

    items["scipy.fft (python)"] = scipy_pairs
    nbuf = np.zeros(shape, dtype=np.complex128)

    def numpy_pairs(n: int) -> None:
        x = nbuf
        for _ in range(n):
            x = np.fft.ifftn(np.fft.fftn(x))

    items["numpy.fft (python)"] = numpy_pairs
    return items, info


# ---------------------------------------------------------------------------- factors, passes


def factors(shape: tuple[int, ...]) -> dict[str, Any]:
    """Harmonic V and free-particle K factors of one Strang step on (−8, 8)^d, as (re, im) rows
    ``(2, n)``; the per-axis kinetic vectors, the 1/N of FFTW's inverse folded into axis 0's."""
    axes = [np.linspace(-8.0, 8.0, n, endpoint=False) for n in shape]
    ks = [2 * np.pi * np.fft.fftfreq(n, 16.0 / n) for n in shape]
    grids = np.meshgrid(*axes, indexing="ij")
    v = 0.5 * sum(g**2 for g in grids)
    fv = np.exp(-1j * DT * v)
    kf = [np.exp(-0.5j * DT * k**2) for k in ks]
    kf[0] = kf[0] / float(np.prod(shape))
    full_k = kf[0]
    for f in kf[1:]:
        full_k = np.multiply.outer(full_k, f)

    def rows(z: np.ndarray) -> np.ndarray:
        z = np.ascontiguousarray(z).reshape(-1)
        return np.ascontiguousarray(np.stack([z.real, z.imag]))

    one = np.ones(1, dtype=np.complex128)
    a0 = kf[0] if len(shape) > 1 else one
    a1 = kf[1] if len(shape) == 3 else one
    return {
        "fv": fv,
        "fk": full_k,
        "fv_s": rows(fv),
        "gv_s": rows(fv - 1.0),
        "fk_s": rows(full_k),
        "a0": rows(a0),
        "a1": rows(a1),
        "b": rows(kf[-1]),
        "a_rows": np.multiply.outer(a0, a1).reshape(-1) if len(shape) > 1 else one,
        "b_c": np.ascontiguousarray(kf[-1]),
        "sep": len(shape) > 1,
    }


def passes(shape: tuple[int, ...], fac: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Callables ``f(n)`` of the passes, by group (rw, V, K, V+K)."""
    psi0 = np.exp(1j * np.arange(int(np.prod(shape))) * 0.1)
    bufs = [_aligned((psi0.size,)) for _ in range(8)]
    for b in bufs:
        b[...] = psi0
    x = [b.view(np.float64) for b in bufs]
    y = _aligned((psi0.size,)).view(np.float64)
    sep = fac["sep"]
    rows_shape = (fac["a_rows"].size, fac["b_c"].size)
    fv_c, fk_c = np.ascontiguousarray(fac["fv"].reshape(-1)), fac["fk"].reshape(-1)
    out: dict[str, dict[str, Any]] = {"rw": {}, "V": {}, "K": {}, "V+K": {}}
    out["rw"]["psi <- -psi (numba)"] = lambda n: negate(x[0], n)
    out["rw"]["copy psi -> buffer (numba)"] = lambda n: copy(x[0], y, n)
    out["V"]["stored f, (re, im) rows (numba)"] = lambda n: mul_split(x[1], fac["fv_s"], n)
    out["V"]["stored f, interleaved complex (numba)"] = lambda n: mul_complex(bufs[2], fv_c, n)
    out["V"]["psi + psi*g, (re, im) rows (numba)"] = lambda n: gform_split(x[3], fac["gv_s"], n)

    def np_v(n: int) -> None:
        for _ in range(n):
            np.multiply(bufs[4], fv_c, out=bufs[4])

    out["V"]["numpy multiply(out=psi)"] = np_v
    if sep:
        a0, a1, b = fac["a0"], fac["a1"], fac["b"]
        out["K"]["on the fly, (re, im) rows (numba)"] = lambda n: kin_split(x[5], a0, a1, b, n)
        grid = bufs[6].reshape(rows_shape)
        out["K"]["on the fly, interleaved (numba)"] = lambda n: kin_complex(
            grid, fac["a_rows"], fac["b_c"], n
        )
        fk_store = np.ascontiguousarray(fk_c)

        def np_k(n: int) -> None:
            for _ in range(n):
                np.multiply(bufs[6], fk_store, out=bufs[6])

        out["K"]["numpy, stored full factor (context)"] = np_k
    else:
        out["K"]["stored f, (re, im) rows (numba)"] = lambda n: mul_split(x[5], fac["fk_s"], n)
        fk1 = np.ascontiguousarray(fk_c)
        out["K"]["stored f, interleaved complex (numba)"] = lambda n: mul_complex(bufs[6], fk1, n)
    out["V+K"]["V then K, (re, im) rows (numba)"] = lambda n: substep(
        x[7], fac["fv_s"], fac["fk_s"], fac["a0"], fac["a1"], fac["b"], sep, n
    )
    return out


def own_step(
    shape: tuple[int, ...], fac: dict[str, Any], plans: Any, oop: bool
) -> tuple[Callable[[int], None], float]:
    """``f(n)``: n steps of the cheapest passes around the given FFTW pair; its error after 3
    steps against NumPy's FFTs."""
    kernel = _own_step_kernel()
    lat_psi = np.exp(
        -0.5
        * sum(
            g**2
            for g in np.meshgrid(
                *[np.linspace(-8.0, 8.0, n, endpoint=False) - 1.0 for n in shape], indexing="ij"
            )
        )
    ).astype(np.complex128)
    psi, work = _aligned(shape), _aligned(shape) if oop else None
    psi[...] = lat_psi
    work = work if work is not None else psi
    x, h = psi.reshape(-1).view(np.float64), work.reshape(-1).view(np.float64)
    call = (fac["fv_s"], fac["fk_s"], fac["a0"], fac["a1"], fac["b"], fac["sep"], plans.array)
    kernel(x, h, *call, 3)
    ref = lat_psi.copy()
    kfull = fac["fk"] * float(np.prod(shape))  # undo the 1/N: NumPy's inverse is normalised
    for _ in range(3):
        ref = fac["fv"] * np.fft.ifftn(kfull * np.fft.fftn(ref))
    err = float(np.max(np.abs(psi - ref)))
    return (lambda n: kernel(x, h, *call, n)), err


# ---------------------------------------------------------------------------- quantgeo's step


def quantgeo_steps(shape: tuple[int, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """``f(n)`` returning (wall, cpu) of n Strang steps: 2n-step minus n-step call after a warm
    1-step call (``benchmarks/scaling.py``'s timing), per fft backend; what auto picked."""
    import quantgeo as qg
    from quantgeo.potentials import harmonic

    lat = qg.Lattice(shape, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi = qg.gaussian(lat, center=1.0, width=0.8, momentum=0.5)
    items, picked = {}, {}
    for name in ("auto", "fftw", "rocket"):
        solver = qg.SplitOperatorSolver(ham, DT, "strang", workers=1, fft=name, error_samples=0)
        rec = qg.Recorder(observables=(), store_states=False)
        solver.run(psi, (0.0, 2 * DT), recorder=rec, progress=False)  # compile, plan
        buf = solver._fft.aligned(np.array(psi.data, dtype=np.complex128))
        picked[name] = (solver._fft.auto_info() or {}).get("picked", solver.fft)

        def run(n: int, s: Any = solver, b: Any = buf) -> tuple[float, float]:
            s._advance(b, 0.0, DT, 1)
            out = []
            for m in (n, 2 * n):
                t, c = time.perf_counter(), time.thread_time()
                s._advance(b, 0.0, DT, m)
                out.append((time.perf_counter() - t, time.thread_time() - c))
            return out[1][0] - out[0][0], out[1][1] - out[0][1]

        items[f"quantgeo fft={name}"] = run
    return items, picked


# ---------------------------------------------------------------------------- timing


def _timed(fn: Callable[[int], Any], n: int) -> tuple[float, float]:
    t, c = time.perf_counter(), time.thread_time()
    r = fn(n)
    if isinstance(r, tuple):  # measures itself (quantgeo's 2n − n)
        return r
    return time.perf_counter() - t, time.thread_time() - c


def _reps(fn: Callable[[int], Any], seconds: float) -> int:
    _timed(fn, 1)
    one = max(_timed(fn, 2)[0] / 2, 1e-7)
    return max(2, min(200000, int(seconds / one)))


def interleaved(
    items: dict[str, Callable[[int], Any]], rounds: int, seconds: float
) -> dict[str, tuple[float, float]]:
    """Median (wall, cpu) seconds per unit of each item over ``rounds`` interleaved rounds."""
    reps = {k: _reps(f, seconds) for k, f in items.items()}
    wall: dict[str, list[float]] = {k: [] for k in items}
    cpu: dict[str, list[float]] = {k: [] for k in items}
    for _ in range(rounds):
        for k, f in items.items():
            w, c = _timed(f, reps[k])
            wall[k].append(w / reps[k])
            cpu[k].append(c / reps[k])
    return {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in items}


# ---------------------------------------------------------------------------- machine


def _sh(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def _cpu_times() -> tuple[float, float]:
    """(idle, total) jiffies of all CPUs from /proc/stat (idle includes iowait)."""
    try:
        with open("/proc/stat") as f:
            v = [float(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    return v[3] + v[4], sum(v[:8])


def idle_cores(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Average number of idle cores between two :func:`_cpu_times` samples."""
    total = b[1] - a[1]
    return (b[0] - a[0]) / total * (os.cpu_count() or 1) if total > 0 else float("nan")


def machine() -> list[str]:
    lines = [ln for ln in _sh(["lscpu"]).splitlines() if re.match(r"(Model name|L1d|L2|L3)", ln)]
    per = []
    for i in range(4):
        d = f"/sys/devices/system/cpu/cpu0/cache/index{i}"
        try:
            with open(f"{d}/level") as f1, open(f"{d}/type") as f2, open(f"{d}/size") as f3:
                per.append(f"L{f1.read().strip()} {f2.read().strip()} {f3.read().strip()}")
        except OSError:
            pass
    return [" ".join(ln.split()) for ln in lines] + (["per core: " + ", ".join(per)] if per else [])


# ---------------------------------------------------------------------------- report


def _row(name: str, t: tuple[float, float], floor: tuple[float, float], extra: str = "") -> str:
    return (
        f"  {name:<48} {t[0] * 1e6:>10.2f} {t[1] * 1e6:>10.2f} "
        f"{t[0] / floor[0]:>7.3f} {t[1] / floor[1]:>7.3f}  {extra}"
    )


def run_size(shape: tuple[int, ...], args: argparse.Namespace, qg_items: Any) -> dict[str, Any]:
    pair_items, info = fft_pairs(shape, args)
    fac = factors(shape)
    groups = passes(shape, fac)
    steps, picked = qg_items
    items: dict[str, Any] = dict(pair_items)
    for g in groups.values():
        items.update(g)
    items.update(steps)
    # a first measurement of the native FFTW pairs picks the plans of the measured own step
    pre = interleaved({k: pair_items[k] for k in info["native"]}, 3, args.seconds / 2)
    best = min(info["native"], key=lambda k: pre[k][1])
    own, err = own_step(shape, fac, *info["native"][best])
    items["own step: that pair + cheapest passes"] = own
    med = interleaved(items, args.rounds, args.seconds)
    state = [k for k in pair_items if "padded" not in k]
    floor_name = min(state, key=lambda k: med[k][1])
    floor = med[floor_name]
    head = f"  {'':<48} {'wall µs':>10} {'cpu µs':>10} {'/floor':>7} {'(cpu)':>7}"
    size = "x".join(map(str, shape))
    print(f"\n=== {len(shape)}D {size}: ψ {16 * int(np.prod(shape)) / 1024:.0f} KiB, 1 thread ===")
    print("FFT pairs (forward + inverse)" + head[29:])
    for k in pair_items:
        plan = info["plan_s"].get(k)
        print(_row(k, med[k], floor, f"plan {plan:.2f} s" if plan is not None else ""))
    print(f"  floor (state layout): {floor_name}")
    for group, title in (("rw", "bandwidth bound"), ("V", "V pass"), ("K", "K pass")):
        print(f"{title}:")
        for k in groups[group]:
            print(_row(k, med[k], floor))
    for k in groups["V+K"]:
        print(_row(k, med[k], floor))
    cheap_v = min((k for k in groups["V"] if "numba" in k), key=lambda k: med[k][1])
    cheap_k = min((k for k in groups["K"] if "numba" in k), key=lambda k: med[k][1])
    summed = tuple(med[cheap_v][i] + med[cheap_k][i] for i in range(2))
    both = med[next(iter(groups["V+K"]))]
    print("steps (per Strang sub-step):")
    own_name = "own step: that pair + cheapest passes"
    print(_row(own_name, med[own_name], floor, f"[{best}; error vs NumPy {err:.1e}]"))
    for k in steps:
        name = k.split("=")[1]
        print(_row(k, med[k], floor, f"ran {picked[name]}"))
    bound = [1 + min(summed[i], both[i]) / floor[i] for i in range(2)]
    verdict = "≤ 1.10: the hypothesis is FALSE here" if bound[1] <= TARGET else "> 1.10"
    print(
        f"implied lower bound (floor + cheapest V ({cheap_v}) + K): wall {bound[0]:.3f}, "
        f"cpu {bound[1]:.3f}  [{verdict}]"
    )
    rw = next(iter(groups["rw"]))
    rw_bound = 1 + 2 * med[rw][1] / floor[1]
    print(f"bandwidth floor (two passes that only read and write ψ, no factor): cpu {rw_bound:.3f}")
    padded = [k for k in pair_items if "padded" in k]
    if padded:
        pb = min(padded, key=lambda k: med[k][1])
        if med[pb][1] < floor[1]:
            lo = 1 + min(summed[1], both[1]) / med[pb][1]
            print(
                f"  against the faster padded-layout pair ({pb}, "
                f"{med[pb][1] * 1e6:.1f} µs): cpu {lo:.3f}; quantgeo auto / it: "
                f"{med['quantgeo fft=auto'][1] / med[pb][1]:.3f}"
            )
    return {"shape": size, "floor": floor_name, "bound": bound, "rw_bound": rw_bound}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (median, ≥ 7)")
    parser.add_argument("--sizes", nargs="+", help=f"e.g. 4096 512x512 (default {' '.join(SIZES)})")
    parser.add_argument("--quick", action="store_true", help="4096, 512², 64³; MEASURE only")
    parser.add_argument("--seconds", type=float, default=0.02, help="seconds per timed item")
    parser.add_argument("--exhaustive", action="store_true", help="also plan FFTW_EXHAUSTIVE")
    parser.add_argument(
        "--plan-limit", type=float, default=60.0, help="FFTW planning time limit per plan [s]"
    )
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"`--rounds` must be ≥ 1, got {args.rounds}")
    sizes = args.sizes or (QUICK if args.quick else SIZES)
    try:
        shapes = [tuple(int(n) for n in s.lower().split("x")) for s in sizes]
    except ValueError:
        parser.error(f"`--sizes` takes sizes like 4096 or 512x512, got {sizes}")
    if any(not 1 <= len(s) <= 3 for s in shapes):
        parser.error(f"`--sizes` must have 1 to 3 axes, got {sizes}")
    if not os.environ.get("QUANTGEO_CACHE_DIR"):  # auto decides afresh; no wisdom written back
        os.environ["QUANTGEO_CACHE_DIR"] = tempfile.mkdtemp(prefix="quantgeo-floor-")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    print("\n".join(machine()))
    t0 = _cpu_times()
    time.sleep(1.0)
    t1 = _cpu_times()
    print(f"uptime before: {_sh(['uptime'])}")
    print(f"idle cores before (1 s sample): {idle_cores(t0, t1):.2f} of {os.cpu_count()}")
    # quantgeo's solvers first: they load and save wisdom; the pairs below forget it
    qg_items = {s: quantgeo_steps(s) for s in shapes}
    rows = [run_size(s, args, qg_items[s]) for s in shapes]
    print("\nvector code of the passes (inspect_asm, first signature):")
    for fn in (negate, copy, mul_split, mul_complex, gform_split, kin_split, kin_complex):
        if fn.signatures:
            print(f"  {fn.__name__:<12} {vector_summary(fn)}")
    t2 = _cpu_times()
    print("\nsummary: implied lower bound (floor pair + cheapest passes) / floor pair, cpu")
    for r in rows:
        b, w = r["bound"][1], r["bound"][0]
        print(
            f"  {r['shape']:>10}  {b:.3f}  (wall {w:.3f}; two bare ψ read+writes alone "
            f"{r['rw_bound']:.3f})  floor: {r['floor']}"
        )
    print(f"uptime after:  {_sh(['uptime'])}")
    print(f"idle cores during the run: {idle_cores(t1, t2):.2f} of {os.cpu_count()} (this uses 1)")


if __name__ == "__main__":
    main()
