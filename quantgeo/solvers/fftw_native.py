r"""FFTW run from Numba: plans made through ``ctypes`` on the FFTW that pyFFTW links.

pyFFTW's Python API can only execute a plan from Python, so a split-operator sub-step driven
through it pays the interpreter between the FFTs and the passes, and threads only the FFTs
(1D 4096: 1.42 × the FFTW pair; from Numba, with the 1D passes on split factors, 1.23–1.34;
out of place and ``FFTW_PATIENT``, 21 against 25 µs a step, 1.20–1.25 × its own faster pair).
Here the plans are made with FFTW's own C planner (``fftw_plan_many_dft``) on the library
instance pyFFTW loaded — the same codelets and wisdom as pyFFTW — and the Numba
kernels of :mod:`quantgeo._kernels.fftw` execute them (``fftw_execute_dft``, the new-array
execute) inside one compiled call per chunk of steps.

Two engines, both named ``"fftw"`` in ``Trajectory.info["fft"]``:

:class:`WholeEngine` (``fft="fftw"``; ``"auto"`` candidate ``"fftw"``)
    forward and inverse plans over the whole lattice, with FFTW's threads when
    ``workers > 1``: in 2D and 3D in place, ``FFTW_MEASURE`` (``FFTW_PATIENT`` for the small
    lattices of :func:`patient_small`); in 1D out of place through a work buffer,
    ``FFTW_PATIENT`` where that was measured to pay (:func:`whole_flags`).
:class:`SweepEngine` (``"auto"`` candidate ``"fftw-sweeps"``, 2D and 3D)
    the step as a row sweep and a column sweep over cache-sized blocks of a padded work
    buffer (see the kernel module), each block transformed by serial FFTW plans; with
    ``workers > 1`` the blocks of a sweep go to Numba's threads, so the element-wise passes
    run threaded inside the FFT's own data sweeps instead of between two thread pools.

Planning is serialised (FFTW's planner is not thread-safe: ``fftw_make_planner_thread_safe``
is also switched on).  Plans are kept per process by the kind of engine that made them
(:class:`PlanCache`: class, shape, threads, alignment, geometry, flags), so that a second
solver of the same kind plans nothing; they are destroyed when evicted from it and no engine
holds them.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from collections import OrderedDict
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.solvers import fft as _fft

__all__ = ["SweepEngine", "WholeEngine", "library", "sweep_blocks", "whole_flags"]

FFTW_FORWARD, FFTW_BACKWARD = -1, 1
FFTW_MEASURE, FFTW_DESTROY_INPUT, FFTW_UNALIGNED, FFTW_PATIENT = 0, 1, 2, 32
#: 1D lengths planned ``FFTW_PATIENT`` at 1 thread: the powers of two in this range (out of
#: place; elsewhere ``FFTW_MEASURE``).
#: Measured pairs, µs, MEASURE → PATIENT: 2048 7.2 → 7.2, 4096 19.9 → 16.8, 8192 43.3 → 39.3,
#: 16384 101 → 88; planning 1.0, 2.5, 2.3, 5.4 s (once per machine: the wisdom is cached),
#: but 57 s at 65536.
PATIENT_1D = (4096, 16384)
#: Shortest 1D length planned out of place (ψ → work → ψ).  Shorter ones keep the in-place
#: plans (their states are the earlier ones bit for bit where N is a power of two; elsewhere
#: the 1/N folded into the kinetic factor rounds in the last bit).  Out of place gains there
#: too (pairs 256: 0.82 → 0.61 µs, 1024: 3.67 → 3.06, 2048: 8.47 → 7.16) but rounds the
#: noise-level tails differently, and one exact zero there stops a Born-ensemble drift
#: (emergence/born.py).
OUT_OF_PLACE_1D = 4096
#: Bytes a row block and a column block of the sweeps aim at: both stay in a core's L2 (2 MiB
#: here).  Rows are taken in powers of two; measured at 512², 1 thread, step / FFTW pair:
#: 8 × 32 blocks 0.99, 7 × 64 1.10, 32 × 64 1.03; at 2048²: 2 × 8 1.14, 2 × 32 1.20.
ROW_BYTES, COL_BYTES = 1 << 17, 1 << 18
_lib: ctypes.CDLL | None = None
_launch = threading.Lock()

CArray = NDArray[np.complex128]


def library() -> ctypes.CDLL:
    """The FFTW (double precision) that pyFFTW links, with its prototypes set.

    ``dlsym`` on pyFFTW's extension module resolves through its own dependencies, so this is
    the library instance pyFFTW uses (shared wisdom), whichever file it was loaded from.
    """
    global _lib
    if _lib is not None:
        return _lib
    import pyfftw.pyfftw as ext

    lib = ctypes.CDLL(ext.__file__)
    vp, ci, cu = ctypes.c_void_p, ctypes.c_int, ctypes.c_uint
    ip = ctypes.POINTER(ctypes.c_int)
    lib.fftw_plan_many_dft.restype = vp
    lib.fftw_plan_many_dft.argtypes = [ci, ip, ci, vp, ip, ci, ci, vp, ip, ci, ci, ci, cu]
    lib.fftw_destroy_plan.argtypes = [vp]
    lib.fftw_destroy_plan.restype = None
    if hasattr(lib, "fftw_plan_with_nthreads"):  # absent from a pyFFTW built without threads
        lib.fftw_plan_with_nthreads.argtypes = [ci]
        lib.fftw_plan_with_nthreads.restype = None
    lib.fftw_set_timelimit.argtypes = [ctypes.c_double]
    lib.fftw_set_timelimit.restype = None
    lib.fftw_execute_dft.argtypes = [vp, vp, vp]
    lib.fftw_execute_dft.restype = None
    if hasattr(lib, "fftw_make_planner_thread_safe"):
        lib.fftw_make_planner_thread_safe.restype = None
        lib.fftw_make_planner_thread_safe()
    _lib = lib
    return lib


class _Plans:
    """FFTW plan pointers (``array``: uint64, 0 for an absent plan), destroyed with the owner."""

    def __init__(self, pointers: list[int]) -> None:
        self.array = np.array(pointers, dtype=np.uint64)
        weakref.finalize(self, _destroy, [p for p in pointers if p])


class PlanCache:
    """A bounded, least-recently-used per-process cache of :class:`_Plans`, by
    :meth:`_NativeEngine.plan_key`, so that a second engine of the same kind does not plan
    again (0.1–0.2 ms a solver at 48², seconds at large sizes without wisdom).

    Sharing is safe: a plan is immutable once made and FFTW's new-array execute of one plan
    on other arrays of the planned layout and alignment is thread-safe (the engines check
    both before they execute, :meth:`_NativeEngine.evolve`).  An evicted entry's plans are
    destroyed when the last engine holding them is collected (the finalizer of
    :class:`_Plans`).  Callers hold ``quantgeo.solvers.fft._lock``.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], _Plans] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: tuple[Any, ...]) -> _Plans | None:
        """The plans of ``key`` (then the most recently used), or None."""
        plans = self._entries.get(key)
        if plans is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return plans

    def put(self, key: tuple[Any, ...], plans: _Plans) -> None:
        """Keep ``plans`` under ``key``, dropping the least recently used beyond ``size``."""
        self._entries[key] = plans
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forget every entry (and the counts)."""
        self._entries.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


#: Engines' plans by kind (:class:`PlanCache`); 32 kinds is far more than a sweep uses.
_plan_cache = PlanCache(32)


def clear_plan_cache() -> None:
    """Empty :data:`_plan_cache` (the next engine of each kind plans again)."""
    with _fft._lock:
        _plan_cache.clear()


def _destroy(pointers: list[int]) -> None:
    lib = library()
    with _fft._lock:
        for p in pointers:
            lib.fftw_destroy_plan(p)


def _plan(
    n: tuple[int, ...],
    howmany: int,
    src: tuple[CArray, tuple[int, ...] | None, int, int],
    dst: tuple[CArray, tuple[int, ...] | None, int, int],
    sign: int,
    flags: int,
) -> int:
    """``fftw_plan_many_dft`` from ``src`` to ``dst`` (FFTW_MEASURE overwrites both), each
    ``(array, embed, stride, dist)`` (``embed``: the array dimensions the transform of size
    ``n`` sits in; None = ``n``)."""
    lib = library()
    dims = (ctypes.c_int * len(n))(*n)

    def emb(e: tuple[int, ...] | None) -> Any:
        return None if e is None else (ctypes.c_int * len(e))(*e)

    (a, ea, sa, da), (b, eb, sb, db) = src, dst
    plan = lib.fftw_plan_many_dft(
        len(n),
        dims,
        howmany,
        a.ctypes.data,
        emb(ea),
        sa,
        da,
        b.ctypes.data,
        emb(eb),
        sb,
        db,
        sign,
        flags,
    )
    if not plan:
        raise RuntimeError(
            f"FFTW could not plan a transform of size {n} × {howmany} (flags {flags}); "
            "use fft='rocket'"
        )
    return int(plan)


def _planning(threads: int) -> None:
    lib = library()
    _fft._load_wisdom()
    lib.fftw_set_timelimit(_fft.PLANNING_TIMELIMIT)
    if hasattr(lib, "fftw_plan_with_nthreads"):
        lib.fftw_plan_with_nthreads(threads)
    elif threads > 1:
        _fft._log.warning(
            "this pyFFTW has no FFTW threads: planning with 1 thread, not %d", threads
        )


def padded_length(n_last: int) -> int:
    """Row length of the sweeps' work buffer for a last axis of ``n_last`` points.

    A multiple of 4 (64 bytes, so every row and block keeps the buffer's alignment), plus 4
    when the row would be a multiple of 1 KiB: power-of-two strides map the rows of a column
    block onto a few cache sets, and the column FFTs then miss (measured at 512², 1 thread: the
    FFT sweeps alone take 0.93 × a whole-lattice FFTW pair unpadded, 0.66 × padded by 4).
    """
    ld = -(-n_last // 4) * 4
    return ld + 4 if (ld * 16) % 1024 == 0 else ld


def padded_stride(n1: int, ld: int) -> int:
    """Axis-0 stride of the sweeps' buffer: ``n1·ld``, plus 4 when that is a multiple of
    4 KiB (the column FFTs' pencils would then fall on one set of the L1 cache)."""
    ps = n1 * ld
    return ps + 4 if n1 > 1 and (ps * 16) % 4096 == 0 else ps


def sweep_blocks(shape: tuple[int, ...], workers: int) -> tuple[int, int]:
    """Rows per row block and last-axis columns per column block of the sweeps.

    Blocks of at most :data:`ROW_BYTES` (a power of two of rows) and about :data:`COL_BYTES`
    (columns in multiples of 4 where the axis allows); at least two blocks per thread where
    the lattice allows, so that ``prange`` can balance them.
    """
    n0, n_last = shape[0], shape[-1]
    plane = padded_stride(int(np.prod(shape[1:-1])), padded_length(n_last))
    rows = 1 << max(0, min(n0, ROW_BYTES // (16 * plane)).bit_length() - 1)
    cols = min(n_last, max(4, (COL_BYTES // (16 * n0)) // 4 * 4))
    n1 = int(np.prod(shape[1:-1]))
    while workers > 1 and rows > 1 and -(-n0 // rows) < 2 * workers:
        rows //= 2
    while workers > 1 and cols > 4 and n1 * -(-n_last // cols) < 2 * workers:
        cols = max(4, cols // 2 // 4 * 4)
    return rows, cols


class _NativeEngine(_fft.FFTEngine):
    """Common part: the aligned layout, the plans, the unaligned-copy fallback."""

    name = "fftw"
    families = ("split", "fftw")
    plans_fftw = True

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        import pyfftw

        super().__init__(kern, shape, workers)
        from quantgeo._kernels import kernels

        self._fk = kernels("fftw", "numpy" if kern.__name__.endswith("reference") else "numba")
        self._align = max(64, int(pyfftw.simd_alignment))
        self.scale = 1.0 / float(np.prod(shape))
        key = self.plan_key()
        with _fft._lock:
            plans = _plan_cache.get(key)
            if plans is None:
                buf = pyfftw.empty_aligned(shape, dtype=np.complex128, n=self._align)
                plans = self._make_plans(buf)
                _plan_cache.put(key, plans)
                # FFTW reuses what it measured once per process; the wisdom (which grows
                # with every plan) is exported and written only after plans of a new kind
                kind = (type(self).__name__, shape, workers, str(getattr(self, "geo", "")))
                if kind not in _fft._planned:
                    _fft._planned.add(kind)
                    _fft._save_wisdom()
            self._plans = plans
        self._setup()

    def plan_key(self) -> tuple[Any, ...]:
        """What the engine's plans depend on, the key of :data:`_plan_cache`: the engine
        class, shape, dtype, threads, the buffers' alignment, the block geometry (which fixes
        the strides, distances and the in/out-of-place layout of every plan) and the flags."""
        cls = type(self)
        geo = tuple(int(g) for g in getattr(self, "geo", ()))
        layout = (self._align, geo, self._plan_flags())
        return (cls.__module__, cls.__qualname__, self.shape, "complex128", self.workers, *layout)

    def _plan_flags(self) -> tuple[int, ...]:
        """Planner flags and layout choices beyond the geometry (:meth:`plan_key`)."""
        return ()

    def _setup(self) -> None:
        """Per-engine state next to the (possibly shared) plans, e.g. work buffers."""

    def _make_plans(self, buf: CArray) -> _Plans:
        raise NotImplementedError

    def aligned(self, psi: CArray) -> CArray:
        import pyfftw

        out: CArray = pyfftw.byte_align(np.ascontiguousarray(psi), n=self._align)
        return out

    def _ready(self, psi: CArray) -> bool:
        return bool(psi.flags.c_contiguous and psi.ctypes.data % self._align == 0)

    def evolve(self, psi: CArray, *args: Any) -> None:
        # the kernels trust the planned layout (a wrong one reads past the arrays)
        if psi.shape != self.shape or psi.dtype != np.complex128:
            raise ValueError(
                f"`psi` must be complex128 of the planned shape {self.shape}, got "
                f"{psi.dtype} {psi.shape}"
            )
        if args[0].shape[1:] != self.shape:
            raise ValueError(f"`v_factors` must be (n, *{self.shape}), got shape {args[0].shape}")
        if not self._ready(psi):  # e.g. the step-doubling estimator's copy: one aligned copy
            buf = self.aligned(psi)
            self._run(buf, *args)
            psi[...] = buf
            return
        self._run(psi, *args)

    def _run(self, psi: CArray, *args: Any) -> None:
        raise NotImplementedError


def whole_flags(shape: tuple[int, ...], workers: int) -> int:
    """FFTW planner flags of :class:`WholeEngine`'s plans: ``FFTW_PATIENT`` for 1D lengths
    in :data:`PATIENT_1D` at 1 thread, ``FFTW_MEASURE`` otherwise (both destroy the input)."""
    lo, hi = PATIENT_1D
    n = shape[0]
    # powers of two only: those were measured; PATIENT on other lengths can plan for long
    patient = len(shape) == 1 and workers == 1 and lo <= n <= hi and n & (n - 1) == 0
    patient |= patient_small(shape, workers)
    return (FFTW_PATIENT if patient else FFTW_MEASURE) | FFTW_DESTROY_INPUT


#: Sites of the 2D and 3D lattices whose whole-lattice plans (1 thread) are planned
#: ``FFTW_PATIENT`` (:func:`patient_small`).  Measured pairs, µs, MEASURE against PATIENT:
#: 32² 2.55 / 2.41, 48² 13.4 / 11.3, 64² 18.0 / 19.1, 96² 49.3 / 46.0, 20³ 30.7 / 30.3
#: (powers of two stay MEASURE: 64² lost, 32² gained 5 %);
#: PATIENT planning 0.2–1.8 s (once per machine: the wisdom is cached, and MEASURE plans of the
#: shape then reuse it).  A fixed rule, not a timed choice between the two: a pickled engine
#: is re-planned in its receiver from the sender's wisdom (``fft._rebuild``), which then makes
#: the sender's plans, and a choice by timing could differ there.
PATIENT_SMALL = (1 << 10, 1 << 14)


def patient_small(shape: tuple[int, ...], workers: int) -> bool:
    """Whether :class:`WholeEngine` plans ``shape`` ``FFTW_PATIENT``: 2D and 3D at 1 thread
    with :data:`PATIENT_SMALL` sites and an axis that is not a power of two (where PATIENT
    found faster plans; at 64² its plan was slower than MEASURE's)."""
    lo, hi = PATIENT_SMALL
    mixed = any(n & (n - 1) for n in shape)
    return len(shape) > 1 and workers == 1 and lo <= int(np.prod(shape)) <= hi and mixed


class WholeEngine(_NativeEngine):
    """Whole-lattice forward/inverse plans (FFTW's threads), executed from Numba.

    2D, 3D and 1D below :data:`OUT_OF_PLACE_1D`: in place.  Longer 1D: out of place, ψ → work
    buffer → ψ (4096, 1 thread: the pair 19.9 against 20.4 µs in place; planned
    ``FFTW_PATIENT``, see :func:`whole_flags`, 16.8).  In 1D
    the factors as (real, imaginary) rows (``fftw_evolve_split``); the split factors of the
    last static factor set are kept (one more set of V factors).  The work buffer is the
    engine's; a call that finds it in use by another thread runs on a buffer of its own.
    """

    key = "fftw"
    _vsplit: tuple[CArray, NDArray[np.float64]] | None = None
    _ksplit: tuple[CArray, CArray, NDArray[np.float64]] | None = None
    _work: CArray | None = None

    def _out_of_place(self) -> bool:
        return len(self.shape) == 1 and self.shape[0] >= OUT_OF_PLACE_1D

    def _plan_flags(self) -> tuple[int, ...]:
        return whole_flags(self.shape, self.workers), int(self._out_of_place())

    def _setup(self) -> None:
        import pyfftw

        if self._out_of_place():  # the work buffer is the engine's, the plans may be shared
            self._work = pyfftw.empty_aligned(self.shape, dtype=np.complex128, n=self._align)
            self._busy = threading.Lock()

    def _make_plans(self, buf: CArray) -> _Plans:
        import pyfftw

        _planning(self.workers)
        flags = whole_flags(self.shape, self.workers)
        whole = (buf, None, 1, buf.size)  # one transform of the whole lattice
        if not self._out_of_place():
            return _Plans(
                [
                    _plan(self.shape, 1, whole, whole, s, flags)
                    for s in (FFTW_FORWARD, FFTW_BACKWARD)
                ]
            )
        work = pyfftw.empty_aligned(self.shape, dtype=np.complex128, n=self._align)
        out = (work, None, 1, work.size)
        return _Plans(
            [
                _plan(self.shape, 1, whole, out, FFTW_FORWARD, flags),
                _plan(self.shape, 1, out, whole, FFTW_BACKWARD, flags),
            ]
        )

    def _buffer(self, psi: CArray) -> tuple[CArray, bool]:
        """The 1D kernels' work buffer (``psi`` itself for in-place plans) and whether it is
        the engine's (then release ``_busy`` after)."""
        import pyfftw

        if self._work is None:
            return psi, False
        if self._busy.acquire(blocking=False):
            assert self._work is not None
            return self._work, True
        own = pyfftw.empty_aligned(self.shape, dtype=np.complex128, n=self._align)
        return own, False

    def _run(self, psi: CArray, *args: Any) -> None:
        v, k_rest, k_last, v_index, k_index, v_merged, nsteps = args
        if psi.ndim == 1:
            # always this kernel in 1D, so that a state does not depend on how a run was
            # chunked (the two kernels round differently); a time-dependent V's fresh
            # factors cost one conversion pass per step, small beside building them
            held = self._vsplit  # one read: other threads may replace it meanwhile
            if held is None or held[0] is not v:  # keep the source: its identity is the key
                held = self._vsplit = (v, self._fk.split_rows(v.reshape(v.shape[0], -1)))
            # 1D k_rest is one value per stage (0 from kinetic_factors): folded into k_last;
            # the 1/N of the inverse FFT is folded in too (the kernel's scale·x + x·(scale·g))
            hk = self._ksplit
            if hk is None or hk[0] is not k_rest or hk[1] is not k_last:
                kr = k_rest[:, :1]
                kg = k_last if not kr.any() else k_last + kr + kr * k_last
                hk = self._ksplit = (k_rest, k_last, self._fk.split_rows(kg * self.scale))
            ks = hk[2]
            tail = (v_index, k_index, v_merged, nsteps, self._plans.array, self.scale)
            work, owned = self._buffer(psi)
            try:
                self._fk.fftw_evolve_split(psi, work, held[1], ks, *tail)
            finally:
                if owned:
                    self._busy.release()
            return
        self._fk.fftw_evolve(psi, *args, self._plans.array, self.scale)

    def work_bytes(self, v_rows: int) -> float:
        """An aligned copy of ψ (when the caller's is not) and, in 1D, the split V factors, the
        split scaled kinetic factors (at most one per stage: ``v_rows − 2``) and the work buffer
        (out-of-place plans)."""
        size = 16.0 * float(np.prod(self.shape))
        if len(self.shape) > 1:
            return size
        return size * (1 + v_rows + max(1, v_rows - 2) + (self._work is not None))

    def pair(self, psi: CArray, nsteps: int) -> None:
        """``nsteps`` bare FFT pairs of the engine's plans on the (aligned) ``psi`` (out of
        place through the work buffer where the 1D steps run so): the benchmark floor."""
        if len(self.shape) > 1:
            self._fk.fftw_pair(psi, nsteps, self._plans.array)
            return
        work, owned = self._buffer(psi)
        try:
            self._fk.fftw_pair_out(psi, work, nsteps, self._plans.array)
        finally:
            if owned:
                self._busy.release()


class SweepEngine(_NativeEngine):
    """Row and column sweeps on cache-sized blocks of a padded buffer (2D, 3D), threaded over
    blocks (see :mod:`quantgeo._kernels.fftw`)."""

    key = "fftw"
    variant = "fftw-sweeps"

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        if len(shape) < 2:
            raise ValueError(f"`shape` of the sweeps needs at least 2 axes, got {shape}")
        n1 = int(np.prod(shape[1:-1]))
        rows, cols = sweep_blocks(shape, workers)
        ld = padded_length(shape[-1])
        ps = padded_stride(n1, ld)
        self.geo = np.array([shape[0], n1, shape[-1], ld, rows, cols, ps], dtype=np.int64)
        # the buffer is the engine's: callers sharing the solver across threads take turns
        self._busy = threading.RLock()
        super().__init__(kern, shape, workers)
        import pyfftw

        self._pad = pyfftw.empty_aligned(shape[0] * ps, dtype=np.complex128, n=self._align)

    def _make_plans(self, buf: CArray) -> _Plans:
        import pyfftw

        _planning(1)  # serial plans: the threads are Numba's, one block each
        n0, n1, nl, ld, rows, cols, ps = (int(g) for g in self.geo)
        m = n1 * nl
        flat = pyfftw.empty_aligned(n0 * ps, dtype=np.complex128, n=self._align)
        nat = buf.reshape(n0, m)
        row_n = self.shape[1:]
        pad_embed = (*self.shape[1:-1], ld)
        al = self._align
        # ψ is read by one plan per call (the first sweep): planned for any alignment, so
        # that no state needs an aligned copy (the step-doubling estimator's, a caller's)
        unaligned = FFTW_UNALIGNED
        col_unaligned = FFTW_UNALIGNED if (cols * 16) % al or (ld * 16) % al else 0
        pointers: list[int] = []
        for count in (rows, n0 % rows):
            if not count:
                pointers += [0, 0, 0]
                continue
            rows_pad = (flat[: count * ps], pad_embed, 1, ps)
            for sign in (FFTW_FORWARD, FFTW_BACKWARD):
                pointers.append(_plan(row_n, count, rows_pad, rows_pad, sign, FFTW_MEASURE))
            src = (nat[:count].reshape(-1), None, 1, m)
            flags = FFTW_MEASURE | FFTW_DESTROY_INPUT | unaligned
            pointers.append(_plan(row_n, count, src, rows_pad, FFTW_FORWARD, flags))
        for count in (cols, nl % cols):
            for sign in (FFTW_FORWARD, FFTW_BACKWARD):
                if not count:
                    pointers.append(0)
                    continue
                cols_pad = (flat, None, ps, 1)
                pointers.append(
                    _plan((n0,), count, cols_pad, cols_pad, sign, FFTW_MEASURE | col_unaligned)
                )
        return _Plans(pointers)

    def work_bytes(self, v_rows: int) -> float:
        """The padded work buffer (``n0·ps`` elements: up to 4× ψ for a last axis of 1)."""
        return 16.0 * float(self._pad.size)

    def _ready(self, psi: CArray) -> bool:
        return bool(psi.flags.c_contiguous)  # ψ's plan is FFTW_UNALIGNED (_make_plans)

    def aligned(self, psi: CArray) -> CArray:
        return np.ascontiguousarray(psi)

    def _run(self, psi: CArray, *args: Any) -> None:
        extra = (self._pad, self._plans.array, self.geo, self.scale)
        with self._busy:
            if self.workers == 1:
                self._fk.fftw_sweeps(psi, *args, *extra)
                return
            import numba

            # one threaded launch at a time per process: Numba's workqueue layer (the
            # fallback when neither OpenMP nor TBB loads) cannot run two at once, and two
            # would share the same cores anyway
            with _launch:
                before = numba.get_num_threads()
                numba.set_num_threads(min(self.workers, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
                try:
                    self._fk.fftw_sweeps_par(psi, *args, *extra)
                finally:
                    numba.set_num_threads(before)
