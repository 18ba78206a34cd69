"""The ``quantgeo`` command.

Subcommands::

    quantgeo run FILE         run one scenario: table, <out>/report.json, <out>/trajectory.npz
    quantgeo validate [PATH…] run scenarios (files or folders; default: the bundled ones, fast)
    quantgeo compare FILE     split-operator vs qutip.sesolve: error-vs-time plot and JSON
    quantgeo animate FILE -o out.gif|out.mp4
    quantgeo bench            split-operator benchmark ratios
    quantgeo warmup           compile (or load from cache) the Numba kernels
    quantgeo regimes …        learning regimes (quantgeo.learning)
    quantgeo emergence …      emergence of the Schrödinger equation (quantgeo.emergence)

Exit codes: 0 success; 1 a check failed; 2 bad input (scenario errors, unknown options);
130 interrupted.  This module is the only place in quantgeo that prints.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import logging
import math
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["build_parser", "main"]

log = logging.getLogger("quantgeo.cli")

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPT = 0, 1, 2, 130

#: Subcommands provided by other parts of quantgeo: (module, add-parser fn, run fn, help).
OPTIONAL_COMMANDS: dict[str, tuple[str, str, str, str]] = {
    "regimes": (
        "quantgeo.learning.regimes",
        "add_regimes_parser",
        "run_regimes_cli",
        "learning regimes a = 0, ½, 1 of covariant gradient descent (quantgeo.learning)",
    ),
    "emergence": (
        "quantgeo.emergence.cli",
        "add_emergence_parser",
        "run_emergence_cli",
        "emergence of the lattice Schrödinger equation from a = 1 learning (quantgeo.emergence)",
    ),
}


# =============================================================================================
# Output helpers
# =============================================================================================
def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if v == 0:
            return "0"
        if abs(v) < 1e-3 or abs(v) >= 1e5:
            return f"{v:.3g}"
        return f"{v:.6g}"
    return str(v)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _progress(args: argparse.Namespace) -> bool:
    from quantgeo._progress import progress_enabled

    return not getattr(args, "quiet", False) and progress_enabled(None)


def _write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented strict JSON (via :func:`quantgeo._io.jsonable`), atomically."""
    from quantgeo._io import atomic_write_text, jsonable

    atomic_write_text(path, json.dumps(jsonable(obj), indent=2) + "\n")


def _parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """``TABLE.KEY=VALUE`` (TOML value; bare words are strings) → dotted-key mapping."""
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects TABLE.KEY=VALUE, got {item!r}")
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        out[key.strip()] = value
    return out


def _load(path: str, args: argparse.Namespace, **extra: Any) -> Any:
    from quantgeo.scenario import load_scenario

    sets = _parse_sets(getattr(args, "set", None))
    sets.update(extra)
    return load_scenario(path, fast=getattr(args, "fast", False), overrides=sets or None)


def _tol(check: Any) -> str:
    return ("≥ " if getattr(check, "bound", "max") == "min" else "≤ ") + _fmt(check.tolerance)


def _check_rows(result: Any) -> list[list[Any]]:
    rows = []
    for c in result.checks:
        rows.append([c.name, c.value, _tol(c), c.unit, "PASS" if c.passed else "FAIL", c.detail])
    return rows


# =============================================================================================
# run
# =============================================================================================
def _cmd_run(args: argparse.Namespace) -> int:
    from quantgeo.scenario import provenance, run_scenario

    sc = _load(args.file, args)
    out = Path(args.out) if args.out else Path("quantgeo-out") / sc.name
    result = run_scenario(
        sc,
        progress=_progress(args),
        reference=False if args.no_reference else None,
    )
    report = result.to_dict()
    solver_info = dict(result.info.get("solver", {}))
    report["provenance"] = provenance(
        backend=solver_info.get("backend", result.info.get("backend")),
        workers=solver_info.get("workers", result.info.get("workers")),
        seed=sc.meta.seed,
    )
    report["command"] = " ".join(["quantgeo", *sys.argv[1:]]) if args.argv is None else args.argv
    report["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    files = {"report": str(out / "report.json")}
    if result.trajectory is not None:
        result.trajectory.save(out / "trajectory.npz")
        files["trajectory"] = str(out / "trajectory.npz")
    if result.reference is not None:
        result.reference.save(out / "reference.npz")
        files["reference"] = str(out / "reference.npz")
    report["files"] = files
    _write_json(out / "report.json", report)
    if not args.quiet:
        mode = "fast" if sc.fast else "full"
        _out(f"{sc.name} ({mode}): " + " ".join(sc.meta.description.split()))
        _out(
            _table(_check_rows(result), ["check", "value", "tolerance", "unit", "result", "detail"])
        )
        t = result.timings
        _out(
            "timings: "
            + ", ".join(f"{k} {v:.3f} s" for k, v in t.items())
            + "  (compile = Numba compile or cache load, not included in run)"
        )
        for k, v in files.items():
            _out(f"{k}: {v}")
    if result.error:
        _err(f"{sc.name}: {result.error}")
    status = "PASS" if result.passed else "FAIL"
    if not args.quiet:
        _out(status)
    return EXIT_OK if result.passed else EXIT_FAIL


# =============================================================================================
# validate
# =============================================================================================
def _cmd_validate(args: argparse.Namespace) -> int:
    from quantgeo._progress import progress_bar
    from quantgeo.scenario import find_scenarios

    bundled = not args.paths
    fast = args.fast or (bundled and not args.full)
    files = find_scenarios(args.paths)
    if not files:
        where = "the bundled scenarios folder" if bundled else " ".join(args.paths)
        _err(f"quantgeo validate: no scenario files found in {where}")
        return EXIT_USAGE
    sets = _parse_sets(args.set)
    rows: list[list[Any]] = []
    summary: list[dict[str, Any]] = []
    n_fail = 0
    start = time.perf_counter()
    with progress_bar(len(files), "validate", _progress(args), unit="scenario") as bar:
        for path in files:
            bar.set_postfix_str(path.name)
            passed, record = _validate_one(path, fast, sets, rows)
            n_fail += not passed
            summary.append(record)
            bar.update()
    total = time.perf_counter() - start
    mode = "fast" if fast else "full"
    if not args.quiet or n_fail:
        _out(_table(rows, ["scenario", "time", "check", "value", "tolerance", "result", "detail"]))
    n = len(files)
    _out(
        f"{n - n_fail}/{n} scenarios passed ({mode} mode, {total:.1f} s)"
        + ("" if not n_fail else f" — {n_fail} FAILED")
    )
    if args.json:
        _write_json(args.json, {"mode": mode, "results": summary})
    return EXIT_FAIL if n_fail else EXIT_OK


def _validate_one(
    path: Path, fast: bool, sets: dict[str, Any], rows: list[list[Any]]
) -> tuple[bool, dict[str, Any]]:
    """Load and run one scenario, append its table rows; return (passed, JSON summary)."""
    from quantgeo.errors import ScenarioError
    from quantgeo.scenario import load_scenario, run_scenario

    t0 = time.perf_counter()
    try:
        sc = load_scenario(path, fast=fast, overrides=sets or None)
    except ScenarioError as exc:
        rows.append([path.stem, "-", "load", "-", "-", "FAIL", exc.problems[0]])
        rows.extend(["", "", "", "", "", "", p] for p in exc.problems[1:])
        return False, {"file": str(path), "passed": False, "error": str(exc)}
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
                _tol(c),
                "PASS" if c.passed else "FAIL",
                c.detail if not c.passed else "",
            ]
        )
    if result.error:
        rows.append(["", "", "error", "-", "-", "FAIL", result.error])
    return result.passed, result.to_dict()


# =============================================================================================
# compare
# =============================================================================================
def _cmd_compare(args: argparse.Namespace) -> int:
    import numpy as np

    from quantgeo._io import atomic_path
    from quantgeo.scenario import run_scenario

    sc = _load(args.file, args, **{"reference.qutip": True})
    out = Path(args.out) if args.out else Path("quantgeo-out") / sc.name
    result = run_scenario(sc, progress=_progress(args), reference=True)
    if result.comparison is None:
        _err(
            f"{sc.name}: no comparison was made: {result.error or 'the split-operator run failed'}"
        )
        return EXIT_FAIL
    cmp = result.comparison
    # run_scenario reports the solver's own run_time (compilation excluded) as timings["run"].
    sol_t = float(result.timings.get("run", math.nan))
    ref_t = float(result.timings.get("reference", math.nan))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.0), dpi=args.dpi)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for arr, label in ((cmp.l2, "L2 ‖ψ − ψ_QuTiP‖"), (cmp.infidelity, "infidelity 1 − F")):
        ax.semilogy(cmp.times, np.where(arr > 0, arr, np.nan), marker=".", label=label)
    ax.set_xlabel("t")
    ax.set_ylabel("error")
    assert sc.solver is not None
    ax.set_title(
        f"{sc.name}: split-operator ({sc.solver.scheme}, dt = {sc.solver.dt:g}) vs qutip.sesolve",
        fontsize=9,
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    png = out / "compare.png"
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png")
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
    }
    _write_json(out / "compare.json", data)
    rows = [
        ["max L2 error", cmp.max_l2],
        ["max infidelity", cmp.max_infidelity],
        ["split-operator run", f"{sol_t:.3f} s"],
        ["qutip.sesolve run", f"{ref_t:.3f} s"],
        ["speed-up", f"{ref_t / sol_t:.1f}×" if sol_t > 0 else "-"],
    ]
    rows += [[f"max {k} error", float(np.max(v))] for k, v in cmp.observables.items()]
    if not args.quiet:
        _out(_table(rows, [sc.name, "value"]))
        _out(f"plot: {png}\ndata: {out / 'compare.json'}")
    return EXIT_OK


# =============================================================================================
# animate
# =============================================================================================
def _cmd_animate(args: argparse.Namespace) -> int:
    from quantgeo.animation import animate

    sc = _load(args.file, args)
    res = animate(
        sc,
        args.output,
        fps=args.fps,
        dpi=args.dpi,
        frames=args.frames,
        t_end=args.t_end,
        overlay=args.overlay,
        progress=_progress(args),
    )
    if not args.quiet:
        _out(
            f"wrote {res.path} ({res.frames} frames, {res.size[0]}×{res.size[1]} px, "
            f"{res.fps} fps, "
            f"{res.writer}) in {res.seconds:.1f} s ({res.render_seconds:.1f} s rendering)"
        )
    return EXIT_OK


# =============================================================================================
# bench and warmup
# =============================================================================================
def _cmd_bench(args: argparse.Namespace) -> int:
    from quantgeo._bench import format_rows, run_benchmarks

    rows = run_benchmarks(args.quick)
    _out(format_rows(rows))
    if args.json:
        _write_json(args.json, rows)
    return EXIT_OK


def _cmd_warmup(args: argparse.Namespace) -> int:
    from quantgeo._kernels import split, warmup

    dims = tuple(sorted(set(args.dims)))
    seconds = warmup(dims)
    stats = getattr(split.split_evolve, "stats", None)
    how = "compiled or loaded"
    if stats is not None:
        hits, misses = sum(stats.cache_hits.values()), sum(stats.cache_misses.values())
        how = "compiled" if misses else ("loaded from cache" if hits else "already loaded")
    rows = [["split-operator kernels", ", ".join(f"{d}D" for d in dims), f"{seconds:.2f} s", how]]
    others = [
        ("lattice learning kernels (p, S)", "quantgeo.emergence.madelung"),
        ("Langevin ensemble kernel", "quantgeo._kernels.learning"),
    ]
    for label, module in others:
        t = importlib.import_module(module).warmup()
        rows.append([label, "-", f"{float(t):.2f} s", "compiled or loaded"])
    cache = getattr(stats, "cache_path", None)
    _out(_table(rows, ["kernels", "dimensions", "seconds", "how"]))
    if cache:
        _out(f"Numba cache: {cache}")
    return EXIT_OK


# =============================================================================================
# parser
# =============================================================================================
def _version() -> str:
    try:
        from importlib.metadata import version

        return version("quantgeo")
    except Exception:  # pragma: no cover - running from a source tree
        return "unknown"


def _first_positional(argv: Sequence[str]) -> str | None:
    for tok in argv:
        if not tok.startswith("-"):
            return tok
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argparse parser; the optional subcommands' own parsers are imported only when
    ``argv`` selects them (so ``quantgeo --help`` never depends on them)."""
    parser = argparse.ArgumentParser(
        prog="quantgeo",
        description=(
            "Geometric learning dynamics and the emergent lattice Schrödinger equation: run and "
            "validate scenarios, compare with QuTiP, make animations."
        ),
        epilog="Scenario files: see scenarios/README.md. "
        "Exit codes: 0 ok, 1 a check failed, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"quantgeo {_version()}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars, minimal output"
    )
    scen = argparse.ArgumentParser(add_help=False)
    scen.add_argument("file", help="scenario .toml file")
    scen.add_argument("--fast", action="store_true", help="apply the scenario's [fast] overrides")
    scen.add_argument(
        "--set",
        action="append",
        metavar="TABLE.KEY=VALUE",
        help="override a scenario value (TOML syntax), e.g. --set lattice.shape=[512,512]",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "run",
        parents=[common, scen],
        help="run one scenario; write <out>/report.json and <out>/trajectory.npz",
        description="Run one scenario, print its checks and write report.json (provenance, "
        "timings, checks) and trajectory.npz to --out.",
    )
    p.add_argument("-o", "--out", help="output folder (default: quantgeo-out/<name>)")
    p.add_argument("--no-reference", action="store_true", help="skip the QuTiP baseline")
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
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser(
        "animate",
        parents=[common, scen],
        help="render an animation of ψ (GIF via Pillow, MP4 via imageio-ffmpeg)",
        description="Run the scenario and render frames while the solver runs (memory does not "
        "grow with the number of frames). 1D: |ψ|², Re ψ, Im ψ, V and an optional reference; "
        "2D: density with phase as hue and contours of V.",
    )
    p.add_argument("-o", "--output", required=True, help="output movie: out.gif or out.mp4")
    p.add_argument("--fps", type=int, help="frames per second (default: [animation].fps)")
    p.add_argument("--dpi", type=int, help="resolution (default: [animation].dpi)")
    p.add_argument("--frames", type=int, help="number of frames (default: [animation].frames)")
    p.add_argument("--t-end", type=float, help="end time of the movie (default: [solver].t_end)")
    p.add_argument(
        "--overlay",
        choices=("auto", "analytic", "qutip", "none"),
        help="1D reference curve (default: [animation].overlay)",
    )
    p.set_defaults(func=_cmd_animate)

    p = sub.add_parser(
        "bench",
        parents=[common],
        help="benchmark ratios of the split-operator solver",
        description="Print benchmark ratios measured in one run (quantgeo._bench; "
        "benchmarks/split_operator.py runs the same).",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.set_defaults(func=_cmd_bench)

    p = sub.add_parser(
        "warmup",
        parents=[common],
        help="compile or load the Numba kernels and print the seconds taken",
        description="Fill the Numba cache so that later runs start fast; reports whether the "
        "kernels were compiled or loaded from the cache.",
    )
    p.add_argument(
        "--dims",
        type=int,
        nargs="+",
        default=[1, 2, 3],
        choices=(1, 2, 3),
        help="lattice dimensions",
    )
    p.set_defaults(func=_cmd_warmup)

    chosen = _first_positional(argv)
    for name, (module, add_name, run_name, help_text) in OPTIONAL_COMMANDS.items():
        if chosen == name:
            _add_optional(sub, name, module, add_name, run_name, help_text)
        else:
            stub = sub.add_parser(name, help=help_text, add_help=False)
            stub.add_argument("rest", nargs=argparse.REMAINDER)
            stub.set_defaults(func=None)
    return parser


def _add_optional(
    sub: Any, name: str, module: str, add_name: str, run_name: str, help_text: str
) -> None:
    try:
        mod = importlib.import_module(module)
        add = getattr(mod, add_name)
        run = getattr(mod, run_name)
    except (ImportError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        p = sub.add_parser(name, help=f"{help_text} — unavailable")
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=lambda args: _unavailable(name, module, reason))
        return
    before = set(sub.choices)
    add(sub)
    created = sub.choices.get(name) or next(
        (sub.choices[c] for c in sub.choices if c not in before), None
    )
    if created is None:
        p = sub.add_parser(name, help=f"{help_text} — unavailable")
        p.set_defaults(
            func=lambda args: _unavailable(name, module, f"{add_name} added no '{name}' parser")
        )
        return
    created.set_defaults(func=lambda args: int(run(args) or 0))


def _unavailable(name: str, module: str, reason: str) -> int:
    _err(f"quantgeo {name}: not available in this installation ({module}: {reason})")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quantgeo`` console script; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if getattr(args, "func", None) is None:
        # a stub of an optional subcommand reached without its module being imported
        args = build_parser([args.command]).parse_args(args_list)
    args.argv = None if argv is None else " ".join(["quantgeo", *args_list])
    from quantgeo.errors import ScenarioError

    try:
        return int(args.func(args))
    except ScenarioError as exc:
        for problem in exc.problems:
            _err(problem)
        return EXIT_USAGE
    except (ValueError, FileNotFoundError) as exc:
        _err(f"quantgeo {args.command}: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("interrupted (no partial output files were left)")
        return EXIT_INTERRUPT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
