"""``quantgeo run``, ``quantgeo validate`` and ``quantgeo compare``: run scenarios, print their
checks, write reports."""

from __future__ import annotations

import argparse
import math
import time
import warnings
from pathlib import Path
from typing import Any

from quantgeo._table import format_table
from quantgeo.cli import _common
from quantgeo.cli._common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    check_rows,
    err,
    load,
    out,
    parse_sets,
    progress,
    provenance,
    tolerance,
    write_json,
)
from quantgeo.errors import QuantgeoWarning

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser, scen: argparse.ArgumentParser) -> None:
    """Add ``run``, ``validate`` and ``compare`` to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "run",
        parents=[common, scen],
        help="run one scenario; write <out>/report.json and <out>/trajectory.npz",
        description="Run one scenario, print its checks and write report.json (provenance, "
        "timings, checks) and trajectory.npz to --out.",
    )
    p.add_argument("-o", "--out", help="output folder (default: quantgeo-out/<name>)")
    p.add_argument("--no-reference", action="store_true", help="skip the QuTiP baseline")
    _common.add_max_memory(p)  # pre-flight memory limit
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser(
        "validate",
        parents=[common],
        help="run scenarios and print a pass/fail table (exit 1 on any failure)",
        description="Run every scenario given (files or folders). Without paths: the bundled "
        "scenarios in fast mode (--full for the full runs). With paths: full runs unless --fast.",
    )
    p.add_argument("paths", nargs="*", help="scenario files or folders (default: bundled)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--fast", action="store_true", help="apply every scenario's [fast] overrides")
    g.add_argument("--full", action="store_true", help="full runs of the bundled scenarios")
    p.add_argument(
        "--set",
        action="append",
        metavar="TABLE.KEY=VALUE",
        help="override a value in every scenario",
    )
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    _common.add_max_memory(p)  # pre-flight memory limit
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "compare",
        parents=[common, scen],
        help="split-operator vs qutip.sesolve: error-vs-time plot",
        description="Run the scenario with the split-operator solver and with qutip.sesolve on the "
        "identical operator; write <out>/compare.png (L2 error and infidelity vs time) and "
        "<out>/compare.json.",
    )
    p.add_argument("-o", "--out", help="output folder (default: quantgeo-out/<name>)")
    p.add_argument("--dpi", type=int, default=120, help="plot resolution (default 120)")
    _common.add_max_memory(p)  # pre-flight memory limit
    p.set_defaults(func=_cmd_compare)


def _scenario_provenance(args: argparse.Namespace, sc: Any, result: Any) -> dict[str, Any]:
    solver_info = dict(result.info.get("solver", {}))
    return provenance(
        args,
        backend=solver_info.get("backend", result.info.get("backend")),
        workers=solver_info.get("workers", result.info.get("workers")),
        seed=sc.meta.seed,
    )


# -- run ----------------------------------------------------------------------------------------
#: The files ``quantgeo run`` writes into its folder (replaced together, as one run's).
RUN_FILES = ("report.json", "trajectory.npz", "reference.npz")
#: The files ``quantgeo compare`` writes into its folder.
COMPARE_FILES = ("compare.json", "compare.png")


def _out_folder(args: argparse.Namespace, sc: Any) -> Path:
    """``-o`` or ``quantgeo-out/<name>``, checked before anything is run (one line, exit 2)."""
    from quantgeo._io import check_folder_target

    folder = Path(args.out) if args.out else Path("quantgeo-out") / sc.name
    check_folder_target(folder, option="-o" if args.out else "[scenario].name")
    return folder


def _cmd_run(args: argparse.Namespace) -> int:
    from quantgeo._interrupt import pause_at
    from quantgeo._io import atomic_folder
    from quantgeo.scenario import run_scenario

    with warnings.catch_warnings(action="ignore", category=QuantgeoWarning):  # printed below
        sc = load(args.file, args)
    rank = _mpi_rank(sc)
    if rank is not None and rank != 0:  # backend 'mpi': only rank 0 prints and writes
        return _mpi_follower(sc, args)
    for line in sc.warnings:  # accepted but questionable values (issue 9)
        err(f"warning: {line}")
    try:
        folder = _out_folder(args, sc)
    except BaseException:
        _mpi_decide(rank, "folder", ok=False)
        raise
    _mpi_decide(rank, "folder", ok=True)
    pause_at("setup")  # test hook (quantgeo._interrupt), inert unless set
    result = run_scenario(
        sc,
        progress=progress(args),
        reference=False if args.no_reference else None,
    )
    _mpi_decide(rank, "passed", ok=result.passed)
    report = result.to_dict()
    report["provenance"] = _scenario_provenance(args, sc, result)
    report["command"] = report["provenance"]["command"]
    report["created"] = report["provenance"]["created"]
    files = {"report": str(folder / "report.json")}
    # the whole run goes to a temporary folder renamed onto `folder`: never a mix of two runs
    with atomic_folder(folder, own=RUN_FILES) as tmp:
        if result.trajectory is not None:
            result.trajectory.save(tmp / "trajectory.npz")
            files["trajectory"] = str(folder / "trajectory.npz")
        if result.reference is not None:
            result.reference.save(tmp / "reference.npz")
            files["reference"] = str(folder / "reference.npz")
        report["files"] = files
        pause_at("writing")
        write_json(tmp / "report.json", report)
    if not args.quiet:
        mode = "fast" if sc.fast else "full"
        out(f"{sc.name} ({mode}): " + " ".join(sc.meta.description.split()))
        header = ["check", "value", "tolerance", "unit", "result", "detail"]
        out(format_table(check_rows(result), header))
        out(
            "timings: "
            + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items())
            + "  (compile = Numba compile or cache load, not included in run)"
        )
        out(f"accuracy: {result.info.get('accuracy', 'not estimated for this kind')}")
        for k, v in files.items():
            out(f"{k}: {v}")
    if result.error:
        err(f"{sc.name}: {result.error}")
    if not args.quiet:
        out("PASS" if result.passed else "FAIL")
    return EXIT_OK if result.passed else EXIT_FAIL


# -- backend 'mpi': every rank runs the scenario, rank 0 alone prints and writes ---------------
def _mpi_rank(sc: Any) -> int | None:
    """This process's MPI rank when the scenario runs with ``backend = "mpi"``, else ``None``."""
    if getattr(getattr(sc, "solver", None), "backend", None) != "mpi":
        return None
    from quantgeo.solvers.distributed import mpi_rank

    return mpi_rank()


def _mpi_decide(rank: int | None, what: str, *, ok: bool) -> bool:
    """Rank 0 tells the other ranks whether ``what`` went well (a no-op without MPI)."""
    if rank is None:
        return ok
    from mpi4py import MPI

    return bool(MPI.COMM_WORLD.bcast((what, ok), root=0)[1])


def _mpi_follower(sc: Any, args: argparse.Namespace) -> int:
    """A rank > 0 of ``quantgeo run``: the collective run, silent; rank 0's verdict."""
    from quantgeo.scenario import run_scenario

    if not _mpi_decide(0, "folder", ok=True):
        return EXIT_USAGE
    run_scenario(sc, progress=False, reference=False if args.no_reference else None)
    return EXIT_OK if _mpi_decide(0, "passed", ok=True) else EXIT_FAIL


# -- validate -----------------------------------------------------------------------------------
def _cmd_validate(args: argparse.Namespace) -> int:
    from quantgeo._progress import progress_bar
    from quantgeo.scenario import find_scenarios

    if args.json:
        from quantgeo._io import check_file_target

        check_file_target(args.json, option="--json")
    bundled = not args.paths
    fast = args.fast or (bundled and not args.full)
    files = find_scenarios(args.paths)
    if not files:
        where = "the bundled scenarios folder" if bundled else " ".join(args.paths)
        err(f"quantgeo validate: no scenario files found in {where}")
        return EXIT_USAGE
    sets = parse_sets(args.set)
    rows: list[list[Any]] = []
    summary: list[dict[str, Any]] = []
    n_fail = n_invalid = 0
    start = time.perf_counter()
    with progress_bar(len(files), "validate", progress(args), unit="scenario") as bar:
        for path in files:
            bar.set_postfix_str(path.name)
            passed, record = _validate_one(path, fast, sets, rows)
            n_invalid += bool(record.get("invalid"))
            n_fail += not passed
            summary.append(record)
            bar.update()
    total = time.perf_counter() - start
    mode = "fast" if fast else "full"
    if not args.quiet or n_fail:
        header = ["scenario", "time", "check", "value", "tolerance", "result", "detail"]
        out(format_table(rows, header))
    n = len(files)
    out(
        f"{n - n_fail}/{n} scenarios passed ({mode} mode, {total:.1f} s)"
        + ("" if not n_fail else f" — {n_fail} FAILED")
    )
    if args.json:
        write_json(args.json, {"mode": mode, "results": summary, "provenance": provenance(args)})
    if n_invalid == n:  # no file loads: a usage error (exit 2), as in `run`
        return EXIT_USAGE
    return EXIT_FAIL if n_fail else EXIT_OK


def _validate_one(
    path: Path, fast: bool, sets: dict[str, Any], rows: list[list[Any]]
) -> tuple[bool, dict[str, Any]]:
    """Load and run one scenario, append its table rows; return (passed, JSON summary)."""
    from quantgeo.errors import ScenarioError
    from quantgeo.scenario import load_scenario, run_scenario

    t0 = time.perf_counter()
    try:
        sc = load_scenario(path, fast=fast, overrides=sets or None, warn=False)
    except ScenarioError as exc:
        for problem in exc.problems:  # one line per problem on stderr, as `run` prints them
            err(problem)
        rows.append([path.stem, "-", "load", "-", "-", "FAIL", exc.problems[0]])
        rows.extend(["", "", "", "", "", "", p] for p in exc.problems[1:])
        return False, {"file": str(path), "passed": False, "error": str(exc), "invalid": True}
    for line in sc.warnings:
        err(f"warning: {line}")
    try:
        result = run_scenario(sc, progress=False)
    except Exception as exc:  # report and keep validating the others
        rows.append([sc.name, "-", "run", "-", "-", "FAIL", f"{type(exc).__name__}: {exc}"])
        return False, {"file": str(path), "passed": False, "error": repr(exc)}
    elapsed = time.perf_counter() - t0
    for i, c in enumerate(result.checks):
        first = i == 0
        rows.append(
            [
                sc.name if first else "",
                f"{elapsed:.1f}s" if first else "",
                c.name,
                c.value,
                tolerance(c),
                "PASS" if c.passed else "FAIL",
                c.detail if not c.passed else "",
            ]
        )
    if result.error:
        rows.append(["", "", "error", "-", "-", "FAIL", result.error])
    return result.passed, result.to_dict()


# -- compare ------------------------------------------------------------------------------------
def _cmd_compare(args: argparse.Namespace) -> int:
    import numpy as np

    from quantgeo._io import atomic_folder
    from quantgeo.scenario import run_scenario

    sc = load(args.file, args, **{"reference.qutip": True})
    folder = _out_folder(args, sc)
    result = run_scenario(sc, progress=progress(args), reference=True)
    if result.comparison is None:
        err(f"{sc.name}: no comparison was made: {result.error or 'the split-operator run failed'}")
        return EXIT_FAIL
    cmp = result.comparison
    # run_scenario reports the solver's own run_time (compilation excluded) as timings["run"].
    sol_t = float(result.timings.get("run", math.nan))
    ref_t = float(result.timings.get("reference", math.nan))
    png = folder / "compare.png"
    data = {
        "scenario": sc.name,
        "fast": sc.fast,
        "summary": cmp.summary(),
        "times": cmp.times.tolist(),
        "l2": cmp.l2.tolist(),
        "infidelity": cmp.infidelity.tolist(),
        "split_operator_seconds": sol_t,
        "qutip_seconds": ref_t,
        "reference": dict(result.info.get("reference", {})),
        "provenance": _scenario_provenance(args, sc, result),
    }
    with atomic_folder(folder, own=COMPARE_FILES) as tmp:
        _plot_errors(sc, cmp, tmp / "compare.png", args.dpi)
        write_json(tmp / "compare.json", data)
    rows = [
        ["max L2 error", cmp.max_l2],
        ["max infidelity", cmp.max_infidelity],
        ["split-operator run", f"{sol_t:.3f} s"],
        ["qutip.sesolve run", f"{ref_t:.3f} s"],
        ["speed-up", f"{ref_t / sol_t:.1f}×" if sol_t > 0 else "-"],
    ]
    rows += [[f"max {k} error", float(np.max(v))] for k, v in cmp.observables.items()]
    if not args.quiet:
        out(format_table(rows, [sc.name, "value"]))
        out(f"plot: {png}\ndata: {folder / 'compare.json'}")
    return EXIT_OK


def _plot_errors(sc: Any, cmp: Any, png: Path, dpi: int) -> None:
    """The :func:`_errors_figure` written atomically to ``png``."""
    from quantgeo._io import atomic_path

    fig = _errors_figure(sc, cmp, dpi)
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png")


def _errors_figure(sc: Any, cmp: Any, dpi: int) -> Any:
    """L2 error and infidelity vs time, one log-scaled panel each, with units and a caption."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    assert sc.solver is not None and sc.hamiltonian is not None
    fig = Figure(figsize=(6.4, 5.2), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax_l2, ax_inf = fig.subplots(2, 1, sharex=True)
    panels = (
        (ax_l2, cmp.l2, "L2 error √(Σ|ψ − ψ_QuTiP|²ΔV)\n(dimensionless)", "tab:blue"),
        (ax_inf, cmp.infidelity, "infidelity 1 − |⟨ψ|ψ_QuTiP⟩|²\n(dimensionless)", "tab:red"),
    )
    for ax, arr, label, color in panels:
        # exact zeros cannot sit on a log axis: they are left out, not clipped
        ax.plot(cmp.times, np.where(arr > 0, arr, np.nan), marker=".", color=color)
        ax.set_yscale("log")
        ax.set_ylabel(label, fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    ax_inf.set_xlabel(f"t (time units of the scenario, ħ = {sc.hamiltonian.hbar:g})")
    ax_l2.set_title(
        f"{sc.name}: split-operator ({sc.solver.scheme}, dt = {sc.solver.dt:g}) vs qutip.sesolve",
        fontsize=9,
    )
    fig.supxlabel(
        f"max L2 error {cmp.max_l2:.3g}, max infidelity {cmp.max_infidelity:.3g} over "
        f"{len(cmp.times)} record times; zeros (exact agreement) are not drawn.",
        fontsize=7,
    )
    return fig
