"""Time-stepping solvers for the lattice Schrödinger equation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantgeo._lazy import attach

if TYPE_CHECKING:  # the names as the type checker sees them; the table below must match
    from quantgeo.solvers.schemes import SCHEMES, SplittingScheme, get_scheme
    from quantgeo.solvers.split_operator import AbsorbingBoundary, GroundState, SplitOperatorSolver

__getattr__, __dir__ = attach(
    __name__,
    {
        ".schemes": ["SCHEMES", "SplittingScheme", "get_scheme"],
        ".split_operator": ["AbsorbingBoundary", "GroundState", "SplitOperatorSolver"],
    },
)

__all__ = [
    "SCHEMES",
    "AbsorbingBoundary",
    "GroundState",
    "SplitOperatorSolver",
    "SplittingScheme",
    "get_scheme",
]
