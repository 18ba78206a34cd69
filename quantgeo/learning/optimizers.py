r"""Covariant gradient descent ``q ← q − lr · g⁻¹ F`` with ``g = c·[(κ + eps·I)^a + delta·I]``.

``F`` is the gradient sample ``G`` or its momentum average ``m ← β1 m + (1 − β1) G`` (bias
corrected ``m̂ = m/(1 − β1^t)`` when ``bias_correction``); ``κ`` comes from
:class:`~quantgeo.learning.moments.EMAMoments` (diagonal or full) or from a given exact
``κ(q)``.  The metric, its regularisers and the matrix power are those of
:mod:`quantgeo.learning.metric`.

Exact reductions (verified step for step to 1e-12 in ``tests/learning/test_optimizers.py``):

=====================  =====================================================================
published update        CovariantGD parameters
=====================  =====================================================================
SGD                     ``a=0`` (any κ; ``g = c·I``), ``lr = c·η``
RMSProp (PyTorch)       ``θ ← θ − η G/(√v + ε)``: ``a=½``, ``moments="ema-diag"``, ``beta1=0``,
                        ``beta2=α``, ``centered=False``, ``bias_correction=False``, ``eps=0``,
                        ``delta=ε``, ``lr=η``
RMSProp (TF1, Hinton)   ``θ ← θ − η G/√(v + ε)``: as above with ``eps=ε``, ``delta=0``
centred RMSProp (TF)    ``θ ← θ − η G/√(v − ḡ² + ε)``: ``centered=True``, ``eps=ε``, ``delta=0``
Adam                    ``θ ← θ − α m̂/(√v̂ + ε)``: ``a=½``, ``beta1``, ``beta2``,
                        ``bias_correction=True``, ``eps=0``, ``delta=ε``, ``lr=α``
AdaBelief               ``s ← β2 s + (1−β2)(G−m)² + ε``, ``θ ← θ − α m̂/(√ŝ + ε)``:
                        ``a=½``, ``centered="belief"``, ``bias_correction=True``,
                        ``eps=ε/(1 − β2)``, ``delta=ε`` (the ε added to ``s`` at every step
                        accumulates, after bias correction, to exactly ``ε/(1 − β2)``)
natural gradient        ``θ ← θ − η (F̂ + λI)⁻¹ ∇L`` with the empirical Fisher
(empirical Fisher)      ``F̂ = (1/N) Σ ∇ℓ_n ∇ℓ_nᵀ``: ``a=1``, ``moments="exact"``,
                        ``kappa=loss.empirical_fisher``, ``eps=λ``, ``delta=0``, ``lr=η``
=====================  =====================================================================

``eps`` inside the power is THEORY's regulariser; the optimisers of the literature put theirs
outside the square root, which is what ``delta`` is for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from quantgeo._progress import progress_bar
from quantgeo._validation import (
    check_choice,
    check_finite_array,
    check_instance,
    check_int,
    check_positive,
    check_real,
)
from quantgeo.errors import StabilityError
from quantgeo.learning.metric import apply_inverse_metric
from quantgeo.learning.moments import EMAMoments, MomentState, check_beta, normalize_centering

__all__ = ["MOMENTS", "CovariantGD", "MinimizeResult", "OptState"]

log = logging.getLogger(__name__)

Array = NDArray[np.float64]
MOMENTS: tuple[str, ...] = ("ema-diag", "ema-full", "exact")


class _Loss(Protocol):
    dim: int

    def value(self, q: ArrayLike) -> float: ...

    def grad(self, q: ArrayLike) -> Array: ...

    def minibatch_grad(self, q: ArrayLike, rng: np.random.Generator, batch_size: int) -> Array: ...


@dataclass(frozen=True)
class OptState:
    """Optimiser state after ``step`` updates (immutable).

    Attributes
    ----------
    step
        Number of updates taken (``t``).
    momentum
        First-moment EMA ``m`` (``beta1 > 0`` or ``centered="belief"``), else ``None``.
    moments
        EMA moments for ``κ`` (``moments="ema-*"``), else ``None``.
    """

    step: int
    momentum: Array | None
    moments: MomentState | None


@dataclass(frozen=True)
class MinimizeResult:
    """Outcome of :meth:`CovariantGD.minimize`.

    Attributes
    ----------
    q
        Final parameters, shape ``(K,)``.
    steps
        Step indices at which ``losses`` were evaluated (0 = start).
    losses
        Full-batch loss ``H(q)`` at those steps.
    n_steps
        Updates taken.
    converged
        True if ``H − H_min ≤ tol`` was reached (``tol`` given).
    state
        Final optimiser state.
    """

    q: Array
    steps: NDArray[np.int64]
    losses: Array
    n_steps: int
    converged: bool
    state: OptState = field(repr=False)


class CovariantGD:
    r"""Stochastic covariant gradient descent (THEORY §1, §3).

    .. math:: q_{t+1} = q_t − \mathrm{lr}\; g_t^{-1} F_t,\qquad
              g_t = c\,[(κ_t + \mathrm{eps}\,I)^a + \mathrm{delta}\,I]

    Parameters
    ----------
    a
        Metric power in ``[0, 1]``: ``0`` SGD, ``½`` efficient learning (RMSProp, Adam),
        ``1`` natural gradient, the ends of THEORY's family; other values are refused.  Or a
        metric object with ``apply_inverse(kappa, v, diagonal=...)`` such as
        :class:`~quantgeo.learning.crossover.CrossoverMetric` (then ``c``, ``eps``, ``delta``
        are unused and ``self.a`` is nan).
    lr
        Learning rate ``γ`` (the step is ``lr·g⁻¹F``; units of ``q²/H`` at ``a = 0``).
    c
        Metric scale.
    eps
        Regulariser inside the power (THEORY).  Must be positive when κ can be singular
        (``a > 0`` with EMA moments of few gradients).
    delta
        Regulariser added after the power (the ε of Adam-type optimisers).
    moments
        ``"ema-diag"`` (κ diagonal, elementwise), ``"ema-full"`` (κ full, eigendecomposed each
        step) or ``"exact"`` (``kappa(q)`` given).
    beta1
        Momentum decay in ``[0, 1)``; ``0`` uses the raw gradient.
    beta2
        Decay of the moments behind κ, in ``[0, 1)``.
    centered
        ``False`` (κ = M2), ``True`` (κ = M2 − M1M1ᵀ) or ``"belief"`` (AdaBelief).
    bias_correction
        Divide the EMAs by ``1 − β^t``.
    kappa
        For ``moments="exact"``: callable ``q → κ(q)`` returning shape ``(K,)`` (diagonal) or
        ``(K, K)``.

    Notes
    -----
    Functional API: ``state = opt.init(q0)``; ``q, state = opt.step(q, grad, state)``.  States
    are immutable, so a step can be repeated or branched.
    """

    def __init__(
        self,
        a: float | Any,
        lr: float,
        *,
        c: float = 1.0,
        eps: float = 1e-8,
        delta: float = 0.0,
        moments: str = "ema-diag",
        beta1: float = 0.0,
        beta2: float = 0.999,
        centered: bool | str = False,
        bias_correction: bool = True,
        kappa: Callable[[Array], ArrayLike] | None = None,
    ) -> None:
        # a metric object (e.g. CrossoverMetric) may stand in for the power a
        self.law: Any = a if callable(getattr(a, "apply_inverse", None)) else None
        self.a = float("nan") if self.law is not None else check_real("a", a)
        if self.law is None and not 0.0 <= self.a <= 1.0:
            raise ValueError(
                f"`a` must lie in [0, 1] (0 SGD, ½ RMSProp/Adam, 1 natural gradient), got {a!r}"
            )
        self.lr = check_positive("lr", lr)
        self.c = check_positive("c", c)
        self.eps = check_positive("eps", eps, allow_zero=True)
        self.delta = check_positive("delta", delta, allow_zero=True)
        self.moments = check_choice("moments", moments, MOMENTS)
        self.beta1 = check_beta("beta1", beta1)
        self.beta2 = check_beta("beta2", beta2)
        self.centered = normalize_centering(centered)
        self.bias_correction = bool(bias_correction)
        if self.moments == "exact":
            if kappa is None or not callable(kappa):
                raise ValueError('`kappa` (a callable q -> κ(q)) is required for moments="exact"')
            if self.centered != "none":
                raise ValueError(
                    f'`centered` applies to EMA moments only, got {centered!r} with moments="exact"'
                )
        elif kappa is not None:
            raise ValueError(f'`kappa` is only used with moments="exact", got moments={moments!r}')
        if self.centered == "belief" and self.beta1 == 0.0:
            log.warning('centered="belief" with beta1=0 makes κ ≡ 0 (G − m = 0 every step)')
        self.kappa = kappa
        self._ema = (
            None
            if self.moments == "exact"
            else EMAMoments(
                self.beta2,
                full=self.moments == "ema-full",
                centered=self.centered,
                bias_correction=self.bias_correction,
            )
        )

    def __repr__(self) -> str:
        return (
            f"CovariantGD(a={self.a:g}, lr={self.lr:g}, c={self.c:g}, eps={self.eps:g}, "
            f"delta={self.delta:g}, moments={self.moments!r}, beta1={self.beta1:g}, "
            f"beta2={self.beta2:g}, centered={self.centered!r})"
        )

    # -- functional API ---------------------------------------------------------------------
    def init(self, q0: ArrayLike) -> OptState:
        """Initial state for parameters ``q0`` (flat, shape ``(K,)``)."""
        q = _flat("q0", q0)
        k = q.shape[0]
        mom = np.zeros(k) if (self.beta1 > 0 or self.centered == "belief") else None
        ms = self._ema.init(k) if self._ema is not None else None
        return OptState(0, mom, ms)

    def direction(self, q: ArrayLike, grad: ArrayLike, state: OptState) -> tuple[Array, OptState]:
        """Return ``(g⁻¹F, new_state)`` for gradient sample ``grad`` at ``q`` (no step taken)."""
        x = _flat("q", q)
        g = _grad(grad, x)
        self._check_state(state, x.size)
        return self._direction(x, g, state)

    def _check_state(self, state: Any, k: int) -> None:
        """Refuse a state made by :meth:`init` for another size (or another optimiser)."""
        check_instance("state", state, OptState)
        with_mom = self.beta1 > 0 or self.centered == "belief"
        full = self.moments == "ema-full"
        ms = state.moments
        parts: list[tuple[str, Any, object]] = [
            ("momentum", state.momentum, (k,) if with_mom else None),
            ("moments", ms, None if self._ema is None else "MomentState"),
        ]
        if self._ema is not None and ms is not None:
            parts.append(("moments.m2", ms.m2, (k, k) if full else (k,)))
            parts.append(("moments.m1", ms.m1, (k,) if self.centered == "ema" else None))
        for label, got, want in parts:
            shape = None if got is None else ("MomentState" if label == "moments" else got.shape)
            if shape != want:
                raise ValueError(
                    f"`state` was made for another size or optimiser: its {label} is {shape}, "
                    f"`q` of size {k} needs {want}; make it with this optimiser's init(q0)"
                )

    def _direction(self, x: Array, g: Array, state: OptState) -> tuple[Array, OptState]:
        # x and g validated by the caller (direction, step)
        t = state.step + 1
        mom = state.momentum
        if mom is not None:
            mom = self.beta1 * mom + (1.0 - self.beta1) * g
        if self.beta1 > 0:
            assert mom is not None
            force = mom / (1.0 - self.beta1**t) if self.bias_correction else mom
        else:
            force = g
        ms = state.moments
        if self._ema is not None:
            assert ms is not None
            ms = self._ema.update(ms, g, center=mom)
            kap = self._ema.kappa(ms)
            diagonal = self.moments == "ema-diag"
        else:
            assert self.kappa is not None
            kap = np.asarray(self.kappa(x), dtype=float)
            if kap.shape not in ((x.size,), (x.size, x.size)):
                raise ValueError(
                    f"`kappa(q)` must return shape ({x.size},) or ({x.size}, {x.size}), "
                    f"got {kap.shape}"
                )
            diagonal = kap.ndim == 1
        if self.law is not None:
            d = self.law.apply_inverse(kap, force, diagonal=diagonal)
        elif self.a == 0.0:
            d = force / (self.c * (1.0 + self.delta))
        else:
            d = apply_inverse_metric(
                kap, force, self.a, c=self.c, eps=self.eps, delta=self.delta, diagonal=diagonal
            )
        return d, OptState(t, mom, ms)

    def step(self, q: ArrayLike, grad: ArrayLike, state: OptState) -> tuple[Array, OptState]:
        """One update: ``(q − lr·g⁻¹F, new_state)``.

        Raises
        ------
        StabilityError
            If the update is not finite (singular metric: raise ``eps``).
        """
        x = _flat("q", q)
        g = _grad(grad, x)
        self._check_state(state, x.size)
        # a singular metric divides by zero: report it as a StabilityError, not as warnings
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            d, new = self._direction(x, g, state)
            out = x - self.lr * d
        if not np.all(np.isfinite(out)):
            raise StabilityError(
                f"non-finite update at step {new.step} of {self!r}; the metric is singular or "
                f"the step overflowed — increase `eps` or reduce `lr`",
                t=float(new.step),
                step=new.step,
            )
        return out, new

    # -- convenience ----------------------------------------------------------------------
    def minimize(
        self,
        loss: _Loss,
        q0: ArrayLike,
        steps: int,
        *,
        batch_size: int | None = None,
        seed: int = 0,
        tol: float | None = None,
        record_every: int = 1,
        progress: bool = False,
    ) -> MinimizeResult:
        """Run ``steps`` updates on ``loss`` from ``q0``.

        Parameters
        ----------
        loss
            Object with ``value(q)``, ``grad(q)``, ``minibatch_grad(q, rng, batch_size)`` and
            (for ``tol``) ``h_min`` — every loss of :mod:`quantgeo.learning.losses`.
        batch_size
            Minibatch size (sampled with replacement from ``numpy.random.default_rng(seed)``);
            ``None`` uses the full gradient.
        tol
            Stop as soon as the full-batch ``H − H_min ≤ tol`` (checked at recorded steps).
        record_every
            Evaluate the full loss every this many steps.
        progress
            Show a tqdm bar (only on a terminal).

        Raises
        ------
        StabilityError
            If an update or the recorded loss is not finite (``lr`` too large).
        """
        steps = check_int("steps", steps, 0)
        record_every = check_int("record_every", record_every)
        if batch_size is not None:
            batch_size = check_int("batch_size", batch_size, or_none=True)
        h_min = 0.0
        if tol is not None:
            tol = check_positive("tol", tol)
            h_min = float(getattr(loss, "h_min"))  # noqa: B009 - protocol attribute, clear error
        rng = np.random.default_rng(seed)
        q = _flat("q0", q0)
        state = self.init(q)
        rec_steps = [0]
        losses = [float(loss.value(q))]
        converged = tol is not None and losses[0] - h_min <= tol
        done = 0
        # progress=False keeps the bar off; True shows it on a terminal only
        with progress_bar(steps, "minimize", None if progress else False) as bar:
            while done < steps and not converged:
                g = loss.grad(q) if batch_size is None else loss.minibatch_grad(q, rng, batch_size)
                q, state = self.step(q, g, state)
                done += 1
                bar.update(1)
                if done % record_every == 0 or done == steps:
                    rec_steps.append(done)
                    with np.errstate(over="ignore", invalid="ignore"):
                        value = float(loss.value(q))
                    if not np.isfinite(value):
                        raise StabilityError(
                            f"loss diverged ({value}) at step {done} of {self!r}; reduce `lr`",
                            t=float(done),
                            step=done,
                        )
                    losses.append(value)
                    if tol is not None and losses[-1] - h_min <= tol:
                        converged = True
        return MinimizeResult(
            q, np.asarray(rec_steps, dtype=np.int64), np.asarray(losses), done, converged, state
        )


def _flat(name: str, v: Any) -> Array:
    x = np.asarray(v, dtype=float)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"`{name}` must be a flat non-empty float vector, got shape {x.shape}")
    check_finite_array(name, x)
    return x


def _grad(grad: Any, x: Array) -> Array:
    g = _flat("grad", grad)
    if g.shape != x.shape:
        raise ValueError(f"`grad` must have shape {x.shape} like `q`, got {g.shape}")
    return g
