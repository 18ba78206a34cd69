r"""Kimura's diffusion limit of the Wright–Fisher model on ``x ∈ [0, 1]``.

.. math:: ∂_t p = −∂_x\big(M(x)\,p\big) + ½\,∂_x^2\big(V(x)\,p\big),\qquad
          M(x) = s\,x(1−x) + u(1−x) − v\,x,\qquad V(x) = \frac{x(1−x)}{N_g}

(time in generations, ``N_g = ploidy·n`` gene copies; conventions of
:mod:`quantgeo.evolution.analytic`).  Two boundary regimes:

**absorbing** (``u = v = 0``): the boundaries are exit boundaries.  The diffusion is approximated
by the birth–death chain on the nodes ``x_i = i/m`` (Kushner's Markov-chain approximation)
with rates

.. math:: q_{i→i±1} = \frac{V_i}{2h^2} ± \frac{M_i}{2h},\qquad h = 1/m,

whose generator ``Q`` is the central-difference backward operator ``M ∂_x + ½V∂_x²`` (second
order).  Fixation probability ``Q φ = 0`` (``φ_0 = 0``, ``φ_m = 1``), mean absorption time
``Q t = −1``, conditional fixation time ``Q(φ t₁) = −φ``; the transient ``dπ/dt = Qᵀπ`` keeps
the absorbed mass in the end nodes (Crank–Nicolson).  The rates are non-negative when
``h |M| ≤ V`` (``h ≤ 1/(N_g |s|)``); a coarser grid is refused.

**reflecting** (``u, v > 0``): mutation keeps the boundaries inaccessible-or-regular with zero
flux; this is quantgeo's 1D Fokker–Planck equation (:class:`~quantgeo.learning.FokkerPlanck`,
finite volumes with zero-flux walls) at ``a = 0`` in the Itô convention with the *polynomial*
noise ``κ(x) = V(x)`` and loss ``H' = −M`` — used as is for the stationary and transient
densities.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_int, check_positive, check_real
from quantgeo.evolution.analytic import gene_copies
from quantgeo.learning.fokker_planck import FokkerPlanck
from quantgeo.learning.grid import Grid
from quantgeo.learning.problem import LearningProblem, Polynomial
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import plan_run, run_info, run_plan

__all__ = ["KimuraDiffusion"]

Array = NDArray[np.float64]
OBSERVABLES: tuple[str, ...] = ("mass", "mean", "lost", "fixed", "density")


class KimuraDiffusion:
    r"""Kimura's diffusion for the frequency ``x`` of allele ``A`` (module docstring).

    Parameters
    ----------
    n
        Individuals (``N_e``), ≥ 1.
    s
        Selection coefficient of ``A`` (genic).
    u, v
        Mutation rates into and out of ``A`` (≥ 0); both zero: absorbing boundaries, both
        positive: reflecting boundaries and a stationary state.
    ploidy
        1 or 2 (``N_g = ploidy·n``).
    cells
        Default number of grid cells ``m`` (nodes ``i/m`` or cells of width ``1/m``).
    dt
        Time step (generations) of :meth:`run`.
    """

    def __init__(
        self,
        n: int,
        s: float = 0.0,
        u: float = 0.0,
        v: float = 0.0,
        *,
        ploidy: int = 2,
        cells: int = 400,
        dt: float = 1.0,
    ) -> None:
        self.n = check_int("n", n)
        self.ploidy = ploidy
        self.n_genes = gene_copies(self.n, ploidy)
        self.s = check_real("s", s)
        self.u = check_positive("u", u, allow_zero=True)
        self.v = check_positive("v", v, allow_zero=True)
        if (self.u > 0) != (self.v > 0):
            raise ValueError(
                f"`u` and `v` must be both zero (absorbing) or both positive (reflecting), "
                f"got u={u!r}, v={v!r}"
            )
        self.cells = check_int("cells", cells, 4)
        self.dt = check_positive("dt", dt)

    @property
    def absorbing(self) -> bool:
        """True without mutation (fixation and loss are absorbing)."""
        return self.u == 0.0

    def __repr__(self) -> str:
        return (
            f"KimuraDiffusion(n={self.n}, s={self.s:g}, u={self.u:g}, v={self.v:g}, "
            f"ploidy={self.ploidy})"
        )

    # -- coefficients -------------------------------------------------------------------------
    def drift(self, x: ArrayLike) -> Array:
        """``M(x) = s x(1−x) + u(1−x) − v x`` per generation."""
        xs = np.asarray(x, dtype=float)
        return np.asarray(self.s * xs * (1 - xs) + self.u * (1 - xs) - self.v * xs)

    def variance(self, x: ArrayLike) -> Array:
        """``V(x) = x(1−x)/N_g`` per generation."""
        xs = np.asarray(x, dtype=float)
        return np.asarray(xs * (1 - xs) / self.n_genes)

    # -- absorbing boundaries: the birth–death chain ------------------------------------------
    def _cells(self, cells: int | None) -> int:
        return self.cells if cells is None else check_int("cells", cells, 4)

    def generator(self, cells: int | None = None) -> sp.csr_matrix:
        """Rate matrix ``Q`` (CSR, ``(m+1) × (m+1)``, rows sum to 0) of the node chain."""
        if not self.absorbing:
            raise ValueError("the node chain is for absorbing boundaries (u = v = 0)")
        m = self._cells(cells)
        h = 1.0 / m
        x = np.arange(m + 1) * h
        diff = self.variance(x) / (2 * h * h)
        adv = self.drift(x) / (2 * h)
        up, down = diff + adv, diff - adv
        if np.any(up[1:-1] < 0) or np.any(down[1:-1] < 0):
            need = int(np.ceil(self.n_genes * abs(self.s))) + 1
            raise ValueError(
                f"`cells` = {m} is too coarse for |S| = 2N_g|s| = "
                f"{2 * self.n_genes * abs(self.s):g} (negative rates); use cells ≥ {need}"
            )
        up[[0, -1]] = 0.0
        down[[0, -1]] = 0.0
        i = np.arange(m + 1)
        rows = np.concatenate([i[:-1], i[1:], i])
        cols = np.concatenate([i[1:], i[:-1], i])
        vals = np.concatenate([up[:-1], down[1:], -(up + down)])
        return sp.csr_matrix((vals, (rows, cols)), shape=(m + 1, m + 1))

    def _solve_interior(self, q: sp.csr_matrix, rhs: Array, left: float, right: float) -> Array:
        m = q.shape[0] - 1
        inner = q[1:m, 1:m].tocsc()
        b = rhs[1:m] - q[1:m, 0].toarray().ravel() * left - q[1:m, m].toarray().ravel() * right
        out = np.empty(m + 1)
        out[0], out[m] = left, right
        out[1:m] = spla.spsolve(inner, b)
        return out

    def _at(self, values: Array, p: ArrayLike) -> Array:
        pp = np.asarray(p, dtype=float)
        if np.any(~np.isfinite(pp)) or np.any((pp < 0) | (pp > 1)):
            raise ValueError(f"`p` must lie in [0, 1], got {p!r}")
        return np.asarray(np.interp(pp, np.linspace(0, 1, values.size), values))

    def fixation_probability(self, p: ArrayLike, *, cells: int | None = None) -> Array:
        """Probability that ``A`` fixes from frequency ``p`` (``Q φ = 0``; linear interpolation
        between nodes, second order overall)."""
        q = self.generator(cells)
        return self._at(self._solve_interior(q, np.zeros(q.shape[0]), 0.0, 1.0), p)

    def mean_absorption_time(self, p: ArrayLike, *, cells: int | None = None) -> Array:
        """Mean generations to loss or fixation from ``p`` (``Q t = −1``, ``t_0 = t_m = 0``)."""
        q = self.generator(cells)
        return self._at(self._solve_interior(q, -np.ones(q.shape[0]), 0.0, 0.0), p)

    def mean_fixation_time(self, p: ArrayLike, *, cells: int | None = None) -> Array:
        """Mean generations to fixation given fixation (``Q(φ t₁) = −φ``; ``p > 0``)."""
        q = self.generator(cells)
        phi = self._solve_interior(q, np.zeros(q.shape[0]), 0.0, 1.0)
        w = self._solve_interior(q, -phi, 0.0, 0.0)
        pp = np.asarray(p, dtype=float)
        if np.any(pp <= 0):
            raise ValueError(f"`p` must be in (0, 1] for the conditional fixation time, got {p!r}")
        # t₁(0⁺) is finite: interpolate w/φ between interior nodes, extrapolate to x → 0
        ratio = np.empty_like(phi)
        ratio[1:] = w[1:] / phi[1:]
        ratio[0] = 2 * ratio[1] - ratio[2]
        return self._at(ratio, pp)

    # -- reflecting boundaries: quantgeo's Fokker–Planck solver -------------------------------
    def learning_problem(self) -> LearningProblem:
        """The diffusion as a 1D :class:`~quantgeo.learning.LearningProblem` at ``a = 0``
        (Itô, ``γ = c = 1``): ``κ = x(1−x)/N_g`` and ``H = −∫M``."""
        x = Polynomial.variable(0, 1)
        ng = float(self.n_genes)
        kappa = (x - x * x) * (1.0 / ng)
        # H' = −M = −[s(x − x²) + u − (u + v)x]
        loss = (x * x * (1.0 / 3.0) * x - x * x * 0.5) * self.s - x * self.u
        loss = loss + x * x * (0.5 * (self.u + self.v))
        return LearningProblem(loss, [[kappa]], name=f"kimura(N_g={self.n_genes})")

    def fokker_planck(self, cells: int | None = None, **options: Any) -> FokkerPlanck:
        """The reflecting-boundary :class:`~quantgeo.learning.FokkerPlanck` (``u, v > 0``)."""
        if self.absorbing:
            raise ValueError(
                "a stationary state needs mutation: give positive `u` and `v` (reflecting walls)"
            )
        grid = Grid([(0.0, 1.0)], self._cells(cells))
        options.setdefault("dt", self.dt)
        return FokkerPlanck(self.learning_problem(), grid, 0.0, convention="ito", **options)

    def stationary_density(self, *, cells: int | None = None) -> tuple[Array, Array]:
        """Cell centres and the stationary cell-average density (``∫p = 1``), ``u, v > 0``."""
        fp = self.fokker_planck(cells)
        return fp.grid.points()[:, 0], fp.stationary_density()

    # -- transient ----------------------------------------------------------------------------
    def _resolve(self, name: str, x: Array, h: float) -> Callable[[Array], Any]:
        table: dict[str, Callable[[Array], Any]] = {
            "mass": lambda pi: float(pi.sum()),
            "mean": lambda pi: float(x @ pi / pi.sum()),
            "lost": lambda pi: float(pi[0]),
            "fixed": lambda pi: float(pi[-1]),
            "density": lambda pi: pi[1:-1] / h,
        }
        if name not in table:
            raise ValueError(f"unknown Kimura observable {name!r}; known: {', '.join(OBSERVABLES)}")
        return table[name]

    def run(
        self,
        state0: ArrayLike,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        cells: int | None = None,
    ) -> Trajectory:
        """Transient density from ``state0`` over ``t_span`` (generations).

        Absorbing case: ``state0`` is a frequency (all mass on the nearest node) or node masses
        ``(m+1,)``; observables ``"mass"``, ``"mean"``, ``"lost"``, ``"fixed"`` (absorbed
        masses), ``"density"`` (interior nodes, per unit frequency).  Default recorder:
        ``("lost", "fixed")`` at both ends, node masses stored.  Reflecting case: delegated to
        :meth:`FokkerPlanck.run` with ``state0`` a density on the cells (or a frequency: a
        unit mass in its cell).
        """
        m = self._cells(cells)
        s0 = np.asarray(state0, dtype=float)
        if not self.absorbing:
            fp = self.fokker_planck(m)
            if s0.ndim == 0:
                p0 = np.zeros(m)
                p0[min(m - 1, int(float(s0) * m))] = m
                s0 = p0
            return fp.run(s0, t_span, recorder=recorder)
        h = 1.0 / m
        x = np.arange(m + 1, dtype=np.float64) / m
        if s0.ndim == 0:
            if not 0 <= float(s0) <= 1:
                raise ValueError(f"`state0` must be a frequency in [0, 1], got {state0!r}")
            pi = np.zeros(m + 1)
            pi[round(float(s0) * m)] = 1.0
        elif s0.shape == (m + 1,) and np.all(s0 >= 0) and abs(s0.sum() - 1) < 1e-9:
            pi = s0.copy()
        else:
            raise ValueError(
                f"`state0` must be a frequency or {m + 1} node masses ≥ 0 summing to 1, "
                f"got shape {s0.shape}"
            )
        rec = recorder or Recorder(observables=("lost", "fixed"))
        plan = plan_run(t_span, rec, self.dt)
        rec.begin(lambda name: self._resolve(name, x, h))
        stepper = _NodeChain(self.generator(m).T.tocsc(), pi)
        stats = run_plan(stepper, plan, rec, chunk=_CHUNK)
        info = run_info(
            "KimuraDiffusion",
            steps=stats.steps,
            run_time=stats.run_time,
            n=self.n,
            ploidy=self.ploidy,
            s=self.s,
            cells=m,
            dt=self.dt,
            scheme="crank-nicolson",
        )
        return rec.finish(info=info)


_CHUNK = 1 << 30  # no trackers: one chunk per record interval


class _NodeChain:
    """Node masses ``π`` and Crank–Nicolson steps, for :func:`~quantgeo.solvers.base.run_plan`
    (one factorisation per step size)."""

    def __init__(self, qt: sp.csc_matrix, pi: Array) -> None:
        self.qt, self.state = qt, pi
        self.eye = sp.identity(qt.shape[0], format="csc")
        self.solvers: dict[float, Callable[[Array], Array]] = {}

    def advance(self, t: float, h: float, n: int) -> None:
        if h not in self.solvers:
            self.solvers[h] = _crank_nicolson(self.qt, self.eye, h)
        step = self.solvers[h]
        for _ in range(n):
            self.state = step(self.state)

    def snapshot(self, t: float, store: bool) -> tuple[Array, Array | None]:
        return self.state, self.state.copy() if store else None


def _crank_nicolson(qt: sp.csc_matrix, eye: sp.csc_matrix, dt: float) -> Callable[[Array], Array]:
    """``π ← (I − ½dtQᵀ)⁻¹(I + ½dtQᵀ)π`` (second order, mass conserving: columns of Qᵀ sum
    to 0)."""
    lu = spla.splu(sp.csc_matrix(eye - 0.5 * dt * qt))
    rhs = sp.csr_matrix(eye + 0.5 * dt * qt)

    def step(y: Array) -> Array:
        return np.asarray(lu.solve(rhs @ y))

    return step
