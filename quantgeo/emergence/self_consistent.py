r"""Self-consistent lattice learners: M learners and one shared phase field, no ψ(t) given.

The density is the learners' own histogram :math:`\hat p_n` (probabilities per site),
optionally smoothed by ``smooth`` passes of the binomial filter :math:`(\tfrac14, \tfrac12,
\tfrac14)` along every axis (support :math:`2w + 1` sites per axis, variance ``w/2`` sites²).
The phase :math:`S_n` obeys the lattice Hamilton–Jacobi equation of THEORY.md §2 with
:math:`\hat p` in the quantum potential,

.. math::
    \dot S_n = -V_n - \sum_m \tau_{nm}\Bigl[1 - \sqrt{\hat p_m/\hat p_n}\,
    \cos\frac{S_m - S_n}{\hbar}\Bigr],\qquad \tau_{nm} = \frac{\hbar^2}{2 m_i \Delta_i^2},

and the learners jump with Bell's rates of :math:`\hat\psi = \sqrt{\hat p}\,e^{iS/\hbar}`
(:func:`~quantgeo.emergence.learners.bell_rates`): :math:`r_{n\to m} = (\hbar/m\Delta^2)
\sqrt{\hat p_m/\hat p_n}\max(0, \sin((S_m - S_n)/\hbar))`.  Nothing of the split-operator
solution enters; :func:`density_error` compares afterwards.

Scheme, per refresh interval h: S advances by RK4 with :math:`\hat p(t_k)` frozen (sub-steps
so that h·(largest :math:`\sum_m\tau_{nm}\sqrt{\hat p_m/\hat p_n}`)/sub-steps ≤ 1, the HJ
equation is stiff where a lone learner sits next to a crowded site); the learners jump over h
with the rates of :math:`(\hat p(t_k), S(t_k + h/2))`; :math:`\hat p` is re-counted.  The
splitting of p̂ and S is first order in h.

Where :math:`\hat p_n = 0` the quantum-potential term is dropped (:math:`\dot S_n = -V_n -
\sum_m\tau_{nm}`); it cannot matter there, since the current into a site with
:math:`\hat p = 0` vanishes — which is also why, **without smoothing, no learner ever enters an
empty site**: the support of p̂ can only shrink.  Smoothing gives empty neighbours of occupied
sites a density and lets the ensemble spread, at the price of a bias of order
:math:`(w/2)\Delta^2\partial^2 p`.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels import kernels, warmup
from quantgeo._validation import check_choice, check_int, check_positive, check_span
from quantgeo.emergence.learners import (
    BACKENDS,
    _record_steps,
    bell_rates,
    check_learners,
)
from quantgeo.emergence.madelung import neighbour_table
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import run_info
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = ["SELF_CONSISTENT_OBSERVABLES", "SelfConsistentLearners", "density_error", "smooth"]

FArray = NDArray[np.float64]
IArray = NDArray[np.int64]
CArray = NDArray[np.complex128]

#: Names a :class:`~quantgeo.recording.Recorder` may ask the self-consistent learners for.
SELF_CONSISTENT_OBSERVABLES = ("norm", "occupied", "jumps", "substeps")


def smooth(p: FArray, passes: int) -> FArray:
    r"""``passes`` periodic binomial passes :math:`(\tfrac14, \tfrac12, \tfrac14)` per axis.

    Keeps :math:`\sum_n p_n`; a pass has variance ½ site² per axis.
    """
    out = np.asarray(p, dtype=float)
    for _ in range(passes):
        for ax in range(out.ndim):
            out = 0.5 * out + 0.25 * (np.roll(out, 1, axis=ax) + np.roll(out, -1, axis=ax))
    return out


def density_error(traj: Trajectory, exact: Trajectory) -> FArray:
    r"""Relative L2 distance of the densities of two trajectories at each record time.

    .. math::
        \epsilon(t) = \frac{\|\,|\hat\psi|^2 - |\psi|^2\,\|_2}{\|\,|\psi|^2\,\|_2}

    ``traj`` and ``exact`` must hold states at the same times (shape ``(n_t, *shape)``).
    """
    if traj.states is None or exact.states is None:
        raise ValueError("`traj` and `exact` must both store states")
    if traj.states.shape != exact.states.shape:
        raise ValueError(
            f"`traj` and `exact` states differ in shape: {traj.states.shape} vs "
            f"{exact.states.shape}"
        )
    axes = tuple(range(1, traj.states.ndim))
    a, b = np.abs(traj.states) ** 2, np.abs(exact.states) ** 2
    return np.asarray(
        np.sqrt(np.sum((a - b) ** 2, axis=axes) / np.sum(b**2, axis=axes)), dtype=np.float64
    )


class _SCState:
    __slots__ = ("data", "jumps", "occupied", "substeps")

    def __init__(self, data: CArray, occupied: int, jumps: int, substeps: int) -> None:
        self.data, self.occupied, self.jumps, self.substeps = data, occupied, jumps, substeps


def _resolve(name: str) -> Any:
    table: dict[str, Any] = {
        "norm": lambda s: float(np.sum(np.abs(s.data) ** 2)),
        "occupied": lambda s: s.occupied,
        "jumps": lambda s: s.jumps,
        "substeps": lambda s: s.substeps,
    }
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"unknown observable {name!r} for the self-consistent learners; allowed: "
            f"{', '.join(SELF_CONSISTENT_OBSERVABLES)} or a callable"
        ) from None


class SelfConsistentLearners:
    r"""M learners carrying the density, one phase field S, Bell's rates of :math:`(\hat p, S)`.

    Parameters
    ----------
    ham
        Hamiltonian with ``kinetic="lattice"`` (time-independent or not: V(t) is evaluated at
        each sub-step).
    learners
        Number of learners M (≥ 1).
    seed
        Seed (``numpy.random.SeedSequence``) of the initial draw and the jumps.
    smooth
        Binomial passes applied to the histogram before it enters the quantum potential and the
        rates (0: the raw histogram).
    refresh
        Interval h of the p̂/S splitting.
    backend
        ``"numba"`` or ``"numpy"`` for the jump kernel.
    """

    def __init__(
        self,
        ham: Hamiltonian,
        learners: int = 100_000,
        seed: int | None = None,
        *,
        smooth: int = 0,
        refresh: float = 0.005,
        backend: str = "numba",
    ) -> None:
        self.ham, self.learners, self.seed = check_learners(ham, learners, seed)
        self.smooth = check_int("smooth", smooth, 0)
        self.refresh = check_positive("refresh", refresh)
        self.backend = check_choice("backend", backend, BACKENDS)
        self._k = kernels("learners", self.backend)
        self.nbr, self.hop = neighbour_table(ham.lattice, ham.mass, ham.hbar)
        self._tau = ham.hbar * self.hop  # τ of each direction (energy)

    def _hj_rhs(self, s: FArray, q: FArray, v: FArray) -> FArray:
        hb = self.ham.hbar
        cos = np.cos((s[self.nbr] - s[:, None]) / hb)
        return np.asarray(-v - np.sum(self._tau[None, :] * (1.0 - q * cos), axis=1))

    def _advance_phase(self, s: FArray, q: FArray, t: float, h: float, n_sub: int) -> FArray:
        dt = h / n_sub
        for j in range(n_sub):
            tj = t + j * dt
            v0 = self.ham.potential_values(tj).ravel()
            vm = self.ham.potential_values(tj + 0.5 * dt).ravel()
            v1 = self.ham.potential_values(tj + dt).ravel()
            k1 = self._hj_rhs(s, q, v0)
            k2 = self._hj_rhs(s + 0.5 * dt * k1, q, vm)
            k3 = self._hj_rhs(s + 0.5 * dt * k2, q, vm)
            k4 = self._hj_rhs(s + dt * k3, q, v1)
            s = s + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        return s

    def run(
        self,
        state0: Wavefunction | CArray,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
    ) -> Trajectory:
        r"""Evolve the learners and S from ψ₀ (learners drawn from ``|ψ₀|²``, S = ħ·arg ψ₀).

        Parameters
        ----------
        state0
            Initial ψ on ``ham.lattice``.
        t_span
            ``(t0, t1)``.
        recorder
            Record times (rounded to the refresh grid) and observables (``"norm"``,
            ``"occupied"`` (sites holding a learner), ``"jumps"``, ``"substeps"``); default: the
            two end points, no observables.

        Returns
        -------
        Trajectory
            ``states``: :math:`\hat\psi = \sqrt{\hat h/\Delta V}\,e^{iS/\hbar}` of the raw
            (unsmoothed) histogram :math:`\hat h`, shape ``(n_t, *lattice.shape)``; ``info``:
            ``learners``, ``seed``, ``smooth``, ``refresh``, ``jumps``, ``substeps``,
            ``jump_time``, ``run_time``, ``compile_time``.
        """
        ham, lat = self.ham, self.ham.lattice
        psi0 = _as_data(state0, lat, "state0")
        t0, t1 = check_span(t_span)
        dens0 = np.abs(psi0.ravel()) ** 2
        if not dens0.sum() > 0:
            raise ValueError("`state0` must have positive density somewhere, got ψ = 0")
        recorder = recorder if recorder is not None else Recorder(observables=())
        n = math.ceil((t1 - t0) / self.refresh - 1e-9) if t1 > t0 else 0
        h = (t1 - t0) / n if n else 0.0
        want = _record_steps(recorder.schedule((t0, t1)), t0, h)
        m = self.learners
        start_ss, jump_ss = np.random.SeedSequence(self.seed).spawn(2)
        counts = np.random.default_rng(start_ss).multinomial(m, dens0 / dens0.sum())
        site = np.repeat(np.arange(lat.size, dtype=np.int64), counts)
        rng = np.random.default_rng(jump_ss)
        clock = rng.standard_exponential(m)
        left, active, fired = np.empty(m), np.empty(m, np.int64), np.empty(m, np.int64)
        compile_time = warmup(("learners",)) if self.backend == "numba" else 0.0
        s = ham.hbar * np.angle(psi0.ravel())
        dv = lat.cell_volume
        jumps, substeps, jump_time = 0, 0, 0.0
        recorder.begin(_resolve)
        start = time.perf_counter()
        for k in range(n + 1):
            hist = np.bincount(site, minlength=lat.size) / m
            if k in want:
                psi = np.sqrt(hist / dv) * np.exp(1j * s / ham.hbar)
                state = _SCState(
                    psi.reshape(lat.shape), int(np.count_nonzero(hist)), jumps, substeps
                )
                for t_rec in want[k]:
                    recorder.record(t_rec, state, stored=state.data)  # the store copies it
            if k == n:
                break
            p = smooth(hist.reshape(lat.shape), self.smooth).ravel()
            q = np.zeros(self.nbr.shape)
            np.sqrt(np.divide(p[self.nbr], p[:, None], out=q, where=p[:, None] > 0), out=q)
            stiff = float(np.max(np.sum(self._tau[None, :] * q, axis=1)))
            n_half = max(1, math.ceil(0.5 * h * stiff))
            tk = t0 + k * h
            s_mid = self._advance_phase(s, q, tk, 0.5 * h, n_half)
            s = self._advance_phase(s_mid, q, tk + 0.5 * h, 0.5 * h, n_half)
            substeps += 2 * n_half
            psi_hat = np.sqrt(p) * np.exp(1j * s_mid / ham.hbar)
            cum = np.cumsum(bell_rates(psi_hat, self.nbr, self.hop), axis=1)
            tic = time.perf_counter()
            jumps += int(
                self._k.jump_interval(site, clock, left, active, fired, cum, self.nbr, h, rng)
            )
            jump_time += time.perf_counter() - tic
        info = run_info(
            "self-consistent-learners",
            steps=n,  # refresh intervals (the jumps are events: "jumps")
            run_time=time.perf_counter() - start,
            compile_time=compile_time,
            learners=m,
            seed=self.seed,
            smooth=self.smooth,
            refresh=h,
            jumps=jumps,
            substeps=substeps,
            jump_time=jump_time,
            backend=self.backend,
        )
        return recorder.finish(info, lat)
