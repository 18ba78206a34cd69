r"""NumPy's PCG64 stream inlined into Numba kernels (twin: :class:`numpy.random.PCG64` itself).

Numba's ``Generator.random()`` calls the bit generator's ``next_double`` through a function
pointer on every draw (state in memory, no inlining): ~10 ns a uniform under load against ~4 ns
for the same generator inlined.  A kernel therefore takes the generator's 128-bit state as a
``uint64[4]`` array ``st = [state_hi, state_lo, inc_hi, inc_lo]`` (:func:`state`), advances it
with :func:`next_double`, and the caller writes it back (:func:`restore`), so the
``numpy.random.Generator`` continues exactly where the kernel left it.  The stream is NumPy's,
bit for bit (PCG64 XSL-RR 128/64, O'Neill 2014): ``s ← s·M + inc mod 2¹²⁸``, output
``rotr₆₄(hi(s) ⊕ lo(s), hi(s) ≫ 58)``, and ``next_double = (out ≫ 11)·2⁻⁵³`` — the twins keep
drawing ``rng.random(size)`` and agree draw for draw (tested against NumPy's own sequence).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

__all__ = ["LANES", "fill_range", "fill_uniforms", "next_double", "restore", "state"]

StateArray = NDArray[np.uint64]
_M64 = (1 << 64) - 1
# PCG_DEFAULT_MULTIPLIER_128 = 0x2360ED051FC65DA44385DF649FCCF645, high and low words
_MULT_HI = np.uint64(0x2360ED051FC65DA4)
_MULT_LO = np.uint64(0x4385DF649FCCF645)
_SH11 = np.uint64(11)
_SH58 = np.uint64(58)
_W64 = np.uint64(64)
_W63 = np.uint64(63)


@intrinsic
def _mulhi(typingctx, a, b):
    """High 64 bits of the 128-bit product of two uint64 (one ``mul`` through LLVM's i128)."""
    sig = types.uint64(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        prod = builder.mul(builder.zext(args[0], i128), builder.zext(args[1], i128))
        return builder.trunc(builder.lshr(prod, ir.Constant(i128, 64)), ir.IntType(64))

    return sig, codegen


@njit(cache=True, inline="always")
def next_double(st: StateArray) -> float:
    """Advance the PCG64 state ``st`` (``uint64[4]``) by one step; NumPy's ``next_double``."""
    sh, sl = st[0], st[1]
    lo = sl * _MULT_LO
    hi = _mulhi(sl, _MULT_LO) + sh * _MULT_LO + sl * _MULT_HI  # type: ignore[call-arg]
    lo2 = lo + st[3]
    hi2 = hi + st[2] + np.uint64(lo2 < lo)
    st[0] = hi2
    st[1] = lo2
    x = hi2 ^ lo2
    r = hi2 >> _SH58
    out = (x >> r) | (x << ((_W64 - r) & _W63))
    return float(out >> _SH11) * (1.0 / 9007199254740992.0)


def _jump(steps: int) -> tuple[int, int]:
    """``(M^L, Σ_{j<L} M^j) mod 2¹²⁸`` for ``L = steps``: ``L`` steps of ``s ← s·M + inc`` are
    ``s ← s·M^L + inc·Σ_{j<L} M^j`` (the sum's product with ``inc`` is taken per generator)."""
    mult = (int(_MULT_HI) << 64) | int(_MULT_LO)
    a, s = 1, 0
    for _ in range(steps):
        a, s = (a * mult) & _M128, (s * mult + 1) & _M128
    return a, s


_M128 = (1 << 128) - 1
#: lanes of :func:`fill_range`: four interleaved chains (measured: eight gained nothing more)
LANES = 4
_A_L, _S_L = _jump(LANES)
_AL_HI, _AL_LO = np.uint64(_A_L >> 64), np.uint64(_A_L & _M64)
_SL_HI, _SL_LO = np.uint64(_S_L >> 64), np.uint64(_S_L & _M64)


@intrinsic
def _muladd(typingctx, hi, lo, ahi, alo, chi, clo):
    """``s·a + c mod 2¹²⁸`` on 128-bit words given as (high, low) uint64 pairs (LLVM's i128)."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)
        w64 = ir.Constant(i128, 64)

        def join(h, lw):
            return builder.or_(builder.shl(builder.zext(h, i128), w64), builder.zext(lw, i128))

        r = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])),
                        join(args[4], args[5]))  # fmt: skip
        h = builder.trunc(builder.lshr(r, w64), ir.IntType(64))
        lo_ = builder.trunc(r, ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [h, lo_])

    return sig, codegen


@njit(cache=True, inline="always")
def _out(hi: np.uint64, lo: np.uint64) -> float:
    # XSL-RR output of the state (hi, lo), as a double in [0, 1)
    x = hi ^ lo
    r = hi >> _SH58
    out = (x >> r) | (x << ((_W64 - r) & _W63))
    return float(out >> _SH11) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def fill_range(st: StateArray, out: NDArray[np.float64], start: int, stop: int) -> None:
    """``out[i] = next_double(st)`` for ``i = start … stop − 1`` in order, on :data:`LANES`
    interleaved chains.

    The chain ``s ← s·M + inc`` is one dependency (a 128-bit multiply's latency a step);
    lane ``l`` instead holds ``s_{t+l}`` and steps by ``s ← s·M^L + inc·Σ_{j<L} M^j`` (the
    same states, ``L`` apart), so the ``L`` chains' multiplies overlap.  The uniforms, their
    order and the state left in ``st`` are those of ``stop − start`` calls of
    :func:`next_double` (tested against NumPy's stream)."""
    n = stop - start
    if n < 2 * LANES:
        for i in range(start, stop):
            out[i] = next_double(st)
        return
    # the lanes' first states s_1 … s_4 (sequential), then blocks of 4 outputs
    ihi, ilo = st[2], st[3]
    h0, l0 = _muladd(st[0], st[1], _MULT_HI, _MULT_LO, ihi, ilo)  # type: ignore[call-arg, var-annotated]
    h1, l1 = _muladd(h0, l0, _MULT_HI, _MULT_LO, ihi, ilo)
    h2, l2 = _muladd(h1, l1, _MULT_HI, _MULT_LO, ihi, ilo)
    h3, l3 = _muladd(h2, l2, _MULT_HI, _MULT_LO, ihi, ilo)
    chi, clo = _muladd(ihi, ilo, _SL_HI, _SL_LO, np.uint64(0), np.uint64(0))
    blocks = n // LANES
    i = start
    for _ in range(blocks - 1):
        out[i] = _out(h0, l0)
        out[i + 1] = _out(h1, l1)
        out[i + 2] = _out(h2, l2)
        out[i + 3] = _out(h3, l3)
        h0, l0 = _muladd(h0, l0, _AL_HI, _AL_LO, chi, clo)
        h1, l1 = _muladd(h1, l1, _AL_HI, _AL_LO, chi, clo)
        h2, l2 = _muladd(h2, l2, _AL_HI, _AL_LO, chi, clo)
        h3, l3 = _muladd(h3, l3, _AL_HI, _AL_LO, chi, clo)
        i += LANES
    out[i] = _out(h0, l0)
    out[i + 1] = _out(h1, l1)
    out[i + 2] = _out(h2, l2)
    out[i + 3] = _out(h3, l3)
    st[0] = h3
    st[1] = l3
    for j in range(i + LANES, stop):
        out[j] = next_double(st)


@njit(cache=True)
def fill_uniforms(st: StateArray, out: NDArray[np.float64]) -> None:
    """``out[i] = next_double(st)`` in order (twin: ``rng.random(out=out)``)."""
    fill_range(st, out, 0, out.size)


def state(rng: np.random.Generator) -> StateArray:
    """The ``uint64[4]`` state of ``rng``'s PCG64 bit generator (a copy; :func:`restore`).

    Raises
    ------
    TypeError
        Naming ``rng`` when its bit generator is not :class:`numpy.random.PCG64` (the engine's
        ``default_rng``).
    """
    if type(rng.bit_generator) is not np.random.PCG64:
        raise TypeError(
            f"`rng` must be a numpy.random.Generator on PCG64 (numpy.random.default_rng), "
            f"got one on {type(rng.bit_generator).__name__}"
        )
    s = rng.bit_generator.state["state"]
    words = [s["state"] >> 64, s["state"] & _M64, s["inc"] >> 64, s["inc"] & _M64]
    return np.array(words, dtype=np.uint64)


def restore(rng: np.random.Generator, st: StateArray) -> None:
    """Write the state ``st`` advanced by a kernel back into ``rng`` (its 32-bit buffer kept)."""
    full = dict(rng.bit_generator.state)
    full["state"] = {
        "state": (int(st[0]) << 64) | int(st[1]),
        "inc": (int(st[2]) << 64) | int(st[3]),
    }
    rng.bit_generator.state = full


def on_stream(kernel: Callable[..., None], pos: int, name: str) -> Callable[..., None]:
    """``kernel(…, st, …)`` (the state at argument ``pos``) called as ``name(…, rng, …)``:
    ``rng``'s PCG64 state handed in (:func:`state`) and the advanced state back
    (:func:`restore`), so the NumPy twin's signature draws the same stream."""

    def fn(*args: Any) -> None:
        rng = args[pos]
        st = state(rng)
        kernel(*args[:pos], st, *args[pos + 1 :])
        restore(rng, st)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = (
        f"``{getattr(kernel, '__name__', name)}`` called with a ``numpy.random.Generator`` "
        "(PCG64) in place of its state ``st``.\n\n" + (kernel.__doc__ or "")
    )
    return fn
