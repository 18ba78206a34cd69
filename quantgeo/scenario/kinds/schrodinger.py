"""The ``schrodinger`` kind: the split-operator solver on the lattice Schrödinger equation
(real or imaginary time), optionally against QuTiP, with closed-form checks."""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.errors import QuantgeoWarning, ScenarioError, StabilityError
from quantgeo.hamiltonian import MAX_DENSE_SITES
from quantgeo.recording import Recorder, Trajectory
from quantgeo.scenario.build import Built, build_system, dry_build
from quantgeo.scenario.checker import Checker, ok
from quantgeo.scenario.checks import (
    ANALYTIC_CHECKS,
    CheckDef,
    Probe,
    check_requirements,
    validate_checks,
)
from quantgeo.scenario.kinds import Context, Kind
from quantgeo.scenario.run import CheckResult, ScenarioResult
from quantgeo.scenario.schema import (
    ABSORBER_KEYS,
    BAD,
    EXPECT_KEYS,
    RECORD_KEYS,
    REFERENCE_KEYS,
    SOLVER_KEYS,
    TIME_DEPENDENT_POTENTIALS,
)
from quantgeo.scenario.specs import (
    CheckSpec,
    ExpectSpec,
    RecordSpec,
    ReferenceSpec,
    Scenario,
    SolverSpec,
)
from quantgeo.scenario.system import animation_spec, system_specs
from quantgeo.solvers.imaginary import ImaginaryTimeSolver
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.solvers.split_operator import AbsorbingBoundary, SplitOperatorSolver

__all__ = ["KIND"]

FArray = NDArray[np.float64]


# =============================================================================================
# Validation
# =============================================================================================
def _validate(doc: dict[str, Any], ck: Checker, ctx: Context) -> Scenario | None:
    """``[solver]``, ``[record]``, ``[reference]``, ``[expect]`` and the cross-table checks."""
    common = ctx.system
    ndim = common["ndim"]
    time_dependent = [t for _, t, _ in common["potentials"] if t in TIME_DEPENDENT_POTENTIALS]
    sol, absorber = _solver(doc, ck, common, time_dependent)
    mode = sol["mode"]
    rec = _record(doc, ck, sol, ndim)
    ref = _reference(doc, ck, mode, absorber, common)
    expect_raw = doc.get("expect", {})
    exp = ck.table(expect_raw, "expect", EXPECT_KEYS, ndim, extra=("analytic",))
    _expect(ck, exp, mode, ref, time_dependent)
    checks = validate_checks(ck, expect_raw, ndim)
    if (
        isinstance(expect_raw, dict)
        and expect_raw.get("analytic", []) == []
        and all(exp[k.name] in (None, BAD) for k in EXPECT_KEYS)
    ):
        ck.add(
            "expect",
            None,
            "no expectation given: set at least one tolerance or [[expect.analytic]] check",
        )
    draft = {**common, "solver": sol, "absorber": absorber, "record": rec}
    for label, cdef, vals in checks:
        check_requirements(ck, label, cdef, vals, draft)
    if ck.problems:
        return None
    sc = _freeze(ctx, draft, ref, exp, checks)
    dry_build(sc, ck)
    return None if ck.problems else sc


def _solver(
    doc: dict[str, Any], ck: Checker, common: dict[str, Any], time_dependent: list[str]
) -> tuple[dict[str, Any], Any]:
    ndim, lat = common["ndim"], common["lattice"]
    sol_raw = doc.get("solver", {})
    sol = ck.table(sol_raw, "solver", SOLVER_KEYS, ndim, extra=("absorber",))
    absorber: Any = None
    if isinstance(sol_raw, dict) and "absorber" in sol_raw:
        ab = ck.table(sol_raw["absorber"], "solver.absorber", ABSORBER_KEYS, ndim)
        absorber = ab if ok(*ab.values()) else BAD
    mode = sol["mode"]
    if mode == "real":
        if sol["t_end"] is None:
            ck.add("solver", "t_end", "missing required key (end time) for mode = 'real'")
            sol["t_end"] = BAD
        elif ok(sol["t_end"], sol["t_start"]) and sol["t_end"] <= sol["t_start"]:
            ck.add("solver", "t_end", f"must be > t_start = {sol['t_start']}, got {sol['t_end']}")
            sol["t_end"] = BAD
    elif mode == "imaginary":
        if isinstance(sol_raw, dict) and "t_end" in sol_raw:
            ck.add("solver", "t_end", "not used with mode = 'imaginary' (the run stops at `tol`)")
        if absorber not in (None, BAD):
            ck.add("solver.absorber", None, "not allowed with mode = 'imaginary'")
        if time_dependent:
            ck.add(
                "solver",
                "mode",
                "imaginary time needs a static potential "
                f"(a {time_dependent[0]} is time dependent)",
            )
        if sol["backend"] == "mpi":
            ck.add("solver", "backend", "'mpi' runs real time only (mode = 'real')")
    if absorber not in (None, BAD):
        _absorber(ck, sol, absorber, lat, ndim)
    _solver_warnings(ck, sol, sol_raw)
    return sol, absorber


def _solver_warnings(ck: Checker, sol: dict[str, Any], sol_raw: Any) -> None:
    """Accepted but questionable ``[solver]`` values."""
    mode, given = sol["mode"], sol_raw if isinstance(sol_raw, dict) else {}
    if mode == "real" and ok(sol["dt"], sol["t_start"], sol["t_end"]):
        span = sol["t_end"] - sol["t_start"]
        if sol["dt"] >= span:
            ck.warn(
                "solver",
                "dt",
                f"{sol['dt']:g} ≥ the run span t_end − t_start = {span:g}: the whole run is one "
                "step; lower `dt`",
            )
    if mode == "real":
        for key in ("tol", "max_steps", "residual_tol"):
            if key in given:
                ck.warn("solver", key, "has no effect with mode = 'real' (imaginary time only)")
    cores = os.cpu_count() or 1
    if isinstance(sol["workers"], int) and sol["workers"] > cores:
        ck.warn(
            "solver",
            "workers",
            f"{sol['workers']} threads on a machine with {cores} cores: oversubscribed, slower",
        )


def _absorber(
    ck: Checker, sol: dict[str, Any], absorber: dict[str, Any], lat: dict[str, Any], ndim: Any
) -> None:
    if ok(sol["scheme"]) and not SCHEMES[sol["scheme"]].positive:
        ck.add(
            "solver",
            "scheme",
            f"{sol['scheme']!r} has negative sub-steps, which amplify instead of absorb in the "
            "absorbing layer; use 'strang' with [solver.absorber]",
        )
    if lat["bounds"] is not BAD and ndim is not None and absorber["width"] is not BAD:
        widths = (
            absorber["width"]
            if isinstance(absorber["width"], tuple)
            else (absorber["width"],) * ndim
        )
        for i, (w, (lo, hi)) in enumerate(zip(widths, lat["bounds"], strict=False)):
            if 2 * w >= hi - lo:
                ck.add(
                    "solver.absorber",
                    "width",
                    f"layers of width {w} leave no interior on axis {i} (box length {hi - lo})",
                )


def _record(
    doc: dict[str, Any], ck: Checker, sol: dict[str, Any], ndim: int | None
) -> dict[str, Any]:
    rec = ck.table(doc.get("record", {}), "record", RECORD_KEYS, ndim)
    if rec["every"] not in (None, BAD) and rec["times"] not in (None, BAD):
        ck.add("record", "times", "give `every` or `times`, not both")
    if rec["times"] not in (None, BAD):
        t = np.asarray(rec["times"])
        if np.any(np.diff(t) <= 0):
            ck.add("record", "times", "must be strictly increasing")
        elif (
            ok(sol["t_start"], sol["t_end"])
            and sol["t_end"] is not None
            and (t[0] < sol["t_start"] or t[-1] > sol["t_end"])
        ):
            ck.add(
                "record",
                "times",
                f"must lie in [t_start, t_end] = [{sol['t_start']}, {sol['t_end']}]",
            )
    if sol["mode"] == "imaginary" and isinstance(doc.get("record"), dict):
        for key in ("every", "times"):
            if key in doc["record"]:
                ck.add(
                    "record", key, "not used with mode = 'imaginary' (one record: the ground state)"
                )
    return rec


def _reference(
    doc: dict[str, Any], ck: Checker, mode: Any, absorber: Any, common: dict[str, Any]
) -> dict[str, Any]:
    ref = ck.table(doc.get("reference", {}), "reference", REFERENCE_KEYS, common["ndim"])
    if ok(ref["rtol"]) and ref["rtol"] >= 1:
        ck.add("reference", "rtol", f"must be < 1 (a relative tolerance), got {ref['rtol']!r}")
        ref["rtol"] = BAD
    if ref["qutip"] is not True:
        return ref
    if mode == "imaginary":
        ck.add("reference", "qutip", "a QuTiP baseline needs mode = 'real'")
    if absorber not in (None, BAD):
        ck.add(
            "reference",
            "qutip",
            "QuTiP's sesolve has no absorbing boundary; remove [solver.absorber] or the reference",
        )
    size = common["size"]
    if size is not None and common["hamiltonian"]["kinetic"] == "spectral":
        if size > MAX_DENSE_SITES:
            ck.add(
                "reference",
                "qutip",
                f"kinetic = 'spectral' is a dense matrix: allowed up to {MAX_DENSE_SITES} "
                f"sites, the lattice has {size}",
            )
    return ref


def _expect(
    ck: Checker, exp: dict[str, Any], mode: Any, ref: dict[str, Any], time_dependent: list[str]
) -> None:
    if exp["max_energy_drift"] not in (None, BAD) and time_dependent:
        ck.add(
            "expect", "max_energy_drift", "energy is not conserved with a time-dependent potential"
        )
    for key in ("max_l2_vs_reference", "max_infidelity_vs_reference"):
        if exp[key] not in (None, BAD) and ref["qutip"] is not True:
            ck.add("expect", key, "needs [reference] qutip = true")
    if mode == "imaginary":
        for key in ("max_norm_drift", "max_energy_drift"):
            if exp[key] not in (None, BAD):
                ck.add("expect", key, "not meaningful with mode = 'imaginary'")


def _freeze(
    ctx: Context,
    draft: dict[str, Any],
    ref: dict[str, Any],
    exp: dict[str, Any],
    checks: list[tuple[str, CheckDef, dict[str, Any]]],
) -> Scenario:
    """The frozen :class:`Scenario` of validated values."""
    lattice, hspec, ispec = system_specs(draft)
    sol, absorber, rec = draft["solver"], draft["absorber"], draft["record"]
    absorber_obj = None
    if absorber is not None:
        absorber_obj = AbsorbingBoundary(absorber["width"], absorber["strength"], absorber["power"])
    sspec = SolverSpec(
        dt=sol["dt"],
        mode=sol["mode"],
        t_start=sol["t_start"],
        t_end=sol["t_end"],
        scheme=sol["scheme"],
        backend=sol["backend"],
        workers=None if sol["workers"] == "auto" else sol["workers"],
        fft=sol["fft"],
        decomposition=sol["decomposition"],
        check_every=sol["check_every"],
        norm_tol=sol["norm_tol"],
        error_samples=sol["error_samples"],
        error_tol=sol["error_tol"],
        tol=sol["tol"],
        max_steps=sol["max_steps"],
        residual_tol=sol["residual_tol"],
        absorber=absorber_obj,
    )
    rspec = RecordSpec(
        rec["every"], rec["times"], rec["observables"], rec["store_states"], rec["memory_budget"]
    )
    refspec = ReferenceSpec(ref["qutip"], ref["atol"], ref["rtol"], ref["method"], ref["nsteps"])
    fast = ctx.fast
    espec = ExpectSpec(
        exp["max_norm_drift"],
        exp["max_energy_drift"],
        exp["max_l2_vs_reference"],
        exp["max_infidelity_vs_reference"],
        tuple(
            CheckSpec(
                cdef.name,
                (
                    vals["fast_tolerance"]
                    if fast and vals["fast_tolerance"] is not None
                    else vals["tolerance"]
                ),
                MappingProxyType({k.name: vals[k.name] for k in cdef.keys}),
            )
            for _, cdef, vals in checks
        ),
    )
    aspec = animation_spec(ctx.animation)
    return Scenario(
        ctx.path, fast, ctx.meta, lattice, hspec, ispec, sspec, rspec, refspec, espec, aspec
    )


# =============================================================================================
# Building and running
# =============================================================================================
def build(sc: Scenario) -> Built:
    assert sc.solver is not None
    file = sc.file
    lattice, ham, state0, eigh = build_system(sc)
    s = sc.solver
    try:
        solver = SplitOperatorSolver(
            ham,
            s.dt,
            s.scheme,
            backend=s.backend,
            workers=s.workers,
            fft=s.fft,
            absorber=s.absorber,
            decomposition=s.decomposition,
            check_every=s.check_every,
            norm_tol=s.norm_tol,
            error_samples=s.error_samples,
            error_tol=s.error_tol,
        )
    except (ValueError, TypeError, ImportError) as exc:  # ImportError: backend 'mpi' alone
        raise ScenarioError(f"{file}: [solver]: {exc}") from None
    t_end = s.t_end if s.t_end is not None else s.t_start
    return Built(sc, lattice, ham, state0, solver, (s.t_start, t_end), eigh)


# =============================================================================================
# Running and checking
# =============================================================================================


def run(
    scenario: Scenario,
    *,
    progress: bool = False,
    callbacks: Sequence[Callable[[float, Any], None]] = (),
    reference: bool | None = None,
    store_states: bool | None = None,
) -> ScenarioResult:
    """Run the scenario (see :func:`~quantgeo.scenario.run_scenario`)."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    built = scenario.build()
    timings["build"] = time.perf_counter() - t_start
    sc, solver = scenario, built.solver
    assert sc.solver is not None
    compile_time = 0.0
    if sc.solver.backend in ("numba", "mpi"):
        from quantgeo._kernels import warmup

        compile_time = warmup((built.lattice.ndim,))
    timings["compile"] = compile_time
    info: dict[str, Any] = {
        "lattice": {
            "shape": list(built.lattice.shape),
            "bounds": [list(b) for b in built.lattice.bounds],
        },
        "kinetic": built.hamiltonian.kinetic,
        "dt": sc.solver.dt,
        "scheme": sc.solver.scheme,
        "backend": sc.solver.backend,
        "workers": solver.workers,
        "seed": sc.meta.seed,
    }
    if sc.solver.mode == "imaginary":
        return _run_imaginary(built, timings, info, t_start)
    use_ref = sc.reference.qutip if reference is None else bool(reference)
    probes = [_probe(built, c) for c in sc.expect.analytic]
    keep = sc.record.store_states if store_states is None else bool(store_states)
    recorder, times, obs = _recorder(built, probes, callbacks, keep or use_ref)
    error = ""
    traj: Trajectory | None = None
    t0 = time.perf_counter()
    try:
        traj = solver.run(built.state0, built.t_span, recorder=recorder, progress=progress)
    except StabilityError as exc:
        error = f"StabilityError: {exc}"
    timings["run"] = time.perf_counter() - t0
    if traj is not None:
        timings["run"] = float(traj.info.get("run_time", timings["run"]))
    ref_traj = comparison = None
    # backend 'mpi': only rank 0 holds the stored states (the other ranks report nothing)
    if use_ref and traj is not None and traj.states is not None:
        t0 = time.perf_counter()
        ref_rec = Recorder(
            times, observables=dict(obs), store_states=True, memory_budget=sc.record.memory_budget
        )
        ref_traj = built.reference_engine().run(
            built.state0, built.t_span, recorder=ref_rec, progress=progress
        )
        timings["reference"] = time.perf_counter() - t0
        from quantgeo.compare import compare

        comparison = compare(traj, ref_traj)
    t0 = time.perf_counter()
    checks = _evaluate(sc, traj, comparison, probes, error)
    timings["checks"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    if traj is not None:
        info["solver"] = dict(traj.info)
        info["error_estimate"] = traj.info.get("error_estimate")
        info["accuracy"] = _accuracy_summary(traj.info)
    if ref_traj is not None:
        info["reference"] = dict(ref_traj.info)
    return ScenarioResult(sc, traj, ref_traj, comparison, tuple(checks), timings, info, error)


def _accuracy_summary(info: Mapping[str, Any]) -> str:
    """One line on the run's splitting-error estimate (the run summary and report.json)."""
    est = info.get("error_estimate")
    if est is None or not math.isfinite(est):
        return "splitting error not estimated (error_samples = 0)"
    return (
        f"splitting error ‖ψ − ψ_exact‖ ≈ {est:.2g} at t_end (step doubling on "
        f"{info['error_estimate_samples']} segments, {100 * info['error_estimate_cost']:.0f} % "
        f"extra steps; warns above {info['error_tol']:g}·‖ψ₀‖)"
    )


def _probe(built: Built, spec: CheckSpec) -> Probe:
    probe = ANALYTIC_CHECKS[spec.check].probe
    assert probe is not None, spec.check
    return probe(built, spec)


def _recorder(
    built: Built,
    probes: Sequence[Probe],
    callbacks: Sequence[Callable[[float, Any], None]],
    store_states: bool,
) -> tuple[Recorder, FArray, dict[str, Any]]:
    """Record times of ``[record]`` and of the probes; the observables every check reads."""
    sc = built.scenario
    times = merge_times(built.record_times(), [t for p in probes for t in p.times])
    obs: dict[str, Any] = {name: name for name in sc.record.observables}
    if sc.expect.max_norm_drift is not None:
        obs.setdefault("norm", "norm")
    if sc.expect.max_energy_drift is not None:
        obs.setdefault("energy", "energy")
    for p in probes:
        for name in p.needs:
            obs.setdefault(name, name)
        obs.update(p.observables)
    recorder = Recorder(
        times,
        observables=obs,
        store_states=store_states,
        callbacks=[p.callback for p in probes] + list(callbacks),
        memory_budget=sc.record.memory_budget,
    )
    return recorder, times, obs


def merge_times(base: FArray, extra: Sequence[float]) -> FArray:
    times = np.concatenate([base, np.asarray(extra, dtype=float)])
    times.sort()
    keep = np.ones(times.size, dtype=bool)
    keep[1:] = np.diff(times) > 1e-9 * np.maximum(1.0, np.abs(times[1:]))
    return times[keep]


def _evaluate(
    sc: Scenario,
    traj: Trajectory | None,
    comparison: Any,
    probes: Sequence[Probe],
    error: str,
    *,
    drifts: bool = True,
) -> list[CheckResult]:
    """The ``[expect]`` tolerances (``drifts``) and every probe's check."""
    e = sc.expect
    out: list[CheckResult] = []
    nan = math.nan

    def drift(name: str) -> float:
        if traj is None:
            return nan
        x = np.asarray(traj[name], dtype=float)
        return float(np.max(np.abs(x - x[0])))

    def vs_reference(attr: str) -> float:
        return nan if comparison is None else float(getattr(comparison, attr))

    for name, tol, measure, unit in (
        ("norm_drift", e.max_norm_drift, lambda: drift("norm"), "—"),
        ("energy_drift", e.max_energy_drift, lambda: drift("energy"), "energy"),
        ("l2_vs_qutip", e.max_l2_vs_reference, lambda: vs_reference("max_l2"), "—"),
        (
            "infidelity_vs_qutip",
            e.max_infidelity_vs_reference,
            lambda: vs_reference("max_infidelity"),
            "—",
        ),
    ):
        if tol is not None and drifts:
            out.append(CheckResult(name, measure(), tol, unit))
    for p in probes:
        cdef = ANALYTIC_CHECKS[p.spec.check]
        if traj is None:
            out.append(CheckResult(p.spec.check, nan, p.spec.tolerance, cdef.unit, error))
            continue
        try:
            v, detail = p.evaluate(traj)
        except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
            v, detail = nan, f"could not evaluate: {exc}"
        out.append(CheckResult(p.spec.check, float(v), p.spec.tolerance, cdef.unit, detail))
    return out


def _imaginary_time(built: Built) -> tuple[Trajectory, list[str]]:
    """Imaginary-time relaxation to the ground state by
    :class:`~quantgeo.solvers.imaginary.ImaginaryTimeSolver`: a one-record :class:`Trajectory`
    (energy, norm, the final state; ``info``: steps, residual, converged) and its warnings."""
    s = built.scenario.solver
    assert s is not None
    solver = ImaginaryTimeSolver(
        built.solver.ham,
        s.dt,
        tol=s.tol,
        max_steps=s.max_steps,
        residual_tol=s.residual_tol,
        backend=built.solver.backend,
        workers=built.solver.workers,
        fft=built.solver.fft,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", QuantgeoWarning)
        traj = solver.run(built.state0)
    return traj, [str(w.message) for w in caught]


def _run_imaginary(
    built: Built, timings: dict[str, float], info: dict[str, Any], t_start: float
) -> ScenarioResult:
    sc = built.scenario
    t0 = time.perf_counter()
    traj, caught = _imaginary_time(built)
    timings["run"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    steps, residual = traj.info["steps"], traj.info["residual"]
    # converged = the energy settled *and* ‖Hψ − Eψ‖ < residual_tol·max(1, |E|): a state that
    # fails its own residual never passes
    converged = CheckResult(
        "converged",
        0.0 if traj.info["converged"] else 1.0,
        0.0,
        "—",
        f"{steps} steps; residual ‖Hψ − Eψ‖ = {residual:.3g}"
        + ("; " + "; ".join(caught) if caught else ""),
    )
    probes = [_probe(built, c) for c in sc.expect.analytic]
    checks = [converged, *_evaluate(sc, traj, None, probes, "", drifts=False)]
    timings["checks"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_start
    info["solver"] = dict(traj.info)
    info["energy"] = float(traj["energy"][-1])
    info["residual"] = float(residual)
    info["accuracy"] = (
        f"residual ‖Hψ − Eψ‖ = {residual:.3g} (converged needs < "
        f"{traj.info['residual_tol']:g}·max(1, |E|) and the energy change < tol)"
    )
    return ScenarioResult(sc, traj, None, None, tuple(checks), timings, info, "")


# =============================================================================================
# Discovery and documentation


def _schema_tables(partial: bool) -> dict[str, Any]:
    from quantgeo.scenario.models import schrodinger_tables

    return schrodinger_tables(partial)


KIND = Kind(
    name="schrodinger",
    required=("lattice", "hamiltonian", "initial_state", "solver", "expect"),
    optional=("record", "reference", "animation"),
    tables=(
        "lattice",
        "hamiltonian",
        "initial_state",
        "solver",
        "record",
        "reference",
        "expect",
        "animation",
    ),
    validate=_validate,
    run=run,
    build=build,
    schema_tables=_schema_tables,
)
