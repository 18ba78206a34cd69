r"""FFT backends of the split-operator solvers: rocket-fft in Numba, pyFFTW, ``scipy.fft``.

A Strang sub-step is ``ψ ← F⁻¹[(1 + g_K)·F[(1 + g_V)·ψ]]``: one FFT pair and two element-wise
passes.  Where the FFTs run is the ``fft`` option of
:class:`~quantgeo.solvers.split_operator.SplitOperatorSolver`:

``"rocket"``
    rocket-fft (pocketfft) inside the Numba kernel ``split_evolve``: one compiled call runs a
    whole chunk of steps, no Python between the FFTs.
``"fftw"``
    FFTW (the library pyFFTW links): two in-place whole-lattice plans (forward, backward) on a
    SIMD-aligned buffer, planned once with ``FFTW_MEASURE`` and FFTW's own ``workers`` threads,
    executed from inside the Numba kernel ``fftw_evolve`` (:mod:`~quantgeo.solvers.fftw_native`):
    one compiled call per chunk of steps, like rocket.  FFTW's inverse is unnormalised, so its
    ``1/N`` is folded into the kinetic pass (no extra pass).
``"scipy"``
    ``scipy.fft`` (pocketfft again) called from Python, with the same Numba passes and the same
    folded ``1/N`` (``norm="forward"`` leaves the inverse unnormalised).  It is the escape hatch
    when rocket-fft is unavailable or misbehaves, not a fast path: it is the same FFT code as
    rocket with a Python loop around it.  (The NumPy-twin path would add three temporaries per
    sub-step, so it is kept for ``backend="numpy"`` only, where ``"scipy"`` means the twins.)
``"auto"``
    Times the candidates (rocket and, with pyFFTW installed, fftw and, in 2D and 3D,
    ``"fftw-sweeps"``: the step as a row sweep and a column sweep over cache-sized blocks,
    serial FFTW plans per block, the blocks spread over Numba's threads when ``workers > 1``
    so that the passes are threaded inside the FFT's data sweeps; with ``workers > 1`` also
    ``"fftw-serial"``, whole-lattice FFTW on one thread, for lattices where threads do not
    pay; in 1D from :data:`FOURSTEP_MIN` points ``"fftw-fourstep"``, the four-step FFT as a
    row and a column sweep over cache-sized blocks, :mod:`~quantgeo.solvers.fftw_fourstep`)
    on this shape and thread count at set-up — sub-steps for ~20 ms each, interleaved,
    median of 5; on one thread by the thread's CPU time, which other jobs on the machine do
    not inflate — and keeps the fastest.  The decision and FFTW's wisdom are cached on disk in
    :func:`cache_dir`, so a later solver (in this or another process) reads them instead of
    timing and planning again.  A decision is timed again when the candidates, the clock or
    the engines' code differ from those it was taken with (a newer quantgeo with another or a
    faster engine); delete that folder to time again otherwise.  Without pyFFTW
    ``"auto"`` is ``"rocket"`` (``"scipy"`` with ``backend="numpy"``).

All backends compute the same map; states agree to ~1e-13 (rounding of different FFT codes).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import check_choice

__all__ = [
    "FFT_CHOICES",
    "FFTEngine",
    "cache_dir",
    "have_pyfftw",
    "make_fft",
]

#: Values of the ``fft`` option.
FFT_CHOICES: tuple[str, ...] = ("auto", "rocket", "fftw", "scipy")
#: Longest FFTW planning of one plan, seconds (FFTW then keeps the best plan found so far).
PLANNING_TIMELIMIT = 30.0
#: Length of one timing of a candidate in ``"auto"`` (seconds; median of 5 interleaved rounds;
#: at least 2 steps each).  5 ms (one sub-step at 512²) once picked whole-lattice FFTW with 2
#: threads at 3.8 ms against the sweeps' 3.9 ms, which then ran at 2.8 against 1.7 ms a step.
AUTO_TIMING = 0.02
_DECISIONS = "fft-decisions.json"
_WISDOM = "fftw-wisdom.json"
_log = logging.getLogger(__name__)
_lock = threading.RLock()
_wisdom_loaded = False
#: Kinds of FFTW plans whose wisdom this process has saved (an engine class, shape, threads and
#: block geometry): the wisdom, which grows with every plan, is written after new kinds only.
_planned: set[tuple[str, tuple[int, ...], int, str]] = set()

CArray = NDArray[np.complex128]


def have_pyfftw() -> bool:
    """Whether pyFFTW can be imported (the ``[fftw]`` extra)."""
    try:
        import pyfftw  # noqa: F401
    except ImportError:
        return False
    return True


def cache_dir() -> Path:
    """Folder of the FFT decision and wisdom caches.

    ``$QUANTGEO_CACHE_DIR`` if set; else ``$NUMBA_CACHE_DIR/quantgeo`` (next to Numba's cache
    when that is redirected); else ``$XDG_CACHE_HOME/quantgeo`` or ``~/.cache/quantgeo``.
    """
    if os.environ.get("QUANTGEO_CACHE_DIR"):
        return Path(os.environ["QUANTGEO_CACHE_DIR"])
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "quantgeo"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "quantgeo"


def _read_json(name: str) -> dict[str, Any]:
    """A cache file's content; a missing file is empty, a corrupt one is ignored (warning)."""
    path = cache_dir() / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    except ValueError as exc:
        _log.warning("ignoring the corrupt FFT cache file %s (%s)", path, exc)
        return {}
    return data


def _write_json(name: str, data: dict[str, Any]) -> None:
    """Write a cache file atomically; a cache that cannot be written is only logged."""
    from quantgeo._io import atomic_write_text

    path = cache_dir() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True))
    except OSError as exc:
        _log.warning("could not write the FFT cache file %s (%s)", path, exc)


#: The ``"auto"`` decision file as this process last read it: ``(path, signature, content)``,
#: the signature ``(mtime_ns, size, inode)`` of the file then (see :func:`_read_decisions`).
_decisions: tuple[Path, tuple[int, int, int], dict[str, Any]] | None = None


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size, st.st_ino


def _read_decisions() -> dict[str, Any]:
    """The ``"auto"`` decisions, read from disk once per process and again only when the file
    changed (another process, or this one, wrote it: an atomic write gives a new inode and
    mtime) or :func:`cache_dir` moved.  The stat is taken before the read, so a file
    replaced in between is read again next time.  Do not mutate the result."""
    global _decisions
    path = cache_dir() / _DECISIONS
    sig = _signature(path)
    held = _decisions
    if held is not None and sig is not None and held[0] == path and held[1] == sig:
        return held[2]
    data = _read_json(_DECISIONS)
    _decisions = None if sig is None else (path, sig, data)
    return data


def _load_wisdom() -> None:
    """Import the cached FFTW wisdom once per process (before the first plan)."""
    global _wisdom_loaded
    if _wisdom_loaded:
        return
    _wisdom_loaded = True
    import pyfftw

    saved = _read_json(_WISDOM).get(pyfftw.__version__)
    if not saved:
        return
    try:
        pyfftw.import_wisdom(tuple(s.encode("ascii") for s in saved))
    except (TypeError, ValueError, AttributeError) as exc:
        _log.warning("ignoring unreadable FFTW wisdom in %s (%s)", cache_dir() / _WISDOM, exc)


def _save_wisdom() -> None:
    import pyfftw

    wisdom = [w.decode("ascii") for w in pyfftw.export_wisdom()]
    data = _read_json(_WISDOM)
    if data.get(pyfftw.__version__) != wisdom:
        data[pyfftw.__version__] = wisdom
        _write_json(_WISDOM, data)


class FFTEngine:
    """Runs ``split_evolve`` (same arguments, less ``workers``) with one FFT backend.

    Attributes
    ----------
    name
        ``"rocket"``, ``"fftw"`` or ``"scipy"``: the FFT that runs.
    info
        ``name``, ``requested`` and, for ``"auto"``, ``timings`` (seconds per Strang sub-step
        of each candidate) and ``cached`` (whether the decision was read from the cache).
    """

    name = "rocket"
    #: Registry key of the class (:func:`_rebuild`).
    key = "rocket"
    #: The ``"auto"`` candidate it is when that is not ``name``: ``"fftw-sweeps"``.
    variant = ""
    #: Kernel families its runs call (:func:`quantgeo._kernels.warmup`).
    families: tuple[str, ...] = ("split",)
    #: Whether it runs FFTW plans (then a pickle carries the wisdom they were made with).
    plans_fftw = False

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        self._k, self.shape, self.workers = kern, shape, workers
        self.info: dict[str, Any] = {"name": self.name}

    def __reduce__(self) -> tuple[Any, ...]:
        # pickled by what builds it (kernel module by name; FFTW plans are re-made from this
        # process's wisdom, sent along), so that engines holding a solver go to process, Dask
        # and MPI executors and run the same plans there
        args = (self.variant or self.key, self._k.__name__, self.shape, self.workers)
        return _rebuild, (*args, dict(self.info), _export_wisdom() if self.plans_fftw else None)

    def auto_info(self) -> dict[str, Any] | None:
        """``Trajectory.info["fft_auto"]``: the ``"auto"`` decision's ``timings`` (s per sub-step)
        and whether it was ``cached``; None when the backend was named explicitly."""
        if self.info.get("requested") != "auto" or "timings" not in self.info:
            return None
        return {
            "picked": self.variant or self.name,
            "timings": dict(self.info["timings"]),
            "cached": bool(self.info["cached"]),
        }

    def aligned(self, psi: CArray) -> CArray:
        """``psi`` in the memory layout the backend runs fastest on (may be ``psi`` itself)."""
        return psi

    def work_bytes(self, v_rows: int) -> float:
        """Bytes the engine holds beyond the solver's arrays during a run with ``v_rows`` V
        factors (``memory_estimate``): none here."""
        return 0.0

    def evolve(
        self,
        psi: CArray,
        v_factors: CArray,
        k_rest: CArray,
        k_last: CArray,
        v_index: NDArray[Any],
        k_index: NDArray[Any],
        v_merged: int,
        nsteps: int,
    ) -> None:
        """``nsteps`` steps in place (see :func:`quantgeo._kernels.split.split_evolve`)."""
        self._k.split_evolve(
            psi, v_factors, k_rest, k_last, v_index, k_index, v_merged, nsteps, self.workers
        )


class _ScipyEngine(FFTEngine):
    """``scipy.fft.fftn`` / ``ifftn(norm="forward")`` in place (``overwrite_x``), driven from
    Python around the Numba passes (the twins' :func:`~quantgeo._kernels.reference.compose`
    loop)."""

    name = key = "scipy"

    def __init__(self, kern: ModuleType, shape: tuple[int, ...], workers: int) -> None:
        super().__init__(kern, shape, workers)
        self.scale = 1.0 / float(np.prod(shape))

    def evolve(
        self,
        psi: CArray,
        v_factors: CArray,
        k_rest: CArray,
        k_last: CArray,
        v_index: NDArray[Any],
        k_index: NDArray[Any],
        v_merged: int,
        nsteps: int,
    ) -> None:
        import scipy.fft as sfft

        from quantgeo._kernels.reference import compose

        w, scale = self.workers, self.scale

        def kinetic(k: int) -> None:
            out = sfft.fftn(psi, workers=w, overwrite_x=True)
            if not np.shares_memory(out, psi):
                psi[...] = out
            self._k.apply_kinetic_scaled(psi, k_rest[k], k_last[k], scale)
            out = sfft.ifftn(psi, workers=w, overwrite_x=True, norm="forward")
            if not np.shares_memory(out, psi):
                psi[...] = out

        args = (v_index, k_index, v_merged, nsteps, self._k.apply_factor, kinetic)
        compose(psi, v_factors, *args)


class _TwinEngine(FFTEngine):
    """``backend="numpy"``: the twins' own ``split_evolve`` (``scipy.fft``)."""

    name, key = "scipy", "twin"


#: The ``"auto"`` candidate of FFTW plans per block in row and column sweeps (2D, 3D).
_SWEEPS = "fftw-sweeps"


#: The ``"auto"`` candidate, with ``workers > 1``, of whole-lattice FFTW on one thread: on small
#: lattices threads do not pay (1D 4096, quiet machine: 2-thread FFTW pair 23.9 µs, 1-thread
#: step 23 µs), and ``workers`` is what the solver may use, not what it must.
_SERIAL = "fftw-serial"


# -- h-r5: the 1D four-step engine (solvers/fftw_fourstep.py) ---------------------------------
#: The ``"auto"`` candidate, 1D from :data:`FOURSTEP_MIN` points, of the four-step FFT as a row
#: and a column sweep over cache-sized blocks (:mod:`~quantgeo.solvers.fftw_fourstep`).
_FOURSTEP = "fftw-fourstep"
#: 1 thread, ms a step, four-step / whole-lattice FFTW: 2¹² 0.029 / 0.025, 2¹⁴ 0.124 / 0.130,
#: 2¹⁶ 0.66 / 0.77, 2²² 109 / 196.
FOURSTEP_MIN = 1 << 14
# -- end h-r5 ----------------------------------------------------------------------------------


def _candidates(shape: tuple[int, ...], workers: int) -> list[str]:
    """What ``"auto"`` times for ``shape`` and ``workers`` (with pyFFTW installed)."""
    names = ["rocket", "fftw"] + ([_SWEEPS] if len(shape) > 1 else [])
    names += [_FOURSTEP] if len(shape) == 1 and shape[0] >= FOURSTEP_MIN else []  # h-r5
    return names + ([_SERIAL] if workers > 1 else [])


def _candidate(name: str, kern: ModuleType, shape: tuple[int, ...], workers: int) -> FFTEngine:
    if name == _FOURSTEP:  # h-r5
        from quantgeo.solvers.fftw_fourstep import FourStepEngine

        return FourStepEngine(kern, shape, workers)
    if name in ("fftw", _SWEEPS, _SERIAL):
        from quantgeo.solvers import fftw_native

        if name == _SERIAL:
            engine: FFTEngine = fftw_native.WholeEngine(kern, shape, 1)
            engine.variant = _SERIAL
            return engine
        cls = fftw_native.SweepEngine if name == _SWEEPS else fftw_native.WholeEngine
        return cls(kern, shape, workers)
    classes = {"rocket": FFTEngine, "scipy": _ScipyEngine, "twin": _TwinEngine}
    return classes[name](kern, shape, workers)


def _export_wisdom() -> tuple[bytes, ...]:
    import pyfftw

    with _lock:
        return tuple(pyfftw.export_wisdom())


#: Digests of the wisdom imported from pickled engines in this process.
_imported: set[str] = set()


def _import_wisdom(wisdom: tuple[bytes, ...]) -> None:
    """Make this process plan as the one that pickled an engine did.

    ``FFTW_MEASURE`` picks among algorithms by timing them, so two processes can plan the same
    transform differently, and different plans round differently (~1e-16): a shard run in a
    pool would then not be bit for bit the serial run.  With the sender's wisdom imported (after
    this process's own, which it supersedes) FFTW re-creates the sender's plans; the plans
    this process kept from before are dropped once per new wisdom, so they are made again."""
    import hashlib

    import pyfftw

    digest = hashlib.sha256(b"".join(wisdom)).hexdigest()
    with _lock:
        if digest in _imported:
            return
        _load_wisdom()
        pyfftw.import_wisdom(wisdom)
        _imported.add(digest)
        native = sys.modules.get("quantgeo.solvers.fftw_native")
        if native is not None:
            native.clear_plan_cache()


def _rebuild(
    key: str,
    kern_name: str,
    shape: tuple[int, ...],
    workers: int,
    info: dict[str, Any],
    wisdom: tuple[bytes, ...] | None = None,
) -> FFTEngine:
    """The unpickled engine: built again (FFTW plans from the sender's ``wisdom``), the same
    ``info``."""
    import importlib

    if wisdom is not None:
        _import_wisdom(wisdom)
    engine = _candidate(key, importlib.import_module(kern_name), shape, workers)
    engine.info = info
    return engine


#: The modules whose code decides what an ``"auto"`` candidate costs (the engines and their
#: kernels): a decision taken while any of them was another version is timed again.
_ENGINE_MODULES = (
    "quantgeo.solvers.fft",
    "quantgeo.solvers.fftw_native",
    "quantgeo.solvers.fftw_fourstep",
    "quantgeo._kernels.split",
    "quantgeo._kernels.fftw",
    "quantgeo._kernels.fftw_fourstep",
)
_revision: str | None = None


def _engines_revision() -> str:
    """A digest of the source of :data:`_ENGINE_MODULES` and of the installed rocket-fft and
    NumPy versions, computed once per process.

    Stored with each decision: the candidate names alone do not change when an engine gets
    faster (an upgrade that speeds up the four-step engine would otherwise leave every cached
    pick of whole-lattice FFTW standing)."""
    global _revision
    if _revision is None:
        import hashlib
        import importlib.util
        from importlib import metadata

        digest = hashlib.sha256()
        # the FFT libraries' and the array library's versions too (pyFFTW's and Numba's are
        # in the decision's key)
        for dist in ("rocket-fft", "numpy"):
            try:
                digest.update(f"{dist}={metadata.version(dist)}".encode())
            except metadata.PackageNotFoundError:
                digest.update(f"{dist}=none".encode())
        for name in _ENGINE_MODULES:
            spec = importlib.util.find_spec(name)
            origin = spec.origin if spec is not None else None
            digest.update(name.encode())
            if origin is not None:
                try:
                    digest.update(Path(origin).read_bytes())
                except OSError:  # a frozen or zipped install: the name alone
                    pass
        _revision = digest.hexdigest()[:16]
    return _revision


def _clock_name(workers: int) -> str:
    """The clock ``"auto"`` times with: the calling thread's CPU time on one thread, else the
    wall clock (see :func:`_time_candidates`)."""
    return "thread" if workers == 1 else "wall"


def _time_candidates(
    engines: dict[str, FFTEngine], shape: tuple[int, ...], workers: int = 1
) -> dict[str, float]:
    """Seconds per Strang sub-step of each engine: interleaved, median of 5 (zero phases).

    With ``workers == 1`` every candidate runs in the calling thread, so they are timed by
    that thread's CPU time (``time.thread_time``), which the other jobs of a shared machine
    do not inflate: on 2 cores under a load of 5–8 the wall clock picked whole-lattice FFTW
    over the four-step engine at 1D 2¹⁸ (5.06 against 4.16 ms a step).  With threads the
    wall clock is what the step costs.
    """
    clock = time.thread_time if _clock_name(workers) == "thread" else time.perf_counter
    rng = np.random.default_rng(0)
    psi0 = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    v = np.zeros((3, *shape), dtype=np.complex128)
    k_rest = np.zeros((1, psi0.size // shape[-1]), dtype=np.complex128)
    k_last = np.zeros((1, shape[-1]), dtype=np.complex128)
    vi, ki = np.array([0, 1], dtype=np.int64), np.array([0], dtype=np.int64)
    arrays = {name: e.aligned(psi0.copy()) for name, e in engines.items()}

    def once(name: str, n: int) -> float:
        t = clock()
        engines[name].evolve(arrays[name], v, k_rest, k_last, vi, ki, 2, n)
        return clock() - t

    steps = {}
    for name in engines:
        once(name, 1)  # compile / first touch
        steps[name] = max(2, min(200, int(AUTO_TIMING / max(once(name, 1), 1e-7))))
    # the median, not the best: a threaded FFT on a loaded machine is fast only when all its
    # threads happen to be scheduled (measured on 2 shared cores, 1D 4096, 2 FFTW threads: best
    # 0.7 ms per sub-step, median 165 ms), and the decision is cached for good
    runs: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(5):
        for name in engines:
            runs[name].append(once(name, steps[name]) / steps[name])
    return {name: float(np.median(t)) for name, t in runs.items()}


def _auto(kern: ModuleType, shape: tuple[int, ...], workers: int) -> FFTEngine:
    global _decisions
    import numba
    import pyfftw

    key = (
        f"{'x'.join(map(str, shape))} workers={workers} cpus={os.cpu_count()} "
        f"pyfftw={pyfftw.__version__} numba={numba.__version__}"
    )
    names = _candidates(shape, workers)
    clock = _clock_name(workers)
    with _lock:
        entry = _read_decisions().get(key)
    revision = _engines_revision()
    # a decision stands while it was taken among the same candidates, by the same clock, with
    # the same engine code: a quantgeo that adds or changes an engine times again, once
    if (
        isinstance(entry, dict)
        and entry.get("name") in names
        and isinstance(entry.get("timings"), dict)
        and set(entry["timings"]) == set(names)
        and entry.get("clock") == clock
        and entry.get("revision") == revision
    ):
        engine = _candidate(entry["name"], kern, shape, workers)
        engine.info = {
            "name": engine.name,
            "requested": "auto",
            "timings": dict(entry.get("timings", {})),
            "cached": True,
        }
        return engine
    # once per shape and thread count (FFTW_MEASURE planning can take seconds on big lattices)
    _log.info("fft='auto': planning and timing %s for %s (cached in %s)", names, key, cache_dir())
    engines = {name: _candidate(name, kern, shape, workers) for name in names}
    timings = _time_candidates(engines, shape, workers)
    best = min(timings, key=timings.__getitem__)
    _log.info("fft='auto': %s is fastest for %s (s per sub-step: %s)", best, key, timings)
    engine = engines[best]
    with _lock:
        data = _read_json(_DECISIONS)  # fresh: other processes may have added decisions
        data[key] = {"name": best, "timings": timings, "clock": clock, "revision": revision}
        _write_json(_DECISIONS, data)
        _decisions = None  # read again (with its new signature) by the next solver
    engine.info = {"name": engine.name, "requested": "auto", "timings": timings, "cached": False}
    return engine


def make_fft(
    fft: str, backend: str, kern: ModuleType, shape: tuple[int, ...], workers: int
) -> FFTEngine:
    """The :class:`FFTEngine` of the ``fft`` option (see the module docstring).

    Raises
    ------
    ValueError
        Naming ``fft`` when it is not one of :data:`FFT_CHOICES`, when ``"fftw"`` is asked for
        without pyFFTW, or ``"rocket"`` with ``backend="numpy"``.
    """
    check_choice("fft", fft, FFT_CHOICES)
    if backend == "numpy":
        if fft == "rocket":
            raise ValueError(
                "`fft` 'rocket' runs inside the Numba kernels, got backend='numpy'; use "
                "fft='scipy' (the NumPy twins' FFT), 'fftw' or 'auto' with backend='numpy'"
            )
        engine: FFTEngine
        if fft == "fftw":
            engine = _make_fftw(kern, shape, workers)
        else:
            engine = _TwinEngine(kern, shape, workers)
    elif fft == "auto":
        engine = _auto(kern, shape, workers) if have_pyfftw() else FFTEngine(kern, shape, workers)
    elif fft == "fftw":
        engine = _make_fftw(kern, shape, workers)
    elif fft == "scipy":
        engine = _ScipyEngine(kern, shape, workers)
    else:
        engine = FFTEngine(kern, shape, workers)
    engine.info.setdefault("requested", fft)
    engine.info["name"] = engine.name
    return engine


def _make_fftw(kern: ModuleType, shape: tuple[int, ...], workers: int) -> FFTEngine:
    if not have_pyfftw():
        raise ValueError(
            "`fft` 'fftw' needs pyFFTW, which is not installed (pip install 'quantgeo[fftw]'); "
            "use fft='auto', 'rocket' or 'scipy'"
        )
    return _candidate("fftw", kern, shape, workers)


def clear_process_state() -> None:
    """Forget that the wisdom file was read, which plans were saved to it, the decisions
    read and the FFTW plans kept for reuse (tests that change :func:`cache_dir`)."""
    global _wisdom_loaded, _decisions

    with _lock:
        _wisdom_loaded = False
        _planned.clear()
        _decisions = None
        native = sys.modules.get("quantgeo.solvers.fftw_native")  # h-r3: the plan cache
        if native is not None:
            native.clear_plan_cache()
