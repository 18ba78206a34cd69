"""Subcommands provided by other parts of quantgeo (``regimes`` by :mod:`quantgeo.learning`,
``emergence`` by :mod:`quantgeo.emergence`, ``phases`` by :mod:`quantgeo.evolution`, ``sweep`` by
:mod:`quantgeo.sweep`).

Their modules are imported only when the command line selects them, so ``quantgeo --help`` and
the other commands never depend on them; a module that cannot be imported turns its command
into a clear "not available" message (exit 2).
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

from quantgeo.cli._common import EXIT_USAGE, err

__all__ = ["OPTIONAL_COMMANDS", "add_parsers"]

#: name → (module, add-parser function, run function, help).
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
    "phases": (
        "quantgeo.evolution.cli",
        "add_phases_parser",
        "run_phases_cli",
        "phase diagram of the a = ½ window of the crossover metric (quantgeo.evolution)",
    ),
    "sweep": (
        "quantgeo.sweep.cli",
        "add_parser",
        "main",
        "run a scenario over a Cartesian product of --vary values (processes, Dask, MPI)",
    ),
}


def first_positional(argv: Sequence[str]) -> str | None:
    """The first argument that is not an option (the chosen subcommand, if any)."""
    for tok in argv:
        if not tok.startswith("-"):
            return tok
    return None


def add_parsers(sub: Any, argv: Sequence[str]) -> None:
    """Add every optional subcommand: the real parser for the one ``argv`` selects, a stub
    (listed in ``--help``, ``func=None``) for the others."""
    chosen = first_positional(argv)
    for name, (module, add_name, run_name, help_text) in OPTIONAL_COMMANDS.items():
        if chosen == name:
            _add_optional(sub, name, module, add_name, run_name, help_text)
        else:
            stub = sub.add_parser(name, help=help_text, add_help=False)
            stub.add_argument("rest", nargs=argparse.REMAINDER)
            stub.set_defaults(func=None)


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
    err(f"quantgeo {name}: not available in this installation ({module}: {reason})")
    return EXIT_USAGE
