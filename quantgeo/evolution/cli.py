"""``quantgeo phases``: the phase diagram of the emergence of efficient learning (THEORY §3).

Wired into :mod:`quantgeo.cli` as an optional command (imported only when selected).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_phases_parser", "run_phases_cli"]


def add_phases_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``phases`` sub-command to an ``argparse`` sub-parser collection."""
    from quantgeo.learning.crossover import LAWS

    p: argparse.ArgumentParser = subparsers.add_parser(
        "phases",
        help="phase diagram of the a = ½ window of the crossover metric vs εζ (PNG + JSON)",
        description=(
            "Order parameter f_½(εζ) and window width (decades of κ) of the sum and product "
            "crossover laws, a heat map of a_eff, and the learning speed of CovariantGD on an "
            "ill-conditioned minibatch quadratic against εζ (quantgeo.evolution.phases)."
        ),
    )
    p.add_argument("--laws", nargs="+", choices=LAWS, default=list(LAWS), help="crossover laws")
    p.add_argument("--delta", type=float, default=0.1, help="window half-width δ in a_eff")
    p.add_argument("--decades", type=float, default=8.0, help="decades of the κ spectrum")
    p.add_argument("--condition", type=float, default=1e4, help="condition number of A")
    p.add_argument("--max-steps", type=int, default=2000, help="iterations before giving up")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="minibatch seeds")
    p.add_argument("--figure", default="quantgeo-out/phases.png", help="PNG path")
    p.add_argument("--no-figure", action="store_true", help="do not save a figure")
    p.add_argument("--json", metavar="PATH", help="also write the diagram (and provenance)")
    p.set_defaults(func=run_phases_cli)
    return p


def run_phases_cli(args: argparse.Namespace) -> int:
    """Entry point of ``quantgeo phases``: compute, print the summary, write the outputs."""
    from quantgeo._table import format_table
    from quantgeo.errors import QuantgeoError
    from quantgeo.evolution.phases import phases

    try:
        diagram = phases(
            laws=args.laws,
            delta=args.delta,
            decades=args.decades,
            condition=args.condition,
            max_steps=args.max_steps,
            seeds=args.seeds,
            figure=None if args.no_figure else args.figure,
        )
    except (QuantgeoError, ValueError, TypeError) as exc:
        print(f"quantgeo phases: error: {exc}", file=sys.stderr)
        return 2
    summary = diagram.summary()
    rows = []
    for law in args.laws:
        row = summary[law]
        fastest = row.get("fastest_eps_zeta")
        rows.append(
            [
                law,
                f"{row['widest_window_eps_zeta']:.3g}",
                f"{row['iterations_at_widest']:.0f}",
                "-" if fastest is None else f"{fastest:.3g}",
                "-" if fastest is None else f"{row['fastest_iterations']:.0f}",
                "-" if fastest is None else f"{row['f_half_at_fastest']:.2f}",
            ]
        )
    print(
        format_table(
            rows,
            ["law", "widest εζ", "iterations", "fastest εζ", "iterations", "f_½ there"],
        )
    )
    refs = ", ".join(f"a = {a}: {v:.0f}" for a, v in summary["reference_iterations"].items())
    print(f"pure powers (iterations): {refs}")
    if not args.no_figure:
        print(f"wrote {args.figure}")
    if args.json:
        from quantgeo.cli._common import provenance, write_json

        data = diagram.to_dict()
        data["provenance"] = provenance(args, backend=None, seed=None)
        write_json(args.json, data)
        print(f"wrote {args.json}")
    return 0
