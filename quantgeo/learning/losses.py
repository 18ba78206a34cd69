r"""Loss library with per-sample gradients, so minibatch noise and its covariance ``κ(q)`` exist.

Every loss is an average over a synthetic data set made from a seed,
``H(q) = (1/N) Σ_n ℓ_n(q)``; a minibatch of ``B`` samples drawn *with replacement* gives the
gradient ``∇H + ξ`` with ``Cov ξ = κ(q) = Cov_n(∇ℓ_n(q)) / B`` exactly (:meth:`Loss.kappa`).

Noisy polynomial losses (:class:`Quadratic`, :class:`DoubleWell`, :class:`Rosenbrock`) use

.. math:: ℓ_n(q) = h(q) + u_nᵀ δ + ½ Σ_i w_{n,i} δ_i^2,\qquad δ = q − q_c,

with data ``(u_n, w_n)`` whitened to zero mean and *exactly* the requested covariance
``blockdiag(noise_cov, diag(multiplicative²))``; hence ``H = h`` and

.. math:: κ(q) = \big(\mathtt{noise\_cov} + \mathrm{diag}(\mathtt{multiplicative}^2 ∘ δ^2)\big)/B,

state dependent as soon as ``multiplicative ≠ 0``.  :class:`LinearRegression` has a genuinely
data-derived quadratic ``κ(q)``; :class:`LogisticRegression` is not polynomial (optimiser
benchmarks only).  Polynomial losses in 1–2 variables convert to a
:class:`~quantgeo.learning.problem.LearningProblem` with :meth:`Loss.problem`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from quantgeo._validation import check_int, check_positive
from quantgeo.learning.problem import LearningProblem, Polynomial, check_spd

__all__ = [
    "DoubleWell",
    "LinearRegression",
    "LogisticRegression",
    "Loss",
    "Quadratic",
    "Rosenbrock",
    "ill_conditioned_quadratic",
]

Array = NDArray[np.float64]


def _psd(name: str, m: ArrayLike, dim: int) -> Array:
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.shape != (dim, dim):
        raise ValueError(f"`{name}` must have shape ({dim}, {dim}), got {a.shape}")
    if not np.all(np.isfinite(a)) or not np.allclose(a, a.T, rtol=1e-12, atol=0):
        raise ValueError(f"`{name}` must be a finite symmetric matrix, got {a.tolist()}")
    if np.linalg.eigvalsh(a)[0] < -1e-12 * max(1.0, float(np.abs(a).max())):
        raise ValueError(f"`{name}` must be positive semi-definite, got {a.tolist()}")
    return 0.5 * (a + a.T)


def exact_noise(rng: np.random.Generator, n: int, cov: Array) -> Array:
    """``n`` samples with empirical mean exactly 0 and empirical covariance (1/n) ``cov``."""
    m = cov.shape[0]
    if n <= m:
        raise ValueError(f"`n_samples` must exceed the noise dimension {m}, got {n}")
    x = rng.standard_normal((n, m))
    x -= x.mean(axis=0)
    c = x.T @ x / n
    lc = np.linalg.cholesky(c)
    lam, vec = np.linalg.eigh(cov)
    root = vec * np.sqrt(np.maximum(lam, 0.0))  # root @ root.T == cov
    white = np.linalg.solve(lc, x.T).T  # empirical covariance I
    out = white @ root.T
    out -= out.mean(axis=0)  # removes rounding drift of the mean
    return out


class Loss(ABC):
    """Average ``H(q) = (1/N) Σ_n ℓ_n(q)`` over a synthetic data set.

    Attributes
    ----------
    dim
        Number of trainable variables ``K``.
    n_samples
        Data set size ``N``.
    name
        Label.
    """

    dim: int
    n_samples: int
    name: str = "loss"

    # -- to implement ---------------------------------------------------------------------
    @abstractmethod
    def value(self, q: ArrayLike) -> float:
        """Full-data loss ``H(q)``."""

    @abstractmethod
    def per_sample_grads(self, q: ArrayLike, idx: ArrayLike | None = None) -> Array:
        """Per-sample gradients ``∇ℓ_n(q)``, shape ``(B, K)``, of samples ``idx`` (None: all)."""

    @property
    @abstractmethod
    def minimizer(self) -> Array:
        """A minimiser ``q*`` of ``H`` (shape ``(K,)``)."""

    # -- shared ---------------------------------------------------------------------------
    def _q(self, q: ArrayLike) -> Array:
        x = np.asarray(q, dtype=float)
        if x.shape != (self.dim,):
            raise ValueError(f"`q` must have shape ({self.dim},), got {x.shape}")
        return x

    @property
    def h_min(self) -> float:
        """``min H = H(q*)``."""
        return float(self.value(self.minimizer))

    def grad(self, q: ArrayLike) -> Array:
        """Full-data gradient ``∇H(q)``, shape ``(K,)``."""
        return self.per_sample_grads(q).mean(axis=0)

    def minibatch_grad(self, q: ArrayLike, rng: np.random.Generator, batch_size: int) -> Array:
        """Mean gradient of ``batch_size`` samples drawn with replacement (noise covariance
        ``kappa(q, batch_size)``)."""
        b = check_int("batch_size", batch_size)
        idx = rng.integers(0, self.n_samples, size=b)
        return self.per_sample_grads(q, idx).mean(axis=0)

    def kappa(self, q: ArrayLike, batch_size: int = 1) -> Array:
        """True minibatch-noise covariance ``Cov_n(∇ℓ_n(q))/B``, shape ``(K, K)``."""
        b = check_int("batch_size", batch_size)
        g = self.per_sample_grads(q)
        d = g - g.mean(axis=0)
        return d.T @ d / (self.n_samples * b)

    def empirical_fisher(self, q: ArrayLike) -> Array:
        """Empirical Fisher ``(1/N) Σ_n ∇ℓ_n ∇ℓ_nᵀ`` (uncentred), shape ``(K, K)``."""
        g = self.per_sample_grads(q)
        return g.T @ g / self.n_samples

    def problem(self, batch_size: int = 1) -> LearningProblem:
        """This loss as a polynomial :class:`LearningProblem` (``dim ≤ 2``), with
        ``κ(q) = kappa(q, batch_size)``."""
        raise NotImplementedError(f"{type(self).__name__} is not polynomial")

    def _check_problem_dim(self) -> None:
        if self.dim > 2:
            raise ValueError(
                f"`problem()` needs 1 or 2 trainable variables (kernels are 1D–2D), got {self.dim}"
            )


class _NoisyPolynomialLoss(Loss):
    """``ℓ_n = h(q) + u_nᵀδ + ½ Σ w_{n,i} δ_i²`` (module docstring)."""

    def __init__(
        self,
        dim: int,
        center: ArrayLike,
        noise_cov: ArrayLike,
        multiplicative: float | ArrayLike,
        n_samples: int,
        seed: int,
    ) -> None:
        self.dim = check_int("dim", dim)
        self.n_samples = check_int("n_samples", n_samples, 2)
        self.center = np.asarray(center, dtype=float).reshape(self.dim)
        self.noise_cov = _psd("noise_cov", noise_cov, self.dim)
        mult = np.broadcast_to(np.asarray(multiplicative, dtype=float), (self.dim,)).copy()
        if not np.all(np.isfinite(mult)) or np.any(mult < 0):
            raise ValueError(f"`multiplicative` must be finite and ≥ 0, got {multiplicative!r}")
        self.multiplicative = mult
        self.seed = seed
        rng = np.random.default_rng(seed)
        if np.any(mult > 0):
            cov = np.zeros((2 * self.dim, 2 * self.dim))
            cov[: self.dim, : self.dim] = self.noise_cov
            cov[self.dim :, self.dim :] = np.diag(mult**2)
            data = exact_noise(rng, self.n_samples, cov)
            self.u, self.w = data[:, : self.dim], data[:, self.dim :]
        else:
            self.u = exact_noise(rng, self.n_samples, self.noise_cov)
            self.w = np.zeros_like(self.u)

    @abstractmethod
    def h(self) -> Polynomial:
        """The mean loss ``h(q) = H(q)`` as a polynomial."""

    @abstractmethod
    def h_grad(self, q: Array) -> Array:
        """``∇h(q)``, shape ``(K,)``."""

    def value(self, q: ArrayLike) -> float:
        return float(self._h_value(self._q(q)))

    def _h_value(self, q: Array) -> float:
        return float(self._h_poly(q))

    @cached_property
    def _h_poly(self) -> Polynomial:
        return self.h()

    def per_sample_grads(self, q: ArrayLike, idx: ArrayLike | None = None) -> Array:
        x = self._q(q)
        u = self.u if idx is None else self.u[np.asarray(idx)]
        w = self.w if idx is None else self.w[np.asarray(idx)]
        return self.h_grad(x) + u + w * (x - self.center)

    def grad(self, q: ArrayLike) -> Array:
        return self.h_grad(self._q(q))  # the data terms average to exactly 0

    def kappa(self, q: ArrayLike, batch_size: int = 1) -> Array:
        b = check_int("batch_size", batch_size)
        d = self._q(q) - self.center
        return (self.noise_cov + np.diag(self.multiplicative**2 * d * d)) / b

    def problem(self, batch_size: int = 1) -> LearningProblem:
        self._check_problem_dim()
        b = check_int("batch_size", batch_size)
        d = self.dim
        delta = [Polynomial.variable(i, d) - float(self.center[i]) for i in range(d)]
        kap = [
            [Polynomial.constant(self.noise_cov[i, j] / b, d) for j in range(d)] for i in range(d)
        ]
        for i in range(d):
            kap[i][i] = kap[i][i] + (self.multiplicative[i] ** 2 / b) * delta[i] * delta[i]
        return LearningProblem(
            self._h_poly, kap, h_min=self.h_min, minimizer=self.minimizer, name=self.name
        )


class Quadratic(_NoisyPolynomialLoss):
    r"""``H(q) = ½ (q − q*)ᵀ A (q − q*)`` with per-sample noise.

    Parameters
    ----------
    A
        Symmetric positive definite curvature, shape ``(K, K)``.
    noise_cov
        Per-sample gradient-noise covariance at ``q*`` (default ``A``: κ ∝ A, the
        "Fisher ≈ Hessian" case).
    multiplicative
        Standard deviation(s) of the per-sample curvature noise ``w``; gives
        ``κ(q) = noise_cov + diag(multiplicative² (q − q*)²)``.
    n_samples, seed
        Synthetic data set size and seed (``numpy.random.default_rng(seed)``).
    center
        ``q*`` (default 0).
    """

    def __init__(
        self,
        A: ArrayLike,
        *,
        noise_cov: ArrayLike | None = None,
        multiplicative: float | ArrayLike = 0.0,
        n_samples: int = 1000,
        seed: int = 0,
        center: ArrayLike | None = None,
        name: str = "quadratic",
    ) -> None:
        a = check_spd("A", A)
        self.A = a
        k = a.shape[0]
        c = np.zeros(k) if center is None else np.asarray(center, dtype=float).reshape(k)
        super().__init__(
            k, c, a if noise_cov is None else noise_cov, multiplicative, n_samples, seed
        )
        self.name = name

    def h(self) -> Polynomial:
        return Polynomial.quadratic_form(self.A, self.center)

    def _h_value(self, q: Array) -> float:
        d = q - self.center
        return float(0.5 * d @ self.A @ d)

    def h_grad(self, q: Array) -> Array:
        return self.A @ (q - self.center)

    @property
    def minimizer(self) -> Array:
        return self.center.copy()

    @property
    def h_min(self) -> float:
        return 0.0


def ill_conditioned_quadratic(
    dim: int,
    condition: float,
    *,
    seed: int = 0,
    noise_scale: float = 1.0,
    multiplicative: float = 0.0,
    n_samples: int = 1000,
) -> Quadratic:
    """Quadratic with eigenvalues ``logspace(0, −log10(condition), dim)`` in a random basis.

    The noise covariance is ``noise_scale · A`` (κ ∝ A); the basis and data come from
    ``numpy.random.default_rng(seed)``.
    """
    k = check_int("dim", dim)
    cond = check_positive("condition", condition)
    if cond < 1:
        raise ValueError(f"`condition` must be ≥ 1, got {condition!r}")
    s = check_positive("noise_scale", noise_scale, allow_zero=True)
    rng = np.random.default_rng(seed)
    qmat, _ = np.linalg.qr(rng.standard_normal((k, k)))
    lam = np.logspace(0.0, -np.log10(cond), k)
    a = (qmat * lam) @ qmat.T
    a = 0.5 * (a + a.T)
    return Quadratic(
        a,
        noise_cov=s * a,
        multiplicative=multiplicative,
        n_samples=n_samples,
        seed=seed + 1,
        name=f"quadratic(cond={cond:g})",
    )


class DoubleWell(_NoisyPolynomialLoss):
    r"""``H = depth·(q_0² − 1)² + ½ stiffness Σ_{i≥1} q_i²`` (minima at ``q_0 = ±1``).

    Noise as in the module docstring with ``q_c = 0``; default ``noise_cov = 0.5·I``.
    """

    def __init__(
        self,
        dim: int = 1,
        *,
        depth: float = 1.0,
        stiffness: float = 1.0,
        noise_cov: ArrayLike | None = None,
        multiplicative: float | ArrayLike = 0.0,
        n_samples: int = 1000,
        seed: int = 0,
    ) -> None:
        k = check_int("dim", dim)
        self.depth = check_positive("depth", depth)
        self.stiffness = check_positive("stiffness", stiffness)
        cov = 0.5 * np.eye(k) if noise_cov is None else noise_cov
        super().__init__(k, np.zeros(k), cov, multiplicative, n_samples, seed)
        self.name = "double-well"

    def h(self) -> Polynomial:
        k = self.dim
        x = [Polynomial.variable(i, k) for i in range(k)]
        out = self.depth * (x[0] * x[0] - 1.0) * (x[0] * x[0] - 1.0)
        for i in range(1, k):
            out = out + (0.5 * self.stiffness) * x[i] * x[i]
        return out

    def _h_value(self, q: Array) -> float:
        return float(self.depth * (q[0] ** 2 - 1) ** 2 + 0.5 * self.stiffness * np.sum(q[1:] ** 2))

    def h_grad(self, q: Array) -> Array:
        g = self.stiffness * q.copy()
        g[0] = 4.0 * self.depth * q[0] * (q[0] ** 2 - 1.0)
        return g

    @property
    def minimizer(self) -> Array:
        m = np.zeros(self.dim)
        m[0] = 1.0
        return m

    @property
    def h_min(self) -> float:
        return 0.0


class Rosenbrock(_NoisyPolynomialLoss):
    r"""``H = (1 − q_0)² + b (q_1 − q_0²)²`` (minimum 0 at ``(1, 1)``); noise centred there
    (default ``noise_cov = 0.01·I``)."""

    def __init__(
        self,
        b: float = 100.0,
        *,
        noise_cov: ArrayLike | None = None,
        multiplicative: float | ArrayLike = 0.0,
        n_samples: int = 1000,
        seed: int = 0,
    ) -> None:
        self.b = check_positive("b", b)
        cov = 0.01 * np.eye(2) if noise_cov is None else noise_cov
        super().__init__(2, np.ones(2), cov, multiplicative, n_samples, seed)
        self.name = "rosenbrock"

    def h(self) -> Polynomial:
        x, y = Polynomial.variable(0, 2), Polynomial.variable(1, 2)
        r = y - x * x
        return (1.0 - x) * (1.0 - x) + self.b * r * r

    def _h_value(self, q: Array) -> float:
        return float((1 - q[0]) ** 2 + self.b * (q[1] - q[0] ** 2) ** 2)

    def h_grad(self, q: Array) -> Array:
        r = q[1] - q[0] ** 2
        return np.array([-2.0 * (1 - q[0]) - 4.0 * self.b * q[0] * r, 2.0 * self.b * r])

    @property
    def minimizer(self) -> Array:
        return np.ones(2)

    @property
    def h_min(self) -> float:
        return 0.0


def _features(rng: np.random.Generator, n: int, k: int, scales: ArrayLike | None) -> Array:
    s = np.ones(k) if scales is None else np.asarray(scales, dtype=float).reshape(k)
    if not np.all(np.isfinite(s)) or np.any(s <= 0):
        raise ValueError(f"`feature_scales` must be positive and finite, got {scales!r}")
    return rng.standard_normal((n, k)) * s


class LinearRegression(Loss):
    r"""Least squares ``ℓ_n = ½ (x_nᵀ q − y_n)² + ½ l2 |q|²`` on synthetic data.

    ``x_n ~ N(0, diag(feature_scales²))``, ``y_n = x_nᵀ w* + noise·ε_n`` with ``w* ~ N(0, I)``,
    all from ``numpy.random.default_rng(seed)``.  ``κ(q)`` is quadratic in ``q`` (exact
    polynomial in :meth:`problem`).
    """

    def __init__(
        self,
        n_samples: int = 1000,
        dim: int = 2,
        *,
        noise: float = 0.5,
        feature_scales: ArrayLike | None = None,
        l2: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.n_samples = check_int("n_samples", n_samples, 2)
        self.dim = check_int("dim", dim)
        self.noise = check_positive("noise", noise, allow_zero=True)
        self.l2 = check_positive("l2", l2, allow_zero=True)
        rng = np.random.default_rng(seed)
        self.X = _features(rng, self.n_samples, self.dim, feature_scales)
        self.w_true = rng.standard_normal(self.dim)
        self.y = self.X @ self.w_true + self.noise * rng.standard_normal(self.n_samples)
        self.name = "linear-regression"

    def value(self, q: ArrayLike) -> float:
        x = self._q(q)
        r = self.X @ x - self.y
        return float(0.5 * np.mean(r * r) + 0.5 * self.l2 * x @ x)

    def per_sample_grads(self, q: ArrayLike, idx: ArrayLike | None = None) -> Array:
        x = self._q(q)
        X = self.X if idx is None else self.X[np.asarray(idx)]
        y = self.y if idx is None else self.y[np.asarray(idx)]
        return X * (X @ x - y)[:, None] + self.l2 * x

    def grad(self, q: ArrayLike) -> Array:
        x = self._q(q)
        return self.X.T @ (self.X @ x - self.y) / self.n_samples + self.l2 * x

    @cached_property
    def _minimizer(self) -> Array:
        n = self.n_samples
        hess = self.X.T @ self.X / n + self.l2 * np.eye(self.dim)
        return np.asarray(np.linalg.solve(hess, self.X.T @ self.y / n), dtype=np.float64)

    @property
    def minimizer(self) -> Array:
        return self._minimizer.copy()

    def problem(self, batch_size: int = 1) -> LearningProblem:
        self._check_problem_dim()
        b = check_int("batch_size", batch_size)
        k, n, X, y = self.dim, self.n_samples, self.X, self.y
        q = [Polynomial.variable(i, k) for i in range(k)]
        c2 = X.T @ X / n
        hpoly = Polynomial.constant(0.5 * float(np.mean(y * y)), k)
        for i in range(k):
            hpoly = hpoly - float(X[:, i] @ y / n) * q[i]
            for j in range(k):
                hpoly = hpoly + 0.5 * (c2[i, j] + (self.l2 if i == j else 0.0)) * q[i] * q[j]
        # mean gradient of the data term, E[x r] (l2 shifts every sample alike: no covariance)
        lin = [
            sum((float(c2[i, m]) * q[m] for m in range(k)), -float(X[:, i] @ y / n))
            for i in range(k)
        ]
        kap: list[list[Polynomial]] = []
        for i in range(k):
            row = []
            for j in range(k):
                xij = X[:, i] * X[:, j]
                e = Polynomial.constant(float(np.mean(xij * y * y)), k)
                for m in range(k):
                    e = e - 2.0 * float(np.mean(xij * X[:, m] * y)) * q[m]
                    for l in range(k):  # noqa: E741
                        e = e + float(np.mean(xij * X[:, m] * X[:, l])) * q[m] * q[l]
                row.append((1.0 / b) * (e - lin[i] * lin[j]))
            kap.append(row)
        return LearningProblem(
            hpoly, kap, h_min=self.h_min, minimizer=self.minimizer, name=self.name
        )


class LogisticRegression(Loss):
    r"""``ℓ_n = log(1 + exp(−y_n x_nᵀ q)) + ½ l2 |q|²`` with labels ``y_n = ±1``.

    ``x_n ~ N(0, diag(feature_scales²))`` (default scales ``logspace(0, −1, K)``: mildly
    ill-conditioned), labels drawn from the logistic model with ``w* ~ N(0, I)``; seeded.
    """

    def __init__(
        self,
        n_samples: int = 2000,
        dim: int = 10,
        *,
        l2: float = 1e-3,
        feature_scales: ArrayLike | None = None,
        seed: int = 0,
    ) -> None:
        self.n_samples = check_int("n_samples", n_samples, 2)
        self.dim = check_int("dim", dim)
        self.l2 = check_positive("l2", l2)
        rng = np.random.default_rng(seed)
        scales = np.logspace(0.0, -1.0, self.dim) if feature_scales is None else feature_scales
        self.X = _features(rng, self.n_samples, self.dim, scales)
        self.w_true = rng.standard_normal(self.dim)
        p = expit(self.X @ self.w_true)
        self.y = np.where(rng.random(self.n_samples) < p, 1.0, -1.0)
        self.name = "logistic-regression"

    def value(self, q: ArrayLike) -> float:
        x = self._q(q)
        z = self.y * (self.X @ x)
        return float(np.mean(np.logaddexp(0.0, -z)) + 0.5 * self.l2 * x @ x)

    def per_sample_grads(self, q: ArrayLike, idx: ArrayLike | None = None) -> Array:
        x = self._q(q)
        X = self.X if idx is None else self.X[np.asarray(idx)]
        y = self.y if idx is None else self.y[np.asarray(idx)]
        s = expit(-y * (X @ x))
        return -(y * s)[:, None] * X + self.l2 * x

    def grad(self, q: ArrayLike) -> Array:
        x = self._q(q)
        s = expit(-self.y * (self.X @ x))
        return -self.X.T @ (self.y * s) / self.n_samples + self.l2 * x

    def hessian(self, q: ArrayLike) -> Array:
        """``∇²H(q)``, shape ``(K, K)``."""
        x = self._q(q)
        s = expit(self.X @ x)
        w = s * (1.0 - s)
        return (self.X.T * w) @ self.X / self.n_samples + self.l2 * np.eye(self.dim)

    @cached_property
    def _minimizer(self) -> Array:
        # Damped Newton: H is strictly convex (l2 > 0), converges quadratically to rounding.
        x = np.zeros(self.dim)
        for _ in range(100):
            g = self.grad(x)
            step = np.linalg.solve(self.hessian(x), g)
            t, f0 = 1.0, self.value(x)
            while self.value(x - t * step) > f0 - 0.25 * t * g @ step and t > 1e-10:
                t *= 0.5
            x = x - t * step
            if np.linalg.norm(g) < 1e-14:
                break
        return x

    @property
    def minimizer(self) -> Array:
        return self._minimizer.copy()
