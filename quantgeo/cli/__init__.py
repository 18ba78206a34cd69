"""The ``quantgeo`` command.

Subcommands, one module per group::

    run.py       quantgeo run FILE          one scenario: table, <out>/report.json, trajectory.npz
                 quantgeo validate [PATH…]  run scenarios (default: the bundled ones, fast)
                 quantgeo compare FILE      split-operator vs qutip.sesolve: plot and JSON
    animate.py   quantgeo animate FILE -o out.gif|out.mp4
    bench.py     quantgeo bench             split-operator benchmark ratios
                 quantgeo warmup            compile (or load from cache) the Numba kernels
    schema.py    quantgeo schema [-o FILE]  JSON Schema of the scenario format
    optional.py  quantgeo regimes …         learning regimes (quantgeo.learning.regimes)
                 quantgeo emergence …       emergence of the Schrödinger equation
                                            (quantgeo.emergence.cli)

Every table goes through :func:`quantgeo._table.format_table`, and every JSON file carries the
same ``provenance`` block (:func:`quantgeo.cli._common.provenance`).

Exit codes (:data:`EXIT_STATUSES`, also in ``quantgeo --help``): 0 success; 1 a check failed;
2 bad input (scenario errors, unknown options, unusable output paths; nothing was run); 3 the
run failed (numerical instability, out of memory, an error writing output); 130 interrupted
by SIGINT (Ctrl-C), 143 by SIGTERM, with no partial output left.  The command (this package
and the ``*_cli`` functions it delegates to) is the only place in quantgeo that prints.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from typing import Any

from quantgeo.cli import animate, bench, optional, run, schema
from quantgeo.cli._common import (
    EXIT_FAIL,
    EXIT_INTERRUPT,
    EXIT_OK,
    EXIT_RUN_FAILED,
    EXIT_STATUSES,
    EXIT_TERMINATED,
    EXIT_USAGE,
    err,
)
from quantgeo.cli._common import parse_sets as _parse_sets  # noqa: F401 (tests use the old name)
from quantgeo.cli.optional import OPTIONAL_COMMANDS

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPT",
    "EXIT_OK",
    "EXIT_RUN_FAILED",
    "EXIT_STATUSES",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "OPTIONAL_COMMANDS",
    "VERSION_OF",
    "build_parser",
    "log_level",
    "main",
    "version_text",
]

log = logging.getLogger("quantgeo.cli")


def _version() -> str:
    from quantgeo._version import __version__

    return __version__


#: Distributions whose versions ``quantgeo --version`` prints after quantgeo's own.
VERSION_OF = ("numpy", "numba", "qutip", "rocket-fft")


def version_text() -> str:
    """``quantgeo X`` and one ``name Y`` line per :data:`VERSION_OF`, read from the installed
    metadata (nothing is imported; ``not installed`` when a distribution is missing)."""
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"quantgeo {_version()}"]
    for dist in VERSION_OF:
        try:
            lines.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            lines.append(f"{dist} not installed")
    return "\n".join(lines) + "\n"


class _VersionAction(argparse.Action):
    """``--version``; reads the installed version only when asked (it costs an import)."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings,
            dest=dest,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show the versions of quantgeo, numpy, numba, qutip, rocket-fft and exit",
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        sys.stdout.write(version_text())
        parser.exit()


def log_level(verbose: int, quiet: int) -> int:
    """Logging level of ``-v`` / ``-q`` counts: WARNING by default, each ``-v`` one level more
    detailed (INFO, DEBUG), each ``-q`` one less (ERROR, then CRITICAL + 1: nothing)."""
    levels = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL + 1]
    return levels[min(max(2 + quiet - verbose, 0), len(levels) - 1)]


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argparse parser; the optional subcommands' own parsers are imported only when
    ``argv`` selects them (so ``quantgeo --help`` never depends on them)."""
    parser = argparse.ArgumentParser(
        prog="quantgeo",
        description=(
            "Geometric learning dynamics and the emergent lattice Schrödinger equation: run and "
            "validate scenarios, compare with QuTiP, make animations."
        ),
        epilog="Scenario files: see scenarios/README.md. Exit codes: "
        + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_STATUSES.items())
        + ".",
    )
    parser.add_argument("--version", action=_VersionAction)
    # global options (before the subcommand); their own dests, so that a subcommand's
    # `-q/--quiet` default never overwrites them
    parser.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="count",
        default=0,
        help="log more: -v INFO, -vv DEBUG (default WARNING)",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        dest="global_quiet",
        action="count",
        default=0,
        help="log less: -q ERROR, -qq nothing; also implies the subcommand's --quiet",
    )
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
    run.add_parsers(sub, common, scen)
    animate.add_parsers(sub, common, scen)
    bench.add_parsers(sub, common)
    schema.add_parsers(sub, common)
    optional.add_parsers(sub, argv)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``quantgeo`` console script; returns the exit code.

    SIGINT and SIGTERM are routed to :class:`quantgeo._interrupt.Interrupted` first of all,
    before any heavy import: an interrupt anywhere prints one line and returns 130 (SIGINT) or
    143 (SIGTERM), the temporary files having been removed by the writers' ``finally`` blocks.
    """
    from quantgeo import _interrupt

    previous = _interrupt.install()
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), "")
    name = f"quantgeo {command}".rstrip()
    mark = _interrupt.signals_seen()
    try:
        _interrupt.pause_at("imports")
        return _main(args_list)
    except BaseException as exc:
        # whatever a library raised once a signal arrived (QuTiP turns the KeyboardInterrupt
        # raised in its integrator into a ValueError) is the interrupt
        got = exc if isinstance(exc, _interrupt.Interrupted) else _interrupt.interrupted_by(mark)
        if got is None and isinstance(exc, KeyboardInterrupt):
            got = _interrupt.Interrupted(2)
        if got is None:
            raise
        err(f"{name}: interrupted ({got.name}); no partial output was left")
        return got.exit_status
    finally:  # for callers in the same process (tests, notebooks)
        _interrupt.restore(previous)


def _main(args_list: list[str]) -> int:
    started = time.perf_counter()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    level = log_level(args.verbosity, args.global_quiet)
    logging.getLogger("quantgeo").setLevel(level)
    logging.getLogger().setLevel(level)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    if getattr(args, "func", None) is None:
        # a stub of an optional subcommand reached without its module being imported
        args = build_parser([args.command]).parse_args(args_list)
    if args.global_quiet:
        args.quiet = True
    # the one source of the command line and its duration in provenance blocks
    args.argv, args.started = args_list, started
    from quantgeo.errors import ScenarioError, StabilityError

    name = f"quantgeo {args.command}"
    try:
        return int(args.func(args))
    except ScenarioError as exc:
        for problem in exc.problems:
            err(problem)
        return EXIT_USAGE
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        err(f"{name}: error: {exc}")
        return EXIT_USAGE
    except StabilityError as exc:
        err(f"{name}: error: numerical failure at t = {exc.t:g} (step {exc.step}): {exc}")
        return EXIT_RUN_FAILED
    except MemoryError as exc:
        detail = f" ({exc})" if str(exc) else ""
        err(f"{name}: error: out of memory{detail}; reduce the lattice, the records or the steps")
        return EXIT_RUN_FAILED
    except OSError as exc:
        err(f"{name}: error: {exc}")
        return EXIT_RUN_FAILED
