r"""QuTiP at its best: quantgeo against every applicable ``qutip.sesolve`` method at equal accuracy.

Used by ``benchmarks/qutip_methods.py`` and ``quantgeo bench --qutip-methods all``.

The problem is a coherent state in a harmonic trap (or a shaken trap, whose ``QobjEvo`` rules
out ``diag`` and ``krylov``) on the periodic lattice, recorded at ``records`` times over
``[0, t_end]``.  The error of a run is the largest relative L2 distance over the record times,

.. math::  e = \max_j \lVert c(t_j) - c_{\rm ex}(t_j)\rVert_2 / \lVert c_{\rm ex}(t_j)\rVert_2 ,

with :math:`c = \psi\sqrt{\Delta V}` the unit ket.  The exact reference :math:`c_{\rm ex}` is
``scipy.sparse.linalg.expm_multiply`` of the same sparse lattice operator for a constant H, and
the fourth-order commutator-free Magnus integrator (two ``expm_multiply`` per step, step halved
until the step-doubling estimate is 1000× below the target) for a time-dependent H.

Every engine setting is searched for the cheapest one that reaches the accuracy: QuTiP's ODE
methods tighten ``atol = rtol`` along a half-decade ladder; ``krylov`` does the same for each
``krylov_dim`` of :data:`KRYLOV_DIMS`; ``diag`` has nothing to tune (its eigendecomposition is
part of the timed ``sesolve`` call); quantgeo takes the largest dt of a ladder for each scheme
of :data:`SCHEMES` (every registered scheme), then the fastest ``fft`` choice at that dt
(:func:`fft_choices`).  The kept settings are then timed in interleaved rounds (the order rotates
each round; ``gc.collect()`` before each timed call, outside the timing, so that no call pays
for the collection of the one before's garbage) and compared by the median.  QuTiP is timed
from the ``sesolve`` call on a prebuilt ``Qobj``; quantgeo from the solver's construction.
Between runs of one problem a process keeps what does not change (FFTW plans by shape, the
potential and kinetic factors by the values they are built from, the phase check's measures
of the initial state); with ``cold`` every timed quantgeo run starts by emptying those
(:func:`clear_reuse`) and computes all of it.
"""

from __future__ import annotations

import gc
import itertools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._validation import check_int
from quantgeo.errors import QuantgeoWarning
from quantgeo.solvers.schemes import SCHEMES as _REGISTERED

__all__ = [
    "KRYLOV_DIMS",
    "METHODS",
    "SCHEMES",
    "Problem",
    "Setting",
    "clear_reuse",
    "compare_methods",
    "exact_states",
    "fft_choices",
    "format_methods",
    "make_problem",
    "parse_size",
    "quantgeo_setting",
    "qutip_setting",
    "relative_error",
    "run_qutip_methods",
]

#: QuTiP ``sesolve`` methods tried (``diag`` and ``krylov`` need a constant H).
METHODS = ("adams", "bdf", "vern9", "dop853", "krylov", "diag")
#: quantgeo splitting schemes tried: every registered one.
SCHEMES = tuple(_REGISTERED)
#: Krylov subspace dimensions tried (capped at the lattice size).
KRYLOV_DIMS = (10, 20, 40, 80)
#: ``atol = rtol`` ladder of the QuTiP methods, 1e-3 … 1e-14, loosest first (half decades).
TOLERANCES = tuple(10.0 ** (-k / 2) for k in range(6, 29))
#: quantgeo steps per record interval, fewest first: every count to 16, then factors of ~2^¼
#: (the step count is the cost, so a coarse ladder would overcharge quantgeo by up to ×1.4).
STEPS = (*range(1, 17), *sorted({round(16 * 2 ** (k / 4)) for k in range(1, 25)}))
#: Sites above which ``diag`` is skipped: its dense N×N eigendecomposition (``zgeev`` plus an
#: inverse, O(N³)) at 20³ = 8000 sites needs ~3 GiB and minutes on one core.
DIAG_MAX_SITES = 4096
#: A setting this many times slower than the fastest of its side is not searched or timed
#: further: it cannot be the fastest, even on a noisy machine.
_PRUNE = 3.0
#: Default sizes and targets of the table (issue 13, R3).
SIZES = ("1024", "48x48", "20x20x20", "driven:1024")
QUICK_SIZES = ("128", "12x12", "6x6x6", "driven:128")
TARGETS = {"1024": 100.0, "48x48": 30.0}


@dataclass
class Problem:
    """One benchmark problem: the Hamiltonian, the initial state, the record times and the
    exact states (unit kets, shape ``(len(times), lattice.size)``)."""

    label: str
    ham: Any
    psi0: Any
    times: NDArray[np.float64]
    exact: NDArray[np.complex128]
    qobj: Any = None  # H as Qobj / QobjEvo, built once

    @property
    def constant(self) -> bool:
        """Whether H is time independent (``diag`` and ``krylov`` apply)."""
        return not self.ham.time_dependent


@dataclass(eq=False)  # compared by identity
class Setting:
    """The cheapest setting of one engine method that reaches the accuracy (or why none)."""

    engine: str  # "quantgeo" or "qutip"
    method: str
    options: dict[str, Any] = field(default_factory=dict)
    error: float = float("nan")
    run: Callable[[], Any] | None = None  # the timed call
    skipped: str = ""  # reason, when the method was not timed
    seconds: float = float("inf")  # the run time seen by the search
    times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        """Median of the timed rounds (s); NaN when not timed."""
        return float(np.median(self.times)) if self.times else float("nan")

    def describe(self) -> str:
        """The setting as text (``dt=0.0625`` / ``tol=1e-08 krylov_dim=20``)."""
        return " ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.options.items()
        )


def parse_size(spec: str) -> tuple[tuple[int, ...], bool]:
    """``"1024"`` / ``"48x48"`` / ``"20x20x20"`` / ``"driven:1024"`` → (shape, driven)."""
    driven = spec.startswith("driven:")
    body = spec.removeprefix("driven:")
    try:
        shape = tuple(int(n) for n in body.split("x"))
    except ValueError:
        shape = ()
    if not 1 <= len(shape) <= 3 or min(shape) < 4:
        raise ValueError(
            f"`size` must be like 1024, 48x48, 20x20x20 or driven:1024 (1 to 3 axes of at least "
            f"4 sites), got {spec!r}"
        )
    return shape, driven


def make_problem(
    shape: tuple[int, ...], driven: bool = False, t_end: float = 10.0, records: int = 11
) -> Problem:
    r"""Coherent state (centre 1.5, momentum 0.5 on every axis) in ``harmonic(1)`` on
    :math:`[-10, 10)^d`, or in ``shaken_trap(1, amplitude=0.5, drive_frequency=1.3)`` when
    ``driven``; the exact states on ``records`` equally spaced times of ``[0, t_end]``."""
    import quantgeo as qg
    from quantgeo.potentials import harmonic, shaken_trap
    from quantgeo.reference import QutipReference

    lat = qg.Lattice(shape, (-10.0, 10.0))
    pot = shaken_trap(1.0, amplitude=0.5, drive_frequency=1.3) if driven else harmonic(1.0)
    ham = qg.Hamiltonian(lat, pot)
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)
    times = np.linspace(0.0, t_end, records)
    label = ("driven " if driven else "") + "x".join(map(str, shape))
    exact = exact_states(ham, psi0.data, times)
    return Problem(label, ham, psi0, times, exact, QutipReference(ham).operator())


def _ket(data: NDArray[Any], cell_volume: float) -> NDArray[np.complex128]:
    return np.asarray(data, dtype=np.complex128).ravel() * np.sqrt(cell_volume)


def exact_states(
    ham: Any, psi0: NDArray[Any], times: NDArray[np.float64], tol: float = 1e-9
) -> NDArray[np.complex128]:
    r"""Unit kets :math:`c(t_j)` (shape ``(len(times), N)``) of :math:`i\hbar\dot c = Hc`.

    Constant H: :math:`c(t) = e^{-iHt/\hbar}c_0` by ``expm_multiply`` (double precision).
    Time-dependent H: the commutator-free Magnus integrator of order 4 (Blanes & Moan 2006),

    .. math::  c \leftarrow e^{-ih(a_-H_1 + a_+H_2)/\hbar}\,e^{-ih(a_+H_1 + a_-H_2)/\hbar}\,c,
       \quad a_\pm = \tfrac14 \pm \tfrac{\sqrt3}{6},\quad H_{1,2} = H(t + (\tfrac12\mp
       \tfrac{\sqrt3}{6})h),

    with the number of steps doubled until the step-doubling estimate
    :math:`\lVert c_h - c_{h/2}\rVert/15` at every record time is ≤ ``tol``.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import expm_multiply

    c0 = _ket(psi0, ham.lattice.cell_volume)
    hb = ham.hbar
    if not ham.time_dependent:
        a = (-1j / hb) * ham.to_sparse().astype(np.complex128)
        out = expm_multiply(a, c0, start=times[0], stop=times[-1], num=len(times), endpoint=True)
        return np.asarray(out, dtype=np.complex128)

    kin = ham.kinetic_sparse()

    def magnus(per: int) -> NDArray[np.complex128]:
        ap, am = 0.25 + np.sqrt(3) / 6, 0.25 - np.sqrt(3) / 6
        s1, s2 = 0.5 - np.sqrt(3) / 6, 0.5 + np.sqrt(3) / 6
        c = c0.copy()
        states = [c.copy()]
        for t0, t1 in itertools.pairwise(times):
            h = (t1 - t0) / per
            for n in range(per):
                t = t0 + n * h
                v1, v2 = (ham.potential_values(t + s * h).ravel() for s in (s1, s2))
                for w1, w2 in ((ap, am), (am, ap)):  # H(t) = K + diag V(t), as to_sparse
                    a = (-1j * h / hb) * (kin * (w1 + w2) + sp.diags(w1 * v1 + w2 * v2))
                    c = expm_multiply(a.tocsr(), c)
            states.append(c.copy())
        return np.array(states)

    per = 8
    coarse = magnus(per)
    while True:
        fine = magnus(2 * per)
        if np.linalg.norm(fine - coarse, axis=1).max() / 15 <= tol or per >= 4096:
            return fine
        per, coarse = 2 * per, fine


def relative_error(states: NDArray[np.complex128], exact: NDArray[np.complex128]) -> float:
    """Largest relative L2 distance of ``states`` from ``exact`` over the record times."""
    diff = np.linalg.norm(states - exact, axis=1) / np.linalg.norm(exact, axis=1)
    return float(diff.max())


def _qutip_call(problem: Problem, method: str, options: dict[str, Any]) -> Callable[[], Any]:
    import qutip

    from quantgeo._qutip import ket_from_array

    ket = ket_from_array(problem.psi0.data, problem.ham.lattice)
    opts = {"method": method, "progress_bar": "", "store_states": True, **options}
    if method != "diag":
        opts.setdefault("nsteps", 10_000_000)
    if "tol" in opts:
        tol = opts.pop("tol")
        opts["atol"] = tol
        if method != "krylov":  # krylov has atol only
            opts["rtol"] = tol
    return lambda: qutip.sesolve(problem.qobj, ket, problem.times, options=opts)


def _qutip_states(result: Any) -> NDArray[np.complex128]:
    return np.array([s.full().ravel() for s in result.states])


def _try(
    run: Callable[[], Any],
    states: Callable[[Any], NDArray[np.complex128]],
    exact: NDArray[np.complex128],
) -> tuple[float, float]:
    """(error, seconds) of one run; an integrator failure counts as not reaching."""
    t = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # coarse rungs of the dt ladder warn (aliasing, splitting error): expected there
            warnings.simplefilter("ignore", QuantgeoWarning)
            out = run()
    except Exception:  # any QuTiP/solver failure means "not this setting"
        return float("inf"), time.perf_counter() - t
    seconds = time.perf_counter() - t
    return relative_error(states(out), exact), seconds


def qutip_setting(
    problem: Problem, method: str, target: float = 1e-6, budget: float = float("inf")
) -> Setting:
    """The cheapest ``method`` setting whose error is ≤ ``target``, or the reason it was
    skipped: ``diag`` and ``krylov`` need a constant H; ``diag`` is not run above
    :data:`DIAG_MAX_SITES` sites; a run that misses the target and already takes more than
    ``budget`` seconds ends the search (a tighter tolerance only costs more)."""
    import qutip

    cls = qutip.SESolver.avail_integrators()[method]
    if not problem.constant and not cls.support_time_dependant:
        return Setting("qutip", method, skipped="needs a constant H (QobjEvo given)")
    if method == "diag":
        n = problem.ham.lattice.size
        if n > DIAG_MAX_SITES:
            gib = 3 * 16 * n * n / 2**30
            return Setting(
                "qutip",
                method,
                skipped=f"dense {n}² eig + inverse: ~{gib:.0f} GiB, "
                f"O(N³); above {DIAG_MAX_SITES} sites",
            )
        run = _qutip_call(problem, method, {})
        err, seconds = _try(run, _qutip_states, problem.exact)
        if err > target:
            return Setting("qutip", method, error=err, skipped=f"error {err:.1e} > {target:g}")
        return Setting("qutip", method, {}, err, run, seconds=seconds)
    dims: Sequence[int | None] = (None,)
    if method == "krylov":
        dims = sorted({min(d, problem.ham.lattice.size) for d in KRYLOV_DIMS})
    best: Setting | None = None
    last, why = float("inf"), ""
    for dim in dims:
        extra = {} if dim is None else {"krylov_dim": dim}

        def attempt(tol: float, extra: dict[str, Any] = extra) -> tuple[float, float, Any]:
            run = _qutip_call(problem, method, {"tol": tol, **extra})
            return (*_try(run, _qutip_states, problem.exact), run)

        # each krylov_dim searches the whole ladder: the tolerance it needs depends on the dim
        k, err, seconds, run = _loosest(attempt, TOLERANCES, target, budget)
        last = min(last, err)
        if k is None:
            dim_text = "" if dim is None else f"krylov_dim={dim}: "
            why = why or (
                f"{dim_text}above {target:g} after {seconds:.3g} s > budget {budget:.3g} s"
                if np.isfinite(seconds)
                else f"{dim_text}no tolerance ≥ {TOLERANCES[-1]:.0e} reached {target:g}"
            )
            continue
        tol = TOLERANCES[k]
        if best is None or seconds < best.seconds:
            best = Setting("qutip", method, {"tol": tol, **extra}, err, run, seconds=seconds)
            budget = min(budget, _PRUNE * seconds)
    if best is None:
        return Setting("qutip", method, error=last, skipped=why)
    return best


def _loosest(
    attempt: Callable[[float], tuple[float, float, Any]],
    ladder: Sequence[float],
    target: float,
    budget: float = float("inf"),
) -> tuple[int | None, float, float, Any]:
    """(index, error, seconds, run) of the loosest rung of the half-decade ``ladder`` whose
    error is ≤ ``target``: whole decades first, then the half decade above the first that
    passes (tightening a tolerance costs more each rung, so the tight end is tried last).
    ``(None, smallest error, seconds, None)`` when no rung passes (``seconds``: finite when a
    failing rung took longer than ``budget`` and ended the search)."""
    smallest = float("inf")
    for k in range(0, len(ladder), 2):
        err, seconds, run = attempt(ladder[k])
        smallest = min(smallest, err)
        if err > target and seconds > budget:
            return None, smallest, seconds, None
        if err <= target:
            if k > 0:
                err2, seconds2, run2 = attempt(ladder[k - 1])
                if err2 <= target:
                    return k - 1, err2, seconds2, run2
            return k, err, seconds, run
    return None, smallest, float("inf"), None


def clear_reuse() -> None:
    """Empty what quantgeo keeps between runs in a process (FFTW plans by shape, potential and
    kinetic factors by content, the phase check's measures of an initial state): a run
    after this computes everything, as the first run of a problem does."""
    from quantgeo.solvers import accuracy, factors, fftw_native

    fftw_native.clear_plan_cache()
    factors.factor_cache.clear()
    accuracy.clear_phase_measures()


def quantgeo_setting(
    problem: Problem,
    scheme: str,
    target: float = 1e-6,
    budget: float = float("inf"),
    ffts: Sequence[str] | None = None,
    cold: bool = False,
) -> Setting:
    """The largest dt of the :data:`STEPS` ladder (steps per record interval) for which the
    split-operator solver with ``scheme`` has error ≤ ``target`` (the search ends at a failing
    run that takes longer than ``budget`` seconds); at that dt, the fastest of the ``fft``
    choices ``ffts`` (default :func:`fft_choices`, median of :data:`FFT_TRIALS` runs) whose
    error is also ≤ ``target``.  With ``cold`` every run starts with :func:`clear_reuse`
    (timed): nothing kept from the runs before it."""
    import quantgeo as qg

    interval = float(problem.times[1] - problem.times[0])
    span = (float(problem.times[0]), float(problem.times[-1]))
    cell = problem.ham.lattice.cell_volume

    def call(dt: float, fft: str = "auto") -> Callable[[], Any]:
        def run() -> Any:
            if cold:
                clear_reuse()
            solver = qg.SplitOperatorSolver(problem.ham, dt, scheme, fft=fft)
            rec = qg.Recorder(problem.times, observables=())
            return solver.run(problem.psi0, span, recorder=rec, progress=False)

        return run

    def states(traj: Any) -> NDArray[np.complex128]:
        return np.array([_ket(s, cell) for s in traj.states])

    _try(call(interval / STEPS[0]), states, problem.exact)  # compile/load the kernels first
    last = float("inf")
    for n in STEPS:
        run = call(interval / n)
        err, seconds = _try(run, states, problem.exact)
        last = min(last, err)
        if err <= target:
            return _fastest_fft(scheme, call, interval / n, states, problem, target, ffts)
        if seconds > budget:
            why = f"above {target:g} at dt={interval / n:.3g} after {seconds:.3g} s > budget"
            return Setting("quantgeo", scheme, error=last, skipped=why)
    why = f"no dt ≥ {interval / STEPS[-1]:.2g} reached {target:g}"
    return Setting("quantgeo", scheme, error=last, skipped=why)


#: Runs per ``fft`` choice when :func:`quantgeo_setting` picks the fastest (median).
FFT_TRIALS = 3


def fft_choices() -> tuple[str, ...]:
    """The solver's ``fft`` values tried: ``"auto"`` (the default), and ``"rocket"`` and
    ``"fftw"`` named explicitly (``"fftw"`` only with pyFFTW installed).  ``"auto"`` decides
    from the bare FFT timings, which at small sizes can differ from the whole run's."""
    from quantgeo.solvers.fft import have_pyfftw

    return ("auto", "rocket", "fftw") if have_pyfftw() else ("auto", "rocket")


def _fastest_fft(
    scheme: str,
    call: Callable[[float, str], Callable[[], Any]],
    dt: float,
    states: Callable[[Any], NDArray[np.complex128]],
    problem: Problem,
    target: float,
    ffts: Sequence[str] | None,
) -> Setting:
    """The setting at ``dt`` with the fastest ``fft`` choice whose error is ≤ ``target``."""
    best: Setting | None = None
    for fft in ffts or fft_choices():
        run = call(dt, fft)
        err, _ = _try(run, states, problem.exact)  # also builds any FFTW plan / auto decision
        if err > target:
            continue
        seconds = float(np.median([_try(run, states, problem.exact)[1] for _ in range(FFT_TRIALS)]))
        if best is None or seconds < best.seconds:
            best = Setting("quantgeo", scheme, {"dt": dt, "fft": fft}, err, run, seconds=seconds)
    if best is None:
        return Setting("quantgeo", scheme, skipped=f"no `fft` of {ffts} reached {target:g}")
    return best


def _time_rounds(groups: list[list[Setting]], rounds: int, prune: float = _PRUNE) -> None:
    """Time every runnable setting once per round, rotating the order each round.

    After the first round a setting more than ``prune`` times slower than the fastest of its
    group (quantgeo's schemes, QuTiP's methods) is not timed again: it cannot be the fastest,
    and the slow ODE methods would otherwise dominate the benchmark's run time.
    """
    live = [s for g in groups for s in g if s.run is not None]
    with warnings.catch_warnings():
        # the kept settings were checked against the exact states; the solver's phase-per-step
        # check (by dt, not by the sub-step weights) warns at the long dt of high-order schemes
        warnings.simplefilter("ignore", QuantgeoWarning)
        _timed_rounds(groups, live, rounds, prune)


def _timed_rounds(
    groups: list[list[Setting]], live: list[Setting], rounds: int, prune: float
) -> None:
    """The rounds of :func:`_time_rounds` on the ``live`` settings."""
    for r in range(rounds):
        k = r % len(live) if live else 0
        for s in live[k:] + live[:k]:
            assert s.run is not None
            # the garbage of the call before (QuTiP's objects) is collected outside the
            # timing: a cyclic collection it triggers would otherwise land in the next call
            # (measured at 48²: quantgeo's 7.6 ms run took 16 ms right after a dop853 run,
            # 10.8 ms with this collection)
            gc.collect()
            t = time.perf_counter()
            s.run()
            s.times.append(time.perf_counter() - t)
        if r == 0:
            keep = []
            for g in groups:
                timed = [s for s in g if s.times]
                best = min((s.times[0] for s in timed), default=0.0)
                keep += [s for s in timed if s.times[0] <= prune * best]
            live = [s for s in live if s in keep]


def compare_methods(
    problem: Problem,
    methods: Sequence[str] = METHODS,
    schemes: Sequence[str] = SCHEMES,
    target: float = 1e-6,
    rounds: int = 5,
    cold: bool = False,
) -> dict[str, Any]:
    """Search every method and scheme, time the kept settings in ``rounds`` interleaved rounds,
    and return the row: settings, the fastest of each side and the ratio of their medians
    (``cold``: quantgeo's runs keep nothing from the runs before, :func:`quantgeo_setting`)."""
    ours = [quantgeo_setting(problem, s, target, cold=cold) for s in schemes]
    theirs: list[Setting] = []
    for m in methods:  # QuTiP's slow methods end their search once they cannot be fastest
        budget = _PRUNE * min((s.seconds for s in theirs), default=float("inf"))
        theirs.append(qutip_setting(problem, m, target, budget))
    _time_rounds([ours, theirs], rounds)

    def fastest(group: list[Setting]) -> Setting | None:
        timed = [s for s in group if s.times]
        return min(timed, key=lambda s: s.median) if timed else None

    q, t = fastest(ours), fastest(theirs)
    ratio = t.median / q.median if q is not None and t is not None else float("nan")
    return {
        "problem": problem.label,
        "sites": int(problem.ham.lattice.size),
        "target_error": target,
        "rounds": rounds,
        "cold": cold,
        "settings": ours + theirs,
        "quantgeo": q,
        "qutip": t,
        "ratio": ratio,
    }


def run_qutip_methods(
    sizes: Sequence[str] | None = None,
    *,
    quick: bool = False,
    methods: Sequence[str] = METHODS,
    rounds: int | None = None,
    target: float = 1e-6,
    cold: bool = False,
) -> list[dict[str, Any]]:
    """The comparison of :func:`compare_methods` on each size of ``sizes`` (default
    :data:`SIZES`, or :data:`QUICK_SIZES` with ``quick``); ``rounds`` defaults to 5 (quick 1);
    ``cold``: quantgeo's runs reuse nothing from the runs before (:func:`clear_reuse`)."""
    for m in methods:
        if m not in METHODS:
            raise ValueError(f"`methods` has {m!r}; allowed: {', '.join(METHODS)}")
    specs = list(sizes) if sizes else list(QUICK_SIZES if quick else SIZES)
    n_rounds = check_int("rounds", rounds) if rounds is not None else (1 if quick else 5)
    rows = []
    for spec in specs:
        shape, driven = parse_size(spec)
        problem = make_problem(shape, driven)
        row = compare_methods(problem, methods, SCHEMES, target, n_rounds, cold=cold)
        row["target"] = TARGETS.get(spec)
        rows.append(row)
    return rows


def to_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each :class:`Setting` as a plain dict (for ``--json``)."""

    def plain(s: Setting | None) -> dict[str, Any] | None:
        if s is None:
            return None
        return {
            "engine": s.engine,
            "method": s.method,
            "options": s.options,
            "error": s.error,
            "median_s": s.median,
            "times_s": s.times,
            "skipped": s.skipped,
        }

    out = []
    for r in rows:
        d = {k: v for k, v in r.items() if k not in ("settings", "quantgeo", "qutip")}
        d["settings"] = [plain(s) for s in r["settings"]]
        d["quantgeo"], d["qutip"] = plain(r["quantgeo"]), plain(r["qutip"])
        out.append(d)
    return out


def format_methods(rows: list[dict[str, Any]]) -> str:
    """Two plain-text tables: every method per problem (median time, error, setting, × the
    fastest quantgeo scheme), then the ratio to QuTiP's fastest method per problem."""
    from quantgeo._table import Column, format_table

    detail = []
    for r in rows:
        q = r["quantgeo"]
        for s in r["settings"]:
            rel = s.median / q.median if q is not None and s.times else float("nan")
            note = s.skipped or ("fastest" if s is r["quantgeo"] or s is r["qutip"] else "")
            detail.append(
                [
                    r["problem"],
                    s.engine,
                    s.method,
                    s.describe() or "-",
                    s.error,
                    s.median * 1e3,
                    rel,
                    note,
                ]
            )
    cols = [
        Column("problem"),
        Column("engine"),
        Column("method"),
        Column("setting"),
        Column("error", ">", spec=".1e"),
        Column("median ms", ">", spec=".3g"),
        Column("× quantgeo", ">", spec=".3g"),
        Column("note"),
    ]
    summary = []
    for r in rows:
        q, t = r["quantgeo"], r["qutip"]
        target = r.get("target")
        ok = "" if target is None else ("yes" if r["ratio"] >= target else "NO (!)")
        summary.append(
            [
                r["problem"],
                f"{q.method} {q.describe()}" if q else "-",
                f"{t.method} {t.describe()}".strip() if t else "-",
                r["ratio"],
                "(report)" if target is None else f">= {target:g}",
                ok,
            ]
        )
    scols = [
        Column("problem"),
        Column("quantgeo (fastest scheme)"),
        Column("QuTiP fastest method"),
        Column("ratio", ">", spec=".3g"),
        Column("target"),
        Column("met"),
    ]
    head = (
        f"Equal accuracy (relative L2 error <= {rows[0]['target_error']:g} at every record "
        f"time), median of {rows[0]['rounds']} interleaved rounds"
        + ("; quantgeo cold (nothing reused between runs)" if rows[0].get("cold") else "")
        if rows
        else ""
    )
    return "\n".join([head, format_table(detail, cols), "", format_table(summary, scols)])
