r"""The factors of one split-operator step: element-wise phases ``g = e^{z} − 1``.

The kernels apply every factor as ``ψ ← ψ + ψ·g`` (``quantgeo/_kernels/split.py`` says why):
the potential factors of a composition step on the sites (:func:`_v_factors`, exponent
:func:`v_exponent`), the separable kinetic factors in Fourier space (:func:`kinetic_factors`),
both through :func:`expm1j`.  Shared by the real-time, imaginary-time and distributed solvers.

What a small run's factors cost is ``sin`` (NumPy's float64 ``sin`` is the scalar libm one
here, ~11 ns an element against 0.7 ns for ``exp``): the real-time solver therefore builds a
static V's factors once per distinct value of V (:func:`distinct_sites`), those of a step and
of the step-doubling estimate's half step in three ``sin`` passes instead of four
(:func:`expm1i_halves`), both bit for bit the direct build, and keeps them by content in
:data:`factor_cache` for the next run on the same values.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.hamiltonian import Hamiltonian

__all__ = ["expm1j", "kinetic_factors", "v_exponent"]

CArray = NDArray[np.complex128]


def expm1j(z: NDArray[np.complexfloating]) -> CArray:
    r""":math:`e^{z} - 1` for complex ``z`` without cancellation (NumPy's ``expm1`` is real-only).

    With :math:`z = x + iy`: :math:`\mathrm{expm1}(x)\cos y - 2\sin^2(y/2) + i\,e^{x}\sin y`.
    The kernels apply factors as ``ψ + ψ·g`` with ``g = e^z − 1`` (see ``_kernels/split.py``).
    """
    x, y = z.real, z.imag
    if not np.any(x):  # a pure phase (no absorber, real time): the same bits, 2 of 5 passes
        return np.asarray(-2.0 * np.sin(0.5 * y) ** 2 + 1j * np.sin(y), dtype=np.complex128)
    out = (np.expm1(x) * np.cos(y) - 2.0 * np.sin(0.5 * y) ** 2) + 1j * (np.exp(x) * np.sin(y))
    return np.asarray(out, dtype=np.complex128)


def expm1i(y: NDArray[np.float64]) -> CArray:
    r""":math:`e^{iy} - 1 = -2\sin^2(y/2) + i\sin y` for real ``y``: :func:`expm1j` of a pure
    phase from its real angle — the same values (up to the sign of a zero), no complex
    temporaries.  Every factor of a real-time run without an absorber is one; the solvers call
    it on the whole stack of rows at once (two ``sin`` passes are most of a factor build)."""
    # in place where the value is the same (a stack of rows holds fewer temporaries)
    half = np.multiply(0.5, y)
    np.sin(half, out=half)
    np.square(half, out=half)
    half *= -2.0
    out = np.empty(np.shape(y), dtype=np.complex128)
    out.real = half
    del half
    out.imag = np.sin(y)
    return out


def expm1i_halves(y: NDArray[np.float64]) -> tuple[CArray, CArray]:
    r"""``(expm1i(y), expm1i(y/2))`` in three ``sin`` passes instead of four: the factors of a
    step ``h`` and of the step-doubling estimate's ``h/2`` share :math:`\sin(y/2)` (the first's
    half angle, the second's angle).  Equal to the two calls bit for bit: halving is exact in
    binary floating point, so ``y/2`` and its half are the operands the separate calls use."""
    half = np.multiply(0.5, y)
    shared = np.sin(half)  # sin(y/2): Im of the h/2 factor, and squared, Re of the h one
    half *= 0.5
    np.sin(half, out=half)  # sin(y/4)
    np.square(half, out=half)
    half *= -2.0
    fine = np.empty(np.shape(y), dtype=np.complex128)
    fine.real = half
    fine.imag = shared
    np.square(shared, out=shared)
    shared *= -2.0
    coarse = np.empty(np.shape(y), dtype=np.complex128)
    coarse.real = shared
    del shared, half
    coarse.imag = np.sin(y)
    return coarse, fine


#: Build the factors of a static V on its distinct values when at most this fraction of the
#: sites carry distinct ones (traps: 30 % at 48², 2 % at 20³, 50 % in 1D; barriers and slits:
#: a few).  A site costs ~3 ``sin`` (~11 ns each) per factor row and the look-up ~1–2 sorts'
#: worth per site (``np.unique``), so the gather pays up to ~80 % even for Strang's 3 rows
#: (measured builds, blanes-moan6: 48² 0.62×, 20³ 0.58× the build on every site).
DISTINCT_FRACTION = 0.75
#: Lattices above this many sites build every site: the distinct values cost a sort of all
#: sites first (as long as the build itself at 2²⁰ sites when every value is distinct, twice
#: it at 2²²), and a large run amortises its factors over many steps anyway.
DISTINCT_MAX_SITES = 1 << 16


def distinct_sites(expo: CArray) -> tuple[CArray, NDArray[np.intp] | None]:
    """``(values, index)`` with ``values[index]`` equal to ``expo`` bit for bit, ``values``
    the distinct entries of a pure-phase exponent (by the bits of its angle): a factor's rows
    are then built once per distinct value (``sin`` is most of a build) and gathered with
    ``index``.  ``(expo, None)`` when the phase is not pure, the lattice has more than
    :data:`DISTINCT_MAX_SITES` sites or more than :data:`DISTINCT_FRACTION` of the entries are
    distinct (the gather would not pay)."""
    if expo.size < 2 or expo.size > DISTINCT_MAX_SITES or not _pure_phase(expo):
        return expo, None
    flat = expo.reshape(-1)
    bits = np.ascontiguousarray(flat.imag).view(np.int64)  # -0.0 and 0.0 kept apart
    _, first, index = np.unique(bits, return_index=True, return_inverse=True)
    if first.size > DISTINCT_FRACTION * flat.size:
        return expo, None
    return flat[first], index.reshape(-1)


def gather_sites(rows: CArray, index: NDArray[np.intp] | None, shape: tuple[int, ...]) -> CArray:
    """Rows built on :func:`distinct_sites` values back on the lattice, shape
    ``(len(rows), *shape)`` (``rows`` itself when ``index`` is None)."""
    if index is None:
        return rows
    return np.ascontiguousarray(rows[:, index].reshape(len(rows), *shape))


def site_factors(
    expo: CArray,
    build: Callable[[CArray], tuple[CArray, ...]],
    key: tuple[Any, ...] | None,
    shape: tuple[int, ...],
) -> tuple[CArray, ...]:
    """The factors ``build`` makes from the exponent ``expo``, on the lattice ``shape``: built
    on :func:`distinct_sites` values and gathered where that pays, those rows kept in
    :data:`factor_cache` under ``key`` (None: not kept)."""
    values, index = distinct_sites(expo)
    if index is None or key is None:  # as many values as sites: nothing smaller to keep
        return build(values)
    built = factor_cache.get(key, lambda: build(values), copy=False)
    return tuple(gather_sites(b, index, shape) for b in built)


def _pure_phase(e: CArray) -> bool:
    """Whether the exponent ``e`` is purely imaginary (``e^{h·e}`` is a phase for real h)."""
    return not np.any(e.real)


def scaled_factors(scales: NDArray[np.float64], expo: CArray) -> CArray:
    """``expm1j(scales[j]·expo)`` stacked, shape ``(len(scales), *expo.shape)``, in one pass
    per operation over the whole stack (equal to the row-by-row ``expm1j``, tested)."""
    return _expm1(*_scaled_stack(scales, expo))


def _scaled_stack(scales: NDArray[np.float64], expo: CArray) -> tuple[NDArray[Any], bool]:
    """The stack :func:`scaled_factors` exponentiates: its angles (a pure phase) or exponents,
    and whether they are angles."""
    scales = np.asarray(scales, dtype=np.float64)
    if _pure_phase(expo):
        return np.multiply.outer(scales, expo.imag), True
    return np.multiply.outer(scales, expo), False


def _expm1(x: NDArray[Any], pure: bool) -> CArray:
    """:func:`expm1i` of the angles ``x`` (``pure``) or :func:`expm1j` of the exponents ``x``."""
    return expm1i(x) if pure else np.ascontiguousarray(expm1j(x))


def factors_and_halves(x: NDArray[Any], pure: bool) -> tuple[CArray, CArray]:
    """``(_expm1(x), _expm1(x/2))``: the factors of a step and of half that step (the
    step-doubling estimate's) from one stack of angles or exponents ``x`` — for pure phases
    in three ``sin`` passes (:func:`expm1i_halves`), bit for bit the two separate builds."""
    if pure:
        return expm1i_halves(x)
    return _expm1(x, False), _expm1(0.5 * x, False)


def weighted_factors(scales: NDArray[np.float64], expos: Sequence[CArray]) -> CArray:
    """``expm1j(scales[j]·expos[j])`` stacked, shape ``(len(scales), *S)``: a general
    splitting's factors of a time-dependent V (one exponent per factor), one pass per
    operation over the stack (equal to the row-by-row ``expm1j``, tested)."""
    pure = all(_pure_phase(e) for e in expos)
    stacked = np.stack([e.imag if pure else e for e in expos])
    col = np.asarray(scales, dtype=np.float64).reshape(len(expos), *([1] * (stacked.ndim - 1)))
    return _expm1(col * stacked, pure)


def _v_factors(
    weights: Sequence[float], expos: Sequence[CArray], h: float, *, merged: bool
) -> CArray:
    r"""Potential factors ``g = exp(h·X) − 1`` of one composition step, shape ``(s + 1 [+ 1], *S)``.

    ``expos[j]`` is the exponent ``E_j`` used in Strang sub-step j (static V: ``−iV/ħ``, the same
    for every j; imaginary time: ``−V/ħ``; time-dependent V: taken at the sub-step's midpoint).
    Factor 0 has ``X = ½w₁E₁``, factor j ``X = ½(w_j E_j + w_{j+1} E_{j+1})``, factor s
    ``X = ½w_s E_s``; with ``merged`` (static E only) factor s + 1 has ``X = ½(w_s + w₁)E``, the
    last half step fused with the next step's first.
    """
    return _expm1(*_v_stack(weights, expos, h, merged=merged))


def _v_stack(
    weights: Sequence[float], expos: Sequence[CArray], h: float, *, merged: bool
) -> tuple[NDArray[Any], bool]:
    """The stack of ``h·X_j`` that :func:`_v_factors` exponentiates (angles when every
    exponent is a pure phase) and whether they are angles."""
    w = np.asarray(weights, dtype=float)
    s = len(w)
    if len(expos) != s:
        raise ValueError(f"need one exponent per sub-step ({s}), got {len(expos)}")
    # one array operation per term over the stack of rows (the values of the row-by-row
    # ``expm1j(h·X_j)``; a pure phase on its real angle only)
    pure = all(_pure_phase(e) for e in expos)
    if all(e is expos[0] for e in expos):  # static V: one exponent, no stacked copies
        e0 = expos[0].imag if pure else expos[0]
        halves = np.multiply.outer(0.5 * w, e0)
    else:
        stacked = np.stack([e.imag if pure else e for e in expos])
        halves = (0.5 * w).reshape(s, *([1] * (stacked.ndim - 1))) * stacked
    parts = [halves[:1], halves[:-1] + halves[1:], halves[-1:]]
    if merged:
        parts.append(halves[-1:] + halves[:1])
    xs = np.concatenate(parts)
    del parts, halves
    xs *= h  # h·X in place: the same products, one stack fewer
    return xs, pure


def v_exponent(v: NDArray[np.float64], damping: NDArray[np.float64] | None, hbar: float) -> CArray:
    """``−iV/ħ − ηw/ħ``: the exponent of the potential factors, the absorbing layer ``ηw``
    (``None``: none) folded in as the complex potential (whole lattice or one rank's piece)."""
    out = -1j * v / hbar
    if damping is not None:
        out = out - damping / hbar
    return np.asarray(out, dtype=np.complex128)


def _bounded(cache: dict[float, Any], size: int = 8) -> None:
    """Keep a factor cache small: a run uses one or two step sizes."""
    if len(cache) >= size:
        cache.clear()


def kinetic_factors(
    ham: Hamiltonian, exponents: NDArray[np.complexfloating]
) -> tuple[CArray, CArray]:
    """Separable ``g = exp(z·ε(k)/ħ) − 1`` for each ``z`` in ``exponents``.

    Returns ``(k_rest, k_last)`` of shapes ``(nz, size/N_last)`` and ``(nz, N_last)``: the
    leading axes combined as ``(1 + g_a)(1 + g_b) − 1 = g_a + g_b + g_a g_b`` (keeping the
    ``u·θ`` accuracy of each factor) and the last axis (see ``_kernels/split.py``).
    """
    axes = [eps / ham.hbar for eps in ham.axis_dispersions()]
    z = np.asarray(exponents, dtype=complex).ravel()
    # every exponent at once, one operation per axis (the values of the row-by-row product)
    per_axis = [scaled_factors_complex(z, eps) for eps in axes]
    rest = np.zeros((len(z), 1), dtype=np.complex128)
    for g in per_axis[:-1]:
        rest = (rest[:, :, None] + g[:, None, :] + rest[:, :, None] * g[:, None, :]).reshape(
            len(z), -1
        )
    return np.ascontiguousarray(rest), np.ascontiguousarray(per_axis[-1])


def scaled_factors_complex(z: NDArray[np.complex128], eps: NDArray[np.float64]) -> CArray:
    """``expm1j(z[j]·eps)`` stacked, shape ``(len(z), eps.size)`` (complex ``z``, real ``eps``:
    a pure phase on its real angle when every ``z`` is imaginary, as in real time)."""
    if not np.any(z.real):
        return expm1i(np.multiply.outer(z.imag, eps))
    return np.ascontiguousarray(expm1j(np.multiply.outer(z, eps)))


class FactorCache:
    """A bounded, least-recently-used per-process store of built factors by the *content*
    they are built from (the bytes of V or of the dispersions, ħ, the step and the weights),
    so that a run repeated on the same values — another solver, initial state or recorder; a
    sweep over those — copies its factors instead of building them (one memory copy against
    ~3 ``sin`` per site and row).  Being keyed by values, never by objects, it cannot serve
    stale factors.  Each caller gets copies: a solver may write its own factors.  An entry is
    kept from the second build of its key on (only the key's hash is remembered after the
    first), so that runs which never repeat — a sweep over V — pay no copy.

    Parameters
    ----------
    entries
        Most entries kept.
    max_bytes
        Most bytes of arrays kept in all.
    entry_bytes
        Most bytes of one entry; a larger one is built and not kept (a large lattice's run
        would otherwise hold its factors twice while it builds them, for a small gain).
    """

    def __init__(self, entries: int, max_bytes: float, entry_bytes: float | None = None) -> None:
        self.entries, self.max_bytes = entries, max_bytes
        self.entry_bytes = max_bytes if entry_bytes is None else entry_bytes
        self._data: OrderedDict[tuple[Any, ...], tuple[NDArray[Any], ...]] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()  # hashes of keys built once
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(
        self,
        key: tuple[Any, ...],
        build: Callable[[], tuple[NDArray[Any], ...]],
        *,
        copy: bool = True,
        keep_built: bool = False,
    ) -> tuple[NDArray[Any], ...]:
        """Copies of the arrays kept under ``key``, built by ``build()`` on a miss.  With
        ``copy=False`` the kept arrays themselves (and what ``build`` returned is kept as it
        is): for a caller that only reads them.  With ``keep_built`` later callers get copies
        but what ``build`` returned is kept as it is, for a building caller that only reads
        it: keeping an entry then allocates nothing (a run's peak memory stays that of its
        own factors)."""
        with self._lock:
            held = self._data.get(key)
            if held is not None:
                self._data.move_to_end(key)
                self.hits += 1
        if held is not None:
            return tuple(a.copy() for a in held) if copy else held
        built = build()
        size = sum(a.nbytes for a in built)
        with self._lock:
            self.misses += 1
            digest = hash(key)
            again = digest in self._seen
            self._seen[digest] = None
            self._seen.move_to_end(digest)
            while len(self._seen) > 4 * self.entries:
                self._seen.popitem(last=False)
            fits = size <= min(self.entry_bytes, self.max_bytes)
            if again and fits and key not in self._data:
                self._data[key] = (
                    tuple(a.copy() for a in built) if copy and not keep_built else built
                )
                self._bytes += size
                while len(self._data) > self.entries or self._bytes > self.max_bytes:
                    _, old = self._data.popitem(last=False)
                    self._bytes -= sum(a.nbytes for a in old)
        return built

    def clear(self) -> None:
        """Forget every entry (and the counts)."""
        with self._lock:
            self._data.clear()
            self._seen.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


#: Factors of the split-operator solvers by content (:class:`FactorCache`): 64 entries,
#: 64 MiB, 8 MiB an entry (48², blanes-moan6, a step and its half: 0.5 MiB; 128²: 3.6 MiB).
#: A static V's run keeps up to three (kinetic, V's distinct-value rows, the gathered V
#: factors): with 16 entries, runs of the 9 schemes taken in turn evicted each other's (48²,
#: blanes-moan6 in turn with the others: 6.6 ms a run, alone 6.1); the bytes bound the rest.
factor_cache = FactorCache(64, 64 * 2**20, 8 * 2**20)


def content_key(*parts: Any) -> tuple[Any, ...]:
    """A :class:`FactorCache` key: arrays by dtype, shape and bytes, other parts as given."""
    return tuple(
        (str(p.dtype), p.shape, np.ascontiguousarray(p).tobytes())
        if isinstance(p, np.ndarray)
        else p
        for p in parts
    )
