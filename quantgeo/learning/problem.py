"""A learning problem in closed form: polynomial loss ``H(q)`` and polynomial noise ``κ(q)``.

The ensembles (Numba kernel), the Fokker–Planck solver and the predictions all need ``∇H``,
``κ(q)`` and ``∂κ`` at arbitrary points.  Polynomials cover every loss of the library that is
used there (quadratics, double wells, Rosenbrock, linear regression with its data-derived
``κ(q)``) and pass to a kernel as three flat arrays, so no Python callable ever reaches
compiled code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._validation import check_instance, check_int, check_positive, check_real

__all__ = ["LearningProblem", "Polynomial"]

_Powers = tuple[int, ...]


class Polynomial:
    """Real polynomial ``p(q) = Σ_t c_t Π_i q_i^{n_{t,i}}`` in ``dim`` variables.

    Parameters
    ----------
    terms
        Mapping ``powers → coefficient``; ``powers`` is a tuple of ``dim`` non-negative ints.
    dim
        Number of variables.

    Notes
    -----
    Immutable; arithmetic (``+``, ``-``, ``*`` with scalars and polynomials) returns new
    polynomials with like terms combined and exact zeros dropped.
    """

    __slots__ = ("_terms", "dim")

    def __init__(self, terms: Mapping[tuple[int, ...], float], dim: int) -> None:
        self.dim = check_int("dim", dim)
        clean: dict[_Powers, float] = {}
        for pw, coef in terms.items():
            p = tuple(int(k) for k in pw)
            if len(p) != self.dim or any(k < 0 for k in p):
                raise ValueError(
                    f"polynomial term powers must be {self.dim} non-negative ints, got {pw!r}"
                )
            c = check_real(f"coefficient of {p}", coef)
            clean[p] = clean.get(p, 0.0) + c
        self._terms = {p: c for p, c in clean.items() if c != 0.0}

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def constant(cls, value: float, dim: int) -> Polynomial:
        """The constant polynomial ``value``."""
        return cls({(0,) * dim: value}, dim)

    @classmethod
    def variable(cls, axis: int, dim: int) -> Polynomial:
        """The coordinate ``q_axis``."""
        pw = [0] * dim
        pw[axis] = 1
        return cls({tuple(pw): 1.0}, dim)

    @classmethod
    def quadratic_form(
        cls, A: ArrayLike, center: ArrayLike | None = None, offset: float = 0.0
    ) -> Polynomial:
        """``½ (q − center)ᵀ A (q − center) + offset`` for symmetric ``A`` (shape ``(d, d)``)."""
        a = np.asarray(A, dtype=float)
        d = a.shape[0]
        x0 = np.zeros(d) if center is None else np.asarray(center, dtype=float).reshape(d)
        q = [cls.variable(i, d) - float(x0[i]) for i in range(d)]
        out = cls.constant(offset, d)
        for i in range(d):
            for j in range(d):
                if a[i, j] != 0.0:
                    out = out + (0.5 * float(a[i, j])) * q[i] * q[j]
        return out

    # -- algebra --------------------------------------------------------------------------
    @property
    def terms(self) -> dict[_Powers, float]:
        """Copy of the ``powers → coefficient`` mapping."""
        return dict(self._terms)

    @property
    def degree(self) -> int:
        """Total degree (0 for the zero polynomial)."""
        return max((sum(p) for p in self._terms), default=0)

    def is_constant(self) -> bool:
        """True if no term depends on ``q``."""
        return all(sum(p) == 0 for p in self._terms)

    def _coerce(self, other: Polynomial | float) -> Polynomial:
        if isinstance(other, Polynomial):
            if other.dim != self.dim:
                raise ValueError(f"polynomials in {self.dim} and {other.dim} variables")
            return other
        return Polynomial.constant(float(other), self.dim)

    def __add__(self, other: Polynomial | float) -> Polynomial:
        o = self._coerce(other)
        t = dict(self._terms)
        for p, c in o._terms.items():
            t[p] = t.get(p, 0.0) + c
        return Polynomial(t, self.dim)

    __radd__ = __add__

    def __neg__(self) -> Polynomial:
        return Polynomial({p: -c for p, c in self._terms.items()}, self.dim)

    def __sub__(self, other: Polynomial | float) -> Polynomial:
        return self + (-self._coerce(other))

    def __rsub__(self, other: Polynomial | float) -> Polynomial:
        return self._coerce(other) - self

    def __mul__(self, other: Polynomial | float) -> Polynomial:
        o = self._coerce(other)
        t: dict[_Powers, float] = {}
        for p1, c1 in self._terms.items():
            for p2, c2 in o._terms.items():
                p = tuple(a + b for a, b in zip(p1, p2, strict=True))
                t[p] = t.get(p, 0.0) + c1 * c2
        return Polynomial(t, self.dim)

    __rmul__ = __mul__

    def derivative(self, axis: int) -> Polynomial:
        """``∂p/∂q_axis``."""
        t: dict[_Powers, float] = {}
        for p, c in self._terms.items():
            if p[axis] > 0:
                pw = list(p)
                pw[axis] -= 1
                t[tuple(pw)] = t.get(tuple(pw), 0.0) + c * p[axis]
        return Polynomial(t, self.dim)

    # -- evaluation -----------------------------------------------------------------------
    def __call__(self, q: ArrayLike) -> NDArray[np.float64]:
        """Evaluate at points ``q`` of shape ``(..., dim)``; returns shape ``(...)``."""
        x = np.asarray(q, dtype=float)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"`q` must have last axis {self.dim}, got shape {x.shape}")
        out = np.zeros(x.shape[:-1])
        for p, c in self._terms.items():
            term = np.full(x.shape[:-1], c)
            for i, k in enumerate(p):
                if k:
                    term = term * x[..., i] ** k
            out = out + term
        return out

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """``(powers (n_terms, dim) int64, coefs (n_terms,) float64)`` in a stable order."""
        items = sorted(self._terms.items())
        pw = np.array([p for p, _ in items], dtype=np.int64).reshape(len(items), self.dim)
        cf = np.array([c for _, c in items], dtype=float)
        return pw, cf

    def __repr__(self) -> str:
        if not self._terms:
            return f"Polynomial(0, dim={self.dim})"
        parts = []
        for p, c in sorted(self._terms.items()):
            mono = "·".join(f"q{i}^{k}" if k > 1 else f"q{i}" for i, k in enumerate(p) if k)
            parts.append(f"{c:+.6g}" + (f"·{mono}" if mono else ""))
        return f"Polynomial({' '.join(parts)}, dim={self.dim})"


def _upper(d: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(d) for j in range(i, d)]


@dataclass(frozen=True, eq=False)
class LearningProblem:
    """Loss ``H(q)`` and gradient-noise covariance ``κ(q)`` as polynomials (``dim`` = 1 or 2).

    Parameters
    ----------
    loss
        ``H(q)``, a :class:`Polynomial` in ``dim`` variables.
    kappa
        ``κ(q)``, a ``dim × dim`` nested sequence of polynomials (symmetric; only the upper
        triangle is read) or a constant symmetric matrix.  It must be positive definite where
        the dynamics go; :meth:`check_kappa` tests this on a grid.
    h_min
        ``min H`` (for excess-loss observables); computed from ``minimizer`` if omitted.
    minimizer
        A minimiser ``q*`` of ``H``, shape ``(dim,)``, if known.
    name
        Label used in reports.
    """

    loss: Polynomial
    kappa: tuple[tuple[Polynomial, ...], ...]
    h_min: float = 0.0
    minimizer: NDArray[np.float64] | None = None
    name: str = "problem"
    _grad: tuple[Polynomial, ...] = field(init=False, repr=False)
    _hess: tuple[tuple[Polynomial, ...], ...] = field(init=False, repr=False)
    _dkappa: tuple[tuple[tuple[Polynomial, ...], ...], ...] = field(init=False, repr=False)

    def __init__(
        self,
        loss: Polynomial,
        kappa: Sequence[Sequence[Polynomial | float]] | ArrayLike,
        *,
        h_min: float | None = None,
        minimizer: ArrayLike | None = None,
        name: str = "problem",
    ) -> None:
        check_instance("loss", loss, Polynomial)
        d = loss.dim
        if d not in (1, 2):
            raise ValueError(f"`loss` must be a polynomial in 1 or 2 variables, got dim={d}")
        rows: list[list[Any]]
        try:
            rows = [list(r) for r in cast(Sequence[Sequence[Any]], kappa)]
        except TypeError:
            rows = [[kappa]] if d == 1 else []
        if len(rows) != d or any(len(r) != d for r in rows):
            raise ValueError(f"`kappa` must be a {d}×{d} matrix of polynomials or numbers")
        kap: list[list[Polynomial]] = [[Polynomial.constant(0.0, d)] * d for _ in range(d)]
        for i, j in _upper(d):
            e = rows[i][j]
            if not isinstance(e, Polynomial):
                e = Polynomial.constant(check_real(f"kappa[{i}][{j}]", e), d)
            if e.dim != d:
                raise ValueError(f"`kappa[{i}][{j}]` has dim {e.dim}, expected {d}")
            kap[i][j] = kap[j][i] = e
        for i, j in _upper(d):
            if i != j:
                lo = rows[j][i]
                lo_p = lo if isinstance(lo, Polynomial) else Polynomial.constant(float(lo), d)
                if (lo_p - kap[i][j]).terms:
                    raise ValueError(
                        f"`kappa` must be symmetric: kappa[{i}][{j}] ≠ kappa[{j}][{i}]"
                    )
        object.__setattr__(self, "loss", loss)
        object.__setattr__(self, "kappa", tuple(tuple(r) for r in kap))
        x0 = None
        if minimizer is not None:
            x0 = np.asarray(minimizer, dtype=float).reshape(d)
        object.__setattr__(self, "minimizer", x0)
        if h_min is None:
            h_min = float(loss(x0)) if x0 is not None else 0.0
        object.__setattr__(self, "h_min", check_real("h_min", h_min))
        object.__setattr__(self, "name", str(name))
        grad = tuple(loss.derivative(i) for i in range(d))
        object.__setattr__(self, "_grad", grad)
        object.__setattr__(
            self, "_hess", tuple(tuple(grad[i].derivative(j) for j in range(d)) for i in range(d))
        )
        object.__setattr__(
            self,
            "_dkappa",
            tuple(
                tuple(tuple(kap[i][j].derivative(k) for j in range(d)) for i in range(d))
                for k in range(d)
            ),
        )

    # -- constructors ---------------------------------------------------------------------
    @classmethod
    def quadratic(
        cls,
        A: ArrayLike,
        kappa: ArrayLike,
        *,
        center: ArrayLike | None = None,
        name: str = "quadratic",
    ) -> LearningProblem:
        """``H = ½ (q − center)ᵀ A (q − center)`` with constant ``κ`` (both SPD ``(d, d)``)."""
        a = check_spd("A", A)
        k = check_spd("kappa", kappa)
        if a.shape != k.shape:
            raise ValueError(f"`A` {a.shape} and `kappa` {k.shape} must have the same shape")
        d = a.shape[0]
        x0 = np.zeros(d) if center is None else np.asarray(center, dtype=float).reshape(d)
        return cls(Polynomial.quadratic_form(a, x0), k, h_min=0.0, minimizer=x0, name=name)

    # -- properties -----------------------------------------------------------------------
    @property
    def dim(self) -> int:
        """Number of trainable variables (1 or 2)."""
        return self.loss.dim

    @property
    def constant_kappa(self) -> bool:
        """True if ``κ`` does not depend on ``q``."""
        return all(e.is_constant() for row in self.kappa for e in row)

    # -- evaluation (points of shape (..., dim)) -------------------------------------------
    def _pts(self, q: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(q, dtype=float)
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"`q` must have last axis {self.dim}, got shape {x.shape}")
        return x

    def value(self, q: ArrayLike) -> NDArray[np.float64]:
        """``H(q)``, shape ``(...)``."""
        return self.loss(self._pts(q))

    def grad(self, q: ArrayLike) -> NDArray[np.float64]:
        """``∇H(q)``, shape ``(..., dim)``."""
        x = self._pts(q)
        return np.stack([g(x) for g in self._grad], axis=-1)

    def hessian(self, q: ArrayLike) -> NDArray[np.float64]:
        """``∂_i∂_j H(q)``, shape ``(..., dim, dim)``."""
        x = self._pts(q)
        return np.stack([np.stack([h(x) for h in row], axis=-1) for row in self._hess], axis=-2)

    def kappa_at(self, q: ArrayLike) -> NDArray[np.float64]:
        """``κ(q)``, shape ``(..., dim, dim)``."""
        x = self._pts(q)
        return np.stack([np.stack([k(x) for k in row], axis=-1) for row in self.kappa], axis=-2)

    def dkappa_at(self, q: ArrayLike) -> NDArray[np.float64]:
        """``∂_k κ_ij(q)``, shape ``(..., dim(k), dim(i), dim(j))``."""
        x = self._pts(q)
        return np.stack(
            [
                np.stack([np.stack([e(x) for e in row], axis=-1) for row in mat], axis=-2)
                for mat in self._dkappa
            ],
            axis=-3,
        )

    def check_kappa(self, q: ArrayLike) -> None:
        """Raise ``ValueError`` if ``κ`` is not positive definite at some of the points ``q``."""
        lam = np.linalg.eigvalsh(self.kappa_at(q))
        bad = lam[..., 0] <= 0
        if bad.any():
            idx = np.argwhere(bad)[0]
            pt = self._pts(q)[tuple(idx)]
            raise ValueError(
                f"`kappa` of problem {self.name!r} is not positive definite at q = {pt} "
                f"(smallest eigenvalue {lam[tuple(idx)][0]:.3g})"
            )

    def scaled(self, lam: float) -> LearningProblem:
        """The problem under ``H → λH`` (hence ``κ → λ²κ``, prediction P2)."""
        s = check_positive("lam", lam)
        return LearningProblem(
            s * self.loss,
            [[(s * s) * e for e in row] for row in self.kappa],
            h_min=s * self.h_min,
            minimizer=self.minimizer,
            name=f"{self.name}×{s:g}",
        )

    def local_quadratic(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(A, κ)`` at the minimiser: Hessian and noise there (the P1–P5 local model)."""
        if self.minimizer is None:
            raise ValueError(f"problem {self.name!r} has no known `minimizer`")
        return self.hessian(self.minimizer), self.kappa_at(self.minimizer)

    def packed(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
        """Flat arrays for the kernels: ``(ptr, powers, coefs)``.

        Polynomial ``k`` has terms ``ptr[k]:ptr[k+1]``.  Order: ``∂_iH`` (``dim``), the upper
        triangle of ``κ`` row by row, then for each direction ``k`` the upper triangle of
        ``∂_k κ``.  ``powers`` has shape ``(n_terms, 2)`` (second column 0 in 1D).
        """
        polys: list[Polynomial] = list(self._grad)
        polys += [self.kappa[i][j] for i, j in _upper(self.dim)]
        for k in range(self.dim):
            polys += [self._dkappa[k][i][j] for i, j in _upper(self.dim)]
        ptr = [0]
        pws: list[Any] = []
        cfs: list[Any] = []
        for p in polys:
            pw, cf = p.arrays()
            pws.append(np.pad(pw, ((0, 0), (0, 2 - self.dim))))
            cfs.append(cf)
            ptr.append(ptr[-1] + len(cf))
        powers = np.concatenate(pws).astype(np.int64) if pws else np.zeros((0, 2), np.int64)
        return (
            np.asarray(ptr, dtype=np.int64),
            np.ascontiguousarray(powers.reshape(-1, 2)),
            np.concatenate(cfs).astype(float),
        )


def check_spd(name: str, m: ArrayLike) -> NDArray[np.float64]:
    """Return ``m`` as a symmetric positive definite float matrix (symmetrised) or raise."""
    a = np.atleast_2d(np.asarray(m, dtype=float))
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"`{name}` must be a square matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"`{name}` must be finite, got {a!r}")
    if not np.allclose(a, a.T, rtol=1e-12, atol=0):
        raise ValueError(f"`{name}` must be symmetric, got {a.tolist()}")
    lam = np.linalg.eigvalsh(a)
    if lam[0] <= 0:
        raise ValueError(
            f"`{name}` must be positive definite, got eigenvalues {np.round(lam, 6).tolist()}"
        )
    return 0.5 * (a + a.T)
