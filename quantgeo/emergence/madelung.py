r"""The a = 1 lattice learning variables :math:`(p_n, S_n)` and their integrator.

THEORY.md §2: an ensemble of learners on a periodic lattice is a density :math:`p_n \ge 0` and a
phase (learning potential) :math:`S_n`.  Per axis ``i`` (mass :math:`m_i`, spacing
:math:`\Delta_i`, hopping :math:`\tau_i = \hbar^2/(2 m_i \Delta_i^2)`), nearest neighbours ``m``:

.. math::
    \dot p_n &= -\sum_m \frac{\hbar}{m_i\Delta_i^2}\,\sqrt{p_n p_m}\,
        \sin\frac{S_m - S_n}{\hbar} \qquad\text{(continuity)}\\
    \dot S_n &= -V_n - \sum_m \tau_i\Big[1 - \sqrt{p_m/p_n}\,
        \cos\frac{S_m - S_n}{\hbar}\Big] \qquad\text{(Hamilton–Jacobi + quantum potential)}

These are Hamilton's equations (:math:`\dot p_n = \partial \mathcal E/\partial S_n`,
:math:`\dot S_n = -\partial \mathcal E/\partial p_n`, :math:`\mathcal E = E/\Delta V`) of the
expected loss

.. math::
    E = \Delta V\Big[\sum_n V_n p_n + \sum_{\text{bonds}} \tau\,
        \big(p_n + p_m - 2\sqrt{p_n p_m}\cos((S_m-S_n)/\hbar)\big)\Big]

invariant under :math:`S_n \to S_n + 2\pi\hbar k_n`; exactly, the
wavefunction :math:`\psi_n = \sqrt{p_n}\,e^{iS_n/\hbar}` obeys the lattice Schrödinger equation of
``Hamiltonian(kinetic="lattice")``.

The broken-symmetry control (``shift_symmetric=False``) replaces :math:`\sin\theta \to \theta`
and :math:`\cos\theta \to 1 - \theta^2/2` (:math:`\theta = (S_m - S_n)/\hbar`): currents linear in
:math:`S_m - S_n` and the kinetic energy :math:`\sqrt{p_n p_m}\,(S_m - S_n)^2/(2m\Delta^2)` per
bond.  S is then a non-compact variable and must start as a continuous (unwrapped) phase.

Integration variables
---------------------
The integrator advances :math:`(\ln p_n,\ S_n/\hbar)`: the continuity equation divided by
:math:`p_n`, the Hamilton–Jacobi equation divided by ħ — the same equations in coordinates in
which :math:`\sqrt{p_m/p_n} = e^{(\ln p_m - \ln p_n)/2}` is formed without a quotient of tiny
numbers (Gaussian tails at :math:`p \sim 10^{-30}` keep full relative accuracy and p stays
positive).  One tolerance then means one thing for both: a local error ``δ`` in either is a
relative error of about ``δ`` in ψ (``δψ/ψ = δ ln p/2 + i δS/ħ``).

Singular density (THEORY.md E4)
-------------------------------
The equations are singular only where :math:`p_n = 0` while a neighbour's density is not
(:math:`\sqrt{p_m/p_n}\to\infty`).  After every accepted step the integrator checks
:math:`\min_n p_n / \max_{m\sim n} p_m` against ``density_floor`` and raises
:class:`~quantgeo.errors.StabilityError` naming the site and the time.  A smooth Gaussian tail
has a neighbour ratio :math:`e^{-(2|x|\Delta+\Delta^2)/2\sigma^2}` — small only far beyond any
box in use — so tails do not trigger it however small p is.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels import BACKENDS, kernels
from quantgeo._preflight import Estimate, check_run, run_estimate
from quantgeo._validation import check_choice, check_finite_array, check_positive, check_span
from quantgeo.errors import StabilityError
from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.observables import resolver
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import Interval, Plan, ProgressTracker, run_info
from quantgeo.wavefunction import Wavefunction, _as_data

__all__ = [
    "BACKENDS",
    "BOUNDARIES",
    "METHODS",
    "MadelungLattice",
    "from_learning_variables",
    "learning_energy",
    "neighbour_table",
    "open_boundary_sparse",
    "to_learning_variables",
]

log = logging.getLogger(__name__)

#: Explicit Runge–Kutta integrators of ``scipy.integrate`` accepted as ``method``.
METHODS = ("DOP853", "RK45", "RK23")
BOUNDARIES = ("periodic", "open")

FArray = NDArray[np.float64]
CArray = NDArray[np.complex128]
IArray = NDArray[np.int64]


def warmup() -> float:
    """Compile (or load from Numba's cache) the learning-variable kernels; return the seconds
    (0 when ready).  Same as ``quantgeo._kernels.warmup(("madelung",))``."""
    from quantgeo._kernels import warmup as _warmup

    return _warmup(("madelung",))


def _hopping(lattice: Lattice, mass: FArray, hbar: float) -> FArray:
    r"""Hopping :math:`\tau_i = \hbar^2/(2 m_i \Delta_i^2)` of every axis, shape ``(ndim,)``."""
    return hbar**2 / (2.0 * np.asarray(mass, dtype=float) * np.asarray(lattice.spacing) ** 2)


def neighbour_table(
    lattice: Lattice, mass: FArray, hbar: float, *, boundary: str = "periodic"
) -> tuple[IArray, FArray]:
    r"""Nearest neighbours of every site and the rate :math:`\tau_i/\hbar` of each direction.

    Parameters
    ----------
    lattice
        Lattice; sites are numbered in C order (as ``Hamiltonian.to_sparse``).
    mass
        Mass per axis, shape ``(ndim,)``.
    hbar
        ħ.
    boundary
        ``"periodic"`` (the lattice's own bonds) or ``"open"`` (the bonds across the box edge
        removed: an edge site lists itself, which contributes nothing to either form).

    Returns
    -------
    nbr
        int64, shape ``(size, 2·ndim)``: column ``2i`` is the ``+1`` neighbour along axis ``i``,
        column ``2i + 1`` the ``−1`` neighbour.  With 2 sites on a periodic axis both columns
        name the same site, which counts the two bonds as ``to_sparse`` does.
    rate
        float64, shape ``(2·ndim,)``: :math:`\hbar/(2 m_i \Delta_i^2)` (1/time).
    """
    check_choice("boundary", boundary, BOUNDARIES)
    idx = np.arange(lattice.size, dtype=np.int64).reshape(lattice.shape)
    cols = []
    for i in range(lattice.ndim):
        for shift in (-1, 1):  # roll by -1 brings site n+1 to position n
            col = np.roll(idx, shift, axis=i)
            if boundary == "open":
                edge = [slice(None)] * lattice.ndim
                edge[i] = slice(-1, None) if shift == -1 else slice(0, 1)
                col[tuple(edge)] = idx[tuple(edge)]
            cols.append(col.ravel())
    rate = np.repeat(_hopping(lattice, mass, hbar) / hbar, 2)
    return np.ascontiguousarray(np.stack(cols, axis=1)), rate


def open_boundary_sparse(ham: Hamiltonian, t: float = 0.0) -> Any:
    """CSR matrix of ``ham`` with the hopping bonds across the box edge removed.

    The exact reference of ``MadelungLattice(ham, boundary="open")``: ``ham.to_sparse(t)``
    minus, on every axis with more than 2 sites, the two seam entries ``−τ`` and the ``τ`` they
    put on the diagonals of the edge sites.
    """
    import scipy.sparse as sp

    lat = ham.lattice
    h = sp.lil_matrix(ham.to_sparse(t))
    idx = np.arange(lat.size).reshape(lat.shape)
    for i, tau in enumerate(_hopping(lat, ham.mass, ham.hbar)):
        if lat.shape[i] <= 2:
            continue
        first = np.take(idx, 0, axis=i).ravel()
        last = np.take(idx, lat.shape[i] - 1, axis=i).ravel()
        for a, b in zip(first, last, strict=True):
            h[a, b] = 0.0
            h[b, a] = 0.0
            h[a, a] -= tau
            h[b, b] -= tau
    return sp.csr_matrix(h)


def to_learning_variables(
    state: Wavefunction | CArray, hbar: float = 1.0, *, unwrap: bool = False
) -> tuple[FArray, FArray]:
    r"""Return :math:`(\ln p_n, S_n)` of :math:`\psi_n = \sqrt{p_n}\,e^{iS_n/\hbar}`.

    Parameters
    ----------
    state
        ψ (a Wavefunction or an array of site values).
    hbar
        ħ (S is in units of action).
    unwrap
        Make S continuous along every axis in turn (``numpy.unwrap``), starting at the first
        site of each axis: the non-compact control needs it; the compact form does not care.

    Returns
    -------
    lnp
        :math:`\ln|\psi_n|^2`, float64, shape of ψ; ``-inf`` where ψ vanishes.
    S
        :math:`\hbar\arg\psi_n` (in :math:`(-\pi\hbar, \pi\hbar]` unless ``unwrap``), float64.
    """
    data = np.asarray(getattr(state, "data", state), dtype=np.complex128)
    with np.errstate(divide="ignore"):
        # 2 ln|ψ| rather than ln|ψ|²: |ψ|² underflows for |ψ| < 1e-162.
        lnp = 2.0 * np.log(np.abs(data))
    phase = np.angle(data)
    if unwrap:
        for ax in range(phase.ndim):
            phase = np.unwrap(phase, axis=ax)
    return lnp, hbar * phase


def from_learning_variables(lnp: FArray, S: FArray, hbar: float = 1.0) -> CArray:
    r""":math:`\psi_n = \sqrt{p_n}\,e^{iS_n/\hbar} = \exp(\tfrac12\ln p_n + iS_n/\hbar)`.

    Returns complex128 of the shape of ``lnp``.
    """
    return np.exp(0.5 * np.asarray(lnp) + 1j * (np.asarray(S) / hbar))


def learning_energy(ham: Hamiltonian, p: FArray, S: FArray, t: float = 0.0) -> float:
    r"""Expected loss of the learning variables (energy units).

    .. math::
        E = \Delta V\Big[\sum_n V_n p_n + \sum_{\text{bonds }(n,m)} \tau_i\,
            \big(p_n + p_m - 2\sqrt{p_n p_m}\cos((S_m - S_n)/\hbar)\big)\Big]

    with :math:`\tau_i = \hbar^2/(2m_i\Delta_i^2)`.  Equals :math:`\langle\psi|H|\psi\rangle` for
    :math:`\psi = \sqrt p\,e^{iS/\hbar}` and ``ham.kinetic == "lattice"``.

    Parameters
    ----------
    p, S
        Density (1/volume) and phase (action) on every site, shape ``lattice.shape``.
    """
    lat = ham.lattice
    p = np.asarray(p, dtype=float)
    S = np.asarray(S, dtype=float)
    lat.check_array("p", p)
    lat.check_array("S", S)
    total = float(np.sum(ham.potential_values(t) * p))
    r = np.sqrt(p)
    for i, tau in enumerate(_hopping(lat, ham.mass, ham.hbar)):
        p_next = np.roll(p, -1, axis=i)
        r_next = np.roll(r, -1, axis=i)
        th = (np.roll(S, -1, axis=i) - S) / ham.hbar
        bonds = p + p_next - 2.0 * r * r_next * np.cos(th)
        # With 2 sites on an axis the roll visits the pair twice: the two bonds of to_sparse.
        total += float(tau) * float(np.sum(bonds))
    return total * lat.cell_volume


class MadelungLattice:
    r"""Adaptive integrator of the lattice learning variables :math:`(p_n, S_n)` at a = 1.

    Parameters
    ----------
    ham
        :class:`~quantgeo.hamiltonian.Hamiltonian` with ``kinetic="lattice"`` (nearest-neighbour
        hopping; per-axis mass and spacing; V may depend on time).
    shift_symmetric
        ``True``: the compact form (sin/cos of phase differences, THEORY.md §2).  ``False``: the
        non-compact control (currents linear in :math:`S_m - S_n`, kinetic term
        :math:`(S_m - S_n)^2/2m\Delta^2`), started from the unwrapped phase.
    rtol, atol
        Tolerances of the adaptive integrator on :math:`(\ln p, S/\hbar)` (dimensionless; both
        are relative errors of ψ).  With DOP853 (order 8) the global error over ~10 time units is
        typically 1–100 × ``atol``.
    method
        ``"DOP853"`` (order 8, default), ``"RK45"`` (order 5) or ``"RK23"`` (order 3) from
        ``scipy.integrate``.
    density_floor
        A site whose density falls below ``density_floor`` times its largest neighbour's is
        singular (THEORY.md E4): the run stops with :class:`~quantgeo.errors.StabilityError`.
        Must lie well above ``atol²`` (the numerical resolution of a density zero relative to its
        neighbours) and well below the neighbour ratios of the smooth tails of the states in use.
    tail_density
        Sites whose largest neighbour density is below ``tail_density`` times the largest density
        on the lattice are tails: they are integrated whatever their contrast (a Gaussian cut at
        the periodic seam has a huge one) and never reported as singular.  A density that is
        exactly zero next to a non-zero one is reported everywhere (ln p = −∞ cannot be
        integrated).
    boundary
        ``"periodic"`` (the bonds of ``ham``, default) or ``"open"``: the bonds across the box
        edge removed, so the exact reference is :func:`open_boundary_sparse`.  A non-compact S
        cannot wind around the ring, so the control started from an unwrapped phase carries a
        defect of :math:`2\pi\hbar w` on the seam bond (``w`` = winding of ψ₀); ``"open"``
        removes that bond to separate the bulk error of the control from the seam defect.
    backend
        ``"numba"`` (compiled right-hand side) or ``"numpy"`` (the reference twin).
    max_step
        Largest step of the integrator (time units); default unbounded.

    Examples
    --------
    >>> ham = Hamiltonian(Lattice(160, (-10, 10)), harmonic(1.0))
    >>> traj = MadelungLattice(ham).run(coherent(ham, center=2.0), (0, 10),
    ...                                  recorder=Recorder(every=0.1))
    >>> traj.info["min_density"]  # smallest p_n met (Gaussian tail at the box edge)
    """

    def __init__(
        self,
        ham: Hamiltonian,
        shift_symmetric: bool = True,
        *,
        rtol: float = 1e-10,
        atol: float = 1e-10,
        method: str = "DOP853",
        density_floor: float = 1e-12,
        tail_density: float = 1e-10,
        boundary: str = "periodic",
        backend: str = "numba",
        max_step: float = math.inf,
    ) -> None:
        if not isinstance(ham, Hamiltonian):
            raise TypeError(f"`ham` must be a Hamiltonian, got {type(ham).__name__}")
        if ham.kinetic != "lattice":
            raise ValueError(
                "`ham` must have kinetic='lattice' (the learning variables hop between nearest "
                f"neighbours), got kinetic={ham.kinetic!r}"
            )
        if not isinstance(shift_symmetric, (bool, np.bool_)):
            raise TypeError(f"`shift_symmetric` must be a bool, got {shift_symmetric!r}")
        self.ham = ham
        self.shift_symmetric = bool(shift_symmetric)
        self.rtol = check_positive("rtol", rtol)
        self.atol = check_positive("atol", atol)
        if self.rtol < 1e-14:
            raise ValueError(f"`rtol` must be ≥ 1e-14 (float64 round-off), got {rtol!r}")
        self.method = check_choice("method", method, METHODS)
        self.density_floor = check_positive("density_floor", density_floor)
        if self.density_floor >= 1.0:
            raise ValueError(f"`density_floor` must be < 1, got {density_floor!r}")
        self.backend = check_choice("backend", backend, BACKENDS)
        self._k = kernels("madelung", self.backend)
        self.max_step = check_positive("max_step", max_step) if max_step != math.inf else math.inf
        self.boundary = check_choice("boundary", boundary, BOUNDARIES)
        if self.boundary == "open" and any(n <= 2 for n in ham.lattice.shape):
            raise ValueError(
                f"`boundary='open'` needs more than 2 sites per axis, got lattice shape "
                f"{ham.lattice.shape}"
            )
        self._nbr, self._rate = neighbour_table(
            ham.lattice, ham.mass, ham.hbar, boundary=self.boundary
        )
        self._ln_floor = math.log(self.density_floor)
        self.tail_density = check_positive("tail_density", tail_density)
        if self.tail_density >= 1.0:
            raise ValueError(f"`tail_density` must be < 1, got {tail_density!r}")
        self._ln_tail = math.log(self.tail_density)

    # -- pieces -------------------------------------------------------------------------------
    @property
    def form(self) -> str:
        """``"compact"`` (shift-symmetric) or ``"non-compact"`` (control)."""
        return "compact" if self.shift_symmetric else "non-compact"

    def rhs(self, t: float, lnp: FArray, S: FArray) -> tuple[FArray, FArray]:
        r"""Right-hand side :math:`(\dot p_n / p_n,\ \dot S_n)` at time ``t`` (flat arrays).

        Parameters
        ----------
        lnp
            :math:`\ln p_n`, shape ``(size,)``.
        S
            :math:`S_n`, shape ``(size,)``.

        Returns
        -------
        dlnp, dS
            :math:`d\ln p_n/dt` (1/time) and :math:`dS_n/dt` (energy), shape ``(size,)``.
        """
        hb = self.ham.hbar
        v = np.ascontiguousarray(self.ham.potential_values(t).ravel() / hb)
        dlnp, dphi = np.empty_like(lnp), np.empty_like(lnp)
        self._k.madelung_rhs(
            np.ascontiguousarray(lnp, dtype=float),
            np.ascontiguousarray(S, dtype=float) / hb,
            v,
            self._nbr,
            self._rate,
            self.shift_symmetric,
            dlnp,
            dphi,
        )
        return dlnp, dphi * hb

    def relative_density(self, lnp: FArray) -> FArray:
        r"""Contrast :math:`\ln(p_n / \max_{m\sim n} p_m)` of every site with its neighbours.

        Set to 0 where the largest neighbour density is below ``tail_density`` times the
        largest density on the lattice (tails: not a singularity, whatever their shape), and
        to ``-inf`` where :math:`p_n = 0` exactly while a neighbour's is not.

        Parameters
        ----------
        lnp
            :math:`\ln p_n`, shape ``(size,)``.

        Returns
        -------
        float64 array, shape ``(size,)``; the run stops where it is below ``ln density_floor``.
        """
        lnp = np.ascontiguousarray(lnp, dtype=float)
        rel, top = np.empty(lnp.size), np.empty(lnp.size)
        self._k.relative_log_density(lnp, self._nbr, rel, top)
        tail = top < float(np.max(lnp)) + self._ln_tail
        exact_zero = np.isneginf(lnp) & np.isfinite(top)
        return np.where(exact_zero, -np.inf, np.where(tail, 0.0, rel))

    def _site(self, flat: int) -> tuple[int, ...]:
        return tuple(int(i) for i in np.unravel_index(flat, self.ham.lattice.shape))

    def _singular_error(self, rel: FArray, lnp: FArray, t: float, step: int) -> StabilityError:
        flat = int(np.argmin(rel))
        site = self._site(flat)
        x = tuple(float(ax[i]) for ax, i in zip(self.ham.lattice.axes, site, strict=True))
        # math.exp underflows to 0.0 (exp(-inf) too): no guard needed for drained sites.
        ratio = math.exp(float(rel[flat]))
        top = math.exp(float(np.max(lnp[self._nbr[flat]])))
        dens = math.exp(float(lnp[flat]))
        return StabilityError(
            f"singular density at site {site} (x = {x}) at t = {t:.10g} (step {step}): "
            f"p = {dens:.3e} is {ratio:.3e} times its largest neighbour's "
            f"({top:.3e}), below density_floor = "
            f"{self.density_floor:g}; the (p, S) equations are singular where a site's density "
            "vanishes while its neighbours' do not (THEORY.md E4): evolve ψ instead "
            "(SplitOperatorSolver) or move the node off the site; at the box edge this is a "
            "state cut at the periodic seam with non-negligible density: enlarge the box",
            t=t,
            step=step,
        )

    def _failure(self, y: FArray, t: float, step: int, msg: str) -> StabilityError:
        n = self.ham.lattice.size
        lnp = np.ascontiguousarray(y[:n])
        rel, top = np.empty(n), np.empty(n)
        self._k.relative_log_density(lnp, self._nbr, rel, top)
        with np.errstate(over="ignore", invalid="ignore"):
            dlnp, dS = self.rhs(t, lnp, y[n:] * self.ham.hbar)
            speed = np.abs(dlnp) + np.abs(dS) / self.ham.hbar
        flat = int(np.nanargmax(np.where(np.isfinite(speed), speed, np.inf)))
        where = "a tail" if top[flat] < float(np.max(lnp)) + self._ln_tail else "a bulk"
        return StabilityError(
            f"the (p, S) integrator failed at t = {t:.10g} (step {step}): {msg}; the fastest "
            f"variables are at site {self._site(flat)} ({where} site): d ln p/dt = "
            f"{dlnp[flat]:.3e}, p_n = {math.exp(float(lnp[flat])):.3e}, "
            f"p_n/max_m p_m = {math.exp(float(rel[flat])):.3e} — a density "
            "draining to zero on a site makes the (p, S) equations singular (THEORY.md E4); "
            "evolve ψ instead (SplitOperatorSolver)",
            t=t,
            step=step,
        )

    # -- public API ---------------------------------------------------------------------------
    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): the ``2N`` learning
        variables ``(ln p, S/ħ)`` times the adaptive integrator's stages and work vectors
        (DOP853: 13 stages, ~20 vectors in all), and the records (ψ when stored)."""
        n = float(self.ham.lattice.size)
        return run_estimate(
            t_span,
            recorder,
            None,
            state_bytes=16.0 * n,
            working={"for the integrator's stages": 20 * 16.0 * n},
        )

    def run(
        self,
        state0: Wavefunction | CArray,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
    ) -> Trajectory:
        r"""Integrate the learning variables from ``state0`` and return ψ(t) as a Trajectory.

        Parameters
        ----------
        state0
            Initial :math:`\psi_0 = \sqrt{p_0}\,e^{iS_0/\hbar}` on ``ham.lattice`` (not
            renormalised).  The non-compact control takes S as the unwrapped phase.
        t_span
            ``(t0, t1)``, ``t1 ≥ t0``.
        recorder
            What to save and when (default: norm and energy, states at ``t0`` and ``t1``).
            States are :math:`\psi = \sqrt p\,e^{iS/\hbar}`.
        progress
            tqdm progress bar over simulated time; default on when stderr is a terminal.

        Returns
        -------
        Trajectory
            ``info`` holds ``min_density`` (smallest :math:`p_n` met at a step, 1/volume), its
            ``min_density_site`` and ``min_density_time``, ``min_relative_density`` (smallest
            :math:`p_n/\max_m p_m`), ``steps``, ``rhs_evals``, ``compile_time``, ``run_time``.

        Raises
        ------
        StabilityError
            A site's density fell below ``density_floor`` times its largest neighbour's
            (message and ``.t`` give the time, the message names the site), the state became
            non-finite, or the integrator failed.
        """
        ham, lat = self.ham, self.ham.lattice
        psi0 = _as_data(state0, lat, "state0")
        check_finite_array("state0", psi0)
        if not np.any(psi0 != 0):
            raise ValueError("`state0` is zero everywhere; there is no density to evolve")
        t0, t1 = check_span(t_span)
        recorder = recorder if recorder is not None else Recorder()
        check_run(self.memory_estimate((t0, t1), recorder), "MadelungLattice.run: ")
        from scipy import integrate  # after the pre-flight check: a refusal imports nothing

        times = recorder.schedule((t0, t1))
        recorder.begin(resolver(ham, lambda: recorder.time))
        compile_time = warmup() if self.backend == "numba" else 0.0

        lnp0, S0 = to_learning_variables(psi0, ham.hbar, unwrap=not self.shift_symmetric)
        n = lat.size
        hb = ham.hbar
        y0 = np.concatenate([lnp0.ravel(), S0.ravel() / hb])
        rel0 = self.relative_density(y0[:n])
        if rel0.min() < self._ln_floor:
            raise self._singular_error(rel0, y0[:n], t0, 0)

        v_static = (
            None
            if ham.time_dependent
            else np.ascontiguousarray(ham.potential_values().ravel() / hb)
        )
        nbr, rate, compact, kern = self._nbr, self._rate, self.shift_symmetric, self._k
        counter = [0]

        def fun(t: float, y: FArray) -> FArray:
            counter[0] += 1
            v = v_static if v_static is not None else ham.potential_values(t).ravel() / hb
            out = np.empty(2 * n)
            kern.madelung_rhs(y[:n], y[n:], v, nbr, rate, compact, out[:n], out[n:])
            return out

        tracker = _MinTracker(y0[:n], rel0, t0)

        def emit(tr: float, y: FArray) -> None:
            psi = from_learning_variables(y[:n], y[n:], 1.0).reshape(lat.shape)
            recorder.record(tr, Wavefunction(lat, psi))

        k = 0
        while k < len(times) and times[k] <= t0:
            emit(float(times[k]), y0)
            k += 1

        bar = ProgressTracker(f"(p, S) {self.form}", progress, unit="t")
        bar.start(y0, Plan(t0, t1, (Interval(t0, t1, 0, 0.0),)))
        start = time.perf_counter()
        steps = 0
        try:
            if k < len(times):
                solver: Callable[..., Any] = getattr(integrate, self.method)
                ode = solver(
                    fun, t0, y0, t1, rtol=self.rtol, atol=self.atol, max_step=self.max_step
                )
                while k < len(times):
                    t_old = ode.t
                    # Trial stages of a rejected step may overflow (exp of a huge contrast);
                    # the error estimate is then inf/nan and the step is retried smaller.  The
                    # accepted state is checked below.
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        msg = ode.step()
                    if ode.status == "failed":
                        raise self._failure(ode.y, ode.t, steps, str(msg))
                    steps += 1
                    y = ode.y
                    if not np.all(np.isfinite(y)):
                        raise StabilityError(
                            f"non-finite learning variables at t = {ode.t:.10g} (step {steps}); "
                            "tighten `rtol`/`atol`",
                            t=ode.t,
                            step=steps,
                        )
                    rel = self.relative_density(y[:n])
                    tracker.update(y[:n], rel, ode.t)
                    if rel.min() < self._ln_floor:
                        raise self._singular_error(rel, y[:n], ode.t, steps)
                    bar.handle(y, ode.t, steps, ode.t - t_old)
                    dense = None
                    while k < len(times) and times[k] <= ode.t:
                        tr = float(times[k])
                        if tr == ode.t:
                            emit(tr, y)
                        else:
                            if dense is None:
                                dense = ode.dense_output()
                            emit(tr, dense(tr))
                        k += 1
        finally:
            bar.finish()
        info = run_info(
            "madelung-lattice",
            steps=steps,
            compile_time=compile_time,
            run_time=time.perf_counter() - start,
            form=self.form,
            method=self.method,
            rtol=self.rtol,
            atol=self.atol,
            density_floor=self.density_floor,
            tail_density=self.tail_density,
            boundary=self.boundary,
            backend=self.backend,
            kinetic=ham.kinetic,
            hbar=hb,
            rhs_evals=counter[0],
            # the accuracy the integrator met: its embedded error estimate kept every accepted
            # step's local error below atol + rtol·|y| in each component (no global estimate:
            # a re-run at tighter tolerances would cost another full run)
            error_estimate_method=(
                f"{self.method} embedded local error control: |err_i| ≤ atol + rtol·|y_i| "
                "per accepted step"
            ),
            error_tolerance={"rtol": self.rtol, "atol": self.atol},
            **tracker.info(self._site),
        )
        return recorder.finish(info, lat)


class _MinTracker:
    """Smallest density and smallest relative density met at the accepted steps."""

    def __init__(self, lnp: FArray, rel: FArray, t: float) -> None:
        self.ln_min = math.inf
        self.rel_min = math.inf
        self.site = 0
        self.t = t
        self.rel_site = 0
        self.rel_t = t
        self.update(lnp, rel, t)

    def update(self, lnp: FArray, rel: FArray, t: float) -> None:
        j = int(np.argmin(lnp))
        if lnp[j] < self.ln_min:
            self.ln_min, self.site, self.t = float(lnp[j]), j, t
        j = int(np.argmin(rel))
        if rel[j] < self.rel_min:
            self.rel_min, self.rel_site, self.rel_t = float(rel[j]), j, t

    def info(self, site: Callable[[int], tuple[int, ...]]) -> dict[str, Any]:
        return {
            "min_density": math.exp(self.ln_min),
            "min_density_log10": self.ln_min / math.log(10.0),
            "min_density_site": list(site(self.site)),
            "min_density_time": self.t,
            "min_relative_density": math.exp(self.rel_min),
            "min_relative_density_site": list(site(self.rel_site)),
            "min_relative_density_time": self.rel_t,
        }
