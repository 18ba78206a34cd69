r"""FFTW run from Numba: plans made through ``ctypes`` on the FFTW that pyFFTW links.

pyFFTW's Python API can only execute a plan from Python, so a split-operator sub-step driven
through it pays the interpreter between the FFTs and the passes (measured: 1.42 × the FFTW
pair at 1D 4096).  Here the plans are made with FFTW's own C planner (``fftw_plan_many_dft``)
on the library instance pyFFTW loaded — the same codelets and wisdom as pyFFTW — and the Numba
kernels of :mod:`quantgeo._kernels.fftw` execute them (``fftw_execute_dft``, the new-array
execute) inside one compiled call per chunk of steps.

Two engines, both named ``"fftw"`` in ``Trajectory.info["fft"]``:

:class:`WholeEngine` (``fft="fftw"``; ``"auto"`` candidate ``"fftw"``)
    forward and inverse plans over the whole lattice, ``FFTW_MEASURE``, in place, with FFTW's
    threads when ``workers > 1``.
:class:`SweepEngine` (``"auto"`` candidate ``"fftw-sweeps"``, 2D and 3D)
    the step as a row sweep and a column sweep over cache-sized blocks (see the kernel
    module), each block transformed by serial FFTW plans; with ``workers > 1`` the blocks of a
    sweep go to Numba's threads, so the element-wise passes run threaded inside the FFT's own
    data sweeps instead of between two thread pools.

Planning is serialised (FFTW's planner is not thread-safe: ``fftw_make_planner_thread_safe``
is also switched on) and plans are destroyed when their engine is collected.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.solvers import fft as _fft

__all__ = ["SweepEngine", "WholeEngine", "library", "sweep_blocks"]

FFTW_FORWARD, FFTW_BACKWARD = -1, 1
FFTW_MEASURE, FFTW_DESTROY_INPUT, FFTW_UNALIGNED = 0, 1, 2
#: Bytes a row block and a column block of the sweeps aim at (a core's L2 holds both; FFTW's
#: strided column transforms run faster on wider blocks: measured at 512², 1 thread, 4 × 128
#: blocks 1.32 × the pair against 1.47 for 4 × 32).
ROW_BYTES, COL_BYTES = 1 << 16, 1 << 19
_lib: ctypes.CDLL | None = None
_planned: set[tuple[str, tuple[int, ...], int, str]] = set()
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
    lib.fftw_plan_with_nthreads.argtypes = [ci]
    lib.fftw_plan_with_nthreads.restype = None
    lib.fftw_set_timelimit.argtypes = [ctypes.c_double]
    lib.fftw_set_timelimit.restype = None
    lib.fftw_execute_dft.argtypes = [vp, vp, vp]
    lib.fftw_execute_dft.restype = None
    if hasattr(lib, "fftw_make_planner_thread_safe"):
        lib.fftw_make_planner_thread_safe.restype = None
        lib.fftw_make_planner_thread_safe()
    from quantgeo._kernels import fftw as kernels

    address = ctypes.cast(lib.fftw_execute_dft, ctypes.c_void_p).value
    assert address is not None
    kernels.register(address)
    _lib = lib
    return lib


class _Plans:
    """FFTW plan pointers (``array``: uint64, 0 for an absent plan), destroyed with the owner."""

    def __init__(self, pointers: list[int]) -> None:
        self.array = np.array(pointers, dtype=np.uint64)
        weakref.finalize(self, _destroy, [p for p in pointers if p])


def _destroy(pointers: list[int]) -> None:
    lib = library()
    with _fft._lock:
        for p in pointers:
            lib.fftw_destroy_plan(p)


def _plan_many(
    buf: CArray, n: tuple[int, ...], howmany: int, stride: int, dist: int, sign: int, flags: int
) -> int:
    """``fftw_plan_many_dft`` in place on ``buf`` (FFTW_MEASURE overwrites it)."""
    lib = library()
    dims = (ctypes.c_int * len(n))(*n)
    ptr = buf.ctypes.data
    plan = lib.fftw_plan_many_dft(
        len(n), dims, howmany, ptr, None, stride, dist, ptr, None, stride, dist, sign, flags
    )
    if not plan:
        raise RuntimeError(f"FFTW could not plan a transform of {n} × {howmany}")
    return int(plan)


def _planning(threads: int) -> None:
    lib = library()
    _fft._load_wisdom()
    lib.fftw_set_timelimit(_fft.PLANNING_TIMELIMIT)
    lib.fftw_plan_with_nthreads(threads)


def sweep_blocks(shape: tuple[int, ...], workers: int) -> tuple[int, int]:
    """Rows per row block and columns per column block of the sweeps for ``shape``.

    Blocks of about :data:`ROW_BYTES` and :data:`COL_BYTES`; columns in multiples of 4 (64
    bytes, so every block starts on the alignment of the first); at least two blocks per
    thread where the lattice allows, so that ``prange`` can balance them.
    """
    n0, m = shape[0], int(np.prod(shape[1:]))
    rows = max(1, min(n0, ROW_BYTES // (16 * m)))
    cols = max(4, min(m, (COL_BYTES // (16 * n0)) // 4 * 4))
    while workers > 1 and rows > 1 and -(-n0 // rows) < 2 * workers:
        rows //= 2
    while workers > 1 and cols > 4 and -(-m // cols) < 2 * workers:
        cols = max(4, cols // 2 // 4 * 4)
    return rows, cols


class _NativeEngine(_fft.FFTEngine):
    """Common part: the aligned layout, the plans, the unaligned-copy fallback."""

    name = "fftw"
    families = ("split", "fftw")

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        import pyfftw

        super().__init__(kern, shape, workers)
        from quantgeo._kernels import kernels

        self._fk = kernels("fftw", "numpy" if kern.__name__.endswith("reference") else "numba")
        self._align = max(64, int(pyfftw.simd_alignment))
        self.scale = 1.0 / float(np.prod(shape))
        with _fft._lock:
            buf = pyfftw.empty_aligned(shape, dtype=np.complex128, n=self._align)
            self._plans = self._make_plans(buf)
            # FFTW reuses what it measured once per process; the wisdom (which grows with
            # every plan) is exported and written only after plans of a new kind
            key = (type(self).__name__, shape, workers, str(getattr(self, "blocks", "")))
            if key not in _planned:
                _planned.add(key)
                _fft._save_wisdom()

    def _make_plans(self, buf: CArray) -> _Plans:
        raise NotImplementedError

    def aligned(self, psi: CArray) -> CArray:
        import pyfftw

        out: CArray = pyfftw.byte_align(np.ascontiguousarray(psi), n=self._align)
        return out

    def _ready(self, psi: CArray) -> bool:
        return bool(psi.flags.c_contiguous and psi.ctypes.data % self._align == 0)

    def evolve(self, psi: CArray, *args: Any) -> None:
        if not self._ready(psi):  # e.g. the step-doubling estimator's copy: one aligned copy
            buf = self.aligned(psi)
            self._run(buf, *args)
            psi[...] = buf
            return
        self._run(psi, *args)

    def _run(self, psi: CArray, *args: Any) -> None:
        raise NotImplementedError


class WholeEngine(_NativeEngine):
    """Whole-lattice forward/inverse plans (FFTW's threads), executed from Numba."""

    key = "fftw"

    def _make_plans(self, buf: CArray) -> _Plans:
        _planning(self.workers)
        flags = FFTW_MEASURE | FFTW_DESTROY_INPUT
        size = buf.size
        return _Plans(
            [
                _plan_many(buf, self.shape, 1, 1, size, s, flags)
                for s in (FFTW_FORWARD, FFTW_BACKWARD)
            ]
        )

    def _run(self, psi: CArray, *args: Any) -> None:
        self._fk.fftw_evolve(psi, *args, self._plans.array, self.scale)

    def pair(self, psi: CArray, nsteps: int) -> None:
        """``nsteps`` bare FFT pairs on the (aligned) ``psi``: the benchmark floor."""
        self._fk.fftw_pair(psi, nsteps, self._plans.array)


class SweepEngine(_NativeEngine):
    """Row and column sweeps on cache-sized blocks (2D, 3D), threaded over blocks."""

    key = "fftw"
    variant = "fftw-sweeps"

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        if len(shape) < 2:
            raise ValueError(f"the sweeps need a 2D or 3D lattice, got shape {shape}")
        self.blocks = np.array(sweep_blocks(shape, workers), dtype=np.int64)
        super().__init__(kern, shape, workers)

    def _make_plans(self, buf: CArray) -> _Plans:
        _planning(1)  # serial plans: the threads are Numba's, one block each
        n0, m = self.shape[0], buf.size // self.shape[0]
        rows, cols = (int(b) for b in self.blocks)
        row_n, col_n = self.shape[1:], (n0,)
        # the blocks start at multiples of rows·m and cols elements; where that breaks the
        # planned array's alignment FFTW must not assume it
        row_flags = FFTW_MEASURE | (0 if (rows * m * 16) % self._align == 0 else FFTW_UNALIGNED)
        col_flags = FFTW_MEASURE | (0 if (cols * 16) % self._align == 0 else FFTW_UNALIGNED)
        flat = buf.reshape(buf.size)
        pointers = []
        for count in (rows, n0 % rows):
            for sign in (FFTW_FORWARD, FFTW_BACKWARD):
                pointers.append(
                    _plan_many(flat[: count * m], row_n, count, 1, m, sign, row_flags)
                    if count
                    else 0
                )
        for count in (cols, m % cols):
            for sign in (FFTW_FORWARD, FFTW_BACKWARD):
                pointers.append(
                    _plan_many(buf, col_n, count, m, 1, sign, col_flags) if count else 0
                )
        return _Plans(pointers)

    def _run(self, psi: CArray, *args: Any) -> None:
        if self.workers == 1:
            self._fk.fftw_sweeps(psi, *args, self._plans.array, self.blocks, self.scale)
            return
        import numba

        # one threaded launch at a time per process: Numba's workqueue layer (the fallback
        # when neither OpenMP nor TBB loads) cannot run two at once, and two would share the
        # same cores anyway
        with _launch:
            numba.set_num_threads(min(self.workers, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
            self._fk.fftw_sweeps_par(psi, *args, self._plans.array, self.blocks, self.scale)
