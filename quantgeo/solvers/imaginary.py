r"""Imaginary-time propagation :math:`\psi \leftarrow e^{-H\tau/\hbar}\psi`, renormalised.

Every component of ψ decays as :math:`e^{-E_k\tau/\hbar}` relative to its norm, so the state
relaxes onto the ground state of H at the rate :math:`(E_1 - E_0)/\hbar`.  The propagator is
Strang-split exactly as the real-time solver (:mod:`quantgeo.solvers.split_operator`) with the
real exponents :math:`-V/\hbar` and :math:`-\varepsilon(k)/\hbar` (higher-order schemes have
negative sub-steps, which would amplify high-k components in imaginary time).  The relaxed state
is the ground state up to the splitting error :math:`O(\tau^2)`; its energy ⟨H⟩ is accurate to
:math:`O(\tau^4)` (variational).
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels import BACKENDS, kernels
from quantgeo._options import check_options, option
from quantgeo._preflight import Estimate, check_run, run_estimate
from quantgeo._validation import check_choice, check_int, check_positive, check_real
from quantgeo.errors import QuantgeoWarning, StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.observables import energy as _energy
from quantgeo.observables import resolver
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import (
    FinishedRun,
    Interval,
    Plan,
    ProgressTracker,
    Tracker,
    plan_run,
    run_info,
    run_plan,
    step_plan,
)
from quantgeo.solvers.factors import _bounded, _v_factors, kinetic_factors
from quantgeo.solvers.fft import make_fft
from quantgeo.solvers.split_operator import THREAD_MIN_SITES, SplitOperatorOptions
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = ["ImaginaryTimeSolver"]

CArray = NDArray[np.complex128]

#: ``Trajectory.info["engine"]`` of an imaginary-time run.
ENGINE = "split-operator (imaginary time)"


class _Stepper:
    """Renormalised Strang steps in imaginary time (one factor set per step size)."""

    def __init__(self, solver: ImaginaryTimeSolver, psi: CArray) -> None:
        self.solver, self.state = solver, psi
        self.steps = 0
        self._factors: dict[float, tuple[CArray, CArray, CArray]] = {}

    def _factors_of(self, h: float) -> tuple[CArray, CArray, CArray]:
        if h not in self._factors:
            _bounded(self._factors)
            ham = self.solver.ham
            expo = (-ham.potential_values(self.solver.t) / ham.hbar).astype(complex)
            v_fac = _v_factors((1.0,), [expo], h, merged=True)
            k_rest, k_last = kinetic_factors(ham, np.array([-h], dtype=complex))
            self._factors[h] = (v_fac, k_rest, k_last)
        return self._factors[h]

    def advance(self, t: float, h: float, n: int) -> None:
        v_fac, k_rest, k_last = self._factors_of(h)
        s = self.solver
        s._fft.evolve(self.state, v_fac, k_rest, k_last, s._v_index, s._k_index, 2, n)
        self.steps += n
        nrm = float(np.vdot(self.state, self.state).real) * s.ham.lattice.cell_volume
        if not (math.isfinite(nrm) and nrm > 0):
            raise StabilityError(
                f"imaginary-time state became {nrm} after {self.steps} steps; reduce `dtau`",
                t=t + n * h,
                step=self.steps,
            )
        self.state /= math.sqrt(nrm)

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        snap = Wavefunction(self.solver.ham.lattice, self.state)  # a copy
        return snap, snap.data


class _Relaxation(Tracker):
    """Energy change over every ``every`` steps; with ``stop``, end the run once it is below
    ``tol·max(1, |E|)``."""

    def __init__(self, solver: ImaginaryTimeSolver, stop: bool) -> None:
        self.solver, self.stop = solver, stop
        self.energy = self.e_prev = math.nan
        self.change = math.nan
        self.converged = False
        self._step_prev = 0
        self._total = 0

    def _energy(self, psi: CArray) -> float:
        return _energy(Wavefunction(self.solver.ham.lattice, psi), self.solver.ham, self.solver.t)

    def start(self, state: Any, plan: Plan) -> None:
        self.energy = self.e_prev = self._energy(state)
        self._total = plan.total_steps

    def handle(self, state: Any, t: float, step: int, h: float) -> None:
        if step - self._step_prev < self.solver.check_every and step < self._total:
            return  # a short chunk before a record time: compare over full intervals only
        e = self._energy(state)
        self.energy, self.change = e, abs(e - self.e_prev)
        self.converged = self.change < self.solver.tol * max(1.0, abs(e))
        if self.converged and self.stop:
            raise FinishedRun
        self.e_prev, self._step_prev = e, step


@dataclass(frozen=True)
class ImaginaryTimeOptions:
    """Options of :class:`ImaginaryTimeSolver` (written once; the constructor and the scenario
    ``[solver]`` table take them from here)."""

    tol: float = option(
        1e-12, unit="relative energy", doc="Imaginary mode: stop when ⟨H⟩ changes less", gt=0
    )
    max_steps: int = option(
        1_000_000, unit="steps", doc="Imaginary mode: most steps", kind="int", ge=1, le=10**9
    )
    check_every: int = option(
        20,
        unit="steps",
        doc="Steps between the renormalisation-and-energy checks",
        kind="int",
        ge=1,
    )
    residual_tol: float = option(
        1e-3,
        unit="relative energy",
        doc="Converged also needs ‖Hψ − Eψ‖ < residual_tol·max(1, |E|)",
        gt=0,
    )

    def __post_init__(self) -> None:
        check_options(self)


_DEFAULTS = ImaginaryTimeOptions()


class ImaginaryTimeSolver:
    r"""Ground state by imaginary-time split-operator propagation, as an engine.

    Parameters
    ----------
    ham
        The :class:`~quantgeo.hamiltonian.Hamiltonian` (a time-dependent V is frozen at ``t``).
    dtau
        Largest imaginary-time step τ (time units, > 0).
    tol
        Convergence: the energy changes by less than ``tol·max(1, |E|)`` over ``check_every``
        steps.
    max_steps
        Most steps of a relaxation (:meth:`run` without ``t_span``).
    check_every
        Steps between the renormalisation-and-energy checks.
    residual_tol
        ``converged`` also needs the residual :math:`r = \|H\psi - E\psi\| <`
        ``residual_tol·max(1, |E|)``.  The Strang fixed point is the ground state of
        :math:`H + O(d\tau^2)`, so r = O(dτ²) and, by Temple's bound, the energy error
        :math:`E - E_0 \approx r^2/(E_1 - E_0)` = O(dτ⁴).  The default 10⁻³ therefore accepts
        states whose energy is good to ~10⁻⁶ relative when the gap is of the order of E — a
        floor the energy ``tol`` alone cannot see: with too large a dτ the energy settles (the
        change falls below ``tol``) on the wrong state.
    t
        Time at which a time-dependent V is frozen.
    backend, workers, fft
        As :class:`~quantgeo.solvers.SplitOperatorSolver` (``fft``: :mod:`quantgeo.solvers.fft`).

    Examples
    --------
    >>> traj = ImaginaryTimeSolver(ham, 0.01).run(None)
    >>> traj.info["energy"], traj.info["residual"], traj.state(-1)
    """

    def __init__(
        self,
        ham: Hamiltonian,
        dtau: float,
        *,
        tol: float = _DEFAULTS.tol,
        max_steps: int = _DEFAULTS.max_steps,
        check_every: int = _DEFAULTS.check_every,
        residual_tol: float = _DEFAULTS.residual_tol,
        t: float = 0.0,
        backend: str = "numba",
        workers: int | None = None,
        fft: str = SplitOperatorOptions.fft,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        self.ham = ham
        self.dtau = check_positive("dtau", dtau)
        self.tol = check_positive("tol", tol)
        self.max_steps = check_int("max_steps", max_steps)
        self.check_every = check_int("check_every", check_every)
        self.residual_tol = check_positive("residual_tol", residual_tol)
        self.t = check_real("t", t)
        self.backend = check_choice("backend", backend, BACKENDS)
        self._k = kernels("split", backend)
        if workers is None:
            workers = (os.cpu_count() or 1) if ham.lattice.size >= THREAD_MIN_SITES else 1
        self.workers = check_int("workers", workers)
        self._fft = make_fft(fft, self.backend, self._k, ham.lattice.shape, self.workers)
        self.fft = self._fft.name
        # one Strang sub-step: V factor 0 before the kinetic factor, V factor 1 after it
        self._v_index = np.array([0, 1], dtype=np.int64)
        self._k_index = np.array([0], dtype=np.int64)

    def memory_estimate(
        self, t_span: tuple[float, float] | None, recorder: Recorder | None
    ) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): the state, its FFT work
        array, the residual, three step factors and the records (a relaxation: ``max_steps``
        steps and, by default, one record)."""
        state = 16.0 * self.ham.lattice.size
        span = (0.0, self.max_steps * self.dtau) if t_span is None else t_span
        rec = recorder if recorder is not None else Recorder(times=[span[1]])
        return run_estimate(
            span,
            rec,
            self.dtau,
            state_bytes=state,
            working={"for the state and its step factors": 6 * state},
            steps_fix="raise `dtau` or lower `max_steps`",
        )

    def default_state(self) -> Wavefunction:
        """A Gaussian at the minimum of V (width a tenth of the box per axis)."""
        from quantgeo.wavefunction import gaussian

        lat, ham = self.ham.lattice, self.ham
        v = ham.potential_values(self.t)
        idx = np.unravel_index(int(np.argmin(v)), lat.shape)
        center = [lat.axes[i][idx[i]] for i in range(lat.ndim)]
        return gaussian(lat, center, [L / 10 for L in lat.lengths], 0.0, ham.hbar)

    def run(
        self,
        state0: Wavefunction | CArray | None = None,
        t_span: tuple[float, float] | None = None,
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
    ) -> Trajectory:
        r"""Relax ``state0`` in imaginary time; return the records as a Trajectory.

        Parameters
        ----------
        state0
            Start state (renormalised; it must overlap the ground state); default
            :meth:`default_state`.
        t_span
            ``None`` (a *relaxation*): from τ = 0 until the energy converges or ``max_steps``
            steps (then a :class:`~quantgeo.errors.QuantgeoWarning`); the records asked for up
            to then, and the state where it stopped.  ``(τ0, τ1)``: exactly that span, records
            landing on the requested times (``info["converged"]`` then tells whether the last
            check met ``tol``).
        recorder
            What to save and when (imaginary times; states are normalised).  Default: a
            relaxation records only its final state, a span both ends; observables ``"norm"``
            and ``"energy"`` (at the frozen ``t``).
        progress
            tqdm progress bar; default on when stderr is a terminal.

        Returns
        -------
        Trajectory
            ``info``: the common keys, ``energy`` (⟨H⟩ of the last state), ``residual``
            (``‖Hψ − Eψ‖``, lattice L2 norm), ``converged`` (the energy change below ``tol``
            *and* the residual below ``residual_tol·max(1, |E|)``), ``energy_converged`` (the
            first alone), ``dtau``, ``tol``, ``residual_tol``, ``scheme``.
        """
        lat, ham = self.ham.lattice, self.ham
        check_run(self.memory_estimate(t_span, recorder), "ImaginaryTimeSolver.run: ")
        if state0 is None:
            state0 = self.default_state()
        psi = np.array(_as_data(state0, lat, "state0"), dtype=np.complex128, order="C")
        psi = self._fft.aligned(psi)
        psi /= math.sqrt(float(np.vdot(psi, psi).real) * lat.cell_volume)
        relax = t_span is None
        tau_max = self.max_steps * self.dtau
        if relax and recorder is None:
            recorder = Recorder(times=[tau_max])
            plan = Plan(0.0, tau_max, (Interval(0.0, tau_max, self.max_steps, self.dtau),))
        else:
            recorder = recorder if recorder is not None else Recorder()
            if relax:
                plan = step_plan(recorder.schedule((0.0, tau_max)), 0.0, self.dtau)
            else:
                plan = plan_run(t_span, recorder, self.dtau)
        recorder.begin(resolver(ham, lambda: self.t))
        compile_time = 0.0
        if self.backend == "numba":
            from quantgeo._kernels import warmup

            compile_time = warmup(self._fft.families, (lat.ndim,))
        stepper = _Stepper(self, psi)
        check = _Relaxation(self, stop=relax)
        stats = run_plan(
            stepper,
            plan,
            recorder,
            chunk=self.check_every,
            trackers=[check, ProgressTracker("imaginary time", progress)],
        )
        e = check.energy
        resid = ham.apply(stepper.state, self.t) - e * stepper.state
        residual = math.sqrt(float(np.vdot(resid, resid).real) * lat.cell_volume)
        residual_ok = residual < self.residual_tol * max(1.0, abs(e))
        if relax and not check.converged:
            warnings.warn(
                f"imaginary-time propagation did not converge to tol = {self.tol:g} in "
                f"{stats.steps} steps (last energy change {check.change:.3e}); raise "
                "`max_steps` or `dtau`",
                QuantgeoWarning,
                stacklevel=2,
            )
        elif relax and not residual_ok:
            # r = O(dτ²): the dτ that would meet the tolerance
            better = min(
                self.dtau * math.sqrt(self.residual_tol * max(1.0, abs(e)) / residual),
                0.5 * self.dtau,
            )
            warnings.warn(
                f"imaginary-time propagation settled with dtau = {self.dtau:g} on a state with "
                f"residual ‖Hψ − Eψ‖ = {residual:.3g} > residual_tol·max(1, |E|) = "
                f"{self.residual_tol * max(1.0, abs(e)):.3g} (E = {e:.6g}): the splitting error "
                f"dominates, so it is not the ground state; use dtau ≲ {better:.3g}",
                QuantgeoWarning,
                stacklevel=2,
            )
        info = run_info(
            ENGINE,
            steps=stats.steps,
            compile_time=compile_time,
            run_time=stats.run_time,
            energy=float(e),
            residual=residual,
            converged=check.converged and residual_ok,
            energy_converged=check.converged,
            dtau=self.dtau,
            tol=self.tol,
            residual_tol=self.residual_tol,
            scheme="strang",
            order=2,
            backend=self.backend,
            workers=self.workers,
            fft=self.fft,
            fft_auto=self._fft.auto_info(),
            kinetic=ham.kinetic,
            hbar=ham.hbar,
            t=self.t,
        )
        return recorder.finish(info, lat)
