r"""Split-operator solver for :math:`i\hbar\,\partial_t\psi = (T + V(x,t))\,\psi`.

T is diagonal in the lattice Fourier basis (``Hamiltonian.dispersion()``), V on the sites, so
each factor of a splitting scheme is an element-wise phase; one Strang sub-step costs one FFT
pair.  The scheme sets the order in dt (``strang`` 2, ``yoshida4`` 4, ``yoshida6`` 6, and the
optimised schemes of :mod:`quantgeo.solvers.schemes` up to 8); the
time-stepping is unitary to round-off, so the norm is conserved to ~1e-13 over 10⁴ steps.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels import BACKENDS, kernels
from quantgeo._preflight import Estimate, check_run, run_estimate
from quantgeo._validation import check_choice, check_int, check_positive
from quantgeo.errors import QuantgeoWarning, StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.observables import resolver
from quantgeo.potentials import absorbing_mask
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.accuracy import StepDoubling, check_phase_per_step, suggested_dt
from quantgeo.solvers.base import Plan, ProgressTracker, Tracker, plan_run, run_info, run_plan
from quantgeo.solvers.factors import (
    DISTINCT_MAX_SITES,
    _bounded,
    _expm1,
    _scaled_stack,
    _v_factors,
    _v_stack,
    content_key,
    factor_cache,
    factors_and_halves,
    kinetic_factors,
    site_factors,
    v_exponent,
    weighted_factors,
)
from quantgeo.solvers.fft import FFT_CHOICES, make_fft
from quantgeo.solvers.schemes import (
    SplittingScheme,
    _static_layout,
    get_scheme,
)
from quantgeo.solvers.split_options import (
    SOLVER_BACKENDS,
    THREAD_MIN_SITES,
    AbsorbingBoundary,
    GroundState,
    SplitOperatorOptions,
)
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = [
    "BACKENDS",
    "SOLVER_BACKENDS",
    "AbsorbingBoundary",
    "GroundState",
    "SplitOperatorOptions",
    "SplitOperatorSolver",
]

CArray = NDArray[np.complex128]


class NormCheck(Tracker):
    """Finiteness and norm drift of ψ at chunk boundaries (growth only with an absorber).

    ``norm`` maps the stepper's state to ``Σ|ψ|²ΔV`` (serial: the whole lattice; with
    ``backend="mpi"``: the sum over ranks, :mod:`quantgeo.solvers.distributed`).
    """

    def __init__(self, tol: float, absorbing: bool, norm: Callable[[Any], float]) -> None:
        self.tol, self.absorbing, self._norm = tol, absorbing, norm
        self.norm0 = 0.0

    def start(self, state: Any, plan: Plan) -> None:
        self.norm0 = self._norm(state)

    def handle(self, state: Any, t: float, step: int, h: float) -> None:
        nrm = self._norm(state)
        drift = nrm - self.norm0
        if math.isfinite(nrm) and not (
            (not self.absorbing and abs(drift) > self.tol) or drift > self.tol
        ):
            return  # the common case, checked before any message is formatted
        where = f"at t = {t:.6g} (step {step}, dt = {h:.3g})"
        if not math.isfinite(nrm):
            raise StabilityError(
                f"non-finite wavefunction {where}; check the potential for non-finite or huge "
                "values, or reduce `dt`",
                t=t,
                step=step,
            )
        raise StabilityError(
            f"norm drifted by {drift:.3e} (> norm_tol = {self.tol:g}) {where}; reduce `dt` "
            "or raise `norm_tol`",
            t=t,
            step=step,
        )


class _Stepper:
    """ψ and the solver's kernels, for :func:`~quantgeo.solvers.base.run_plan`; the steps go
    through the :class:`~quantgeo.solvers.accuracy.StepDoubling` estimator."""

    def __init__(self, solver: SplitOperatorSolver, psi: CArray, estimator: StepDoubling) -> None:
        self.solver, self.state, self.estimator = solver, psi, estimator

    def advance(self, t: float, h: float, n: int) -> None:
        self.estimator.advance(self.state, t, h, n)

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        # a copy, stored as it is; built without Wavefunction's checks, which hold here: the
        # state is complex128 of the lattice's shape and NormCheck found it finite at the
        # chunk boundary just before (~7 µs a record at 48², a tenth of a small run's records)
        snap = Wavefunction.__new__(Wavefunction)
        snap.lattice, snap.data = self.solver.ham.lattice, self.state.copy()
        return snap, snap.data


class SplitOperatorSolver:
    r"""Fixed-step split-operator propagation on a periodic lattice.

    The defaults, units and ranges of the options are those of :class:`SplitOperatorOptions`.

    Parameters
    ----------
    ham
        The :class:`~quantgeo.hamiltonian.Hamiltonian` (either kinetic model; V may depend on t).
    dt
        Largest time step (> 0).  Each interval between record times is divided into
        ``ceil(interval/dt)`` equal steps, so records fall exactly on the requested times.
    scheme
        ``"strang"`` (order 2), ``"yoshida4"`` (order 4), ``"yoshida6"`` (order 6), the
        optimised ``"suzuki4"``, ``"blanes-moan4"``, ``"kahan-li6"``, ``"blanes-moan6"``,
        ``"suzuki-umeno8"``, ``"kahan-li8"`` (:data:`~quantgeo.solvers.schemes.SCHEMES`) or a
        :class:`~quantgeo.solvers.schemes.SplittingScheme`.  The Blanes–Moan schemes are general
        splittings (their own potential weights), not run with ``backend="mpi"``.
    backend
        ``"numba"`` (compiled kernels, rocket-fft), ``"numpy"`` (the reference twins) or
        ``"mpi"``: one state split over the ranks of an MPI run (``mpiexec -n P``), each rank
        holding its piece of ψ and of its spectrum (mpi4py-fft's ``PFFT``; numba kernels on the
        pieces; :mod:`quantgeo.solvers.distributed`).  Needs ``pip install "quantgeo[mpi]"``.
    decomposition
        With ``backend="mpi"``: 1 = slabs (default), 2 = pencils (3D lattices).
    workers
        FFT threads.  Default: all cores for lattices of ≥ 2¹⁵ sites, else 1.
    fft
        Where the FFTs run (:mod:`quantgeo.solvers.fft`): ``"rocket"`` (rocket-fft inside the
        Numba kernels), ``"fftw"`` (pyFFTW, ``FFTW_MEASURE`` plans, the ``[fftw]`` extra),
        ``"scipy"`` (``scipy.fft`` from Python), or ``"auto"``: the faster of rocket and fftw
        on this shape and thread count, timed once and cached on disk (rocket without
        pyFFTW).  ``Trajectory.info["fft"]`` reports which ran.
    absorber
        Optional :class:`AbsorbingBoundary`; the norm then decays as flux leaves the box.
        Only with a scheme of positive sub-steps (``"strang"``): Yoshida's negative sub-steps
        turn the damping :math:`e^{-\eta\,dt}` into gain.  With the complex potential
        :math:`V - i\eta(d/\ell)^p` Strang splitting keeps its order 2 (the symmetric product
        is second order for any two operators, Hermitian or not); ``ground_state()`` refuses
        an absorber.
    check_every
        Steps between finiteness/norm checks (and progress updates).
    norm_tol
        Largest allowed drift of the norm from its initial value (growth only, with an absorber)
        before :class:`~quantgeo.errors.StabilityError` is raised.
    error_samples
        Segments of the run redone with half steps for the step-doubling estimate of the
        splitting error (:mod:`quantgeo.solvers.accuracy`; ~5 % extra steps in all); 0: none.
    error_tol
        A :class:`~quantgeo.errors.QuantgeoWarning` (naming dt, the estimate and the dt that
        would meet it) is issued when the estimated ‖ψ(t₁) − ψ_exact(t₁)‖/‖ψ₀‖ exceeds it.
        Default 0.1: the warning guards against runs that are wrong, not less accurate than
        wanted — above 10 % of ‖ψ₀‖ observables quadratic in ψ can be off by ~20 % of their
        scale (the issue's dt = 2 trap is off by 100 %); set it lower for a stricter check.

    Examples
    --------
    >>> lat = Lattice(256, (-10, 10))
    >>> ham = Hamiltonian(lat, harmonic(1.0))
    >>> solver = SplitOperatorSolver(ham, dt=0.01, scheme="yoshida4")
    >>> traj = solver.run(coherent(ham, center=1.0), (0.0, 10.0), recorder=Recorder(every=0.1))
    """

    def __init__(
        self,
        ham: Hamiltonian,
        dt: float,
        scheme: str | SplittingScheme = SplitOperatorOptions.scheme,
        *,
        backend: str = SplitOperatorOptions.backend,
        workers: int | None = SplitOperatorOptions.workers,
        fft: str = SplitOperatorOptions.fft,
        absorber: AbsorbingBoundary | None = None,
        decomposition: int = SplitOperatorOptions.decomposition,
        check_every: int = SplitOperatorOptions.check_every,
        norm_tol: float = SplitOperatorOptions.norm_tol,
        error_samples: int = SplitOperatorOptions.error_samples,
        error_tol: float = SplitOperatorOptions.error_tol,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        self.ham = ham
        self.dt = check_positive("dt", dt)
        self.scheme = get_scheme(scheme)
        self.backend = check_choice("backend", backend, SOLVER_BACKENDS)
        self._k = kernels("split", "numba" if backend == "mpi" else backend)
        size = ham.lattice.size
        if workers is None:
            workers = (os.cpu_count() or 1) if size >= THREAD_MIN_SITES else 1
        self.workers = check_int("workers", workers)
        if backend == "mpi":
            # mpi4py-fft's PFFT transforms each rank's piece (FFTW underneath): no plan, and no
            # "auto" timing, of the whole lattice on every rank
            check_choice("fft", fft, FFT_CHOICES)
            self._fft = make_fft("rocket", "numba", self._k, ham.lattice.shape, self.workers)
            self.fft = "mpi4py-fft"
        else:
            self._fft = make_fft(fft, self.backend, self._k, ham.lattice.shape, self.workers)
            self.fft = self._fft.name
        if absorber is not None and not isinstance(absorber, AbsorbingBoundary):
            raise TypeError(f"`absorber` must be an AbsorbingBoundary, got {absorber!r}")
        if absorber is not None and not self.scheme.positive:
            # the same rule as the scenario loader's [solver].scheme check
            raise ValueError(
                f"`scheme` {self.scheme.name!r} has negative sub-steps, which amplify instead "
                "of absorb in the absorbing layer; use 'strang' with `absorber`"
            )
        self.absorber = absorber
        self.check_every = check_int("check_every", check_every)
        self.norm_tol = check_positive("norm_tol", norm_tol)
        SplitOperatorOptions(dt, error_samples=error_samples, error_tol=error_tol)  # checks them
        self.error_samples, self.error_tol = int(error_samples), float(error_tol)
        self._damping: NDArray[np.float64] | None = None
        if absorber is not None and self.backend != "mpi":  # mpi: each rank builds its piece
            self._damping = absorber.strength * absorbing_mask(
                ham.lattice, absorber.width, absorber.power
            )
        weights = np.asarray(self.scheme.coefficients)
        # Sub-step j uses kinetic factor k_index[j] (one per distinct weight); V factor j sits
        # before it, V factor s after the last, and index s + 1 is the merged end/start factor.
        self._k_weights = np.unique(weights)
        self._k_index = np.searchsorted(self._k_weights, weights).astype(np.int64)
        self._v_index = np.arange(self.scheme.stages + 1, dtype=np.int64)
        # static V: a general splitting stores each distinct factor once (rows by index)
        self._static_index, self._static_merged = self._v_index, self.scheme.stages + 1
        self._static_weights: NDArray[np.float64] | None = None
        if not self.scheme.composition:
            layout, self._static_index, self._static_merged = _static_layout(self.scheme)
            self._static_weights = np.asarray(layout, dtype=np.float64)
        # a time-dependent V: the times of its factors in a step (units of the step), and the
        # weights of a general splitting's factors
        self._td_times = (
            self.scheme.substep_midpoints()
            if self.scheme.composition
            else self.scheme.potential_times()
        )
        self._td_weights = np.asarray(self.scheme.potential_weights, dtype=np.float64)
        self._kinetic_cache: dict[float, tuple[CArray, CArray]] = {}
        self._potential_cache: dict[float, CArray] = {}
        self.decomposition = check_int("decomposition", decomposition, 1, maximum=2)
        self._mpi: Any = None
        if self.backend == "mpi" and not self.scheme.composition:
            # distributed.py builds its factors from the Strang sub-step weights only
            raise ValueError(
                f"`scheme` {self.scheme.name!r} is a general splitting (its own potential "
                "weights); backend 'mpi' runs compositions of Strang steps: use e.g. "
                "'yoshida6' or 'kahan-li6'"
            )
        if self.backend == "mpi":
            from quantgeo.solvers.distributed import DistributedSplit

            self._mpi = DistributedSplit(self, self.decomposition)

    def local_piece(self, state: Wavefunction | CArray) -> CArray:
        """This rank's piece of a whole-lattice ``state`` with ``backend="mpi"`` (``run``
        accepts it as well as the whole state); a copy of the whole state otherwise."""
        data = _as_data(state, self.ham.lattice, "state")
        if self._mpi is not None:
            return np.asarray(self._mpi.layout.take(data), dtype=np.complex128)
        return np.array(data, dtype=np.complex128)

    # -- factors ----------------------------------------------------------------------------
    def _v_exponent(self, v: NDArray[np.float64]) -> CArray:
        """``-i V_c/ħ`` with the complex absorbing potential folded in."""
        return v_exponent(v, self._damping, self.ham.hbar)

    def _kinetic_factors(self, exponents: NDArray[np.complexfloating]) -> tuple[CArray, CArray]:
        """:func:`kinetic_factors` of this solver's Hamiltonian."""
        return kinetic_factors(self.ham, exponents)

    def _real_kinetic(self, h: float) -> tuple[CArray, CArray]:
        """Kinetic factors of step ``h``, one per distinct sub-step weight (cached by h, and
        by content in :data:`~quantgeo.solvers.factors.factor_cache`); with the step-doubling
        estimate on, those of ``h/2`` are built in the same call (each row on its own: the
        same values as a call of its own)."""
        if h not in self._kinetic_cache:
            _bounded(self._kinetic_cache)
            half = 0.5 * h
            pair = self.error_samples > 0 and half not in self._kinetic_cache
            steps = [h, half] if pair else [h]
            z = -1j * np.multiply.outer(steps, self._k_weights).ravel()
            key = content_key("kinetic", *self.ham.axis_dispersions(), self.ham.hbar, z)
            rest, last = factor_cache.get(key, lambda: self._kinetic_factors(z))
            nk = len(self._k_weights)
            for i, step in enumerate(steps):
                rows = slice(i * nk, (i + 1) * nk)
                self._kinetic_cache[step] = (rest[rows], last[rows])
        return self._kinetic_cache[h]

    def _static_potential(self, h: float) -> CArray:
        """V factors of step ``h`` for a static potential, with the merged one (cached by h);
        with the step-doubling estimate on, those of ``h/2`` too, sharing a ``sin`` pass (bit
        for bit the values of a build of their own, :func:`factors_and_halves`).  Built on
        V's distinct values; where there are few, those are also kept by content in
        :data:`~quantgeo.solvers.factors.factor_cache` (a fraction of the gathered factors),
        and on lattices of up to ``DISTINCT_MAX_SITES`` sites the gathered factors too (a run
        repeated on the same V copies them instead of sorting its values and gathering: 48²,
        0.29 → 0.06 ms; the solver that builds them only reads them, so they are kept
        uncopied)."""
        if h not in self._potential_cache:
            _bounded(self._potential_cache)
            half = 0.5 * h
            pair = self.error_samples > 0 and half not in self._potential_cache
            v = self.ham.potential_values(0.0)
            key = None
            if v.size <= DISTINCT_MAX_SITES:  # the only lattices with a distinct-value build
                layout = self.scheme.coefficients if self._static_weights is None else None
                parts = (v, self._damping, self.ham.hbar, layout, self._static_weights)
                key = (*content_key("potential", *parts), h, pair)

            def build() -> tuple[CArray, ...]:
                expo = self._v_exponent(v)
                shape = self.ham.lattice.shape
                return site_factors(expo, lambda e: self._build_static(e, h, pair), key, shape)

            built = (
                build()
                if key is None
                else factor_cache.get(("sites", *key), build, keep_built=True)
            )
            self._potential_cache[h] = built[0]
            if pair:
                self._potential_cache[half] = built[1]
        return self._potential_cache[h]

    def _build_static(self, expo: CArray, h: float, pair: bool) -> tuple[CArray, ...]:
        """The factors of :meth:`_static_potential` on the values ``expo`` (V's distinct
        exponents, or all of them): ``(h,)`` or ``(h, h/2)``."""
        if self._static_weights is None:
            stack = _v_stack(self.scheme.coefficients, [expo] * self.scheme.stages, h, merged=True)
        else:  # a general splitting: a row per distinct weight of _static_layout
            stack = _scaled_stack(h * self._static_weights, expo)
        if pair:  # the estimate redoes segments with h/2: 3 sin passes for both, not 4
            return factors_and_halves(*stack)
        return (_expm1(*stack),)

    def _td_potential(self, t: float, h: float) -> CArray:
        """V factors of one step from ``t``: each Strang sub-step's V at its midpoint time (a
        general splitting: factor j at the clock time ``t + h·potential_times()[j]``)."""
        if not self.scheme.composition:  # V at the clock of the extended system
            times = t + h * self._td_times
            expos = [self._v_exponent(self.ham.potential_values(float(tm))) for tm in times]
            # a general splitting: the s + 1 factors in order, on the whole stack at once
            return weighted_factors(h * self._td_weights, expos)
        mids = t + h * self._td_times
        expos = [self._v_exponent(self.ham.potential_values(float(tm))) for tm in mids]
        return _v_factors(self.scheme.coefficients, expos, h, merged=False)

    # -- compilation --------------------------------------------------------------------------
    def _ensure_compiled(self) -> float:
        if self.backend != "numba":
            return 0.0
        from quantgeo._kernels import warmup

        return warmup(self._fft.families, (self.ham.lattice.ndim,))

    def _advance(self, psi: CArray, t: float, h: float, nsteps: int) -> None:
        k_rest, k_last = self._real_kinetic(h)
        if self.ham.time_dependent:
            merged = self.scheme.stages + 1
            for n in range(nsteps):
                self._fft.evolve(
                    psi,
                    self._td_potential(t + n * h, h),
                    k_rest,
                    k_last,
                    self._v_index,
                    self._k_index,
                    merged,  # unused: one step per call
                    1,
                )
        else:
            self._fft.evolve(
                psi,
                self._static_potential(h),
                k_rest,
                k_last,
                self._static_index,
                self._k_index,
                self._static_merged,
                nsteps,
            )

    # -- public API ---------------------------------------------------------------------------
    def run(
        self,
        state0: Wavefunction | CArray,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
    ) -> Trajectory:
        """Propagate ``state0`` over ``t_span = (t0, t1)`` (t1 ≥ t0) and return the Trajectory.

        Parameters
        ----------
        state0
            Initial state on ``ham.lattice`` (not renormalised).
        t_span
            Start and end time.
        recorder
            What to save and when (default: norm and energy, states at ``t0`` and ``t1``); its
            times may start after ``t0``.
        progress
            tqdm progress bar; default: on when stderr is a terminal.
        """
        if self._mpi is not None:  # collective: every rank calls run
            return self._mpi.run(state0, t_span, recorder=recorder, progress=progress)
        lat = self.ham.lattice
        psi = np.array(_as_data(state0, lat, "state0"), dtype=np.complex128, order="C")
        psi = self._fft.aligned(psi)
        recorder = recorder if recorder is not None else Recorder()
        check_run(self.memory_estimate(t_span, recorder), "SplitOperatorSolver.run: ")
        plan = plan_run(t_span, recorder, self.dt)
        recorder.begin(resolver(self.ham, lambda: recorder.time))
        compile_time = self._ensure_compiled()
        phases = check_phase_per_step(
            self.ham,
            psi,
            self.dt,
            plan.t0,
            tail=(self.error_tol / 20) ** 2,
            weights=self.scheme.phase_weights,
        )

        dv = lat.cell_volume

        def norm(p: CArray) -> float:
            return float(np.vdot(p, p).real) * dv

        norm0 = norm(psi)
        estimator = StepDoubling(
            self._advance,
            self.scheme.order,
            plan.total_steps,
            self.error_samples,
            lat.cell_volume,
        )
        trackers = [
            NormCheck(
                self.norm_tol,
                self.absorber is not None,
                norm,
            ),
            ProgressTracker("split-operator", progress),
        ]
        stats = run_plan(
            _Stepper(self, psi, estimator),
            plan,
            recorder,
            chunk=self.check_every,
            trackers=trackers,
        )
        accuracy = estimator.info(stats.t - plan.t0, norm0, stats.steps)
        self._warn_accuracy(accuracy["error_estimate_raw"], norm0)
        info = self._run_info(
            stats,
            compile_time,
            accuracy,
            phases,
            backend=self.backend,
            workers=self.workers,
            fft=self._fft.name,
            fft_auto=self._fft.auto_info(),
        )
        return recorder.finish(info, lat)

    def _run_info(
        self,
        stats: Any,
        compile_time: float,
        accuracy: dict[str, Any],
        phases: dict[str, float],
        **engine: Any,
    ) -> dict[str, Any]:
        """``Trajectory.info`` of a run (serial or MPI): the step counts and timings, the
        ``engine`` entries, the Hamiltonian's and the accuracy entries."""
        return run_info(
            "split-operator",
            steps=stats.steps,
            compile_time=compile_time,
            run_time=stats.run_time,
            scheme=self.scheme.name,
            order=self.scheme.order,
            dt=self.dt,
            fft_pairs=stats.steps * self.scheme.stages,
            **engine,
            kinetic=self.ham.kinetic,
            hbar=self.ham.hbar,
            absorber=None if self.absorber is None else repr(self.absorber),
            **accuracy,
            error_tol=self.error_tol,
            phase_per_step_v=phases["phase_v"],
            phase_per_step_t=phases["phase_t"],
        )

    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`).

        The state and the ``s + 2`` V factors of an ``s``-stage scheme are complex lattice
        arrays; building the factors holds three more per factor (exponents, half steps,
        ``expm1``) — ``4(s + 2) + 1`` states in all (tracemalloc: 12 for Strang, 21 for
        Yoshida-4) — and a time-dependent V rebuilds ``s`` exponents every step.  The kinetic
        factors are separable (one row per axis); the FFT engine adds what it holds
        (``work_bytes``: FFTW's aligned copy or the sweeps' padded buffer, in 1D the split copy
        of the V factors); then the records.  With ``backend="mpi"``: what each rank holds."""
        if self._mpi is not None:
            return self._mpi.memory_estimate(t_span, recorder)
        lat = self.ham.lattice
        state = 16.0 * lat.size
        stages = self.scheme.stages
        arrays = 4 * (stages + 2) + 1 + (stages if self.ham.time_dependent else 0)
        engine = self._fft.work_bytes(stages + 2)
        rows = lat.size // lat.shape[-1] + lat.shape[-1]
        kinetic = 16.0 * rows * len(set(self.scheme.coefficients))
        return run_estimate(
            t_span,
            recorder,
            self.dt,
            state_bytes=state,
            working={
                "for the state and its step factors": (
                    arrays * state + kinetic + engine,
                    "use a smaller lattice",
                )
            },
        )

    def _warn_accuracy(self, raw: float, norm0: float) -> None:
        """The accuracy warning: estimate/‖ψ₀‖ above ``error_tol`` (dt and a better dt named)."""
        rel = raw / math.sqrt(norm0) if norm0 > 0 else math.nan
        if not rel > self.error_tol:
            return
        better = suggested_dt(self.dt, rel, self.error_tol, self.scheme.order)
        warnings.warn(
            f"split-operator: the estimated splitting error ‖ψ − ψ_exact‖/‖ψ₀‖ ≈ {rel:.3g} at "
            f"the end of the run exceeds error_tol = {self.error_tol:g} with dt = {self.dt:g} "
            f"({self.scheme.name}, order {self.scheme.order}); dt ≈ {better:.3g} would meet it",
            QuantgeoWarning,
            stacklevel=3,
        )

    def evolve(self, state0: Wavefunction | CArray, t: float) -> Wavefunction:
        """Return the state at time ``t`` starting from ``state0`` at 0 (no recording)."""
        traj = self.run(state0, (0.0, t), recorder=Recorder(observables=()))
        return traj.state(-1)

    def ground_state(
        self,
        state0: Wavefunction | CArray | None = None,
        *,
        dtau: float | None = None,
        tol: float = 1e-12,
        max_steps: int = 1_000_000,
        check_every: int = 20,
        t: float = 0.0,
        residual_tol: float = 1e-3,
    ) -> GroundState:
        r"""Imaginary-time propagation :math:`\psi \leftarrow e^{-H\tau/\hbar}\psi`, renormalised.

        Uses Strang splitting whatever the solver's scheme (negative sub-step weights would
        amplify high-k components in imaginary time).  The converged state is the ground state
        of H up to the splitting error :math:`O(\tau^2)`; its energy ⟨H⟩ is accurate to
        :math:`O(\tau^4)` (variational).  Stops when ⟨H⟩ changes by less than
        ``tol·max(1, |E|)`` over ``check_every`` steps.  A thin wrapper around
        :meth:`ImaginaryTimeSolver(ham, dtau, ...).run(state0)
        <quantgeo.solvers.imaginary.ImaginaryTimeSolver.run>`, which returns the Trajectory.

        Parameters
        ----------
        state0
            Start state; default a Gaussian at the potential minimum (must overlap the ground
            state).
        dtau
            Imaginary time step; default the solver's ``dt``.
        t
            Time at which a time-dependent V is frozen.
        residual_tol
            ``converged`` also needs ``‖Hψ − Eψ‖ < residual_tol·max(1, |E|)``.

        Raises
        ------
        ValueError
            If the solver has an ``absorber`` (a complex potential has no ground state).
        """
        from quantgeo.solvers.imaginary import ImaginaryTimeSolver

        if self._mpi is not None:
            raise ValueError(
                "`backend` 'mpi' runs real time only: ground_state() needs backend 'numba' or "
                "'numpy'"
            )
        if self.absorber is not None:
            raise ValueError(
                "`absorber` applies to real-time runs only: ground_state() relaxes to the ground "
                "state of the Hermitian H; build the solver without `absorber`"
            )

        solver = ImaginaryTimeSolver(
            self.ham,
            self.dt if dtau is None else dtau,
            tol=tol,
            max_steps=max_steps,
            check_every=check_every,
            residual_tol=residual_tol,
            t=t,
            backend=self.backend,
            workers=self.workers,
            fft=self.fft,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuantgeoWarning)
            traj = solver.run(state0)
        for w in caught:  # re-issued to point at the caller of ground_state
            warnings.warn(w.message, w.category, stacklevel=2)
        info = traj.info
        return GroundState(
            traj.state(-1), info["energy"], info["steps"], info["converged"], info["residual"]
        )
