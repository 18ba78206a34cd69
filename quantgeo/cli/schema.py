"""``quantgeo schema``: the JSON Schema of the scenario format, for editors and validators.

With a TOML language server (e.g. Taplo, or Even Better TOML in VS Code) pointed at the
written file, scenario files are completed and checked while they are typed.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from quantgeo.cli._common import EXIT_OK, EXIT_USAGE, err, out

__all__ = ["add_parsers", "schema_text"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``schema`` to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "schema",
        parents=[common],
        help="print (or write) the JSON Schema of the scenario format",
        description="Print the JSON Schema of scenario files, generated from the scenario "
        "models (quantgeo.scenario.json_schema), or write it atomically with -o; point a TOML "
        "language server at it to complete and check scenario files in an editor.",
    )
    p.add_argument("-o", "--out", metavar="FILE", help="write the schema to FILE")
    p.set_defaults(func=_cmd_schema)


def schema_text() -> str:
    """The scenario JSON Schema as indented JSON text (ending in a newline).

    Raises
    ------
    LookupError
        When this installation's :mod:`quantgeo.scenario` has no ``json_schema()``.
    """
    from quantgeo import scenario

    json_schema = getattr(scenario, "json_schema", None)
    if json_schema is None:
        raise LookupError("quantgeo.scenario has no json_schema() in this installation")
    schema = json_schema()
    if isinstance(schema, str):
        return schema if schema.endswith("\n") else schema + "\n"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _cmd_schema(args: argparse.Namespace) -> int:
    try:
        text = schema_text()
    except LookupError as exc:
        err(f"quantgeo schema: not available: {exc}")
        return EXIT_USAGE
    if args.out:
        from quantgeo._io import atomic_write_text

        atomic_write_text(args.out, text)
        if not args.quiet:
            out(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    return EXIT_OK
