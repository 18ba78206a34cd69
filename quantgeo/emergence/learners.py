r"""Lattice learners: the a = 1 quantum evolution carried by discrete jumping learners.

M learners sit on the lattice sites and jump to nearest neighbours in continuous time.  At
a = 1 the rates are Bell's minimal jump rates of the ``kinetic="lattice"`` Hamiltonian

.. math::
    r_{n\to m} = \frac{\max(0, J_{n\to m})}{|\psi_n|^2},\qquad
    J_{n\to m} = \frac{2}{\hbar}\operatorname{Im}(\psi_m^* H_{mn}\psi_n)
              = \frac{2\tau_i}{\hbar}\operatorname{Im}(\psi_n^*\psi_m),\qquad
    \tau_i = \frac{\hbar^2}{2 m_i\Delta_i^2}

with ψ(t) from :class:`~quantgeo.solvers.SplitOperatorSolver` on the same operator.
:math:`J_{n\to m}` is the probability current of the bond, so the master equation of the
learners' law P, :math:`\dot P_n = \sum_m [P_m r_{m\to n} - P_n r_{n\to m}]`, is solved by
:math:`P = |\psi|^2\Delta V` exactly (equivariance): learners drawn from
:math:`|\psi(0)|^2` stay a multinomial draw from :math:`|\psi(t)|^2`, nodes and all — the
rate out of a site near a node grows as :math:`|\psi_n|^{-1}` but the flux stays bounded.

**a ≠ 1** (THEORY.md E3).  The E3 walkers' generator is the osmotic drift
:math:`u = D_1\nabla\ln p` plus the noise :math:`D_a`; on :math:`p = |\psi|^2` it adds
:math:`\nabla\cdot((D_a - D_1)\nabla p)` to the current.  The surplus :math:`D_a - D_1` is
negative along some axis whenever the mass tensor is anisotropic (masses (1, 4): −0.25 along x
at a = ½), so it cannot be a symmetric hopping rate.  The lattice generator with that
continuum limit and positive rates is, per axis i,

.. math::
    w_{n\to n\pm e_i} = \frac{D_{a,i}}{\Delta_i^2}\Bigl(\frac{p_{n\pm e_i}}{p_n}\Bigr)^{\theta_i},
    \qquad \theta_i = \frac{D_{1,i}}{2 D_{a,i}}

(drift :math:`2\theta_i D_{a,i}\partial_i\ln p = D_{1,i}\partial_i\ln p`, diffusion
:math:`D_{a,i}`); where :math:`D_{a,i} \ge D_{1,i}` it is a symmetric hopping of the surplus on
top of a part reversible in :math:`|\psi|^2`.  At a = 1 (θ = ½) it is reversible in
:math:`|\psi|^2` and is left out: the process is Bell's minimal one.  Added to Bell's rates,
the a ≠ 1 members depart from :math:`|\psi|^2` as E3's walkers do.

**Refresh error.**  ψ and the rates are frozen over intervals of length h (``refresh``); the
learners' law then solves :math:`\dot P = A(t_*)P` on each interval instead of
:math:`\dot P = A(t)P`.  Frozen at the left end (``rule="left"``) the one-interval error is
:math:`\tfrac{h^2}{2}\dot A P`, so the histogram's mean is biased by O(h) at fixed t; frozen at
the midpoint (``rule="midpoint"``, the default) the first-order term cancels and the local
error is :math:`(\tfrac{h^3}{24}\ddot A + \tfrac{h^3}{12}[\dot A, A])P` (Magnus expansion),
O(h²) globally.  The split
operator's own error (order of its scheme in ``solver_dt``) adds to it.  The measured orders
are in ``tests/emergence/test_learners.py`` (:meth:`LatticeLearners.law` evolves the exact law
of the frozen-rate process, without sampling noise).  Inside an interval the jumps are exact
(event by event, :func:`quantgeo._kernels.learners.jump_interval`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.linalg import expm_multiply

from quantgeo._kernels import BACKENDS, kernels, warmup
from quantgeo._options import check_options, option
from quantgeo._validation import check_choice, check_int, check_positive, check_real, check_span
from quantgeo.emergence.born import (
    FLOOR_OBSERVABLES,
    diffusion_tensor,
    sampling_floor,
    total_variation,
)
from quantgeo.emergence.madelung import neighbour_table
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import run_info
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import SplitOperatorSolver
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = [
    "LEARNER_OBSERVABLES",
    "REFRESH_RULES",
    "LatticeLearners",
    "LearnerOptions",
    "bell_rates",
    "osmotic_rates",
]

FArray = NDArray[np.float64]
IArray = NDArray[np.int64]
CArray = NDArray[np.complex128]

#: Names a :class:`~quantgeo.recording.Recorder` may ask the learners for.
LEARNER_OBSERVABLES = (
    "tv",
    "floor_mean",
    "floor_std",
    "floor_normal",
    "jumps",
    "norm",
    "mean",
    "sites",
    "positions",
)
#: Where in a refresh interval ψ (and so the rates) is taken.
REFRESH_RULES = ("midpoint", "left")


@dataclass(frozen=True)
class LearnerOptions:
    """Options of :class:`LatticeLearners` (besides learners, seed and a): defaults, units and
    ranges written once (the constructor and the scenario ``[learners]`` table take them)."""

    refresh: float = option(
        0.01, unit="time", doc="Interval over which ψ and the jump rates are frozen", gt=0
    )
    rule: str = option(
        "midpoint",
        doc="Where ψ is taken in a refresh interval (midpoint: O(h²) bias; left: O(h))",
        choices=REFRESH_RULES,
    )
    solver_dt: float = option(0.005, unit="time", doc="Split-operator step for ψ(t)", gt=0)
    scheme: str = option(
        "yoshida4", doc="Split-operator scheme for ψ(t)", kind="str", choices=tuple(SCHEMES)
    )
    floor_draws: int = option(
        200, unit="draws", doc="Multinomial samples of the sampling floor", kind="int", ge=2
    )
    backend: str = option(
        "numba", doc="Jump kernel: numba or its NumPy twin", choices=tuple(BACKENDS)
    )

    def __post_init__(self) -> None:
        check_options(self)


def check_learners(ham: Any, learners: Any, seed: Any) -> tuple[Hamiltonian, int, int | None]:
    """The checks every learner ensemble makes: a ``kinetic="lattice"`` Hamiltonian (Bell's
    rates need the nearest-neighbour operator), ``learners ≥ 1``, a seed ≥ 0 or None."""
    if not isinstance(ham, Hamiltonian):
        raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
    if ham.kinetic != "lattice":
        raise ValueError(
            f"`ham` must use kinetic='lattice' (Bell's rates need the nearest-neighbour "
            f"operator), got kinetic={ham.kinetic!r}"
        )
    m = check_int("learners", learners)
    return ham, m, None if seed is None else check_int("seed", seed, 0, or_none=True)


def _record_steps(times: Any, t0: float, h: float) -> dict[int, list[float]]:
    """Refresh-grid index of every record time (records land exactly on the requested times,
    as in every engine); a time off the grid ``t0 + k·h`` is refused rather than moved."""
    out: dict[int, list[float]] = {}
    for t in times:
        k = round((float(t) - t0) / h) if h else 0
        if h and abs(float(t) - (t0 + k * h)) > 1e-9 * max(h, abs(float(t))):
            raise ValueError(
                f"record time {float(t):g} is not on the refresh grid t0 + k·{h:g}; choose "
                "record times that are multiples of `refresh` from t_span[0]"
            )
        out.setdefault(k, []).append(float(t))
    return out


def bell_rates(psi: CArray, nbr: IArray, hop: FArray) -> FArray:
    r"""Bell's minimal jump rates :math:`r_{n\to m} = \max(0, J_{n\to m})/|\psi_n|^2`.

    Parameters
    ----------
    psi
        Site values, any shape with ``psi.size`` sites (C order, as ``nbr``).
    nbr
        int64, shape ``(sites, 2d)``: neighbours (:func:`~quantgeo.emergence.neighbour_table`).
    hop
        Shape ``(2d,)``: :math:`\tau_i/\hbar = \hbar/(2m_i\Delta_i^2)` of each direction.

    Returns
    -------
    float64, shape ``(sites, 2d)`` (1/time); zero out of sites where ψ vanishes (no learner can
    enter them: the current into such a site is zero).
    """
    z = np.ravel(psi)
    dens = np.abs(z) ** 2
    cur = 2.0 * hop[None, :] * np.imag(np.conj(z)[:, None] * z[nbr])  # J_{n→m}, density units
    out = np.zeros_like(cur)
    np.divide(np.maximum(cur, 0.0), dens[:, None], out=out, where=dens[:, None] > 0)
    return out


def osmotic_rates(dens: FArray, nbr: IArray, spacing: FArray, d_a: FArray, d_1: FArray) -> FArray:
    r"""Hopping of the a ≠ 1 members: :math:`(D_{a,i}/\Delta_i^2)(p_m/p_n)^{D_{1,i}/2D_{a,i}}`.

    Parameters
    ----------
    dens
        :math:`p = |\psi|^2` on the sites (any shape, C order).
    nbr
        Neighbour table, shape ``(sites, 2d)`` (columns ``2i``, ``2i+1`` along axis i).
    spacing, d_a, d_1
        Shape ``(d,)``: :math:`\Delta_i`, :math:`D_{a,i}` and Nelson's :math:`D_{1,i}`.

    Returns
    -------
    float64, shape ``(sites, 2d)`` (1/time); zero out of and into sites with p = 0.
    """
    p = np.ravel(dens)
    theta = np.repeat(d_1 / (2.0 * d_a), 2)
    scale = np.repeat(d_a / np.asarray(spacing, dtype=float) ** 2, 2)
    ratio = np.zeros(nbr.shape)
    np.divide(p[nbr], p[:, None], out=ratio, where=p[:, None] > 0)
    return np.asarray(scale[None, :] * ratio ** theta[None, :], dtype=np.float64)


class _LearnerState:
    """What the recorder sees at a record time."""

    __slots__ = ("floor", "hist", "jumps", "lattice", "sites", "target")

    def __init__(
        self,
        sites: IArray,
        hist: FArray,
        target: FArray,
        floor: tuple[float, float, float],
        jumps: int,
        lattice: Lattice,
    ) -> None:
        self.sites, self.hist, self.target, self.floor = sites, hist, target, floor
        self.jumps, self.lattice = jumps, lattice


def _coordinates(s: _LearnerState) -> FArray:
    idx = np.unravel_index(s.sites, s.lattice.shape)
    return np.stack([ax[i] for ax, i in zip(s.lattice.axes, idx, strict=True)], axis=1)


def _resolve(name: str) -> Callable[[Any], Any]:
    table: dict[str, Callable[[_LearnerState], Any]] = {
        "tv": lambda s: total_variation(s.hist, s.target),
        "floor_mean": lambda s: s.floor[0],
        "floor_std": lambda s: s.floor[1],
        "floor_normal": lambda s: s.floor[2],
        "jumps": lambda s: s.jumps,
        "norm": lambda s: float(s.hist.sum()),
        "mean": lambda s: _coordinates(s).mean(axis=0),
        "sites": lambda s: s.sites.copy(),
        "positions": _coordinates,
    }
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"unknown observable {name!r} for the lattice learners; allowed: "
            f"{', '.join(LEARNER_OBSERVABLES)} or a callable"
        ) from None


class LatticeLearners:
    r"""M learners jumping on the lattice with Bell's rates of ψ(t) (a = 1) or E3's family.

    Parameters
    ----------
    ham
        Hamiltonian with ``kinetic="lattice"`` (Bell's rates need the nearest-neighbour
        operator); its per-axis mass is the mass tensor of E3.
    learners
        Number of learners M (≥ 1).
    seed
        Seed (``numpy.random.SeedSequence``) of the initial draw, the jumps and the floor.
    a
        Exponent of the metric family, in [0, 1]; a = 1 is Bell's minimal process.
    refresh
        Interval h over which ψ and the rates are frozen (rounded down so that it divides the
        run); the histogram's bias is O(h²) (``rule="midpoint"``) or O(h) (``"left"``).
    rule
        ``"midpoint"`` (ψ at the interval's midpoint) or ``"left"``.
    solver_dt, scheme
        Step and scheme of the split-operator solver for ψ(t).
    floor_draws
        Multinomial draws per record time for the sampling floor.
    backend
        ``"numba"`` (the event-by-event kernel) or ``"numpy"`` (its twin: same random stream,
        same result).

    Notes
    -----
    Learners start as a multinomial draw from :math:`P_n = |\psi_0|^2\Delta V` (sorted by site)
    unless ``run(..., start=...)`` places them.
    """

    def __init__(
        self,
        ham: Hamiltonian,
        learners: int = 100_000,
        seed: int | None = None,
        a: float = 1.0,
        *,
        refresh: float = LearnerOptions.refresh,
        rule: str = LearnerOptions.rule,
        solver_dt: float = LearnerOptions.solver_dt,
        scheme: str = LearnerOptions.scheme,
        floor_draws: int = LearnerOptions.floor_draws,
        backend: str = LearnerOptions.backend,
    ) -> None:
        self.ham, self.learners, self.seed = check_learners(ham, learners, seed)
        self.a = check_real("a", a)
        if not 0.0 <= self.a <= 1.0:
            raise ValueError(f"`a` must lie in [0, 1], got {a!r}")
        self.refresh = check_positive("refresh", refresh)
        self.rule = check_choice("rule", rule, REFRESH_RULES)
        self.solver = SplitOperatorSolver(ham, solver_dt, scheme)
        self.floor_draws = check_int("floor_draws", floor_draws, 2)
        self.backend = check_choice("backend", backend, BACKENDS)
        self._k = kernels("learners", self.backend)
        self.diffusion = diffusion_tensor(ham.mass, self.a, ham.hbar)
        self._d1 = diffusion_tensor(ham.mass, 1.0, ham.hbar)
        self.nbr, self.hop = neighbour_table(ham.lattice, ham.mass, ham.hbar)

    # -- rates --------------------------------------------------------------------------------
    def rates(self, psi: CArray | Wavefunction) -> FArray:
        """Jump rates out of every site in every direction for ψ, shape ``(sites, 2d)``."""
        z = _as_data(psi, self.ham.lattice, "psi")
        r = bell_rates(z, self.nbr, self.hop)
        if self.a != 1.0:
            r = r + osmotic_rates(
                np.abs(z) ** 2,
                self.nbr,
                np.asarray(self.ham.lattice.spacing),
                self.diffusion,
                self._d1,
            )
        return r

    def generator(self, psi: CArray | Wavefunction, cutoff: float = 0.0) -> sp.csr_matrix:
        r"""Master-equation generator Q of the rates of ψ: :math:`\dot P = Q P` (CSR).

        Sites with :math:`|\psi_n|^2 <` ``cutoff``·max get no outgoing rates: Bell's rate out
        of a far tail grows as :math:`|\psi_n|^{-1}` (up to ~1e19 across a periodic seam) and
        would make :math:`e^{hQ}` needlessly stiff for a probability below ``cutoff``.
        """
        z = _as_data(psi, self.ham.lattice, "psi")
        r = self.rates(z)
        if cutoff > 0:
            dens = np.abs(z.ravel()) ** 2
            r[dens < cutoff * dens.max()] = 0.0
        size = r.shape[0]
        rows = self.nbr.ravel()
        cols = np.repeat(np.arange(size), r.shape[1])
        q = sp.coo_matrix((r.ravel(), (rows, cols)), shape=(size, size)).tocsr()
        return sp.csr_matrix(q - sp.diags(r.sum(axis=1)))

    # -- the driver: ψ(t) from the split-operator solver, one callback per refresh point ------
    def _grid(self, t0: float, t1: float) -> tuple[int, float]:
        n = int(np.ceil((t1 - t0) / self.refresh - 1e-9)) if t1 > t0 else 0
        return n, ((t1 - t0) / n if n else 0.0)

    def _drive(
        self,
        psi0: CArray,
        t0: float,
        t1: float,
        on_grid: Callable[[int, CArray], None],
        on_interval: Callable[[int, CArray, float], None],
        progress: bool | None,
    ) -> tuple[int, float, Trajectory]:
        """Run the solver; call ``on_grid(k, ψ(t_k))`` and ``on_interval(k, ψ(t_*), h)``."""
        n, h = self._grid(t0, t1)
        mid = self.rule == "midpoint"
        per = 2 if mid else 1
        times = t0 + (h / per) * np.arange(per * n + 1)

        def callback(t: float, wf: Any) -> None:
            j = callback.count  # type: ignore[attr-defined]
            callback.count += 1  # type: ignore[attr-defined]
            k, odd = divmod(j, per)
            if odd:
                on_interval(k, wf.data, h)
                return
            on_grid(k, wf.data)
            if not mid and k < n:
                on_interval(k, wf.data, h)

        callback.count = 0  # type: ignore[attr-defined]
        if n == 0:
            on_grid(0, psi0)
            return n, h, Trajectory(np.array([t0]))
        rec = Recorder(times=times, observables=(), store_states=False, callbacks=[callback])
        traj = self.solver.run(psi0, (t0, t1), recorder=rec, progress=progress)
        return n, h, traj

    def _initial(self, psi0: CArray, start: ArrayLike | None, rng: np.random.Generator) -> IArray:
        lat = self.ham.lattice
        dens = np.abs(psi0.ravel()) ** 2
        if not dens.sum() > 0:
            raise ValueError("`state0` must have positive density somewhere, got ψ = 0")
        if start is None:
            counts = rng.multinomial(self.learners, dens / dens.sum())
            return np.repeat(np.arange(lat.size, dtype=np.int64), counts)
        sites = np.asarray(start)
        if sites.shape != (self.learners,) or not np.issubdtype(sites.dtype, np.integer):
            raise ValueError(
                f"`start` must be {self.learners} integer site indices (C order), got an array "
                f"of shape {sites.shape} and dtype {sites.dtype}"
            )
        if sites.min() < 0 or sites.max() >= lat.size:
            raise ValueError(
                f"`start` site indices must lie in [0, {lat.size}), got {sites.min()}…{sites.max()}"
            )
        empty = sites[dens[sites] == 0]
        if empty.size:
            site = tuple(int(i) for i in np.unravel_index(int(empty[0]), lat.shape))
            raise ValueError(
                f"`start` puts {empty.size} learner(s) on sites where |ψ(0)|² = 0 (first: site "
                f"{site}); Bell's rates are undefined there — start learners where ψ ≠ 0"
            )
        return np.ascontiguousarray(sites, dtype=np.int64)

    # -- public API ---------------------------------------------------------------------------
    def run(
        self,
        state0: Wavefunction | CArray,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        start: ArrayLike | None = None,
        progress: bool | None = None,
        shards: int | None = None,
        executor: Any = None,
    ) -> Trajectory:
        r"""Evolve ψ and the learners over ``t_span``; return the histograms as a Trajectory.

        Parameters
        ----------
        state0
            Initial ψ on ``ham.lattice``.
        t_span
            ``(t0, t1)``.
        recorder
            Record times (rounded to the refresh grid) and observables (``"tv"``,
            ``"floor_mean"``, ``"floor_std"``, ``"floor_normal"``, ``"jumps"``, ``"norm"``,
            ``"mean"``, and — only on request — ``"sites"`` (flat site of each learner, shape
            ``(M,)``) or ``"positions"`` (``(M, d)``)); default: the floor records every 0.1.
        start
            Optional flat site index of each learner, shape ``(M,)`` (default: a multinomial
            draw from :math:`|\psi_0|^2\Delta V`).  Every start site needs ψ ≠ 0.
        progress
            tqdm progress bar of the split-operator run; default on when stderr is a terminal.
        shards, executor
            Split the learners into ``shards`` shards with ``SeedSequence(seed).spawn`` streams
            run on ``executor`` (``"serial"``, ``None``: a process pool, any
            ``concurrent.futures.Executor`` or a Dask ``distributed.Client``) and merge them;
            ``tv`` and the floor are recomputed from the merged histogram
            (:mod:`quantgeo.sweep.engine_shards`).  Not with ``start``.

        Returns
        -------
        Trajectory
            ``states``: learners' density :math:`h_n/\Delta V`, shape ``(n_t, *lattice.shape)``;
            ``info``: ``a``, ``learners`` (= ``walkers``), ``seed``, ``diffusion``, ``refresh``,
            ``rule``, ``jumps``, ``jump_time``, ``solver_time``, ``run_time``, ``compile_time``.
        """
        lat = self.ham.lattice
        psi0 = _as_data(state0, lat, "state0")
        t0, t1 = check_span(t_span)
        if recorder is None:
            recorder = Recorder(every=0.1, observables=FLOOR_OBSERVABLES)
        if shards is not None:
            from quantgeo.sweep.engine_shards import EngineClone, run_engine_sharded

            if start is not None:
                raise ValueError("`start` cannot be combined with `shards` (draw the start)")
            return run_engine_sharded(
                self, "learners", psi0, t_span, recorder, shards=shards, executor=executor,
                walkers=self.learners, seed=self.seed, floor_draws=self.floor_draws,
                clone=EngineClone(self, "learners", run_kwargs={"progress": False}),
            )  # fmt: skip
        n, h = self._grid(t0, t1)
        want = _record_steps(recorder.schedule((t0, t1)), t0, h)
        seq = np.random.SeedSequence(self.seed)
        start_ss, jump_ss, floor_ss = seq.spawn(3)
        rng = np.random.default_rng(jump_ss)
        floor_rng = np.random.default_rng(floor_ss)
        site = self._initial(psi0, start, np.random.default_rng(start_ss))
        m = self.learners
        clock = rng.standard_exponential(m)
        left, active, fired = np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64)
        compile_time = warmup(("learners",)) if self.backend == "numba" else 0.0
        dv = lat.cell_volume
        stats = {"jump_time": 0.0, "record_time": 0.0}
        jumps = [0]
        recorder.begin(_resolve)

        def on_grid(k: int, psi: CArray) -> None:
            tic = time.perf_counter()
            for t_rec in want.get(k, ()):
                target = np.abs(psi) ** 2
                target = target / target.sum()
                hist = (np.bincount(site, minlength=lat.size) / m).reshape(lat.shape)
                floor = sampling_floor(target, m, floor_rng, self.floor_draws)
                state = _LearnerState(site, hist, target, floor, jumps[0], lat)
                recorder.record(t_rec, state, stored=hist / dv)
            stats["record_time"] += time.perf_counter() - tic

        def on_interval(k: int, psi: CArray, step: float) -> None:
            tic = time.perf_counter()
            cum = np.cumsum(self.rates(psi), axis=1)
            jumps[0] += int(
                self._k.jump_interval(site, clock, left, active, fired, cum, self.nbr, step, rng)
            )
            stats["jump_time"] += time.perf_counter() - tic

        _, _, solver_traj = self._drive(psi0, t0, t1, on_grid, on_interval, progress)
        run_time = float(solver_traj.info.get("run_time", 0.0))
        compile_time += float(solver_traj.info.get("compile_time", 0.0))
        info = run_info(
            "lattice-learners",
            steps=n,  # refresh intervals (the jumps are events: "jumps")
            run_time=run_time,
            compile_time=compile_time,
            a=self.a,
            learners=m,
            walkers=m,
            seed=self.seed,
            diffusion=self.diffusion.tolist(),
            mass=self.ham.mass.tolist(),
            refresh=h,
            rule=self.rule,
            jumps=jumps[0],
            jump_time=stats["jump_time"],
            record_time=stats["record_time"],
            solver_time=run_time - stats["jump_time"] - stats["record_time"],
            solver_dt=self.solver.dt,
            scheme=self.solver.scheme.name,
            floor_draws=self.floor_draws,
            backend=self.backend,
        )
        return recorder.finish(info, lat)

    def law(
        self, state0: Wavefunction | CArray, t_span: tuple[float, float], cutoff: float = 1e-24
    ) -> tuple[FArray, FArray, FArray]:
        r"""Exact law of the simulated (frozen-rate) process, without sampling noise.

        On each refresh interval :math:`P \leftarrow e^{hQ_k}P` (``expm_multiply``) with the
        generator of the frozen rates (see :meth:`generator` for ``cutoff``), from
        :math:`P(t_0) = |\psi_0|^2\Delta V`.

        Returns
        -------
        times
            Refresh grid, shape ``(n + 1,)``.
        law
            P on the grid, shape ``(n + 1, sites)`` (probabilities).
        target
            :math:`|\psi(t_k)|^2\Delta V` of the split-operator ψ, same shape.
        """
        lat = self.ham.lattice
        psi0 = _as_data(state0, lat, "state0")
        t0, t1 = check_span(t_span)
        dens = np.abs(psi0.ravel()) ** 2
        laws: list[FArray] = []
        targets: list[FArray] = []
        cur = [dens / dens.sum()]

        def on_grid(k: int, psi: CArray) -> None:
            d = np.abs(psi.ravel()) ** 2
            targets.append(d / d.sum())
            laws.append(cur[0].copy())

        def on_interval(k: int, psi: CArray, step: float) -> None:
            cur[0] = expm_multiply(step * self.generator(psi, cutoff), cur[0])

        n, h, _ = self._drive(psi0, t0, t1, on_grid, on_interval, False)
        grid = np.asarray(t0 + h * np.arange(n + 1), dtype=np.float64)
        return grid, np.array(laws), np.array(targets)
