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

__all__ = ["CheckResult", "ScenarioResult", "preflight", "provenance", "run_scenario"]


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
    max_memory: str | float | None = None,
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
    max_memory
        Memory limit of the pre-flight check (:func:`preflight`): bytes or a size such as
        ``"4GiB"``; default: ``QUANTGEO_MAX_MEMORY``, else the available memory.

    Raises
    ------
    ResourceError
        Before anything is built, when the run would exceed ``max_memory`` or the step,
        record or lattice-size limits (one line naming the file and the key to change).

    Returns
    -------
    ScenarioResult
        A failure inside the run (e.g. :class:`~quantgeo.errors.StabilityError`) is returned as
        ``error`` with every check failed, not raised.
    """
    from quantgeo.scenario.kinds import get_kind

    preflight(scenario, reference=reference, store_states=store_states, max_memory=max_memory)
    return get_kind(scenario.meta.kind).run(
        scenario,
        progress=progress,
        callbacks=callbacks,
        reference=reference,
        store_states=store_states,
    )


def _qutip_items(
    est: Any, scenario: Scenario, n: float, records: float, fix: str, key: str
) -> None:
    """QuTiP's share of a Schrödinger run: its operator (dense N² unless ``kinetic =
    "lattice"``; sparse CSR ≈ 28 B per stored entry) and its stored states and work vectors."""
    from quantgeo import _preflight as pf

    assert scenario.lattice is not None
    state = 16.0 * n
    h = scenario.hamiltonian
    dense = h is None or h.kinetic != "lattice"
    operator = 16.0 * n * n if dense else (2 * len(scenario.lattice.shape) + 1) * n * 28.0
    ref_fix = "set `[reference].qutip = false`" + (
        ' or `[hamiltonian].kinetic = "lattice"` (sparse)' if dense else ""
    )
    est.add("for QuTiP's Hamiltonian", operator, ref_fix, "[reference].qutip")
    est.add(
        f"for QuTiP's {pf.fmt_count(records)} stored states",
        records * (state + 1000.0) + 20 * state,
        fix,
        key,
    )


def preflight(
    scenario: Scenario,
    *,
    reference: bool | None = None,
    store_states: bool | None = None,
    max_memory: str | float | None = None,
) -> Any:
    """Estimate the run's size from the validated specs, before anything is built, and refuse
    it (:class:`~quantgeo.errors.ResourceError`, one line naming the file and key) above the
    limits of :mod:`quantgeo._preflight`; returns the :class:`~quantgeo._preflight.Estimate`.

    Counted: the lattice state and what the engine holds per site (the Hamiltonian's V and
    kinetic arrays, the step factors, the FFT work array: 14 states), the records of
    ``[record]`` (with the stored states when kept or compared), and QuTiP's operator (dense
    N² unless ``kinetic = "lattice"``), work vectors and stored states.
    """
    from quantgeo import _preflight as pf

    est = pf.Estimate()
    where = f"{scenario.file}: "
    if scenario.lattice is None:
        return est
    n = float(math.prod(scenario.lattice.shape))
    state = 16.0 * n
    fix_shape = "lower `[lattice].shape`"
    s = scenario.solver
    per_site = 14.0
    if s is not None and s.backend == "mpi":
        # each rank holds its piece of the working arrays, and V and ψ₀ whole (the caller's)
        from quantgeo.solvers.distributed import mpi_size

        per_site = 2.0 + 14.0 / mpi_size()
    est.add(
        f"for the {pf.fmt_count(n)}-site lattice", per_site * state, fix_shape, "[lattice].shape"
    )
    if scenario.meta.kind == "born_ensemble":
        _born_items(est, scenario, n)
        where_steps = f"{where}[born].dt: "
        pf.check_count(est.steps, pf.MAX_STEPS, "time steps", est.steps_fix, where_steps)
        pf.check_count(est.records, pf.MAX_RECORDS, "record times", est.records_fix, where)
    if scenario.meta.kind != "schrodinger" or s is None:
        pf.check_memory(est, max_memory, where)
        return est
    rec = scenario.record
    use_ref = scenario.reference.qutip if reference is None else bool(reference)
    keep = (rec.store_states if store_states is None else bool(store_states)) or use_ref
    if s.mode == "imaginary":
        est.steps, records = float(s.max_steps), 1.0
        est.steps_fix = "lower `[solver].max_steps` or raise `[solver].dt`"
        key = "[solver].max_steps"
    else:
        t0, t1 = s.t_start, s.t_end if s.t_end is not None else s.t_start
        est.steps, est.steps_fix = (t1 - t0) / s.dt, "raise `[solver].dt` or lower `[solver].t_end`"
        every = rec.every if rec.every is not None else (t1 - t0) / 100
        records = pf.record_count((t0, t1), times=rec.times, every=every)
        key = "[record].times" if rec.times is not None else "[record].every"
    fix = (
        f"raise `{key}`, shorten the run, lower `[lattice].shape` or set "
        "`[record].store_states = false`"
        if keep and not use_ref
        else f"raise `{key}` or shorten the run"
    )
    est.records, est.records_fix = records, fix
    est.extend(
        pf.record_items(
            records,
            len(rec.observables) + 2,
            state_bytes=state if keep else 0.0,
            value_bytes=16.0,
            fix=fix,
            key=key,
            budget=pf.states_budget(rec) if keep else None,  # beyond it states stream
        )
    )
    if use_ref:
        _qutip_items(est, scenario, n, records, fix, key)
    pf.check_count(est.steps, pf.MAX_STEPS, "time steps", est.steps_fix, where + "[solver].dt: ")
    pf.check_count(records, pf.MAX_RECORDS, "record times", fix, f"{where}{key}: ")
    pf.check_memory(est, max_memory, where)
    return est


def _born_items(est: Any, scenario: Scenario, n: float) -> None:
    """What a ``born_ensemble`` run adds per ensemble (one at a time): ψ and its drift at every
    ``psi_dt``, the walkers, the floor draws and the records (see
    :meth:`quantgeo.emergence.BornEnsemble.memory_estimate`)."""
    from quantgeo import _preflight as pf

    v = scenario.extra["born"]
    d = len(scenario.lattice.shape) if scenario.lattice is not None else 1
    span = abs(v["t_end"] - v["t_start"])
    psi_dt = v["psi_dt"] if v["psi_dt"] is not None else 10 * v["dt"]
    n_psi = span / psi_dt + 2
    est.steps = span / v["dt"]
    est.steps_fix = "raise `[born].dt` or lower `[born].t_end`"
    est.records = pf.record_count((v["t_start"], v["t_end"]), every=v["every"])
    est.records_fix = "raise `[born].every` or lower `[born].t_end`"
    est.add(
        f"for ψ and its drift at {pf.fmt_count(n_psi)} times",
        n_psi * (16.0 + 8.0 * d) * n,
        "raise `[born].psi_dt`",
        "[born].psi_dt",
    )
    walkers = v["walkers"]
    est.add(
        f"for {pf.fmt_count(walkers)} walkers",
        walkers * 8.0 * (2 * d + 2),
        "lower `[born].walkers`",
        "[born].walkers",
    )
    est.add(
        f"for {pf.fmt_count(v['floor_draws'])} floor draws of {pf.fmt_count(n)} cells",
        v["floor_draws"] * 16.0 * n,
        "lower `[born].floor_draws`",
        "[born].floor_draws",
    )
    est.extend(
        pf.record_items(
            est.records, 4, state_bytes=8.0 * n, fix=est.records_fix, key="[born].every"
        )
    )
