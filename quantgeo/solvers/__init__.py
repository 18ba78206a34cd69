"""Time-stepping solvers for the lattice Schrödinger equation."""

from quantgeo.solvers.schemes import SCHEMES, SplittingScheme, get_scheme
from quantgeo.solvers.split_operator import AbsorbingBoundary, GroundState, SplitOperatorSolver

__all__ = [
    "SCHEMES",
    "AbsorbingBoundary",
    "GroundState",
    "SplitOperatorSolver",
    "SplittingScheme",
    "get_scheme",
]
