"""``quantgeo bench`` (split-operator benchmark ratios) and ``quantgeo warmup`` (fill the Numba
cache)."""

from __future__ import annotations

import argparse
from typing import Any

from quantgeo._table import format_table
from quantgeo.cli._common import EXIT_OK, out, provenance, write_json

__all__ = ["add_parsers"]


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``bench`` and ``warmup`` to the sub-parsers ``sub``."""
    p = sub.add_parser(
        "bench",
        parents=[common],
        help="benchmark ratios of the split-operator solver",
        description="Print benchmark ratios measured in one run (quantgeo._bench; "
        "benchmarks/split_operator.py runs the same).",
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    p.add_argument(
        "--json", metavar="FILE", help="also write the rows (and the provenance) as JSON"
    )
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


def _cmd_bench(args: argparse.Namespace) -> int:
    from quantgeo._bench import format_rows, run_benchmarks

    rows = run_benchmarks(args.quick)
    out(format_rows(rows))
    if args.json:
        write_json(args.json, {"rows": rows, "provenance": provenance(args, backend="numba")})
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
        ("lattice learning kernels (p, S)", "madelung"),
        ("Langevin ensemble kernel", "learning"),
        ("Wright–Fisher kernel", "evolution"),
        ("lattice learners kernel (Bell jumps)", "learners"),
    ]
    for label, family in others:
        t = warmup((family,))
        rows.append([label, "-", f"{float(t):.2f} s", "compiled or loaded"])
    cache = getattr(stats, "cache_path", None)
    out(format_table(rows, ["kernels", "dimensions", "seconds", "how"]))
    if cache:
        out(f"Numba cache: {cache}")
    return EXIT_OK
