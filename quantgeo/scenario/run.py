"""Running: :func:`run_scenario` (each kind's engine), :class:`ScenarioResult` and the one
:func:`provenance` every machine-readable output records."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quantgeo._io import jsonable
from quantgeo.recording import Trajectory
from quantgeo.scenario.specs import Scenario

__all__ = ["CheckResult", "ScenarioResult", "provenance", "run_scenario"]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one expectation: ``value ≤ tolerance`` (or ``≥`` for ``bound="min"``); NaN
    never passes."""

    name: str
    value: float
    tolerance: float
    unit: str = "—"
    detail: str = ""
    #: ``"max"``: pass if value ≤ tolerance; ``"min"``: pass if value ≥ tolerance.
    bound: str = "max"

    @property
    def passed(self) -> bool:
        """Whether the measured value is within tolerance."""
        if not math.isfinite(self.value):
            return False
        if self.bound == "min":
            return bool(self.value >= self.tolerance)
        return bool(self.value <= self.tolerance)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "value": self.value if math.isfinite(self.value) else str(self.value),
            "tolerance": self.tolerance,
            "bound": self.bound,
            "unit": self.unit,
            "passed": self.passed,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ScenarioResult:
    """What :func:`run_scenario` returns.

    Attributes
    ----------
    trajectory
        The engine's trajectory (``None`` when the run failed).
    reference
        The QuTiP trajectory when ``[reference].qutip``.
    comparison
        ``compare(trajectory, reference)`` when both exist.
    checks
        Every expectation's :class:`CheckResult`.
    timings
        Seconds: ``build``, ``compile`` (Numba, separately from ``run``), ``run``,
        ``reference``, ``checks``, ``total``.
    error
        Message of a failure that stopped the run (e.g. a StabilityError), else ``""``.
    """

    scenario: Scenario
    trajectory: Trajectory | None
    reference: Trajectory | None
    comparison: Any
    checks: tuple[CheckResult, ...]
    timings: Mapping[str, float]
    info: Mapping[str, Any] = field(default_factory=dict)
    error: str = ""

    @property
    def passed(self) -> bool:
        """All checks passed and the run finished."""
        return not self.error and bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no arrays)."""
        sc = self.scenario
        return {
            "scenario": sc.name,
            "file": sc.file,
            "kind": sc.meta.kind,
            "description": sc.meta.description,
            "fast": sc.fast,
            "passed": self.passed,
            "error": self.error,
            "checks": [c.to_dict() for c in self.checks],
            "timings": dict(self.timings),
            "info": jsonable(dict(self.info)),
            "comparison": None if self.comparison is None else self.comparison.summary(),
        }


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for dist in ("quantgeo", "numba", "rocket-fft", "qutip", "numpy", "scipy", "matplotlib"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def provenance(
    *, backend: str | None = None, workers: int | None = None, seed: int | None = None
) -> dict[str, Any]:
    """Versions, platform, backend, thread counts and seed for a report."""
    threads: dict[str, Any] = {"cpu_count": os.cpu_count(), "fft_workers": workers}
    try:
        import numba

        threads["numba_threads"] = int(numba.get_num_threads())
    except Exception:  # pragma: no cover - numba is a dependency; keep reports robust
        threads["numba_threads"] = None
    return {
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "backend": backend,
        "threads": threads,
        "seed": seed,
    }


def run_scenario(
    scenario: Scenario,
    *,
    progress: bool = False,
    callbacks: Sequence[Callable[[float, Any], None]] = (),
    reference: bool | None = None,
    store_states: bool | None = None,
) -> ScenarioResult:
    """Run a scenario with its kind's engine and evaluate every expectation.

    Parameters
    ----------
    scenario
        From :func:`~quantgeo.scenario.load_scenario`.
    progress
        tqdm progress bars.
    callbacks
        Extra ``cb(t, state)`` called at every record time (e.g. animation frames; Schrödinger
        kind).
    reference
        Run the QuTiP baseline (default: ``[reference].qutip``; Schrödinger kind).
    store_states
        Keep the recorded states (default: ``[record].store_states``; forced on for a
        reference comparison; Schrödinger kind).

    Returns
    -------
    ScenarioResult
        A failure inside the run (e.g. :class:`~quantgeo.errors.StabilityError`) is returned as
        ``error`` with every check failed, not raised.
    """
    from quantgeo.scenario.kinds import get_kind

    return get_kind(scenario.meta.kind).run(
        scenario,
        progress=progress,
        callbacks=callbacks,
        reference=reference,
        store_states=store_states,
    )
