r"""Numba kernels of the K = 2 Wright–Fisher alias tables (twins in :mod:`.evolution_reference`).

A row ``c`` of the count chain ``c → Bin(N_g, z_c)`` is written from its binomial pmf on its
window (:func:`~quantgeo._kernels.evolution_reference.table_layout`) into ``2^{b_c}`` 4-byte
alias cells: the pmf ratios from the mode and the CDF ``F`` in the same ``+ − × ÷`` order as
the twin (:func:`~quantgeo._kernels.evolution_reference.fill_rows`, where the construction is
defined), then Vose's pairing on the integer weights ``W_i = ⌈2⁵³ F(i)⌉ − ⌈2⁵³ F(i − 1)⌉`` in
the twin's order.  ``F`` and the weights live in scratch arrays for the row's fill only: the
tables hold the cells alone (4 bytes a column).  A draw that ties with a cell's 16-bit
threshold head (``≤ 2⁻¹⁶`` of them) gets the full threshold by rebuilding its row
(:func:`threshold`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from quantgeo._kernels.evolution_reference import _HEAD, _RES

__all__ = ["alias_draws", "fill_rows", "threshold"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
# 2⁵³: a uniform u times it is the 53-bit integer k the alias tables draw with
_SCALE = float(1 << _RES)


@njit(cache=True, inline="always")
def _recursion(a, w, m, r, n_genes, g):
    """``g[:w]`` = the pmf ratios of the window ``[a, a + w)`` from the mode ``m`` (twin's
    :func:`fill_rows`), then their running sums."""
    g[m - a] = 1.0
    # the two recursions from the mode, interleaved: independent dependency chains (each a
    # multiply-multiply-divide latency per entry) that the CPU then runs side by side
    gu = 1.0
    gd = 1.0
    ku = m + 1
    kd = m - 1
    while ku < a + w or kd >= a:
        if ku < a + w:
            gu = ((gu * r) * (n_genes - ku + 1)) / ku
            g[ku - a] = gu
            ku += 1
        if kd >= a:
            gd = ((gd / r) * (kd + 1)) / (n_genes - kd)
            g[kd - a] = gd
            kd -= 1
    acc = 0.0
    for i in range(w):
        acc += g[i]
        g[i] = acc


@njit(cache=True, inline="always")
def _alias_row(w, b, g, o, cells, weight, stack):
    """``g[:w]`` holds the running sums: normalise them to F, then write the alias table of
    the ``n = 2^b`` columns into ``cells[o : o + n]`` (``weight``, ``stack``: scratch of
    ``n``; ``weight`` ends holding the thresholds)."""
    total = g[w - 1]
    # through a view: LLVM vectorises the division there (the twin's quotients, element by
    # element)
    row = g[:w]
    for i in range(w):
        row[i] = row[i] / total
    g[w - 1] = 1.0
    n = 1 << b
    sh = _RES - b
    cap = np.int64(1) << sh
    # W_i, the remaining weights until each column is finished; both stacks in one array:
    # the smalls from the front, the larges from the back (the highest index, the twin's
    # top, at n − nl)
    ns = 0
    nl = 0
    prev = np.int64(0)
    for i in range(n):
        # ⌈2⁵³ F⌉ (F ≥ 0): the truncation, plus one where it fell short (np.ceil: a libm call)
        x = g[min(i, w - 1)] * _SCALE
        nxt = np.int64(x)
        nxt += nxt < x
        wi = nxt - prev
        prev = nxt
        weight[i] = wi
        cells[o + i] = i  # the alias, itself unless paired below
        if wi < cap:
            stack[ns] = i
            ns += 1
        else:
            nl += 1
            stack[n - nl] = i
    if nl > 0:
        # the top large and its remaining weight in registers (stored when it turns small)
        big = stack[n - nl]
        left = weight[big]
        while ns > 0:
            ns -= 1
            s = stack[ns]
            cells[o + s] = big
            left -= cap - weight[s]
            if left < cap:
                weight[big] = left
                stack[ns] = big
                ns += 1
                nl -= 1
                if nl == 0:
                    break
                big = stack[n - nl]
                left = weight[big]
        for q in range(n - nl, n):
            weight[stack[q]] = 0  # full: never its alias (itself anyway)
    for i in range(n):
        cells[o + i] |= np.uint32((weight[i] >> (sh - _HEAD)) << _HEAD)


@njit(cache=True)
def _fill_row(
    c: int,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> None:
    n = 1 << bits[c]
    g = np.empty(width[c])
    _recursion(lo[c], width[c], mode[c], rho[c], n_genes, g)
    weight = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    _alias_row(width[c], bits[c], g, offset[c], cells, weight, stack)
    ready[c] = 1


@njit(cache=True)
def threshold(
    c: int,
    j: int,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
) -> int:
    """The full threshold of column ``j`` of row ``c`` (the row rebuilt in scratch)."""
    n = 1 << bits[c]
    g = np.empty(width[c])
    _recursion(lo[c], width[c], mode[c], rho[c], n_genes, g)
    weight = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    _alias_row(width[c], bits[c], g, 0, np.empty(n, dtype=np.uint32), weight, stack)
    return int(weight[j])


@njit(cache=True)
def _fill_pair(
    c1: int,
    c2: int,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> None:
    """:func:`_fill_row` of two rows at once: the same operations per row, but four
    independent recursions (and two running sums) side by side, where one row's two are
    latency-bound (multiply, multiply, divide per entry): 8.5 → 6.0 ns a cell measured."""
    a1, w1, m1, r1 = lo[c1], width[c1], mode[c1], rho[c1]
    a2, w2, m2, r2 = lo[c2], width[c2], mode[c2], rho[c2]
    e1 = a1 + w1
    e2 = a2 + w2
    g1 = np.empty(w1)
    g2 = np.empty(w2)
    g1[m1 - a1] = 1.0
    g2[m2 - a2] = 1.0
    gu1 = gd1 = gu2 = gd2 = 1.0
    ku1, kd1, ku2, kd2 = m1 + 1, m1 - 1, m2 + 1, m2 - 1
    while ku1 < e1 or kd1 >= a1 or ku2 < e2 or kd2 >= a2:
        if ku1 < e1:
            gu1 = ((gu1 * r1) * (n_genes - ku1 + 1)) / ku1
            g1[ku1 - a1] = gu1
            ku1 += 1
        if kd1 >= a1:
            gd1 = ((gd1 / r1) * (kd1 + 1)) / (n_genes - kd1)
            g1[kd1 - a1] = gd1
            kd1 -= 1
        if ku2 < e2:
            gu2 = ((gu2 * r2) * (n_genes - ku2 + 1)) / ku2
            g2[ku2 - a2] = gu2
            ku2 += 1
        if kd2 >= a2:
            gd2 = ((gd2 / r2) * (kd2 + 1)) / (n_genes - kd2)
            g2[kd2 - a2] = gd2
            kd2 -= 1
    acc1 = acc2 = 0.0
    both = min(w1, w2)
    for i in range(both):
        acc1 += g1[i]
        g1[i] = acc1
        acc2 += g2[i]
        g2[i] = acc2
    for i in range(both, w1):
        acc1 += g1[i]
        g1[i] = acc1
    for i in range(both, w2):
        acc2 += g2[i]
        g2[i] = acc2
    n = 1 << max(bits[c1], bits[c2])
    weight = np.empty(n, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    _alias_row(w1, bits[c1], g1, offset[c1], cells, weight, stack)
    _alias_row(w2, bits[c2], g2, offset[c2], cells, weight, stack)
    ready[c1] = 1
    ready[c2] = 1


@njit(cache=True, nogil=True)
def _fill_states(
    states: IntArray,
    n_states: int,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> None:
    """Write the rows ``states[:n_states]`` (distinct), two at a time."""
    tabs = (lo, width, offset, mode, rho, bits, cells, ready)
    for p in range(0, n_states - 1, 2):
        _fill_pair(states[p], states[p + 1], n_genes, *tabs)
    if n_states % 2:
        _fill_row(states[n_states - 1], n_genes, *tabs)


@njit(cache=True, nogil=True)
def fill_rows(
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> None:
    """Write the rows ``states`` of the tables in place (the twin's :func:`fill_rows`)."""
    # distinct, as the twin's: a state listed twice is written once
    todo = np.empty(states.size, dtype=np.int64)
    n = 0
    for c in states:
        if ready[c] != 2:
            ready[c] = 2
            todo[n] = c
            n += 1
    _fill_states(todo, n, n_genes, lo, width, offset, mode, rho, bits, cells, ready)


@njit(cache=True)
def alias_draws(
    u: Array,
    states: IntArray,
    n_genes: int,
    lo: IntArray,
    width: IntArray,
    offset: IntArray,
    mode: IntArray,
    rho: Array,
    bits: IntArray,
    cells: NDArray[np.uint32],
    ready: NDArray[np.uint8],
) -> IntArray:
    """The alias draws (window positions) of the uniforms ``u`` in the written rows
    ``states`` (the twin's :func:`alias_draws`), as the kernels write them out inline."""
    out = np.empty(u.size, dtype=np.int64)
    for i in range(u.size):
        c = states[i]
        o = offset[c]
        k = np.int64(u[i] * _SCALE)
        sh = _RES - bits[c]
        j = k >> sh
        f = k & ((np.int64(1) << sh) - 1)
        cell = np.int64(cells[o + j])
        head, top = f >> (sh - _HEAD), cell >> _HEAD
        primary = head < top
        if head == top:
            primary = f < threshold(c, j, n_genes, lo, width, mode, rho, bits)
        out[i] = j if primary else cell & 0xFFFF
    return out
