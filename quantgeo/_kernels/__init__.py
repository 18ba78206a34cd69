"""Numba kernels (the only place with ``@njit``) and their NumPy twins, behind one selector.

Kernels are module-level functions of arrays and scalars; they write in place and never raise.
Each kernel *family* is a pair of modules with the same function names and signatures, one per
backend:

==========  ================  ===========================  ===================================
family      ``"numba"``       ``"numpy"``                  engines
==========  ================  ===========================  ===================================
split       :mod:`.split`     :mod:`.reference`            split-operator, imaginary time
madelung    :mod:`.madelung`  :mod:`.madelung_reference`   lattice learning variables (p, S)
learning    :mod:`.learning`  :mod:`.learning_reference`   Langevin ensemble
evolution   :mod:`.evolution` :mod:`.evolution_reference`  Wright–Fisher populations
learners    :mod:`.learners`  :mod:`.learners_reference`   lattice learners (Bell jumps)
fftw        :mod:`.fftw`      :mod:`.fftw_reference`       split-operator with ``fft="fftw"``
==========  ================  ===========================  ===================================

``fftw_fourstep`` (:mod:`.fftw_fourstep`, twin :mod:`.fftw_fourstep_reference`) runs the 1D
four-step FFTW engine, the ``"auto"`` candidate ``"fftw-fourstep"``: a variant of the ``fftw``
family (the same FFTW, pyFFTW needed), selectable like a family but not listed in
:data:`FAMILIES`; :func:`warmup` of ``"fftw"`` in 1D warms it too.

The Wright–Fisher kernels draw their binomials with :mod:`.binomial` (twin
:mod:`.binomial_reference`), which they import directly.

:func:`kernels` returns the module of a family and backend (importing Numba only for
``"numba"``); :func:`warmup` compiles, or loads from Numba's on-disk cache, the compiled ones.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Sequence
from types import ModuleType

import numpy as np

__all__ = ["BACKENDS", "FAMILIES", "kernels", "warmup"]

#: Kernel backends every engine accepts (``backend=``).
BACKENDS: tuple[str, ...] = ("numba", "numpy")
_MODULES: dict[str, tuple[str, str]] = {
    "split": ("split", "reference"),
    "madelung": ("madelung", "madelung_reference"),
    "learning": ("learning", "learning_reference"),
    "evolution": ("evolution", "evolution_reference"),
    "learners": ("learners", "learners_reference"),
    "fftw": ("fftw", "fftw_reference"),
    "fftw_fourstep": ("fftw_fourstep", "fftw_fourstep_reference"),  # 1D four-step engine
}
#: Kernel modules of engine variants within a family: selectable, warmed on request only.
_VARIANTS: tuple[str, ...] = ("fftw_fourstep",)
#: Kernel families (see the module docstring).
FAMILIES: tuple[str, ...] = tuple(f for f in _MODULES if f not in _VARIANTS)

# (family, ndim) pairs compiled or loaded in this process; ndim is 0 for families whose one
# specialisation serves every dimension
_ready: set[tuple[str, int]] = set()


def _check(name: str, value: object, allowed: Sequence[str]) -> str:
    # _validation imports nothing heavy, but keep this module importable on its own
    from quantgeo._validation import check_choice

    return check_choice(name, value, allowed)


def kernels(family: str, backend: str = "numba") -> ModuleType:
    """Kernel module of ``family`` (:data:`FAMILIES`) for ``backend``.

    Raises
    ------
    ValueError
        Naming ``family`` or ``backend`` when either is unknown.
    """
    _check("family", family, tuple(_MODULES))
    _check("backend", backend, BACKENDS)
    name = _MODULES[family][BACKENDS.index(backend)]
    return importlib.import_module(f"{__name__}.{name}")


def _warm_split(nd: int) -> None:
    split = kernels("split")
    shape = (4,) * nd
    psi = np.ones(shape, dtype=np.complex128)
    v = np.zeros((3, *shape), dtype=np.complex128)
    k_rest = np.zeros((1, 4 ** (nd - 1)), dtype=np.complex128)
    k_last = np.zeros((1, 4), dtype=np.complex128)
    vi = np.array([0, 1], dtype=np.int64)
    ki = np.array([0], dtype=np.int64)
    split.split_evolve(psi, v, k_rest, k_last, vi, ki, 2, 1, 1)
    # the passes fft="fftw"/"scipy" and backend="mpi" call from Python between the FFTs
    split.apply_factor(psi, v[0])
    split.apply_kinetic(psi, k_rest[0], k_last[0])
    split.apply_kinetic_scaled(psi, k_rest[0], k_last[0], 1.0)


def _warm_fftw(nd: int) -> None:
    # needs pyFFTW (the [fftw] extra): its FFTW is the library the kernels call
    from quantgeo.solvers.fftw_native import SweepEngine, WholeEngine

    shape = (4,) * nd
    split = kernels("split")
    v = np.zeros((3, *shape), dtype=np.complex128)
    k_rest = np.zeros((1, 4 ** (nd - 1)), dtype=np.complex128)
    k_last = np.zeros((1, 4), dtype=np.complex128)
    args = (v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 1)
    whole = WholeEngine(split, shape, 1)
    engines: list[WholeEngine | SweepEngine] = [whole]
    if nd > 1:
        engines += [SweepEngine(split, shape, 1), SweepEngine(split, shape, 2)]
    for engine in engines:
        engine.evolve(engine.aligned(np.ones(shape, dtype=np.complex128)), *args)
    whole.pair(whole.aligned(np.ones(shape, dtype=np.complex128)), 1)
    if nd == 1 and ("fftw_fourstep", 0) not in _ready:
        _warm_fourstep()  # the 1D engine "auto" times from FOURSTEP_MIN sites
        _ready.add(("fftw_fourstep", 0))


def _warm_fourstep() -> None:
    # 1D only, one specialisation; needs pyFFTW like "fftw" (2 × 12 points, 1 and 2 workers)
    from quantgeo.solvers.fftw_fourstep import FourStepEngine

    shape = (24,)
    v = np.zeros((3, *shape), dtype=np.complex128)
    k_rest, k_last = np.zeros((1, 1), dtype=np.complex128), np.zeros((1, 24), dtype=np.complex128)
    args = (v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 1)
    for workers in (1, 2):
        engine = FourStepEngine(kernels("split"), shape, workers)
        engine.evolve(np.ones(shape, dtype=np.complex128), *args)


def _warm_madelung() -> None:
    madelung = kernels("madelung")
    nbr = np.array([[1, 1], [0, 0]], dtype=np.int64)
    x = np.zeros(2)
    out_a, out_b = np.empty(2), np.empty(2)
    # `compact` is a runtime bool: one compiled signature serves both forms.
    madelung.madelung_rhs(x, x, x, nbr, np.ones(2), True, out_a, out_b)
    madelung.relative_log_density(x, nbr, out_a, out_b)


def _warm_learning() -> None:
    # one specialisation serves 1D/2D, Itô and covariant, and every bit generator
    learning = kernels("learning")
    ptr = np.array([0, 1, 2, 3], dtype=np.int64)
    pw = np.zeros((3, 2), dtype=np.int64)
    cf = np.ones(3)
    rng = np.random.default_rng(0)
    learning.langevin_em(np.zeros((2, 1)), rng, 1, 0.1, 1.0, 0.5, 1.0, 0.0, ptr, pw, cf, False)


def warmup(
    families: Sequence[str] | Sequence[int] | None = None, ndims: Sequence[int] = (1, 2, 3)
) -> float:
    """Compile (or load from Numba's cache) the Numba kernels of ``families``.

    Parameters
    ----------
    families
        Kernel families (default: all of :data:`FAMILIES`, less ``"fftw"`` when pyFFTW is not
        installed; ``"fftw"`` in 1D includes ``"fftw_fourstep"``).  A
        sequence of integers is the older ``warmup(ndims)`` form: the split-operator kernels
        for those dimensions.
    ndims
        Lattice dimensions of the split-operator and FFTW kernels (one specialisation per
        dimension; the other families have one for all).  ``"fftw"`` needs pyFFTW.

    Returns
    -------
    float
        Seconds spent; 0 when everything requested was ready in this process.
    """
    if families is None:
        from quantgeo.solvers.fft import have_pyfftw

        families = FAMILIES if have_pyfftw() else tuple(f for f in FAMILIES if f != "fftw")
    given = tuple(families)
    if given and all(isinstance(f, (int, np.integer)) and not isinstance(f, bool) for f in given):
        fams: tuple[str, ...] = ("split",)
        ndims = tuple(int(f) for f in given if isinstance(f, (int, np.integer)))
    else:
        fams = tuple(_check("families", f, tuple(_MODULES)) for f in given)
    start = time.perf_counter()
    spent = False
    for fam in fams:
        for nd in ndims if fam in ("split", "fftw") else (0,):
            if (fam, nd) in _ready:
                continue
            spent = True
            if fam == "split":
                _warm_split(int(nd))
            elif fam == "fftw":
                _warm_fftw(int(nd))
            elif fam == "fftw_fourstep":
                _warm_fourstep()
            elif fam == "madelung":
                _warm_madelung()
            elif fam in ("evolution", "learners"):
                kernels(fam).warmup()
            else:
                _warm_learning()
            _ready.add((fam, nd))
    return time.perf_counter() - start if spent else 0.0
