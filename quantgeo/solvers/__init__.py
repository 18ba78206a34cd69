"""Time-stepping solvers for the lattice Schrödinger equation, and the engines' run contract."""

from quantgeo.solvers.base import Engine
from quantgeo.solvers.imaginary import ImaginaryTimeSolver
from quantgeo.solvers.schemes import SCHEMES, SplittingScheme, get_scheme
from quantgeo.solvers.split_operator import AbsorbingBoundary, GroundState, SplitOperatorSolver

__all__ = [
    "SCHEMES",
    "AbsorbingBoundary",
    "Engine",
    "GroundState",
    "ImaginaryTimeSolver",
    "SplitOperatorSolver",
    "SplittingScheme",
    "get_scheme",
]
