r"""The run contract of every engine and the fixed-step run template.

Every engine has ``run(state0, t_span, *, recorder=None) -> Trajectory`` (:class:`Engine`).
The fixed-step engines (split-operator, imaginary time, Langevin and Born ensembles,
Fokker–Planck) share one loop, :func:`run_plan`:

1. **step plan** (:func:`plan_run`): the recorder's times over ``t_span = (t0, t1)`` — they may
   start after ``t0`` — and, for each interval from the previous record time (or ``t0``) to the
   next, the fewest equal steps :math:`h = \Delta t / n \le dt`.  Records therefore land exactly
   on the requested times;
2. **chunks**: each interval is advanced ``chunk`` steps at a time by the engine's
   :class:`Stepper` (its kernels);
3. **check**: at every chunk boundary the :class:`Tracker` objects see the state — progress bars
   (:class:`ProgressTracker`), stability checks (:class:`FiniteCheck`, the engines' own), a
   steady-state stop (raising :class:`FinishedRun`) — as py-pde's trackers do;
4. **snapshot**: at the interval's end the stepper's snapshot is recorded;
5. **info**: :func:`run_info` starts every ``Trajectory.info`` with the same keys,
   :data:`COMMON_INFO_KEYS`.

The adaptive engines (:class:`~quantgeo.emergence.MadelungLattice`, QuTiP) keep their own
step control but use the same recorder semantics, trackers, errors and info keys.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from quantgeo._interrupt import pause_at
from quantgeo._progress import progress_bar, progress_enabled
from quantgeo._validation import check_span
from quantgeo.errors import StabilityError
from quantgeo.recording import Recorder, Trajectory

__all__ = [
    "COMMON_INFO_KEYS",
    "Engine",
    "FinishedRun",
    "FiniteCheck",
    "Interval",
    "Plan",
    "ProgressTracker",
    "RunStats",
    "Stepper",
    "Tracker",
    "plan_run",
    "run_info",
    "run_plan",
    "step_plan",
]

#: Keys every engine's ``Trajectory.info`` has: the engine's name, the steps taken (fixed steps,
#: or accepted adaptive steps), the seconds spent compiling kernels before the run and the
#: seconds spent running (compilation excluded).
COMMON_INFO_KEYS: tuple[str, ...] = ("engine", "steps", "compile_time", "run_time")

# An interval shorter than this (relative to the time) is empty: no step, only a record.
_EMPTY_RTOL = 1e-13


@runtime_checkable
class Engine(Protocol):
    """What every engine is: ``run(state0, t_span, *, recorder=None) -> Trajectory``.

    ``recorder`` (:class:`~quantgeo.recording.Recorder`) says what to save and when; its times
    lie in ``t_span`` and may start after ``t0``.  ``Trajectory.times`` equals the requested
    times and ``Trajectory.info`` holds at least :data:`COMMON_INFO_KEYS`.
    """

    def run(
        self, state0: Any, t_span: tuple[float, float], *, recorder: Recorder | None = None
    ) -> Trajectory:
        """Evolve ``state0`` over ``t_span`` and return what ``recorder`` asked for."""
        ...


@dataclass(frozen=True)
class Interval:
    """``steps`` equal steps of size ``h`` from ``t_start`` to the record time ``t_end``."""

    t_start: float
    t_end: float
    steps: int
    h: float


@dataclass(frozen=True)
class Plan:
    """Record times over ``(t0, t1)`` and the :class:`Interval` leading to each of them."""

    t0: float
    t1: float
    intervals: tuple[Interval, ...]

    @property
    def times(self) -> NDArray[np.float64]:
        """Record times, shape ``(n_t,)``."""
        return np.array([iv.t_end for iv in self.intervals], dtype=float)

    @property
    def total_steps(self) -> int:
        """Steps over the whole plan."""
        return sum(iv.steps for iv in self.intervals)


def step_plan(times: Sequence[float] | NDArray[np.float64], t0: float, dt: float) -> Plan:
    """Intervals from ``t0`` through the increasing record ``times`` (all ≥ ``t0``) with steps
    ``h = Δt/n ≤ dt``, ``n = ⌈Δt/dt⌉`` (``n = 0`` for an empty interval: a record only).

    Equal intervals differ in their last bits; consecutive step sizes equal to 1e-12 share one
    value, so an engine keeps one set of step-size dependent factors (the time is reset to each
    record time, so nothing accumulates).
    """
    out = []
    t_prev, h_prev = float(t0), 0.0
    for tr in times:
        t_end = float(tr)
        interval = t_end - t_prev
        if interval < -_EMPTY_RTOL * max(1.0, abs(t_prev)):
            raise ValueError(
                f"record times must be increasing and ≥ t_span[0] = {t0:g}, got {t_end:g} "
                f"after {t_prev:g}"
            )
        n = (
            0
            if interval <= _EMPTY_RTOL * max(1.0, abs(t_prev))
            else max(1, math.ceil(interval / dt - 1e-9))
        )
        h = interval / n if n else 0.0
        if n and h_prev and abs(h - h_prev) <= 1e-12 * h_prev:
            h = h_prev
        out.append(Interval(t_prev, t_end, n, h))
        t_prev, h_prev = t_end, h or h_prev
    return Plan(float(t0), float(times[-1]) if len(times) else float(t0), tuple(out))


def plan_run(t_span: Any, recorder: Recorder, dt: float) -> Plan:
    """Validate ``t_span``, take the record times of ``recorder`` over it and plan the steps."""
    t0, t1 = check_span(t_span)
    plan = step_plan(recorder.schedule((t0, t1)), t0, dt)
    return Plan(t0, t1, plan.intervals)


class Tracker:
    """Something that watches a run at chunk boundaries (progress, checks, stopping rules).

    Subclasses override any of the three hooks.  ``handle`` may raise
    :class:`~quantgeo.errors.StabilityError` (the run stops with it) or :class:`FinishedRun`
    (the run ends there and the state is recorded).
    """

    def start(self, state: Any, plan: Plan) -> None:
        """Called once before the first step with the initial state."""

    def handle(self, state: Any, t: float, step: int, h: float) -> None:
        """Called after every chunk: ``state`` at time ``t`` after ``step`` steps in all."""

    def finish(self) -> None:
        """Called once when the run ends, normally or not."""


class FinishedRun(Exception):
    """Raised by a tracker to end a run early (a steady state is reached)."""


class ProgressTracker(Tracker):
    """A tqdm bar over steps (``unit="step"``) or simulated time (``unit="t"``).

    ``progress``: ``None`` shows it when stderr is a terminal, ``True``/``False`` force it
    (:func:`quantgeo._progress.progress_enabled`).
    """

    def __init__(self, desc: str, progress: bool | None, unit: str = "step") -> None:
        self.desc, self.progress, self.unit = desc, progress, unit
        self._bar: Any = None
        self._last = 0.0

    def start(self, state: Any, plan: Plan) -> None:
        total = plan.total_steps if self.unit == "step" else plan.t1 - plan.t0
        self._last = 0.0 if self.unit == "step" else plan.t0
        # no bar object at all when it would be disabled (a tqdm costs ~0.1 ms to build)
        enabled = progress_enabled(self.progress)
        self._bar = progress_bar(total, self.desc, True, unit=self.unit) if enabled else None

    def handle(self, state: Any, t: float, step: int, h: float) -> None:
        now = float(step) if self.unit == "step" else t
        if self._bar is not None:
            self._bar.update(now - self._last)
        self._last = now

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class FiniteCheck(Tracker):
    """Raise :class:`~quantgeo.errors.StabilityError` when the state has a non-finite entry.

    The message reads ``non-finite <what> at t = … (step …, dt = …); <fix>``.
    """

    def __init__(self, what: str, fix: str) -> None:
        self.what, self.fix = what, fix

    def handle(self, state: Any, t: float, step: int, h: float) -> None:
        if not np.all(np.isfinite(state)):
            raise StabilityError(
                f"non-finite {self.what} at t = {t:.6g} (step {step}, dt = {h:.3g}); {self.fix}",
                t=t,
                step=step,
            )


class Stepper(Protocol):
    """The engine-specific half of a fixed-step run."""

    @property
    def state(self) -> Any:
        """The live state the trackers look at."""
        ...

    def advance(self, t: float, h: float, n: int) -> None:
        """Take ``n`` steps of size ``h`` from time ``t`` (in place)."""
        ...

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        """``(state, stored)`` for :meth:`Recorder.record` at the record time ``t``; ``stored``
        is the copy kept in ``Trajectory.states`` (only needed when ``store``)."""
        ...


@dataclass(frozen=True)
class RunStats:
    """Outcome of :func:`run_plan`: ``steps`` taken, time ``t`` reached, ``run_time`` (s) and
    whether a tracker ended the run early (``finished``)."""

    steps: int
    t: float
    run_time: float
    finished: bool


def run_plan(
    stepper: Stepper,
    plan: Plan,
    recorder: Recorder,
    *,
    chunk: int,
    trackers: Sequence[Tracker] = (),
) -> RunStats:
    """Advance ``stepper`` along ``plan``, ``chunk`` steps at a time, calling ``trackers`` at
    every chunk boundary and recording at every record time.

    ``recorder.begin`` must have been called (the engine resolves its observables).  When a
    tracker raises :class:`FinishedRun` the state is recorded at the time reached and the run
    ends; the later record times are dropped.
    """
    start = time.perf_counter()
    for tr in trackers:
        tr.start(stepper.state, plan)
    t, step, finished = plan.t0, 0, False
    try:
        for iv in plan.intervals:
            done = 0
            while done < iv.steps:
                n = min(chunk, iv.steps - done)
                stepper.advance(t, iv.h, n)
                pause_at("solver")  # test hook (quantgeo._interrupt), inert unless set
                done += n
                step += n
                t = iv.t_end if done == iv.steps else iv.t_start + done * iv.h
                try:
                    for tr in trackers:
                        tr.handle(stepper.state, t, step, iv.h)
                except FinishedRun:
                    finished = True
                    break
            if finished:
                break
            state, stored = stepper.snapshot(iv.t_end, recorder.store_states)
            recorder.record(iv.t_end, state, stored=stored)
        if finished:
            state, stored = stepper.snapshot(t, recorder.store_states)
            recorder.record(t, state, stored=stored)
    finally:
        for tr in trackers:
            tr.finish()
    return RunStats(step, t, time.perf_counter() - start, finished)


def run_info(
    engine: str, *, steps: int, run_time: float, compile_time: float = 0.0, **extra: Any
) -> dict[str, Any]:
    """``Trajectory.info`` starting with :data:`COMMON_INFO_KEYS`, then the engine's ``extra``."""
    return {
        "engine": engine,
        "steps": int(steps),
        "compile_time": float(compile_time),
        "run_time": float(run_time),
        **extra,
    }
