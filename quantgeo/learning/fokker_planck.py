r"""Conservative finite-volume Fokker–Planck solver for the density of learners (1D and 2D).

THEORY §1's model is the covariant (Laplace–Beltrami) form

.. math:: ∂_t p = ∇·\big(γ\, p\, g^{-1}∇H + ½ D \sqrt{\det g}\, ∇(p/\sqrt{\det g})\big),
          \qquad D = γ^2 g^{-1} κ g^{-1},

whose diffusion is the Laplace–Beltrami operator of ``g`` (at ``a = 1``, ``D = 2Tγ g⁻¹`` with
``T = γ/2c``); predictions P6 and P7 hold for it.  The Itô form

.. math:: ∂_t p = ∇·(γ\, p\, g^{-1}∇H) + ½ ∂_i∂_j (D_{ij}\, p),

the diffusion limit of the algorithm ``q ← q − γ g⁻¹(∇H + noise)`` with the noise drawn at
the current ``q``, is kept as ``convention="ito"``: with a state-dependent ``κ(q)`` its
stationary density at ``a = 1`` is *not* the ``√det g · e^{−H/T}`` of P6 (in 1D it is
``g · e^{−H/T}``; in 2D a current can even survive).  The two coincide when ``κ`` is constant;
``convention="covariant"`` is the default.  Both are written as a flux ``J = β p − ½ ∇·(D p)``
with the effective drift ``β`` of
:func:`~quantgeo.learning.coefficients.langevin_coefficients`.

Discretisation (second order in space): cell averages ``p_c`` on a :class:`Grid`; at an interior
face between cells ``L`` and ``R`` along axis ``x``

.. math:: J_x = β_x(\text{face})\,\frac{p_L + p_R}{2}
          − \frac{(D_{xx}p)_R − (D_{xx}p)_L}{2h_x}
          − \frac14 \big[∂_y(D_{xy}p)_L + ∂_y(D_{xy}p)_R\big]

(central ``∂_y`` between cells, one-sided at the wall).  By default the first two terms are
replaced by their exponentially fitted (Scharfetter–Gummel) form for ``u = D_{xx} p``,

.. math:: J_x = \frac{1}{2h_x}\big[B(−\mathrm{Pe})\,u_L − B(\mathrm{Pe})\,u_R\big],\qquad
          \mathrm{Pe} = 2h_xβ_x/D_{xx},\quad B(z) = z/(e^z − 1),

which reduces to the central flux as ``h → 0`` (second order) and keeps ``L`` an M-matrix in 1D
at any cell Péclet number (no spurious oscillating modes in the tails).  Zero flux through the
walls, so ``Σ_c p_c`` is conserved exactly.  ``dp/dt = L p`` with a sparse ``L``; time stepping is
Crank–Nicolson (second order) or backward Euler (first order, for rough initial data).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from quantgeo._preflight import Estimate, check_run, run_estimate
from quantgeo._validation import check_choice, check_positive
from quantgeo.errors import StabilityError
from quantgeo.learning._engine import check_grid, check_problem, check_t_span
from quantgeo.learning.coefficients import CONVENTIONS, check_dynamics, langevin_coefficients
from quantgeo.learning.grid import Grid
from quantgeo.learning.metric_law import metric_object_for_engine
from quantgeo.learning.problem import LearningProblem
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import FiniteCheck, ProgressTracker, plan_run, run_info, run_plan

__all__ = ["SCHEMES", "FokkerPlanck", "stationary_current", "stationary_density"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]
SCHEMES: dict[str, int] = {"crank-nicolson": 2, "backward-euler": 1}
OBSERVABLES: tuple[str, ...] = ("mass", "mean", "cov", "loss", "density")
FLUXES: tuple[str, ...] = ("exponential", "central")
# steps between finiteness checks and progress updates (one sparse LU solve each)
_CHUNK = 50


def bernoulli(z: ArrayLike) -> Array:
    """``B(z) = z/(eᶻ − 1)`` (``B(0) = 1``) without overflow; ``B(−z) = B(z) + z``."""
    x = np.asarray(z, dtype=float)
    out = np.ones_like(x)
    pos, neg = x > 0, x < 0
    xp, xn = x[pos], x[neg]
    out[pos] = xp * np.exp(-xp) / -np.expm1(-xp)
    out[neg] = xn / np.expm1(xn)
    return out


class FokkerPlanck:
    r"""Finite-volume Fokker–Planck operator of the learning dynamics on a :class:`Grid`.

    Parameters
    ----------
    problem
        Loss ``H`` and noise ``κ(q)`` (``problem.dim == grid.ndim``).
    grid
        Cell-centred box; zero-flux walls (put them where ``p`` is negligible).
    a
        Metric power in ``g = c·(κ + eps·I)^a``, or a metric object applied per
        eigen-direction of κ such as :class:`~quantgeo.learning.CrossoverMetric` (any κ; then
        ``c`` and ``eps`` keep their defaults and ``self.a`` is nan).
    gamma, c, eps
        Learning rate ``γ``, metric scale, regulariser.
    convention
        ``"covariant"`` (THEORY §1's model, default) or ``"ito"`` (module docstring).
    dt
        Time step of :meth:`run`.
    scheme
        ``"crank-nicolson"`` (order 2) or ``"backward-euler"`` (order 1).
    flux
        ``"exponential"`` (Scharfetter–Gummel fitting of the ``x``–``x`` part, default:
        monotone at any cell Péclet number, second order) or ``"central"`` (module docstring;
        second order but oscillatory where ``|β| h > D``).
    progress
        tqdm bar in :meth:`run` (terminal only).

    Attributes
    ----------
    operator
        Sparse ``L`` (CSR, ``(n_cells, n_cells)``) with ``dp/dt = L p`` (``p`` flattened in C
        order); columns sum to zero.
    """

    def __init__(
        self,
        problem: LearningProblem,
        grid: Grid,
        a: float | Any,
        *,
        gamma: float = 1.0,
        c: float = 1.0,
        eps: float = 0.0,
        convention: str = "covariant",
        dt: float = 1e-2,
        scheme: str = "crank-nicolson",
        flux: str = "exponential",
        progress: bool = False,
    ) -> None:
        self.problem = check_problem(problem)
        self.grid = check_grid(grid, problem)
        # a metric object (e.g. CrossoverMetric) may stand in for the power a (self.a = nan)
        self.metric = metric_object_for_engine(a, c, eps, "FokkerPlanck")
        metric_free = 0.0 if self.metric is not None else a
        self.a, self.gamma, self.c, self.eps = check_dynamics(metric_free, gamma, c, eps)
        if self.metric is not None:
            self.a = math.nan
        self.convention = check_choice("convention", convention, CONVENTIONS)
        self.dt = check_positive("dt", dt)
        self.scheme = check_choice("scheme", scheme, tuple(SCHEMES))
        self.flux = check_choice("flux", flux, FLUXES)
        self.progress = bool(progress)
        problem.check_kappa(grid.points())
        self._faces: list[tuple[sp.csr_matrix, Array, sp.csr_matrix]] = []
        self.operator = self._assemble()
        self._lu: dict[float, Any] = {}

    # -- assembly ---------------------------------------------------------------------------
    def _coefficients(self, pts: Array) -> Any:
        return langevin_coefficients(
            self.problem,
            pts,
            self.a if self.metric is None else self.metric,
            gamma=self.gamma,
            c=self.c,
            eps=self.eps,
            convention=self.convention,
        )

    def _assemble(self) -> sp.csr_matrix:
        g = self.grid
        h, n = g.spacing, g.size
        centre = self._coefficients(g.points())
        dcell = centre.diffusion.reshape(n, g.ndim, g.ndim)
        op = sp.csr_matrix((n, n))
        for ax in range(g.ndim):
            sel_l, sel_r, fpts = g.interior_faces(ax)
            fco = self._coefficients(fpts)
            beta = fco.drift[..., ax].ravel()
            dface = fco.diffusion[..., ax, ax].ravel()
            avg = sp.csr_matrix(0.5 * (sel_l + sel_r))
            u = sp.diags(dcell[:, ax, ax])  # p -> u = D_xx p at the cells
            if self.flux == "central":
                flux = sp.diags(beta) @ avg - (0.5 / h[ax]) * (sel_r - sel_l) @ u
            else:
                # J = (β/D) u − ½ ∂u with u = D p: exact for constant β/D across the face
                pe = 2.0 * h[ax] * beta / dface
                flux = (
                    (0.5 / h[ax])
                    * (sp.diags(bernoulli(-pe)) @ sel_l - sp.diags(bernoulli(pe)) @ sel_r)
                    @ u
                )
            for o in range(g.ndim):
                if o != ax:
                    deriv = g.derivative_matrix(o)
                    flux = flux - 0.5 * avg @ deriv @ sp.diags(dcell[:, ax, o])
            flux = sp.csr_matrix(flux)
            div = sp.csr_matrix((sel_r - sel_l).T / h[ax])
            self._faces.append((flux, beta, avg))
            op = op + div @ flux
        return sp.csr_matrix(op)

    # -- stationary state -------------------------------------------------------------------
    def stationary_density(self) -> Array:
        """Normalised null vector of ``L``, shape ``grid.shape`` (``∫ p = 1``).

        Solved directly: one (redundant, since columns of ``L`` sum to zero) equation is
        replaced by the normalisation ``Σ p_c · cell_volume = 1``.
        """
        g = self.grid
        lmat = sp.lil_matrix(self.operator)
        r = int(np.argmin(self.problem.value(g.points()).ravel()))
        lmat[r, :] = np.full(g.size, g.cell_volume)
        rhs = np.zeros(g.size)
        rhs[r] = 1.0
        p = spla.spsolve(sp.csc_matrix(lmat), rhs)
        if not np.all(np.isfinite(p)):
            raise StabilityError(
                "stationary Fokker–Planck solve failed (singular system); enlarge the grid box or "
                "check that κ is positive definite on it",
                t=float("inf"),
                step=0,
            )
        return np.asarray(p).reshape(g.shape)

    def face_fluxes(self, p: ArrayLike) -> list[Array]:
        """Probability current through the faces, one array per axis.

        Axis ``k`` array has shape ``grid.shape`` with ``shape[k] + 1`` along ``k`` (walls
        included, where it is zero).  Units: probability per unit time per unit face area.
        """
        x = self._state(p).ravel()
        out = []
        for ax, (flux, *_rest) in enumerate(self._faces):
            inner_shape = list(self.grid.shape)
            inner_shape[ax] -= 1
            j = (flux @ x).reshape(inner_shape)
            pad = [(0, 0)] * self.grid.ndim
            pad[ax] = (1, 1)
            out.append(np.pad(j, pad))
        return out

    def current(self, p: ArrayLike) -> Array:
        """Cell-centred current (average of the two faces per axis), shape ``(*grid.shape, d)``."""
        comps = []
        for ax, j in enumerate(self.face_fluxes(p)):
            lo = np.take(j, np.arange(self.grid.shape[ax]), axis=ax)
            hi = np.take(j, np.arange(1, self.grid.shape[ax] + 1), axis=ax)
            comps.append(0.5 * (lo + hi))
        return np.stack(comps, axis=-1)

    def relative_current(self, p: ArrayLike) -> float:
        r"""``Σ_faces |J| / Σ_faces |β p̄|``: the current relative to the drift flux (0 in
        detailed balance)."""
        x = self._state(p).ravel()
        # every face has the same control volume (one cell's): it cancels in the ratio
        num = den = 0.0
        for flux, beta, avg in self._faces:
            num += float(np.abs(flux @ x).sum())
            den += float(np.abs(beta * (avg @ x)).sum())
        return num / den if den > 0 else 0.0

    def eigenvalues(self, k: int = 10) -> NDArray[np.complex128]:
        """The ``k`` eigenvalues of ``L`` nearest 0 (the slowest modes), ordered by modulus.

        Shift-invert Arnoldi (ARPACK) about a small positive shift.
        """
        if (
            isinstance(k, bool)
            or not isinstance(k, (int, np.integer))
            or not 1 <= k < self.grid.size - 1
        ):
            raise ValueError(f"`k` must be an integer in [1, {self.grid.size - 2}], got {k!r}")
        scale = float(np.abs(self.operator.diagonal()).max())
        sigma = 1e-6 * scale
        vals = spla.eigs(
            self.operator.tocsc(), k=k, sigma=sigma, which="LM", return_eigenvectors=False
        )
        return np.asarray(vals[np.argsort(np.abs(vals))], dtype=np.complex128)

    # -- observables and time stepping -----------------------------------------------------
    def _state(self, p: ArrayLike) -> Array:
        x = np.asarray(p, dtype=float)
        if x.shape != self.grid.shape:
            raise ValueError(f"density must have the grid shape {self.grid.shape}, got {x.shape}")
        return x

    def _resolve(self, name: str) -> Callable[[Array], Any]:
        g = self.grid
        pts = g.points().reshape(g.size, g.ndim)
        hval = self.problem.value(pts)
        vol = g.cell_volume

        def mass(p: Array) -> float:
            return float(p.sum() * vol)

        def mean(p: Array) -> Array:
            return pts.T @ p.ravel() * vol / mass(p)

        def cov(p: Array) -> Array:
            x = pts - mean(p)
            return (x.T * p.ravel()) @ x * vol / mass(p)

        def loss(p: Array) -> float:
            return float(hval @ p.ravel() * vol / mass(p))

        table: dict[str, Callable[[Array], Any]] = {
            "mass": mass,
            "mean": mean,
            "cov": cov,
            "loss": loss,
            "density": lambda p: p.copy(),
        }
        if name not in table:
            raise ValueError(
                f"unknown Fokker–Planck observable {name!r}; known: {', '.join(OBSERVABLES)}"
            )
        return table[name]

    def _solver(self, dt: float) -> Callable[[Array], Array]:
        key = round(dt, 15)
        if key not in self._lu:
            eye = sp.identity(self.grid.size, format="csc")
            lop = self.operator.tocsc()
            if self.scheme == "crank-nicolson":
                lu = spla.splu(sp.csc_matrix(eye - 0.5 * dt * lop))
                rhs = sp.csr_matrix(eye + 0.5 * dt * lop)
                self._lu[key] = lambda x: lu.solve(rhs @ x)
            else:
                lu = spla.splu(sp.csc_matrix(eye - dt * lop))
                self._lu[key] = lu.solve
        return self._lu[key]

    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): the density, the LU
        factors of the implicit step (cached per step size; a run uses up to two) and the
        records.  A banded d-dimensional grid of N cells has bandwidth ``N^((d−1)/d)``, so L
        and U together hold about ``2·N^((2d−1)/d)`` entries of 12 bytes (value and index)."""
        n, d = float(self.grid.size), self.grid.ndim
        lu = 2 * 2 * 12.0 * n ** ((2 * d - 1) / d)
        return run_estimate(
            t_span,
            recorder,
            self.dt,
            state_bytes=8.0 * n,
            working={"for the LU factors of the step (the grid)": lu + 4 * 8.0 * n},
            records_fix="record less often or store no densities (`store_states=False`)",
        )

    def run(
        self,
        state0: ArrayLike,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
    ) -> Trajectory:
        """Evolve the density ``state0`` (shape ``grid.shape``) over ``t_span``.

        Default recorder: ``("mass", "mean", "cov")`` at both ends, densities stored.
        Observables: ``"mass"``, ``"mean"`` (``(d,)``), ``"cov"`` (``(d, d)``), ``"loss"``
        (``⟨H⟩``), ``"density"``.

        Raises
        ------
        StabilityError
            If the density becomes non-finite.
        """
        rec = recorder or Recorder(observables=("mass", "mean", "cov"))
        check_t_span(t_span)
        check_run(self.memory_estimate(t_span, rec), "FokkerPlanck.run: ")
        density = _Density(self, self._state(state0).ravel().copy())
        plan = plan_run(t_span, rec, self.dt)
        rec.begin(self._resolve)
        checks = [
            FiniteCheck("density", "refine the grid or reduce `dt`"),
            # progress=False keeps the bar off; True shows it on a terminal only
            ProgressTracker("fokker-planck", None if self.progress else False),
        ]
        stats = run_plan(density, plan, rec, chunk=_CHUNK, trackers=checks)
        info = run_info(
            "FokkerPlanck",
            steps=stats.steps,
            run_time=stats.run_time,
            a=self.a,
            gamma=self.gamma,
            c=self.c,
            eps=self.eps,
            convention=self.convention,
            scheme=self.scheme,
            order=SCHEMES[self.scheme],
            dt=self.dt,
            grid_shape=list(self.grid.shape),
            grid_bounds=[list(b) for b in self.grid.bounds],
        )
        return rec.finish(info=info)


class _Density:
    """The flattened density and the time stepping, for :func:`~quantgeo.solvers.base.run_plan`."""

    def __init__(self, fp: FokkerPlanck, flat: Array) -> None:
        self.fp, self.state = fp, flat

    def advance(self, t: float, h: float, n: int) -> None:
        solve = self.fp._solver(h)
        for _ in range(n):
            self.state = solve(self.state)

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        cur = self.state.reshape(self.fp.grid.shape)
        return cur, cur.copy() if store else None


def stationary_density(problem: LearningProblem, grid: Grid, a: float, **kwargs: Any) -> Array:
    """Shortcut for ``FokkerPlanck(problem, grid, a, **kwargs).stationary_density()``."""
    return FokkerPlanck(problem, grid, a, **kwargs).stationary_density()


def stationary_current(
    problem: LearningProblem, grid: Grid, a: float, **kwargs: Any
) -> tuple[Array, float]:
    """Stationary cell-centred current ``(*grid.shape, d)`` and its relative size
    (:meth:`~FokkerPlanck.relative_current`)."""
    fp = FokkerPlanck(problem, grid, a, **kwargs)
    p = fp.stationary_density()
    return fp.current(p), fp.relative_current(p)
