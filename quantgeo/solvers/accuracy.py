r"""A-posteriori accuracy of split-operator runs: step doubling and the phase-per-step check.

**Step-doubling (Richardson) estimate.**  A scheme of order p advances a segment of m steps of
size h with the error :math:`e_h = C\,m\,h^{p+1} + O(h^{p+2})` (C a vector fixed by ψ and H at
the segment).  Redoing the same segment from the same start state with 2m steps of h/2 gives
:math:`e_{h/2} = 2^{-p} e_h`, so

.. math::

    \psi_h - \psi_{h/2} = e_h\,(1 - 2^{-p}) \quad\Rightarrow\quad
    \|e_h\| \approx \frac{\|\psi_h - \psi_{h/2}\|}{1 - 2^{-p}} .

The run is unitary, so the local errors of its segments reach the final time undamped; adding
them up (coherently: the phase error of an energy shift grows linearly, which is the common
case) gives a first global estimate (refined below)

.. math::

    \varepsilon(t_1) \approx (t_1 - t_0)\,\frac{\sum_j \|e_j\|}{\sum_j m_j h_j},
    \qquad \varepsilon \le 2\,\|\psi_0\| ,

the rate per unit time sampled on ``samples`` segments spread evenly over the run (starting at
steps ⌊(j + ½)N/S⌋), saturated at the largest distance two states of norm ‖ψ₀‖ can have.  It
estimates ``Comparison.max_l2`` against the exact propagator of the same lattice Hamiltonian
(spatial discretisation is not part of it).

**Two lengths per sample.**  Part of a splitting error does not accumulate: the numerical flow
is, to leading order, a near-identity change of variables :math:`e^{X}`, X = O(h^p), of a flow
with a slightly shifted Hamiltonian.  The first part appears and vanishes with the state's
passage through a barrier or a wall (transient); only the second grows with t (secular).  Each
sample therefore measures the error e₁ after m steps and e₂ after 2m steps from the same start;
the growth e₂ − e₁ (scaled to the segment) is the secular part, extrapolated to the run as a
rate per unit time, and e₂ minus the growth is the bounded part, counted once (the largest over
the samples):

.. math::

    \varepsilon(t_1) \approx \max_j b_j + (t_1 - t_0)\,
    \frac{\sum_j g_j}{\sum_j 2 m_j h_j}, \quad g_j = 2\,(e_{2,j} - e_{1,j})_+, \quad
    b_j = e_{2,j} - g_j .

Measured against the exact propagator (tests/convergence/test_error_estimate.py): within a
factor 2.4 on harmonic traps, the two-site Rabi problem, the driven trap and a 2D trap; on
scattering runs the secular part hides under a larger transient and the estimate is good to a
factor ~5 (barrier ×4 over, double slit ×4 under).  With an absorbing layer the damped error is
over-estimated.

**Cost.**  Each sample advances 2m coarse steps (the run's own) and 4m half steps; m is chosen
so that the extra steps are :data:`COST_FRACTION` (5 %) of the run's N steps,
``m = max(MIN_SEGMENT, ⌊COST_FRACTION·N/(4S)⌋)`` for S samples.  Runs shorter than
``4·S·MIN_SEGMENT/COST_FRACTION`` (1280 for S = 4) steps take one sample per 100 steps and
pay up to 16 % (more below 100 steps: 16 extra steps), since a sample needs
:data:`MIN_SEGMENT` steps per length to tell a transient error from a growing one.

**Aliasing.**  A factor :math:`e^{-i\phi}` with a phase φ > π cannot be told from φ − 2π:
the splitting then evolves the state with a wrong energy, whatever the norm says.  The phases
checked at run start are the spread of V, :math:`w_V(\max V - \min V)\,h/\hbar` (a constant
offset is a global phase, the same for the exact propagator), over the sites that carry the
initial state, and :math:`w_K\,ε(k)\,h/\hbar` over the Fourier modes that carry it: all but a
weight ``(error_tol/20)²`` (:data:`SPECTRAL_TAIL` by default), whose amplitude, even aliased,
moves ψ by at most ``error_tol/10``; emptier sites and modes alias harmlessly.  The weights are
:math:`w = \min(1, \text{the scheme's largest factor weight})`
(:attr:`~quantgeo.solvers.schemes.SplittingScheme.phase_weights`): a warning needs both the
step's phase and its largest factor's above π.  (Measured: Yoshida-4, factor weights 1.35 and
1.70, keeps its order at a factor phase of 3.2 with the step's below π; Blanes–Moan S10,
0.73 and 0.43, reaches 3e-7 with the step's phase above π and its factors' below.)  With V constant
on the state the split is exact and only the V phase is checked.  A state that later reaches
new sites or modes is not re-checked; the step-doubling estimate covers it.
"""

from __future__ import annotations

import math
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from quantgeo.errors import QuantgeoWarning
from quantgeo.hamiltonian import Hamiltonian

__all__ = [
    "COST_FRACTION",
    "SPECTRAL_TAIL",
    "StepDoubling",
    "check_phase_per_step",
    "suggested_dt",
]

CArray = NDArray[np.complex128]

#: Redone steps of the step-doubling estimate, as a fraction of the run's steps.
COST_FRACTION = 0.05
#: Fewest steps of each of the two lengths of a sampled segment (short runs pay more).
MIN_SEGMENT = 4
#: Weight of the initial state left out of the phase checks by default: (10⁻¹/20)², the weight
#: whose amplitude, even if entirely wrong, moves ψ by at most a tenth of the default
#: ``error_tol`` = 0.1 (the solver passes ``(error_tol/20)²``).
SPECTRAL_TAIL = 2.5e-5
#: Name of the estimator in ``Trajectory.info["error_estimate_method"]``.
METHOD = "step doubling (Richardson) on sampled segments"


def suggested_dt(dt: float, estimate: float, tol: float, order: int) -> float:
    r"""The step meeting ``tol``: :math:`dt\,(\mathrm{tol}/\varepsilon)^{1/p}` (error ∝ dt^p)."""
    if not (estimate > 0 and math.isfinite(estimate)):
        return dt
    return float(dt * (tol / estimate) ** (1.0 / order))


class StepDoubling:
    """Advance a state and, on ``samples`` segments spread over the run, redo the segment with
    half steps from the same start to estimate the splitting error (module docstring).

    Parameters
    ----------
    advance
        ``advance(psi, t, h, n)``: n steps of size h from time t, in place.
    order
        Order p of the scheme.
    total_steps
        Steps of the run (N).
    samples
        Segments S to sample (0: no estimate).
    cell_volume
        ΔV of the lattice (the L2 norm is :math:`\\sqrt{\\sum|\\psi|^2 \\Delta V}`).
    """

    def __init__(
        self,
        advance: Callable[[CArray, float, float, int], None],
        order: int,
        total_steps: int,
        samples: int,
        cell_volume: float,
    ) -> None:
        self._advance, self.order, self.dv = advance, order, cell_volume
        # short runs (N < 4·S·MIN_SEGMENT/COST_FRACTION): one sample per 100 steps, so that the
        # cost stays ≤ 16 % from 100 steps on (a sample needs MIN_SEGMENT steps to tell a
        # transient error from a growing one)
        samples = min(samples, max(1, total_steps // 100)) if total_steps else 0
        self.length = (
            max(MIN_SEGMENT, int(COST_FRACTION * total_steps / (4 * samples))) if samples else 0
        )
        # segment j starts at step ⌊(j + ½)N/S⌋, clipped so that segments do not overlap
        starts = [int((j + 0.5) * total_steps / samples) for j in range(samples)]
        self._starts = sorted({min(s, total_steps - 1) for s in starts})
        self._next = 0
        self.step = 0
        self.errors: list[tuple[float, float]] = []
        self.spans: list[tuple[float, float]] = []
        self.extra_steps = 0

    def advance(self, psi: CArray, t: float, h: float, n: int) -> None:
        """n steps of h from t, sampling the segments that start inside them."""
        end = self.step + n
        while n > 0:
            start = self._starts[self._next] if self._next < len(self._starts) else end
            if start >= end:
                self._advance(psi, t, h, n)
                self.step += n
                return
            if start > self.step:
                k = start - self.step
                self._advance(psi, t, h, k)
                t, n, self.step = t + k * h, n - k, start
            m = min(self.length, n)
            fine = psi.copy()
            self._advance(psi, t, h, m)
            self._advance(fine, t, 0.5 * h, 2 * m)
            e1 = self._distance(psi, fine)
            m2 = min(m, n - m)
            e2 = e1
            if m2 > 0:
                self._advance(psi, t + m * h, h, m2)
                self._advance(fine, t + m * h, 0.5 * h, 2 * m2)
                e2 = self._distance(psi, fine)
            self.errors.append((e1, e2))
            self.spans.append((m * h, m2 * h))
            self.extra_steps += 2 * (m + m2)
            self._next += 1
            t, n, self.step = t + (m + m2) * h, n - m - m2, self.step + m + m2

    def _distance(self, a: CArray, b: CArray) -> float:
        """‖a − b‖ / (1 − 2^−p): the coarse run's error (lattice L2 norm)."""
        d = float(np.vdot(a - b, a - b).real) * self.dv
        return math.sqrt(d) / (1.0 - 2.0 ** (-self.order))

    def estimate(self, duration: float, norm0: float) -> tuple[float, float]:
        """``(saturated, raw)`` estimates of ‖ψ(t₁) − ψ_exact(t₁)‖ over ``duration``;
        ``norm0`` is ‖ψ₀‖² (the saturation is 2‖ψ₀‖).  NaN without samples."""
        if not self.errors:
            return math.nan, math.nan
        bounded, rate, span = 0.0, 0.0, 0.0
        for (e1, e2), (s1, s2) in zip(self.errors, self.spans, strict=True):
            if s2 <= 0:  # one length only: all of it counted as growth
                rate, span = rate + e1, span + s1
                continue
            growth = max(e2 - e1, 0.0) * (s1 + s2) / s2  # the growth over the whole segment
            rate, span = rate + growth, span + s1 + s2
            bounded = max(bounded, e2 - growth)
        raw = bounded + duration * rate / span if span > 0 else bounded
        return min(raw, 2.0 * math.sqrt(norm0)), raw

    def info(self, duration: float, norm0: float, total_steps: int) -> dict[str, Any]:
        """The ``Trajectory.info`` entries of the estimate."""
        est, raw = self.estimate(duration, norm0)
        return {
            "error_estimate": est,
            "error_estimate_raw": raw,
            "error_estimate_method": METHOD if self.errors else "none (error_samples = 0)",
            "error_estimate_samples": len(self.errors),
            "error_estimate_cost": self.extra_steps / max(total_steps, 1),
        }


def _support(weight: NDArray[np.float64], tail: float) -> NDArray[np.bool_]:
    """Mask of the entries of ``weight`` above a threshold leaving out at most ``tail`` of its
    sum (empty when the sum is 0).  The threshold is a power of ten below the peak, found in
    O(n) from the weight per decade (a sort would cost more than the run on short runs); the
    mask is therefore a superset of the exact support — conservative."""
    total = float(np.sum(weight))
    if not total > 0:
        return np.zeros(weight.shape, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        decade = np.floor(-np.log10(weight / np.max(weight)))
    if not math.isfinite(total):  # an infinite weight: inf/inf is NaN (a finite sum has none)
        decade = np.nan_to_num(decade, posinf=_DECADES)
    # the clip also takes the +inf decade of a zero weight to the last
    decade = np.clip(decade, 0, _DECADES).astype(np.intp)
    per_decade = np.bincount(decade, weights=weight, minlength=_DECADES + 1)
    below = np.cumsum(per_decade[::-1])[::-1]  # below[k]: weight in decades ≥ k
    ok = np.nonzero(below <= tail * total)[0]
    cut = int(ok[0]) if ok.size else _DECADES + 1
    return np.asarray(decade < cut)


#: Decades below the peak that the support threshold resolves.
_DECADES = 40


def check_phase_per_step(
    ham: Hamiltonian,
    psi: CArray,
    dt: float,
    t: float = 0.0,
    *,
    tail: float = SPECTRAL_TAIL,
    stacklevel: int = 3,
    weights: tuple[float, float] = (1.0, 1.0),
) -> dict[str, float]:
    r"""Warn (:class:`~quantgeo.errors.QuantgeoWarning`) when a factor's phase exceeds π.

    Returns ``{"phase_v": w_V·(max V − min V)·dt/ħ, "phase_t": w_K·max ε(k)·dt/ħ}``, V over the
    sites and ε over the modes carrying all but ``tail`` of ``psi``'s weight, ``weights =
    (w_V, w_K)`` the scheme's :attr:`~quantgeo.solvers.schemes.SplittingScheme.phase_weights`
    (Strang's by default); the kinetic phase is 0 when V is constant there (module docstring).
    """
    wv, wk = weights
    measures = _PhaseMeasures.of(ham, psi, t, tail)
    spread = measures.spread(ham)
    phase_v = wv * spread * dt / ham.hbar if spread is not None else 0.0
    # with V constant on the state the kinetic factor is exact: high phases are harmless (and
    # the spectrum of ψ is not needed)
    phase_t = 0.0
    if phase_v > 0:
        phase_t = wk * measures.top(ham) * dt / ham.hbar
    warn_phases(phase_v, phase_t, dt, stacklevel + 1)
    return {"phase_v": phase_v, "phase_t": phase_t}


#: States of at most this many sites keep their phase measures for reuse (a copy of the
#: state is kept to recognise it; above this the check costs little beside the run).
REUSE_MAX_SITES = 1 << 16
#: Initial states remembered per Hamiltonian (a run repeated with another dt or scheme).
_REUSE_STATES = 4


def clear_phase_measures() -> None:
    """Forget the phase measures kept for reuse (the next check of every state measures)."""
    with _PhaseMeasures._lock:
        _PhaseMeasures._kept.clear()


class _PhaseMeasures:
    """The dt-independent parts of :func:`check_phase_per_step` for one (H, ψ, t, tail): the
    spread of V over the state's sites and the largest ε(k) over its modes, each computed on
    first use.  Kept per Hamiltonian (weakly: an entry holds no reference to its
    Hamiltonian, which is passed to :meth:`spread` and :meth:`top`, so a Hamiltonian no longer
    used elsewhere is collected with its entries) for small states, so that runs repeated from
    the same initial state (another dt, scheme or solver; a parameter sweep) do not redo
    them; a kept entry is used only for a state equal to its copy element for element."""

    _kept: ClassVar[weakref.WeakKeyDictionary[Hamiltonian, list[_PhaseMeasures]]] = (
        weakref.WeakKeyDictionary()
    )
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, psi: CArray, t: float, tail: float) -> None:
        self.psi, self.t, self.tail = psi, t, tail
        self._spread: tuple[float | None] | None = None
        self._top: float | None = None

    @classmethod
    def of(cls, ham: Hamiltonian, psi: CArray, t: float, tail: float) -> _PhaseMeasures:
        if psi.size > REUSE_MAX_SITES:
            return cls(psi, t, tail)
        with cls._lock:
            kept = cls._kept.setdefault(ham, [])
            for m in kept:
                if m.t == t and m.tail == tail and np.array_equal(m.psi, psi):
                    return m
            m = cls(np.array(psi, dtype=np.complex128), t, tail)
            kept.insert(0, m)
            del kept[_REUSE_STATES:]
            return m

    def spread(self, ham: Hamiltonian) -> float | None:
        """``max V − min V`` over the sites carrying all but ``tail`` of ψ (None: none);
        ``ham``: the Hamiltonian this entry is kept under."""
        if self._spread is None:
            v = ham.potential_values(self.t).ravel()
            sites = _support(np.abs(self.psi).ravel() ** 2, self.tail)
            self._spread = (float(np.ptp(v[sites])) if sites.any() else None,)
        return self._spread[0]

    def top(self, ham: Hamiltonian) -> float:
        """The largest ε(k) over the modes carrying all but ``tail`` of ψ (0: none); ``ham``
        as in :meth:`spread`."""
        if self._top is None:
            eps = ham.dispersion().ravel()
            modes = _support(np.abs(np.fft.fftn(self.psi)).ravel() ** 2, self.tail)
            self._top = float(np.max(eps[modes])) if modes.any() else 0.0
        return self._top


def warn_phases(phase_v: float, phase_t: float, dt: float, stacklevel: int = 3) -> None:
    """The warnings of :func:`check_phase_per_step` for phases already measured (the MPI
    backend measures them with reductions over the ranks); ``stacklevel`` as in
    ``warnings.warn`` called here."""
    for what, phase in (("(max V − min V)·dt/ħ", phase_v), ("max ε(k)·dt/ħ", phase_t)):
        if phase > math.pi:
            warnings.warn(
                f"split-operator: the phase per step {what} = {phase:.3g} exceeds π with "
                f"dt = {dt:g} (of the scheme's largest factor), so it aliases (the state "
                f"evolves with a wrong energy); use "
                f"dt < {dt * math.pi / phase:.3g}",
                QuantgeoWarning,
                stacklevel=stacklevel,
            )
