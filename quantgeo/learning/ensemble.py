r"""Ensemble of independent learners: Euler–Maruyama for the stochastic covariant gradient flow.

.. math:: dq = −γ\, g^{-1}(∇H\, dt + dφ),\qquad ⟨dφ\, dφᵀ⟩ = κ(q)\, dt,\qquad g = c·(κ + eps·I)^a

(THEORY §1), 1D or 2D, ``10⁵`` walkers and more.  One step (Itô, weak order 1)

.. math:: q ← q − γ g(q)^{-1}\big(∇H(q)\,Δt + κ(q)^{1/2} ξ \sqrt{Δt}\big) + [b_c(q)\,Δt],
          \qquad ξ \sim N(0, I),

where ``b_c`` (``convention="covariant"`` only) is the noise-induced drift that makes the
density obey the covariant Fokker–Planck equation (:mod:`quantgeo.learning.fokker_planck`).
The normal increments are drawn by the kernel itself from the ``numpy.random.default_rng(seed)``
generator the driver passes in, step by step in the row-major order of
``rng.standard_normal((n_walkers, d))``, so the Numba kernel and its NumPy twin see the same
numbers (and how the steps are split into kernel calls does not change the result).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._kernels import BACKENDS, kernels
from quantgeo._preflight import Estimate, check_run, fmt_count, run_estimate
from quantgeo._validation import check_choice, check_finite_array, check_int, check_positive
from quantgeo.learning._engine import check_grid, check_problem, check_t_span
from quantgeo.learning.coefficients import CONVENTIONS, check_dynamics
from quantgeo.learning.grid import Grid
from quantgeo.learning.metric_law import metric_object_for_engine, spectrum_power_law
from quantgeo.learning.problem import LearningProblem
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers.base import FiniteCheck, ProgressTracker, plan_run, run_info, run_plan

__all__ = ["BACKENDS", "OBSERVABLES", "LangevinEnsemble"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]
OBSERVABLES: tuple[str, ...] = (
    "mean",
    "mean_se",
    "cov",
    "loss",
    "loss_se",
    "histogram",
    "outside",
)
# walker-components per kernel call: bounds the time between finiteness checks and progress
# updates (the kernel draws its normals itself, so no array of this size exists)
_STEP_BUDGET = 1 << 21


class _Walkers:
    """The walkers and the Euler–Maruyama kernel, for :func:`~quantgeo.solvers.base.run_plan`."""

    def __init__(self, ens: LangevinEnsemble, q: Array) -> None:
        self.ens, self.state = ens, q
        self.kernel = kernels("learning", ens.backend).langevin_em
        self.rng = np.random.default_rng(ens.seed)
        # b_c vanishes identically for a constant κ: skip its polynomials
        self.covariant = ens.convention == "covariant" and not ens.problem.constant_kappa
        self.kernel_time = 0.0

    def advance(self, t: float, h: float, n: int) -> None:
        e = self.ens
        ptr, powers, coefs = e._packed
        s0 = time.perf_counter()
        # overflow of diverging walkers is reported by the FiniteCheck as a StabilityError
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.kernel(
                self.state,
                self.rng,
                n,
                h,
                e.gamma,
                e.a,
                e.c,
                e.eps,
                ptr,
                powers,
                coefs,
                self.covariant,
            )
        self.kernel_time += time.perf_counter() - s0

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        return self.state, self.state.copy() if store else None


def _resolve_metric(
    problem: LearningProblem, a: Any, gamma: float, c: float, eps: float
) -> tuple[float, float, float, float, Any]:
    """``(a, gamma, c, eps, metric)`` for the kernel: a metric object on a constant κ becomes
    the power law ``c′λ^{a′}`` equal to it on κ's spectrum (:mod:`.metric_law`)."""
    metric = metric_object_for_engine(a, c, eps, "LangevinEnsemble")
    if metric is None:
        return (*check_dynamics(a, gamma, c, eps), None)
    if not problem.constant_kappa:
        raise ValueError(
            f"`a`: a metric object ({type(a).__name__}) needs a constant κ in LangevinEnsemble "
            "(its kernel evaluates g = c·(κ + eps)^a per walker); for a state-dependent κ pass "
            "a power `a`, or use FokkerPlanck, which accepts a metric object for any κ"
        )
    a_eq, c_eq = spectrum_power_law(metric, problem.kappa_at(np.zeros(problem.dim)))
    return (*check_dynamics(a_eq, gamma, c_eq, 0.0), metric)


class LangevinEnsemble:
    r"""Independent learners following the stochastic covariant gradient flow.

    Parameters
    ----------
    problem
        Loss ``H`` and noise covariance ``κ(q)`` (polynomials, ``dim`` 1 or 2).
    a
        Metric power, or a metric object applied per eigen-direction of κ such as
        :class:`~quantgeo.learning.CrossoverMetric` (constant κ only: the kernel then runs the
        power law ``c′λ^{a′}`` equal to it on κ's eigenvalues, stored as ``self.a``,
        ``self.c``; the object is ``self.metric``; ``c`` and ``eps`` keep their defaults).
    gamma
        Learning rate ``γ`` (drift ``−γ g⁻¹∇H``).
    c, eps
        Metric scale and regulariser, ``g = c·(κ + eps·I)^a``.
    dt
        Nominal time step; each interval between record times is split into equal steps no
        longer than ``dt``.
    n_walkers
        Number of learners (used when ``state0`` is a single point).
    seed
        Seed of ``numpy.random.default_rng`` for the increments (a run is reproducible).
    convention
        ``"covariant"`` (adds ``b_c``: the density obeys the covariant Fokker–Planck
        equation of THEORY §1, default) or ``"ito"`` (the algorithm as written, no ``b_c``).
    backend
        ``"numba"`` (compiled kernel) or ``"numpy"`` (vectorised twin).
    grid
        Cells for the ``"histogram"`` and ``"outside"`` observables.
    progress
        tqdm bar (terminal only).
    """

    def __init__(
        self,
        problem: LearningProblem,
        a: float | Any,
        *,
        gamma: float = 1.0,
        c: float = 1.0,
        eps: float = 0.0,
        dt: float = 1e-2,
        n_walkers: int = 100_000,
        seed: int = 0,
        convention: str = "covariant",
        backend: str = "numba",
        grid: Grid | None = None,
        progress: bool = False,
    ) -> None:
        self.problem = check_problem(problem)
        self.a, self.gamma, self.c, self.eps, self.metric = _resolve_metric(
            problem, a, gamma, c, eps
        )
        self.dt = check_positive("dt", dt)
        self.n_walkers = check_int("n_walkers", n_walkers, 2)
        self.seed = check_int("seed", seed, 0)
        self.convention = check_choice("convention", convention, CONVENTIONS)
        self.backend = check_choice("backend", backend, BACKENDS)
        self.grid = None if grid is None else check_grid(grid, problem)
        self.progress = bool(progress)
        self._packed = problem.packed()

    @property
    def dim(self) -> int:
        """Number of trainable variables."""
        return self.problem.dim

    def initial_state(
        self, mean: ArrayLike, cov: ArrayLike | None = None, *, seed: int | None = None
    ) -> Array:
        """``n_walkers`` points drawn from ``N(mean, cov)`` (all at ``mean`` if ``cov`` is None)
        with ``numpy.random.default_rng(seed)`` (default: ``self.seed + 1``)."""
        mu = np.asarray(mean, dtype=float).reshape(self.dim)
        if cov is None:
            return np.tile(mu, (self.n_walkers, 1))
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        sig = np.asarray(cov, dtype=float).reshape(self.dim, self.dim)
        return rng.multivariate_normal(mu, sig, size=self.n_walkers, method="eigh")

    def _walkers(self, state0: ArrayLike) -> Array:
        q = np.asarray(state0, dtype=float)
        if q.shape not in ((self.dim,), (self.n_walkers, self.dim)):
            raise ValueError(
                f"`state0` must have shape ({self.dim},) or ({self.n_walkers}, {self.dim}), "
                f"got {q.shape}"
            )
        check_finite_array("state0", q)
        # the kernel updates the walkers in place: always a fresh C-ordered array
        return np.tile(q, (self.n_walkers, 1)) if q.ndim == 1 else q.copy(order="C")

    def _resolve(self, name: str) -> Callable[[Array], Any]:
        prob, grid = self.problem, self.grid

        def cov(q: Array) -> Array:
            return np.atleast_2d(np.cov(q, rowvar=False))

        def hist(q: Array) -> Array:
            assert grid is not None
            return grid.histogram(q)[0]

        def outside(q: Array) -> float:
            assert grid is not None
            return grid.histogram(q)[1]

        table: dict[str, Callable[[Array], Any]] = {
            "mean": lambda q: q.mean(axis=0),
            "mean_se": lambda q: q.std(axis=0, ddof=1) / np.sqrt(q.shape[0]),
            "cov": cov,
            "loss": lambda q: float(np.mean(prob.value(q))),
            "loss_se": lambda q: float(np.std(prob.value(q), ddof=1) / np.sqrt(q.shape[0])),
            "histogram": hist,
            "outside": outside,
        }
        if name not in table:
            raise ValueError(
                f"unknown ensemble observable {name!r}; known: {', '.join(OBSERVABLES)}"
            )
        if name in ("histogram", "outside") and grid is None:
            raise ValueError(
                f"observable {name!r} needs a `grid` (LangevinEnsemble(..., grid=Grid(...)))"
            )
        return table[name]

    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes :meth:`run` will hold (:mod:`quantgeo._preflight`): the walkers ``(n, d)``,
        the input copy and the temporaries of an observable (three walker arrays), and the
        records (stored states are walker arrays)."""
        walkers = 8.0 * self.n_walkers * self.dim
        return run_estimate(
            t_span,
            recorder,
            self.dt,
            state_bytes=walkers,
            working={
                f"for {fmt_count(self.n_walkers)} walkers": (3 * walkers, "lower `n_walkers`")
            },
            records_fix="record less often, store no states or lower `n_walkers`",
        )

    def _step_bias(self) -> dict[str, Any]:
        r"""The Euler–Maruyama step-size bias where a prediction exists: for a quadratic loss
        with constant κ, :math:`\|\Sigma_{dt} - \Sigma_\infty\|_F / \|\Sigma_\infty\|_F`
        between the chain's and the flow's stationary covariances (P3 of
        :mod:`quantgeo.learning.predictions`); else NaN."""
        from quantgeo.learning.predictions import stationary_covariance

        prob, method = self.problem, "none (needs a quadratic loss with constant κ)"
        bias = float("nan")
        if prob.loss.degree <= 2 and prob.constant_kappa and prob.minimizer is not None:
            a_mat, kappa = prob.local_quadratic()
            args = (a_mat, kappa, self.a)
            kw = {"gamma": self.gamma, "c": self.c, "eps": self.eps}
            try:
                flow = stationary_covariance(*args, **kw)
                chain = stationary_covariance(*args, **kw, dt=self.dt)
                bias = float(np.linalg.norm(chain - flow) / np.linalg.norm(flow))
                method = "Euler–Maruyama stationary covariance vs the flow's (Lyapunov)"
            except (ValueError, np.linalg.LinAlgError) as exc:
                method = f"none ({exc})"
        return {"step_bias": bias, "step_bias_method": method}

    def run(
        self,
        state0: ArrayLike,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        shards: int | None = None,
        executor: Any = None,
    ) -> Trajectory:
        """Evolve the walkers over ``t_span``.

        Parameters
        ----------
        state0
            One point ``(d,)`` (every walker starts there) or walkers ``(n_walkers, d)``.
        t_span
            ``(t0, t1)``, ``t1 ≥ t0``.
        recorder
            Default: ``"mean"``, ``"cov"``, ``"loss"`` at both ends, no states.  Its times may
            start after ``t0`` (the walkers are then advanced there first).  States, if
            stored, are the walker arrays ``(n_walkers, d)``.
        shards, executor
            Split the walkers into ``shards`` shards with ``SeedSequence(seed).spawn`` streams
            run on ``executor`` (``"serial"``, ``None``: a process pool, any
            ``concurrent.futures.Executor`` or a Dask ``distributed.Client``) and merge them
            (:mod:`quantgeo.sweep.engine_shards`): bit-identical for any number of workers at
            fixed ``shards``, statistically equal to the unsharded run.  ``None``: one stream.

        Raises
        ------
        StabilityError
            If a walker becomes non-finite (reduce ``dt``; ``γ Δt λ_max(g⁻¹∇²H) < 2`` is needed).
        """
        rec = recorder or Recorder(observables=("mean", "cov", "loss"), store_states=False)
        if shards is not None:
            from quantgeo.sweep.engine_shards import EngineClone, run_engine_sharded

            return run_engine_sharded(
                self, "langevin", state0, t_span, rec, shards=shards, executor=executor,
                walkers=self.n_walkers, seed=self.seed, clone=EngineClone(self, "n_walkers"),
                split_state0=np.ndim(state0) == 2,
            )  # fmt: skip
        check_t_span(t_span)
        check_run(self.memory_estimate(t_span, rec), "LangevinEnsemble.run: ")
        q = self._walkers(state0)
        plan = plan_run(t_span, rec, self.dt)
        rec.begin(self._resolve)
        compile_time = 0.0
        if self.backend == "numba":
            from quantgeo._kernels import warmup

            compile_time = warmup(("learning",))
        n, d = q.shape
        walkers = _Walkers(self, q)
        checks = [
            FiniteCheck("walkers", f"a = {self.a:g}; reduce `dt` (now {self.dt:g}) or raise `eps`"),
            # progress=False keeps the bar off; True shows it on a terminal only
            ProgressTracker(f"ensemble a={self.a:g}", None if self.progress else False),
        ]
        stats = run_plan(walkers, plan, rec, chunk=max(1, _STEP_BUDGET // (n * d)), trackers=checks)
        t_kernel = walkers.kernel_time
        info = run_info(
            "LangevinEnsemble",
            steps=stats.steps,
            compile_time=compile_time,
            run_time=stats.run_time,
            backend=self.backend,
            problem=self.problem.name,
            a=self.a,
            gamma=self.gamma,
            c=self.c,
            eps=self.eps,
            dt=self.dt,
            convention=self.convention,
            n_walkers=n,
            seed=self.seed,
            # the normals are drawn inside the kernel: kernel_time includes them
            kernel_time=t_kernel,
            walker_steps_per_second=n * stats.steps / t_kernel if t_kernel > 0 else float("nan"),
            **self._step_bias(),
        )
        log.debug("ensemble run: %s", info)
        return rec.finish(info=info)
