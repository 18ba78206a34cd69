r"""The 1D four-step (Bailey) FFTW engine: ``"auto"`` candidate ``"fftw-fourstep"``.

At large N a whole-array FFT runs out of the caches: each of its passes streams ψ through
memory, and the split-operator step adds two element-wise passes of its own (measured on this
machine's 2 MiB-L2 cores: the rocket-fft pair's t/(N log N) grows by ~1.6× from 2¹² to 2²²,
fitted exponent 1.23).  The four-step factorisation ``N = N₁N₂`` turns a sub-step into two
sweeps over cache-sized blocks of a ``(N₁ + T·R, ld)`` work buffer (see
:mod:`quantgeo._kernels.fftw_fourstep`): a row sweep that does the twiddles, the length-``N₂``
row FFTs and the whole kinetic pass, and a column sweep that does the length-``N₁`` column
FFTs and the potential pass — the same idea as the 2D/3D :class:`~quantgeo.solvers.fftw_native.
SweepEngine`.  The kinetic factor is used in the transposed order the four-step FFT leaves
(``K_C[k₁, k₂] = K[k₁ + N₁k₂]``), so no transpose is ever done on ψ.

The engine holds the work buffer (``(N₁ + T·R)·ld`` points: C and a row block of scratch per
thread ``T``), the twiddle factors (``≈ 2N₁√N₂`` points) and the permuted kinetic factors (N
points each, rebuilt only when the solver hands over new ones); ψ is read by the first sweep
and written by the last.  ``Trajectory.info["fft"]`` is ``"fftw"`` and
``info["fft_auto"]["picked"]`` ``"fftw-fourstep"``.
"""

from __future__ import annotations

import math
import threading
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.solvers import fftw_native as _native

__all__ = ["FourStepEngine", "fourstep_blocks", "fourstep_split"]

#: Bytes a row block (rows of ``ld`` points) and a column block (``N₁`` × B points) aim at:
#: blocks stay in a core's L2 (2 MiB here) with the factor rows they read and, for a row
#: block, its scratch rows.  Measured, 1 thread, step ms (row FFTs out of place; machine
#: loaded, interleaved medians): rows 2¹⁹ → 2¹⁷ B (15/7/3 → 3/1/1 rows at 2¹⁶/2¹⁸/2²⁰)
#: 0.62 → 0.59, 3.40 → 2.93, 19.7 → 18.3; columns 2²⁰ → 2¹⁹ B at 2²⁰/2²¹/2²² 18.6 → 15.8,
#: 48.0 → 40.8, 96.0 → 92.6 (2¹⁶–2¹⁹ within ±5 %, either way).
ROW_BYTES, COL_BYTES = 1 << 17, 1 << 19
#: ``N₁`` is the largest divisor of N up to ``√N / SHORT``: short columns and long rows.  The
#: column sweep is the one that strides through memory (a block reads ``N₁`` segments of B
#: points ``ld`` apart), so few, wide segments stream best, while rows of up to ~16k points
#: still transform in L2.  Step at 1 thread, ms (N₁ = √N → √N/8, best found):
#: 2¹⁶ 0.79 → 0.66 (0.59), 2¹⁸ 3.89 → 3.21 (3.13), 2²⁰ 25.1 → 19.9, 2²² 155 → 111.
SHORT = 8

CArray = NDArray[np.complex128]


def fourstep_split(n: int) -> tuple[int, int]:
    """``(N₁, N₂)``: ``N₁`` the largest divisor of ``n`` not above ``max(2, √n/SHORT)``, ``N₂ =
    n/N₁`` (short columns, long contiguous rows; 1 × n for a prime n)."""
    n1 = max(2, math.isqrt(n) // SHORT)
    while n % n1:
        n1 -= 1
    return n1, n // n1


def fourstep_blocks(n1: int, n2: int, ld: int, workers: int) -> tuple[int, int]:
    """Rows per row block and columns per column block.

    At most :data:`ROW_BYTES` of buffer rows and about :data:`COL_BYTES` of columns (a
    multiple of 4 columns, 64 bytes, where the rows allow: every block then keeps the
    buffer's alignment); at least two blocks per thread where the lengths allow, so that
    ``prange`` can balance them.
    """
    rows = max(1, min(n1, ROW_BYTES // (16 * ld)))
    cols = min(n2, max(4, (COL_BYTES // (16 * n1)) // 4 * 4))
    while workers > 1 and rows > 1 and -(-n1 // rows) < 2 * workers:
        rows //= 2
    while workers > 1 and cols > 4 and -(-n2 // cols) < 2 * workers:
        cols = max(4, cols // 2 // 4 * 4)
    return rows, cols


class FourStepEngine(_native._NativeEngine):
    """1D split-operator steps as four-step row and column sweeps, threaded over blocks."""

    key = "fftw"
    variant = "fftw-fourstep"
    families = ("split", "fftw_fourstep")
    _kp: tuple[CArray, CArray, NDArray[np.float64]] | None = None

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        if len(shape) != 1:
            raise ValueError(f"`shape` of the four-step engine must be 1D, got {shape}")
        n1, n2 = fourstep_split(int(shape[0]))
        ld = _native.padded_length(n2)
        rows, cols = fourstep_blocks(n1, n2, ld, workers)
        self.geo = np.array([n1, n2, ld, rows, cols], dtype=np.int64)
        # the buffer is the engine's: callers sharing the solver across threads take turns
        self._busy = threading.RLock()
        super().__init__(kern, shape, workers)
        import pyfftw

        from quantgeo._kernels import kernels

        numpy_twins = kern.__name__.endswith("reference")
        self._f4 = kernels("fftw_fourstep", "numpy" if numpy_twins else "numba")
        self._pad = pyfftw.empty_aligned(self._pad_rows() * ld, dtype=np.complex128, n=self._align)
        self.tw_hi, self.tw_lo = twiddle_factors(n1, n2)

    def _pad_rows(self) -> int:
        """Rows of the work buffer: ``N₁`` and, past them, one set of ``R`` scratch rows per
        thread (the row FFTs' out-of-place targets)."""
        import numba

        n1, rows = int(self.geo[0]), int(self.geo[3])
        slots = max(1, min(self.workers, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        return n1 + slots * rows

    def _make_plans(self, buf: CArray) -> _native._Plans:
        import pyfftw

        _native._planning(1)  # serial plans: the threads are Numba's, one block each
        n1, n2, ld, rows, cols = (int(g) for g in self.geo)
        al = self._align
        flat = pyfftw.empty_aligned(self._pad_rows() * ld, dtype=np.complex128, n=al)
        scratch = flat[n1 * ld :]
        measure = _native.FFTW_MEASURE
        # out of place through scratch rows: FFTW's 2048-, 4096- and 16384-point pairs run
        # 16, 7 and 7 % faster so (1 thread, in cache)
        row_flags = measure | _native.FFTW_DESTROY_INPUT
        row_flags |= _native.FFTW_UNALIGNED if (ld * 16) % al else 0
        col_flags = measure | (_native.FFTW_UNALIGNED if (cols * 16) % al or (ld * 16) % al else 0)
        # ψ is read by one plan per call (the first sweep): planned for any alignment, so that
        # no state needs an aligned copy
        psi_flags = measure | _native.FFTW_DESTROY_INPUT | _native.FFTW_UNALIGNED
        fwd, inv = _native.FFTW_FORWARD, _native.FFTW_BACKWARD
        pointers: list[int] = []
        for count in (rows, n1 % rows):
            rows_pad, rows_scr = (flat, (ld,), 1, ld), (scratch, (ld,), 1, ld)
            for sign, a, b in ((fwd, rows_pad, rows_scr), (inv, rows_scr, rows_pad)):
                pointers.append(_native._plan((n2,), count, a, b, sign, row_flags) if count else 0)
        for count in (cols, n2 % cols):
            cols_pad = (flat, None, ld, 1)
            if not count:
                pointers += [0, 0, 0]
                continue
            for sign in (fwd, inv):
                pointers.append(_native._plan((n1,), count, cols_pad, cols_pad, sign, col_flags))
            src = (buf, None, n2, 1)
            pointers.append(_native._plan((n1,), count, src, cols_pad, fwd, psi_flags))
        return _native._Plans(pointers)

    def work_bytes(self, v_rows: int) -> float:
        """The work buffer (``(N₁ + T·R)·ld`` points), the twiddle factors and the permuted
        kinetic factors (N points each, at most one per stage: ``v_rows − 2``)."""
        n = float(self.shape[0])
        twiddle = 8.0 * float(self.tw_hi.size + self.tw_lo.size)
        return 16.0 * (float(self._pad.size) + n * max(1, v_rows - 2)) + twiddle

    def _ready(self, psi: CArray) -> bool:
        return bool(psi.flags.c_contiguous)  # ψ's plan is FFTW_UNALIGNED (_make_plans)

    def aligned(self, psi: CArray) -> CArray:
        return np.ascontiguousarray(psi)

    def permuted_kinetic(self, k_rest: CArray, k_last: CArray) -> NDArray[np.float64]:
        """``g_K`` in the four-step output order, ``(nk, N₁, 2, N₂)`` (real, imaginary).

        ``K_C[k₁, k₂] = K[k₁ + N₁k₂]``; the 1D ``k_rest`` (one value per stage, 0 from the
        solver's kinetic factors) is folded in as ``(1 + k_rest)(1 + k_last) − 1``.  Kept while
        the solver hands over the same arrays (the static kinetic factors: built once).
        """
        held = self._kp  # one read: other threads may replace it meanwhile
        if held is not None and held[0] is k_rest and held[1] is k_last:
            return held[2]
        n1, n2 = int(self.geo[0]), int(self.geo[1])
        kr = k_rest[:, :1]
        k = k_last if not kr.any() else k_last + kr + kr * k_last
        kc = k.reshape(-1, n2, n1).transpose(0, 2, 1)
        kp = np.ascontiguousarray(np.stack([kc.real, kc.imag], axis=2))
        self._kp = (k_rest, k_last, kp)
        return kp

    def _run(self, psi: CArray, *args: Any) -> None:
        v, k_rest, k_last, v_index, k_index, v_merged, nsteps = args
        kp = self.permuted_kinetic(k_rest, k_last)
        tail = (self._pad, self.tw_hi, self.tw_lo, self._plans.array, self.geo, self.scale)
        call = (psi, v.reshape(v.shape[0], -1), kp, v_index, k_index, v_merged, nsteps, *tail)
        with self._busy:
            if self.workers == 1:
                self._f4.fourstep_evolve(*call)
                return
            import numba

            # one threaded launch at a time per process (see SweepEngine._run)
            with _native._launch:
                before = numba.get_num_threads()
                numba.set_num_threads(min(self.workers, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
                try:
                    self._f4.fourstep_evolve_par(*call)
                finally:
                    numba.set_num_threads(before)


def _omega(m: NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """``ω_N^m`` as ``(…, 2, …)`` (real, imaginary on a new axis 1) for integers ``m``: the
    exponent reduced exactly to ``(−N/2, N/2]`` before the one rounded ``2π·m/N``."""
    m = m % n
    m = np.where(2 * m > n, m - n, m)
    angle = (-2.0 * np.pi / n) * m.astype(np.float64)
    return np.ascontiguousarray(np.stack([np.cos(angle), np.sin(angle)], axis=1))


def twiddle_factors(n1: int, n2: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""The twiddle factors ``(ω_N^{k₁hL}, ω_N^{k₁l})`` as ``(N₁, 2, H)`` and ``(N₁, 2, L)``.

    ``N = N₁N₂``, ``ω_N = e^{-2πi/N}``, ``L`` the power of two nearest above √N₂ and ``H =
    ⌈N₂/L⌉``: the kernel builds ``ω_N^{k₁n₂}`` for ``n₂ = hL + l`` as their product (one
    rounding beyond the factors' own ulp), from ``N₁(H + L) ≈ 2N₁√N₂`` points instead of N.
    """
    n = n1 * n2
    big = 1 << max(0, (n2 - 1).bit_length() + 1) // 2
    k1 = np.arange(n1, dtype=np.int64)[:, None]
    hi = _omega(k1 * (np.arange(-(-n2 // big), dtype=np.int64) * big)[None, :], n)
    lo = _omega(k1 * np.arange(big, dtype=np.int64)[None, :], n)
    return hi, lo
