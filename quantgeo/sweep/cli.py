"""``quantgeo sweep FILE --vary KEY=V1,V2,… [--vary …] -o OUT``: the command line of a sweep.

Wiring into the ``quantgeo`` command takes one entry in ``quantgeo.cli.OPTIONAL_COMMANDS``
(``"sweep": ("quantgeo.sweep.cli", "add_parser", "main", HELP)``), or a subparser whose
arguments come from :func:`add_arguments` and whose function is :func:`main`; until then, and
for MPI, ``python -m quantgeo.sweep`` runs the same command::

    python -m quantgeo.sweep scenarios/free_packet.toml --fast --vary solver.dt=0.02,0.01 -o OUT
    mpiexec -n 3 python -m mpi4py.futures -m quantgeo.sweep FILE --executor mpi --vary … -o OUT

Exit status: 0 when every point passed; otherwise the number of failed points (a check failed,
the run stopped, or the point raised), capped at 125; 2 for bad input (nothing was run); 130
when interrupted (completed points are kept, a re-run resumes).  This module prints; the
library (:func:`quantgeo.sweep.sweep`) does not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from quantgeo.cli import _common
from quantgeo.cli._common import parse_sets, toml_value

__all__ = ["add_arguments", "add_parser", "build_parser", "main", "parse_sets", "parse_vary"]

EXIT_USAGE, EXIT_INTERRUPT, MAX_FAILED_STATUS = 2, 130, 125

_DESCRIPTION = (
    "Run a scenario over the Cartesian product of --vary values on local processes, Dask or "
    "MPI; resumable (complete points are skipped). See docs/sweeps.md."
)
_EPILOG = (
    "Exit status: 0 all points passed; N = number of failed points (capped at 125); "
    "2 bad input; 130 interrupted."
)


def _split_top(raw: str) -> list[str]:
    """Split on the commas outside brackets and quotes."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, ""
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_vary(items: Sequence[str] | None) -> dict[str, list[Any]]:
    """``KEY=V1,V2,…`` items → ``{KEY: [V1, V2, …]}``; values are TOML (``[64,64]`` is one
    value: commas inside brackets do not split), bare words are strings.

    Raises
    ------
    ValueError
        For an item without ``=``, a repeated key or an empty value.
    """
    out: dict[str, list[Any]] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"`--vary` expects TABLE.KEY=V1,V2,..., got {item!r}")
        if key in out:
            raise ValueError(f"`--vary` key {key!r} given twice; list all its values once")
        parts = _split_top(raw)
        if any(not p.strip() for p in parts):
            raise ValueError(f"`--vary {key}`: empty value in {raw!r}")
        out[key] = [toml_value(p, f"`--vary {key}`") for p in parts]
    if not out:
        raise ValueError("`--vary`: give at least one TABLE.KEY=V1,V2,...")
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``sweep`` arguments to ``parser`` (a subparser of ``quantgeo``)."""
    parser.add_argument("file", help="scenario .toml file")
    parser.add_argument(
        "--vary",
        action="append",
        metavar="TABLE.KEY=V1,V2,...",
        help="values of one key (TOML values; repeat for a Cartesian product), "
        "e.g. --vary solver.dt=0.01,0.005 --vary lattice.shape=[64],[128]",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="TABLE.KEY=VALUE",
        help="fixed override for every point (TOML syntax), as for quantgeo run",
    )
    parser.add_argument("--fast", action="store_true", help="apply the scenario's [fast] overrides")
    parser.add_argument("-o", "--out", help="output folder (default: quantgeo-out/<name>-sweep)")
    parser.add_argument(
        "--executor",
        choices=("processes", "dask", "mpi", "serial"),
        default="processes",
        help="where points run: local processes (default), Dask (a local cluster, or "
        "--scheduler), MPI (under mpiexec ... python -m mpi4py.futures), or serial",
    )
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, tcp://HOST:PORT")
    parser.add_argument(
        "--workers", type=int, help="worker processes (processes, local Dask; default: cores)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for the Dask scheduler (default 30)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="root seed of the per-point seeds (default: the scenario's [scenario].seed)",
    )
    parser.add_argument("--no-reference", action="store_true", help="skip the QuTiP baselines")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")
    _common.add_max_memory(parser)  # pre-flight memory limit (inherited by the workers)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``sweep`` subcommand to ``quantgeo``'s subparsers (the signature of the
    ``OPTIONAL_COMMANDS`` entries of :mod:`quantgeo.cli`); its function is :func:`main`."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "sweep",
        help="run a scenario over a Cartesian product of --vary values (processes, Dask, MPI)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
    )
    add_arguments(p)
    p.set_defaults(func=main)
    return p


def build_parser() -> argparse.ArgumentParser:
    """The stand-alone parser of ``python -m quantgeo.sweep``."""
    parser = argparse.ArgumentParser(
        prog="quantgeo sweep", description=_DESCRIPTION, epilog=_EPILOG
    )
    add_arguments(parser)
    return parser


def _summary(result: Any, keys: Sequence[str]) -> str:
    rows = [["#", "status", *keys, "failed checks / error"]]
    for r in result.rows:
        bad = [n for n, c in r["checks"].items() if not c["passed"]]
        note = r["error"] or ", ".join(bad)
        rows.append([str(r["index"]), r["status"], *(repr(r["overrides"][k]) for k in keys), note])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in rows]
    lines = [ln + "  " + row[-1] for ln, row in zip(lines, rows, strict=True)]
    return "\n".join(ln.rstrip() for ln in lines)


def main(args: argparse.Namespace) -> int:
    """Run ``quantgeo sweep`` for parsed ``args``; returns the exit status (module docstring)."""
    from quantgeo import _interrupt
    from quantgeo.errors import ScenarioError
    from quantgeo.sweep.executors import make_executor
    from quantgeo.sweep.run import sweep

    # signals recorded (also under ``python -m quantgeo.sweep``), so that an error a library
    # raises while unwinding from Ctrl-C (zipfile, closing a half-written .npz: "Can't close
    # the ZIP file while there is an open writing handle") is reported as the interrupt
    previous = _interrupt.install()
    mark = _interrupt.signals_seen()
    handle = None
    try:
        vary = parse_vary(args.vary)
        sets = parse_sets(args.set)
        if args.scheduler is not None and args.executor != "dask":
            raise ValueError(f"`--scheduler` needs --executor dask, got --executor {args.executor}")
        executor: Any = None
        if args.executor != "processes":
            handle = make_executor(
                args.executor,
                workers=args.workers,
                scheduler=args.scheduler,
                timeout=args.timeout,
            )
            executor = handle.executor
        result = sweep(
            args.file,
            vary,
            executor,
            out=args.out,
            overrides=sets or None,
            fast=args.fast,
            workers=args.workers,
            seed=args.seed,
            reference=False if args.no_reference else None,
            progress=False if args.quiet else None,
            command=" ".join(["quantgeo", "sweep", *sys.argv[1:]]),
        )
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError, FileNotFoundError, ConnectionError, ImportError) as exc:
        got = _interrupt.interrupted_by(mark)
        if got is not None:
            print("interrupted: completed points are kept; re-run to resume", file=sys.stderr)
            return got.exit_status
        print(f"quantgeo sweep: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        print("interrupted: completed points are kept; re-run to resume", file=sys.stderr)
        # SIGTERM arrives as an Interrupted carrying its own status (143), SIGINT as 130
        return int(getattr(exc, "exit_status", EXIT_INTERRUPT))
    finally:
        if handle is not None:
            handle.close()
        _interrupt.restore(previous)
    if not args.quiet:
        print(_summary(result, list(vary)))
        print(
            f"{result.n_points} points: {result.n_passed} passed, {result.n_failed} failed "
            f"({result.n_errors} raised); run {result.n_run}, skipped {result.n_skipped} "
            f"(complete); {result.wall_time:.1f} s"
        )
        print(f"table: {result.out / 'sweep.json'}, {result.out / 'sweep.csv'}")
    for r in result.rows:
        if r["status"] == "error":
            print(f"point {r['index']} ({r['point']}): {r['error']}", file=sys.stderr)
    return min(result.n_failed, MAX_FAILED_STATUS)
