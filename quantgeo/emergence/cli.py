"""``quantgeo emergence``: the three-way comparison and the Born ensembles from the command line.

The ``quantgeo`` command's owner wires it with::

    from quantgeo.emergence.cli import add_emergence_parser, run_emergence_cli
    add_emergence_parser(subparsers)          # sets func=run_emergence_cli
    ...
    return args.func(args)

Set-up: a harmonic trap on a periodic lattice (1D, 2D or 3D), a coherent state displaced to
``--center`` with ``--momentum``; ``kinetic="lattice"``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from quantgeo.errors import QuantgeoError

__all__ = ["add_emergence_parser", "build_setup", "run_emergence_cli"]

_DEFAULTS: dict[int, dict[str, list[float]]] = {
    1: {"sites": [160], "box": [10.0], "mass": [1.0], "omega": [1.0], "center": [2.0]},
    2: {
        "sites": [64.0, 64.0],
        "box": [8.0, 4.0],
        "mass": [1.0, 4.0],
        "omega": [1.0, 1.0],
        "center": [1.5, 0.5],
    },
    3: {
        "sites": [20.0, 16.0, 12.0],
        "box": [7.0, 5.6, 4.2],
        "mass": [1.0, 1.5, 2.0],
        "omega": [1.0, 1.2, 1.5],
        "center": [0.8, -0.5, 0.3],
    },
}


def add_emergence_parser(subparsers: Any) -> Any:
    """Add the ``emergence`` sub-command to an ``argparse`` sub-parsers object.

    Returns the new parser; its ``func`` default is :func:`run_emergence_cli`.
    """
    p = subparsers.add_parser(
        "emergence",
        help="learning variables (p, S) vs split-operator vs QuTiP, and Born ensembles",
        description=(
            "Evolve a trap coherent state with the a = 1 lattice learning variables, the "
            "split-operator solver and QuTiP; print the max L2 distance of each pair, norm and "
            "energy drift, the smallest density met, and the Born-ensemble distance to |ψ|² for "
            "each a (THEORY.md §2, E1 and E3)."
        ),
    )
    p.add_argument("--dim", type=int, choices=(1, 2, 3), default=1, help="lattice dimension")
    p.add_argument(
        "--sites", type=int, nargs="+", help="sites per axis (default 160 | 64 64 | 20 16 12)"
    )
    p.add_argument(
        "--box",
        type=float,
        nargs="+",
        help="half-width L per axis: box [-L, L) (10 | 8 4 | 7 5.6 4.2)",
    )
    p.add_argument("--mass", type=float, nargs="+", help="mass per axis (default 1 | 1 4)")
    p.add_argument("--omega", type=float, nargs="+", help="trap frequency per axis")
    p.add_argument("--center", type=float, nargs="+", help="initial displacement per axis")
    p.add_argument("--momentum", type=float, nargs="+", help="initial momentum per axis")
    p.add_argument("--hbar", type=float, default=1.0, help="ħ (default 1)")
    p.add_argument("--t-end", type=float, default=10.0, help="end time (default 10)")
    p.add_argument("--every", type=float, default=0.1, help="record interval (default 0.1)")
    p.add_argument("--rtol", type=float, default=1e-10, help="learning-variable rtol")
    p.add_argument("--atol", type=float, default=1e-10, help="learning-variable atol")
    p.add_argument("--dt", type=float, default=0.005, help="split-operator step (yoshida4)")
    p.add_argument("--no-qutip", action="store_true", help="leave QuTiP out")
    p.add_argument("--no-born", action="store_true", help="skip the Born ensembles")
    p.add_argument("--walkers", type=int, default=20_000, help="Born-ensemble walkers")
    p.add_argument("--seed", type=int, default=0, help="Born-ensemble seed")
    p.add_argument("--born-t-end", type=float, default=5.0, help="Born-ensemble end time")
    p.add_argument(
        "--learners",
        type=int,
        default=0,
        metavar="M",
        help="also run M lattice learners (Bell's jumps) for each a; 0: none (default)",
    )
    p.add_argument(
        "--json", metavar="PATH", help="also write the full result (and the provenance) as JSON"
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars (default: when stderr is a terminal)",
    )
    p.set_defaults(func=run_emergence_cli)
    return p


def _per_axis(name: str, value: list[float] | None, default: list[float], dim: int) -> list[float]:
    vals = default if value is None else value
    if len(vals) == 1:
        vals = vals * dim
    if len(vals) != dim:
        raise ValueError(f"`--{name}` needs 1 or {dim} values, got {len(vals)}: {vals}")
    return list(vals)


def build_setup(args: argparse.Namespace) -> tuple[Any, Any]:
    """Return ``(ham, psi0)`` for the parsed arguments (harmonic trap, coherent state)."""
    from quantgeo.hamiltonian import Hamiltonian
    from quantgeo.lattice import Lattice
    from quantgeo.potentials import harmonic
    from quantgeo.wavefunction import coherent

    dim = int(args.dim)
    dflt = _DEFAULTS[dim]
    sites = [int(n) for n in _per_axis("sites", args.sites, dflt["sites"], dim)]
    box = _per_axis("box", args.box, dflt["box"], dim)
    mass = _per_axis("mass", args.mass, dflt["mass"], dim)
    omega = _per_axis("omega", args.omega, dflt["omega"], dim)
    center = _per_axis("center", args.center, dflt["center"], dim)
    momentum = _per_axis("momentum", args.momentum, [0.0], dim)
    lat = Lattice(sites, [(-b, b) for b in box])
    ham = Hamiltonian(lat, harmonic(omega), mass=mass, hbar=args.hbar)
    return ham, coherent(ham, omega=omega, center=center, momentum=momentum)


def run_emergence_cli(args: argparse.Namespace) -> int:
    """Run :func:`~quantgeo.emergence.emergence` for parsed arguments and print the report.

    Returns 0 on success, 1 when the learning variables stopped at a singular density, 2 on
    bad input or a numerical failure of another engine.
    """
    from .comparison import emergence

    try:
        ham, psi0 = build_setup(args)
        result = emergence(
            ham,
            psi0,
            (0.0, float(args.t_end)),
            every=args.every,
            rtol=args.rtol,
            atol=args.atol,
            solver_dt=args.dt,
            qutip=not args.no_qutip,
            born_a=() if args.no_born else (0.0, 0.5, 1.0),
            walkers=args.walkers,
            seed=args.seed,
            born_t_end=min(float(args.born_t_end), float(args.t_end)),
            learners=args.learners,
            progress=args.progress,
        )
    except (QuantgeoError, ValueError, TypeError) as err:
        print(f"quantgeo emergence: error: {err}", file=sys.stderr)
        return 2
    print(result.format())
    if args.json:
        from quantgeo.cli._common import provenance, write_json

        data = result.to_dict()
        data["provenance"] = provenance(args, backend="numba", seed=args.seed)
        write_json(args.json, data)
        print(f"wrote {args.json}")
    return 1 if result.singular is not None else 0
