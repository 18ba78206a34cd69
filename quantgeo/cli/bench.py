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
    p.add_argument(
        "--qutip-methods",
        choices=("default", "all"),
        default="default",
        help="QuTiP comparison: 'default' times sesolve's Adams method (the rows above); "
        "'all' tries every applicable method (adams, bdf, vern9, dop853, krylov, diag) and "
        "prints the ratio to the fastest at equal accuracy (quantgeo._qutip_bench)",
    )
    p.add_argument(
        "--qutip-only",
        action="store_true",
        help="with --qutip-methods all: only the QuTiP table, not the split-operator rows",
    )
    p.add_argument(
        "--qutip-sizes",
        nargs="+",
        metavar="SIZE",
        help="with --qutip-methods all: sizes such as 1024 48x48 20x20x20 driven:1024 "
        "(default: those four; with --quick smaller ones)",
    )
    p.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="with --qutip-methods all: interleaved timing rounds (default 5, --quick 1)",
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

    doc: dict[str, Any]
    if args.qutip_methods == "default":
        rows = run_benchmarks(args.quick)
        out(format_rows(rows))
        doc = {"rows": rows}
    else:
        from quantgeo._qutip_bench import format_methods, run_qutip_methods, to_json

        rows = [] if args.qutip_only else run_benchmarks(args.quick, qutip=False)
        if rows:
            out(format_rows(rows))
            out()
        table = run_qutip_methods(args.qutip_sizes, quick=args.quick, rounds=args.rounds)
        out(format_methods(table))
        doc = {"rows": rows, "qutip_methods": to_json(table)}
    if args.json:
        write_json(args.json, {**doc, "provenance": provenance(args, backend="numba")})
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
    from quantgeo.solvers.fft import have_pyfftw

    if have_pyfftw():
        t = warmup(("fftw",), dims)
        rows.insert(1, ["FFTW-from-Numba kernels", rows[0][1], f"{t:.2f} s", "compiled or loaded"])
    for label, family in others:
        t = warmup((family,))
        rows.append([label, "-", f"{float(t):.2f} s", "compiled or loaded"])
    cache = getattr(stats, "cache_path", None)
    out(format_table(rows, ["kernels", "dimensions", "seconds", "how"]))
    if cache:
        out(f"Numba cache: {cache}")
    return EXIT_OK
