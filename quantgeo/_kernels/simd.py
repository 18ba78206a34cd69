r"""Two-lane complex arithmetic on interleaved float64 data, as explicit LLVM vectors.

LLVM vectorises a complex loop over interleaved (re, im) pairs by de-interleaving 4 or 8 of them
across vector lanes (cross-lane shuffles), which costs more than the arithmetic.  These
intrinsics keep each complex number in its own 128-bit lane of a 4-double vector: a product
:math:`x g` is :math:`x\,\mathrm{re}\,g + \mathrm{swap}(x)\,(-\mathrm{im}\,g, \mathrm{im}\,g)`,
three in-lane permutes and two multiply-adds per two complex numbers (the ``contract`` flag
lets LLVM fuse them where the CPU has FMA; elsewhere they stay separate, same formula).

Each call handles the two complex numbers at float offset ``o`` (even) of a C-contiguous float64
array: the kernels loop over pairs and finish an odd tail with scalar code.  No bounds checks,
like Numba's indexing.  The NumPy twins of the kernels that use them compute the same values
with complex arithmetic (equal up to the fused roundings, ~1e-16 relative).
"""

from __future__ import annotations

from typing import Any

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["kinetic2", "mul_add2"]

_V4 = ir.VectorType(ir.DoubleType(), 4)
_I32 = ir.IntType(32)
_FUSE = ("contract",)


def _vector_at(context: Any, builder: Any, aty: Any, arr: Any, offset: Any) -> Any:
    """Pointer to the 4 doubles of ``arr`` from float offset ``offset``, as ``<4 x double>*``."""
    data = context.make_array(aty)(context, builder, arr).data
    return builder.bitcast(builder.gep(data, [offset]), _V4.as_pointer())


def _perm(builder: Any, v: Any, lanes: list[int]) -> Any:
    return builder.shuffle_vector(v, v, ir.Constant(ir.VectorType(_I32, 4), lanes))


def _splat(builder: Any, value: Any) -> Any:
    v = ir.Constant(_V4, ir.Undefined)
    for i in range(4):
        v = builder.insert_element(v, value, ir.Constant(_I32, i))
    return v


def _mul_add(builder: Any, x: Any, g: Any) -> Any:
    """``x + x·g`` lane pair by lane pair: re ``x_r + x_r g_r − x_i g_i``, im
    ``x_i + x_i g_r + x_r g_i`` (associated as ``quantgeo._kernels.fftw._mul_add_split``)."""
    g_re = _perm(builder, g, [0, 0, 2, 2])
    g_im = builder.fmul(_perm(builder, g, [1, 1, 3, 3]), ir.Constant(_V4, [-1.0, 1.0, -1.0, 1.0]))
    x_swap = _perm(builder, x, [1, 0, 3, 2])
    t = builder.fadd(builder.fmul(x, g_re, flags=_FUSE), x, flags=_FUSE)
    return builder.fadd(builder.fmul(x_swap, g_im, flags=_FUSE), t, flags=_FUSE)


def _c_float_array(t: Any) -> bool:
    return isinstance(t, types.Array) and t.dtype == types.float64 and t.layout == "C"


def _mul_add2(typingctx: Any, x: Any, xo: Any, g: Any, go: Any) -> Any:
    """``x[xo:xo+4] ← x + x·g`` on two interleaved complex numbers, ``g`` from ``g[go:go+4]``
    (``x``, ``g``: C-contiguous float64 arrays; ``xo``, ``go``: float offsets)."""
    if not (_c_float_array(x) and _c_float_array(g)):
        return None
    sig = types.void(x, xo, g, go)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        px = _vector_at(context, builder, sig.args[0], args[0], args[1])
        pg = _vector_at(context, builder, sig.args[2], args[2], args[3])
        xv, gv = builder.load(px, align=8), builder.load(pg, align=8)
        builder.store(_mul_add(builder, xv, gv), px, align=8)
        return context.get_dummy_value()

    return sig, codegen


def _kinetic2(
    typingctx: Any, x: Any, xo: Any, k: Any, ko: Any, cr: Any, ci: Any, scale: Any
) -> Any:
    """``x ← (x + x·g)·scale`` on two interleaved complex numbers of ``x`` from ``xo``, with
    ``g = c + k + c·k`` (``c = cr + i·ci`` one constant, ``k`` two interleaved numbers of ``k``
    from ``ko``): the separable kinetic factor of one row (``quantgeo._kernels.split``)."""
    if not (_c_float_array(x) and _c_float_array(k)):
        return None
    sig = types.void(x, xo, k, ko, types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        px = _vector_at(context, builder, sig.args[0], args[0], args[1])
        pk = _vector_at(context, builder, sig.args[2], args[2], args[3])
        xv, kv = builder.load(px, align=8), builder.load(pk, align=8)
        c_re, c_im0 = _splat(builder, args[4]), _splat(builder, args[5])
        c = builder.shuffle_vector(c_re, c_im0, ir.Constant(ir.VectorType(_I32, 4), [0, 4, 1, 5]))
        c_im = builder.fmul(c_im0, ir.Constant(_V4, [-1.0, 1.0, -1.0, 1.0]))
        # c·k = k·c_r + swap(k)·(−c_i, c_i); g = (c + k) + c·k, as the complex pass associates
        ck = builder.fadd(
            builder.fmul(kv, c_re, flags=_FUSE),
            builder.fmul(_perm(builder, kv, [1, 0, 3, 2]), c_im, flags=_FUSE),
            flags=_FUSE,
        )
        g = builder.fadd(builder.fadd(c, kv), ck)
        y = builder.fmul(_mul_add(builder, xv, g), _splat(builder, args[6]))
        builder.store(y, px, align=8)
        return context.get_dummy_value()

    return sig, codegen


#: The intrinsics, typed ``Any`` for mypy (Numba's ``_Intrinsic.__call__`` lists the typing
#: context among the arguments a kernel passes).
mul_add2: Any = intrinsic(_mul_add2)
kinetic2: Any = intrinsic(_kinetic2)
