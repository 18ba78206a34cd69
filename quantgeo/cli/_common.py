"""Shared pieces of the ``quantgeo`` command: output, exit codes, ``--set`` parsing, scenario
loading, check rows, JSON files and the provenance block of every machine-readable output."""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from quantgeo._table import fmt_value

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPT",
    "EXIT_OK",
    "EXIT_RUN_FAILED",
    "EXIT_STATUSES",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "add_max_memory",
    "check_rows",
    "command_line",
    "err",
    "load",
    "out",
    "parse_sets",
    "progress",
    "provenance",
    "tolerance",
    "toml_value",
    "write_json",
]

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_RUN_FAILED = 0, 1, 2, 3
#: 128 + the signal number, the shell's convention: SIGINT (Ctrl-C) and SIGTERM.
EXIT_INTERRUPT, EXIT_TERMINATED = 130, 143

#: Every exit status of the ``quantgeo`` command and its meaning (printed by ``--help``).
EXIT_STATUSES = {
    EXIT_OK: "ok",
    EXIT_FAIL: "a check failed",
    EXIT_USAGE: "bad input (nothing was run)",
    EXIT_RUN_FAILED: "the run failed (numerical instability, out of memory, writing output)",
    EXIT_INTERRUPT: "interrupted by SIGINT",
    EXIT_TERMINATED: "by SIGTERM (no partial output is left)",
}


def out(text: str = "") -> None:
    """Print ``text`` to stdout (flushed: tables appear before any later stderr line)."""
    print(text, flush=True)


def err(text: str) -> None:
    """Print ``text`` to stderr."""
    print(text, file=sys.stderr, flush=True)


def progress(args: argparse.Namespace) -> bool:
    """Progress bars unless ``--quiet``, and only when stderr is a terminal."""
    from quantgeo._progress import progress_enabled

    return not getattr(args, "quiet", False) and progress_enabled(None)


def command_line(args: argparse.Namespace | None = None) -> str:
    """The command as typed: ``args.argv`` (set by :func:`quantgeo.cli.main`), else
    ``sys.argv``; shell-quoted so that it can be pasted back."""
    argv = getattr(args, "argv", None)
    return shlex.join(["quantgeo", *(sys.argv[1:] if argv is None else argv)])


def provenance(
    args: argparse.Namespace | None = None,
    *,
    backend: str | None = None,
    workers: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """The provenance block of every JSON file the command writes.

    :func:`quantgeo.scenario.provenance` (versions, Python, platform, backend, thread counts,
    seed) plus ``command`` (:func:`command_line`), ``created`` (UTC, ISO 8601) and ``seconds``
    (wall-clock time from the start of :func:`quantgeo.cli.main` to this block; ``None`` when
    the command was not started through it).
    """
    from quantgeo.scenario import provenance as _base

    started = getattr(args, "started", None)
    block = _base(backend=backend, workers=workers, seed=seed)
    block["command"] = command_line(args)
    block["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    block["seconds"] = None if started is None else time.perf_counter() - started
    return block


def _max_memory(text: str) -> int | None:
    """argparse ``type`` of ``--max-memory``: the size in bytes, also put in the environment
    (:data:`quantgeo._preflight.ENV_VAR`) so that every run of the command — sweep workers
    included — checks against it.  argparse converts the ``""`` default too, which clears a
    limit left by an earlier command of the same process."""
    from quantgeo._preflight import ENV_VAR, parse_size

    if text == "":
        os.environ.pop(ENV_VAR, None)
        return None
    try:
        nbytes = parse_size(text, "--max-memory")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("`--max-memory` ", "")) from None
    os.environ[ENV_VAR] = str(nbytes)
    return nbytes


def add_max_memory(parser: argparse.ArgumentParser) -> None:
    """Add ``--max-memory SIZE`` (the pre-flight memory limit, :mod:`quantgeo._preflight`)."""
    parser.add_argument(
        "--max-memory",
        type=_max_memory,
        default="",
        metavar="SIZE",
        help="refuse runs estimated to need more memory, e.g. 4GiB or 500MB "
        "(default: the memory available)",
    )


def write_json(path: str | Path, obj: Any) -> None:
    """Write ``obj`` as indented strict JSON (via :func:`quantgeo._io.jsonable`), atomically."""
    from quantgeo._io import atomic_write_text, jsonable

    atomic_write_text(path, json.dumps(jsonable(obj), indent=2) + "\n")


def toml_value(raw: str, where: str = "value") -> Any:
    """A command-line value read as TOML (``[4, 4]``, ``1e-3``, ``true``); a bare word that is
    not TOML is the string itself."""
    import tomllib

    from quantgeo.scenario.load import MAX_DEPTH, _text_depth

    depth, _ = _text_depth(raw)
    if depth > MAX_DEPTH:  # tomllib would recurse that deep (RecursionError)
        raise ValueError(f"{where}: nested {depth} levels deep, at most {MAX_DEPTH}")
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def parse_sets(items: Sequence[str] | None) -> dict[str, Any]:
    """``TABLE.KEY=VALUE`` (TOML value; bare words are strings) → dotted-key mapping."""
    parsed: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"`--set` expects TABLE.KEY=VALUE, got {item!r}")
        parsed[key.strip()] = toml_value(raw, f"`--set {key.strip()}`")
    return parsed


def load(path: str, args: argparse.Namespace, **extra: Any) -> Any:
    """:func:`quantgeo.scenario.load_scenario` with the command's ``--fast`` and ``--set``."""
    from quantgeo.scenario import load_scenario

    sets = parse_sets(getattr(args, "set", None))
    sets.update(extra)
    return load_scenario(path, fast=getattr(args, "fast", False), overrides=sets or None)


def tolerance(check: Any) -> str:
    """``≤ tol`` (an upper bound) or ``≥ tol`` (a lower bound) of a check."""
    return ("≥ " if getattr(check, "bound", "max") == "min" else "≤ ") + fmt_value(check.tolerance)


def check_rows(result: Any) -> list[list[Any]]:
    """Rows ``check, value, tolerance, unit, result, detail`` of a scenario result."""
    return [
        [c.name, c.value, tolerance(c), c.unit, "PASS" if c.passed else "FAIL", c.detail]
        for c in result.checks
    ]
