r"""Born statistics of an ensemble of learners (THEORY.md §2, E3).

Walkers :math:`X \in` the periodic box follow the Itô SDE

.. math::
    dX_i = b_i(X, t)\,dt + \sqrt{2 D_{a,i}}\,dW_i,\qquad
    b = \frac{\hbar}{M}\,(\operatorname{Im} + \operatorname{Re})\frac{\nabla\psi}{\psi},\qquad
    D_a = \frac{\hbar}{2}\,M^{1-2a}\,\bar m^{\,2a-2},\quad \bar m = (\det M)^{1/d}

with ψ(t) the split-operator solution on the lattice (drift interpolated multilinearly in space
and linearly in time) and :math:`M = \operatorname{diag}(m_i)` the mass tensor of the
Hamiltonian.  The drift is the current velocity plus the osmotic velocity
:math:`(\hbar/2M)\nabla\ln|\psi|^2`; the noise of the learning family
:math:`g = c\,\kappa^a` with :math:`\kappa \propto M` gives :math:`D_a` (the same
:math:`\det D_a` for every a).  The Fokker–Planck equation of the walkers is
:math:`\partial_t p = -\nabla\cdot(v p) + \nabla\cdot((D_a - D_1)\nabla p)` when
:math:`p = |\psi|^2`: only at a = 1 (Nelson's :math:`D = \hbar/2M`) does the ensemble keep
:math:`|\psi(t)|^2`; with an anisotropic M the other members depart from it.

The histogram uses the lattice cells (a cell of size :math:`\Delta_i` centred on every site) and
is compared with :math:`P_n = |\psi_n|^2\Delta V` by the total-variation distance
:math:`\mathrm{TV} = \tfrac12\sum_n |h_n - P_n|`.  Its sampling floor — the distance of W
independent draws from P itself — is estimated by multinomial draws (mean and standard
deviation) and by the normal approximation
:math:`\tfrac12\sum_n\sqrt{2P_n(1-P_n)/\pi W} \propto 1/\sqrt W`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._options import check_options, option
from quantgeo._preflight import Estimate, check_run, fmt_count, run_estimate
from quantgeo._validation import check_int, check_positive, check_real
from quantgeo.errors import StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import (
    FiniteCheck,
    Plan,
    ProgressTracker,
    plan_run,
    run_info,
    run_plan,
)
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import SplitOperatorSolver
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = [
    "ENSEMBLE_OBSERVABLES",
    "FLOOR_OBSERVABLES",
    "BornEnsemble",
    "BornOptions",
    "BornSummary",
    "diffusion_tensor",
    "drift_field",
    "sampling_floor",
    "total_variation",
]

FArray = NDArray[np.float64]
CArray = NDArray[np.complex128]

#: Names a :class:`~quantgeo.recording.Recorder` may ask the Born ensemble for.
ENSEMBLE_OBSERVABLES = (
    "tv",
    "floor_mean",
    "floor_std",
    "floor_normal",
    "mean",
    "cov",
    "norm",
)
#: The records :meth:`BornSummary.from_trajectory` needs (the default of :meth:`BornEnsemble.run`).
FLOOR_OBSERVABLES = ("tv", "floor_mean", "floor_std", "floor_normal")
# walker steps between finiteness checks and progress updates
_CHUNK = 10


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer))


def diffusion_tensor(mass: Sequence[float] | FArray, a: float, hbar: float = 1.0) -> FArray:
    r"""Diagonal of the walkers' diffusion tensor :math:`D_a` (THEORY.md E3).

    .. math::
        D_a = \frac{\hbar}{2}\,M^{1-2a}\,\bar m^{\,2a-2},\qquad \bar m = (\det M)^{1/d}

    Parameters
    ----------
    mass
        Diagonal of the mass tensor M, shape ``(d,)`` (> 0).
    a
        Exponent of the metric family :math:`g = c\,\kappa^a`.
    hbar
        ħ.

    Returns
    -------
    float64 array, shape ``(d,)`` (length²/time).  a = 1 gives :math:`\hbar/2m_i`; every a gives
    the same product :math:`\prod_i D_{a,i} = (\hbar/2)^d/\det M`.
    """
    m = np.asarray(mass, dtype=float)
    mbar = float(np.prod(m)) ** (1.0 / m.size)
    return 0.5 * hbar * m ** (1.0 - 2.0 * a) * mbar ** (2.0 * a - 2.0)


def total_variation(h: FArray, p: FArray) -> float:
    r""":math:`\tfrac12\sum_n |h_n - p_n|` of two probability vectors (any matching shape)."""
    return 0.5 * float(np.sum(np.abs(np.asarray(h) - np.asarray(p))))


def sampling_floor(
    probs: FArray, walkers: int, rng: np.random.Generator, draws: int = 200
) -> tuple[float, float, float]:
    r"""Total-variation distance of ``walkers`` exact draws from ``probs`` to ``probs``.

    Parameters
    ----------
    probs
        Cell probabilities :math:`P_n` (any shape, summing to 1).
    walkers
        Sample size W.
    rng
        Random generator for the multinomial draws.
    draws
        Number of multinomial samples.

    Returns
    -------
    mean, std
        Mean and standard deviation of TV over the multinomial samples.
    normal
        Normal approximation :math:`\tfrac12\sum_n\sqrt{2P_n(1-P_n)/(\pi W)}` (∝ 1/√W).
    """
    p = np.clip(np.asarray(probs, dtype=float).ravel(), 0.0, None)
    p = p / p.sum()
    counts = rng.multinomial(walkers, p, size=draws)
    tv = 0.5 * np.abs(counts / walkers - p[None, :]).sum(axis=1)
    normal = 0.5 * float(np.sum(np.sqrt(2.0 * p * (1.0 - p) / (math.pi * walkers))))
    return float(tv.mean()), float(tv.std(ddof=1)), normal


def drift_field(psi: CArray, lattice: Lattice, mass: FArray, hbar: float) -> FArray:
    r"""Nelson drift on the sites.

    .. math::
        b_i = \frac{\hbar}{m_i}\,(\operatorname{Im} + \operatorname{Re})\,\partial_i\ln\psi

    :math:`\partial_i \ln\psi` is the central difference of :math:`\ln\psi = \ln|\psi| + i\arg\psi`
    (phase difference wrapped to :math:`(-\pi, \pi]`): second order in :math:`\Delta_i`, exact for
    a Gaussian (quadratic :math:`\ln\psi`), and free of the round-off of
    :math:`\nabla\psi/\psi` on tails.

    Parameters
    ----------
    psi
        Site values, shape ``lattice.shape``.
    mass
        Mass per axis, shape ``(d,)``.

    Returns
    -------
    float64 array, shape ``(d, *lattice.shape)`` (length/time).

    Raises
    ------
    StabilityError
        If ψ vanishes on a site (the drift is singular at nodes).
    """
    amp = np.abs(psi)
    if not np.all(amp > 0):
        site = tuple(int(i) for i in np.argwhere(amp == 0)[0])
        raise StabilityError(
            f"ψ vanishes at site {site}: the Born-ensemble drift ∇ψ/ψ is singular at nodes",
            t=math.nan,
            step=0,
        )
    lnr = np.log(amp)
    ang = np.angle(psi)
    out = np.empty((lattice.ndim, *lattice.shape))
    for i, d in enumerate(lattice.spacing):
        re = (np.roll(lnr, -1, axis=i) - np.roll(lnr, 1, axis=i)) / (2.0 * d)
        dphi = np.roll(ang, -1, axis=i) - np.roll(ang, 1, axis=i)
        im = (np.mod(dphi + np.pi, 2.0 * np.pi) - np.pi) / (2.0 * d)
        out[i] = hbar / float(mass[i]) * (im + re)
    return out


@dataclass(frozen=True)
class BornSummary:
    """Distances of one Born ensemble to :math:`|\\psi(t)|^2` and its sampling floor.

    Attributes
    ----------
    a
        Exponent of the metric family.
    walkers, seed
        Ensemble size and seed.
    diffusion
        Diagonal of :math:`D_a` (length²/time).
    times
        Record times.
    tv
        Total-variation distance at each record time.
    floor_mean, floor_std
        Mean and standard deviation of the multinomial sampling floor at each time.
    floor_normal
        Normal approximation of the floor (∝ 1/√W) at each time.
    """

    a: float
    walkers: int
    seed: int | None
    diffusion: tuple[float, ...]
    times: tuple[float, ...]
    tv: tuple[float, ...]
    floor_mean: tuple[float, ...]
    floor_std: tuple[float, ...]
    floor_normal: tuple[float, ...]

    @classmethod
    def from_trajectory(cls, traj: Trajectory) -> BornSummary:
        """Build from a :meth:`BornEnsemble.run` trajectory (needs the floor and tv records)."""
        for name in FLOOR_OBSERVABLES:
            if name not in traj.observables:
                raise ValueError(
                    f"the trajectory has no {name!r} record; run the ensemble with a Recorder "
                    f"observing {FLOOR_OBSERVABLES}"
                )
        info = traj.info
        return cls(
            a=float(info["a"]),
            walkers=int(info["walkers"]),
            seed=info.get("seed"),
            diffusion=tuple(float(x) for x in info["diffusion"]),
            times=tuple(float(t) for t in traj.times),
            tv=tuple(float(x) for x in traj["tv"]),
            floor_mean=tuple(float(x) for x in traj["floor_mean"]),
            floor_std=tuple(float(x) for x in traj["floor_std"]),
            floor_normal=tuple(float(x) for x in traj["floor_normal"]),
        )

    @property
    def max_tv(self) -> float:
        """Largest distance over the record times."""
        return max(self.tv)

    @property
    def final_tv(self) -> float:
        """Distance at the last record time."""
        return self.tv[-1]

    @property
    def z(self) -> tuple[float, ...]:
        """``(tv − floor_mean)/floor_std`` at each time: departure in floor standard deviations."""
        return tuple(
            (t - m) / s if s > 0 else math.inf
            for t, m, s in zip(self.tv, self.floor_mean, self.floor_std, strict=True)
        )

    @property
    def max_z(self) -> float:
        """Largest departure from the floor in floor standard deviations."""
        return max(self.z)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary, with ``max_tv``, ``final_tv`` and ``max_z`` added."""
        out = asdict(self)
        out.update(max_tv=self.max_tv, final_tv=self.final_tv, max_z=self.max_z)
        for key in ("diffusion", "times", "tv", "floor_mean", "floor_std", "floor_normal"):
            out[key] = list(out[key])
        return out


class _EnsembleState:
    """What the recorder sees at a record time."""

    __slots__ = ("floor", "hist", "lattice", "positions", "target", "walkers")

    def __init__(
        self,
        positions: FArray,
        hist: FArray,
        target: FArray,
        floor: tuple[float, float, float],
        lattice: Lattice,
    ) -> None:
        self.positions, self.hist, self.target, self.floor = positions, hist, target, floor
        self.lattice = lattice
        self.walkers = positions.shape[0]


def _resolve(name: str) -> Callable[[Any], Any]:
    table: dict[str, Callable[[_EnsembleState], Any]] = {
        "tv": lambda s: total_variation(s.hist, s.target),
        "floor_mean": lambda s: s.floor[0],
        "floor_std": lambda s: s.floor[1],
        "floor_normal": lambda s: s.floor[2],
        "mean": lambda s: s.positions.mean(axis=0),
        "cov": lambda s: np.atleast_2d(np.cov(s.positions, rowvar=False)),
        "norm": lambda s: float(s.hist.sum()),
    }
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"unknown observable {name!r} for the Born ensemble; allowed: "
            f"{', '.join(ENSEMBLE_OBSERVABLES)} or a callable"
        ) from None


@dataclass(frozen=True)
class BornOptions:
    """Options of :class:`BornEnsemble` (besides a, walkers and seed): defaults, units and
    ranges written once (the constructor and the scenario ``[born]`` table take them)."""

    dt: float = option(0.005, unit="time", doc="Euler–Maruyama step of the walkers", gt=0)
    psi_dt: float | None = option(
        None, unit="time", doc="Interval of the stored ψ(t) (default 10·dt)", gt=0
    )
    solver_dt: float = option(0.005, unit="time", doc="Split-operator step for ψ(t)", gt=0)
    scheme: str = option(
        "yoshida4", doc="Split-operator scheme for ψ(t)", kind="str", choices=tuple(SCHEMES)
    )
    floor_draws: int = option(
        200, unit="draws", doc="Multinomial samples of the sampling floor", kind="int", ge=2
    )

    def __post_init__(self) -> None:
        check_options(self)


class BornEnsemble:
    r"""Walkers driven by the Nelson drift of ψ(t) with the diffusion :math:`D_a` of THEORY.md E3.

    Parameters
    ----------
    ham
        Hamiltonian (either kinetic model); its per-axis mass is the mass tensor M and ψ(t) is
        computed from it with :class:`~quantgeo.solvers.SplitOperatorSolver`.
    a
        Exponent of the metric family :math:`g = c\,\kappa^a` (a = 1: Nelson, keeps
        :math:`|\psi|^2`; a = ½: isotropic noise; a = 0: noise ∝ M).
    walkers
        Number of walkers W (≥ 1).
    seed
        Seed of ``numpy.random.default_rng`` (initial positions, noise and the floor's draws).
    dt
        Euler–Maruyama time step (weak order 1).
    psi_dt
        Interval at which ψ(t) (and so the drift) is stored and linearly interpolated in time;
        default ``10·dt``.
    solver_dt, scheme
        Step and scheme of the split-operator solver for ψ(t).
    floor_draws
        Multinomial samples per record time for the sampling floor.

    Notes
    -----
    Initial walkers are drawn from :math:`P_n = |\psi_0|^2\Delta V` (a multinomial over cells,
    uniform inside each cell), so the initial histogram is exactly at the sampling floor.
    """

    def __init__(
        self,
        ham: Hamiltonian,
        a: float = 1.0,
        walkers: int = 10_000,
        seed: int | None = None,
        *,
        dt: float = BornOptions.dt,
        psi_dt: float | None = BornOptions.psi_dt,
        solver_dt: float = BornOptions.solver_dt,
        scheme: str = BornOptions.scheme,
        floor_draws: int = BornOptions.floor_draws,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        self.ham = ham
        self.a = check_real("a", a)
        self.walkers = check_int("walkers", walkers)
        if seed is not None and (not _is_int(seed) or seed < 0):
            raise ValueError(f"`seed` must be a non-negative integer or None, got {seed!r}")
        self.seed = None if seed is None else int(seed)
        self.dt = check_positive("dt", dt)
        self.psi_dt = check_positive("psi_dt", 10.0 * self.dt if psi_dt is None else psi_dt)
        if self.psi_dt < self.dt:
            raise ValueError(f"`psi_dt` must be ≥ `dt` = {self.dt}, got {psi_dt!r}")
        self.solver = SplitOperatorSolver(ham, solver_dt, scheme)
        self.floor_draws = check_int("floor_draws", floor_draws, 2)
        self.diffusion = diffusion_tensor(ham.mass, self.a, ham.hbar)

    # -- helpers ------------------------------------------------------------------------------
    def _cells(self, x: FArray) -> NDArray[np.int64]:
        """Flat index of the cell (centred on a site) holding each walker, shape ``(W,)``."""
        lat = self.ham.lattice
        flat = np.zeros(x.shape[0], dtype=np.int64)
        for i, ((lo, _), d, n) in enumerate(zip(lat.bounds, lat.spacing, lat.shape, strict=True)):
            j = np.floor((x[:, i] - lo) / d + 0.5).astype(np.int64) % n
            flat = flat * n + j
        return flat

    def _histogram(self, x: FArray) -> FArray:
        lat = self.ham.lattice
        counts = np.bincount(self._cells(x), minlength=lat.size).astype(float)
        return (counts / x.shape[0]).reshape(lat.shape)

    def _interpolate(self, field: FArray, x: FArray) -> FArray:
        """Multilinear periodic interpolation of ``field`` (shape ``(d, size)``) at ``x``."""
        lat = self.ham.lattice
        d = lat.ndim
        base: list[NDArray[np.int64]] = []
        frac: list[FArray] = []
        for i, ((lo, _), h, n) in enumerate(zip(lat.bounds, lat.spacing, lat.shape, strict=True)):
            u = (x[:, i] - lo) / h
            fl = np.floor(u)
            frac.append(u - fl)
            base.append(fl.astype(np.int64) % n)
        out = np.zeros((x.shape[0], d))
        for corner in range(1 << d):
            w = np.ones(x.shape[0])
            flat = np.zeros(x.shape[0], dtype=np.int64)
            for i, n in enumerate(lat.shape):
                up = (corner >> (d - 1 - i)) & 1
                w = w * (frac[i] if up else 1.0 - frac[i])
                flat = flat * n + ((base[i] + up) % n)
            out += w[:, None] * field[:, flat].T
        return out

    def _wrap(self, x: FArray) -> None:
        for i, (lo, hi) in enumerate(self.ham.lattice.bounds):
            x[:, i] = lo + np.mod(x[:, i] - lo, hi - lo)

    # -- public API ---------------------------------------------------------------------------
    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): ψ and its drift field at
        every ``psi_dt`` (complex and ``ndim`` real lattice arrays), the walkers (positions,
        cell indices, drifts: ``2·ndim + 2`` numbers each), the ``floor_draws`` multinomial
        draws per record (counts and their frequencies: two lattice arrays each) and the
        records (histogram densities when stored)."""
        lat = self.ham.lattice
        n, d = float(lat.size), lat.ndim
        span = abs(float(t_span[1]) - float(t_span[0]))
        n_psi = span / self.psi_dt + 2
        return run_estimate(
            t_span,
            recorder,
            self.dt,
            state_bytes=8.0 * n,
            working={
                f"for ψ and its drift at {fmt_count(n_psi)} times": (
                    n_psi * (16.0 + 8.0 * d) * n,
                    "raise `psi_dt`",
                ),
                f"for {fmt_count(self.walkers)} walkers": (
                    self.walkers * 8.0 * (2 * d + 2),
                    "lower `walkers`",
                ),
                f"for {fmt_count(self.floor_draws)} floor draws": (
                    self.floor_draws * 16.0 * n,
                    "lower `floor_draws`",
                ),
            },
            records_fix="record less often or lower `walkers` / `floor_draws`",
        )

    def run(
        self,
        state0: Wavefunction | CArray,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
        shards: int | None = None,
        executor: Any = None,
    ) -> Trajectory:
        r"""Evolve ψ and the walkers over ``t_span``; return the histograms as a Trajectory.

        Parameters
        ----------
        state0
            Initial ψ on ``ham.lattice`` (normalised; nodeless, the drift is singular at nodes).
        t_span
            ``(t0, t1)``.
        recorder
            Record times and observables (``"tv"``, ``"floor_mean"``, ``"floor_std"``,
            ``"floor_normal"``, ``"mean"``, ``"cov"``, ``"norm"``; default: the first four, at
            every ``psi_dt``).  Record times may start after ``t0``; each interval between them
            is split into equal walker steps ``≤ dt``, so the records land exactly on them.
        progress
            tqdm progress bar; default on when stderr is a terminal (off in shards).
        shards, executor
            Split the walkers into ``shards`` shards with ``SeedSequence(seed).spawn`` streams
            run on ``executor`` (``"serial"``, ``None``: a process pool, any
            ``concurrent.futures.Executor`` or a Dask ``distributed.Client``; a potential
            given by a closure needs ``"serial"`` or threads) and merge them: ``tv`` and the
            floor are recomputed from the merged histogram (:mod:`quantgeo.sweep.engine_shards`).

        Returns
        -------
        Trajectory
            ``states``: histogram densities, the fraction of walkers in each cell divided by
            ``ΔV = lattice.cell_volume`` (units 1/volume, comparable with ``|ψ|²``), shape
            ``(n_t, *lattice.shape)``, float64, with ``Σ states·ΔV = 1``; the probabilities per
            cell are ``states·ΔV``.  ``info``: the common keys (``run_time`` covers ψ(t) and
            the walkers), ``a``, ``walkers``, ``seed``, ``diffusion``, ``dt``, ``psi_dt``.
        """
        ham, lat = self.ham, self.ham.lattice
        psi0 = _as_data(state0, lat, "state0")
        if recorder is None:
            recorder = Recorder(every=self.psi_dt, observables=FLOOR_OBSERVABLES)
        if shards is not None:
            from quantgeo.sweep.engine_shards import EngineClone, run_engine_sharded

            return run_engine_sharded(
                self, "born", psi0, t_span, recorder, shards=shards, executor=executor,
                walkers=self.walkers, seed=self.seed, floor_draws=self.floor_draws,
                clone=EngineClone(self, "walkers", run_kwargs={"progress": False}),
            )  # fmt: skip
        check_run(self.memory_estimate(t_span, recorder), "BornEnsemble.run: ")
        plan = plan_run(t_span, recorder, self.dt)
        grid = _PsiGrid(plan, self.psi_dt)
        psi_info: Mapping[str, Any] = {"compile_time": 0.0, "run_time": 0.0}
        if len(grid.times) > 1:
            psi_traj = self.solver.run(
                psi0,
                (plan.t0, grid.times[-1]),
                recorder=Recorder(times=grid.times, observables=()),
                progress=progress,
            )
            assert psi_traj.states is not None
            states, psi_info = psi_traj.states, psi_traj.info
        else:
            states = psi0[None]
        drifts = np.stack(
            [drift_field(s, lat, ham.mass, ham.hbar).reshape(lat.ndim, -1) for s in states]
        )
        rng = np.random.default_rng(self.seed)
        # Initial walkers: a multinomial over cells, uniform inside the cell.
        p0 = np.abs(psi0.ravel()) ** 2 * lat.cell_volume
        p0 = p0 / p0.sum()
        cell = rng.choice(lat.size, size=self.walkers, p=p0)
        idx = np.unravel_index(cell, lat.shape)
        x = np.empty((self.walkers, lat.ndim))
        for i, d in enumerate(lat.spacing):
            x[:, i] = lat.axes[i][idx[i]] + d * (rng.random(self.walkers) - 0.5)
        self._wrap(x)
        recorder.begin(_resolve)
        walkers = _Walkers(self, x, grid, states, drifts, rng)
        checks = [
            FiniteCheck("walkers", "reduce `dt`"),
            ProgressTracker(f"Born a={self.a:g}", progress),
        ]
        stats = run_plan(walkers, plan, recorder, chunk=_CHUNK, trackers=checks)
        info = run_info(
            "born-ensemble",
            steps=stats.steps,
            compile_time=psi_info["compile_time"],
            # ψ(t) by the split-operator solver, then the walkers
            run_time=float(psi_info["run_time"]) + stats.run_time,
            a=self.a,
            walkers=self.walkers,
            seed=self.seed,
            diffusion=self.diffusion.tolist(),
            mass=ham.mass.tolist(),
            dt=self.dt,
            psi_dt=self.psi_dt,
            floor_draws=self.floor_draws,
            solver_dt=self.solver.dt,
            scheme=self.solver.scheme.name,
        )
        return recorder.finish(info, lat)


class _PsiGrid:
    """Times at which ψ (and so the drift) is stored, on the walkers' steps of every interval
    of ``plan`` (every ``≈ psi_dt`` and at the record times), and for each walker step the
    grid interval ``j`` and fraction ``s`` of its start time (linear interpolation in time).
    """

    def __init__(self, plan: Plan, psi_dt: float) -> None:
        times = [plan.t0]
        self.at_step = {0: 0}  # global step at a record time → index of its ψ
        js: list[int] = []
        ss: list[float] = []
        step = 0
        for iv in plan.intervals:
            if iv.steps == 0:
                continue
            per = max(1, round(psi_dt / iv.h))
            offsets = [*range(0, iv.steps, per), iv.steps]
            base = len(times) - 1  # the node at iv.t_start
            times.extend(iv.t_start + k * iv.h for k in offsets[1:-1])
            times.append(iv.t_end)
            for i in range(iv.steps):
                q = i // per
                js.append(base + q)
                ss.append((i - offsets[q]) / (offsets[q + 1] - offsets[q]))
            step += iv.steps
            self.at_step[step] = len(times) - 1
        self.times = np.asarray(times)
        self.j = np.asarray(js, dtype=np.int64)
        self.s = np.asarray(ss)


class _Walkers:
    """Euler–Maruyama walkers in the interpolated Nelson drift, for
    :func:`~quantgeo.solvers.base.run_plan`."""

    def __init__(
        self,
        ens: BornEnsemble,
        x: FArray,
        grid: _PsiGrid,
        states: NDArray[Any],
        drifts: FArray,
        rng: np.random.Generator,
    ) -> None:
        self.ens, self.state, self.grid = ens, x, grid
        self.states, self.drifts, self.rng = states, drifts, rng
        self.step = 0

    def advance(self, t: float, h: float, n: int) -> None:
        sigma = np.sqrt(2.0 * self.ens.diffusion * h)
        x = self.state
        for _ in range(n):
            j, s = self.grid.j[self.step], self.grid.s[self.step]
            field = (1.0 - s) * self.drifts[j] + s * self.drifts[j + 1]
            x += self.ens._interpolate(field, x) * h + sigma[None, :] * self.rng.standard_normal(
                x.shape
            )
            self.ens._wrap(x)
            self.step += 1

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        lat = self.ens.ham.lattice
        dv = lat.cell_volume
        psi = self.states[self.grid.at_step[self.step]]
        target = np.abs(psi) ** 2 * dv
        target = target / target.sum()
        hist = self.ens._histogram(self.state)
        floor = sampling_floor(target, self.ens.walkers, self.rng, self.ens.floor_draws)
        return _EnsembleState(self.state.copy(), hist, target, floor, lat), hist / dv
