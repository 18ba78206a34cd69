"""Time-stepping solvers for the lattice Schrödinger equation, and the engines' run contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantgeo._lazy import attach

if TYPE_CHECKING:  # the names as the type checker sees them; the table below must match
    from quantgeo.solvers.base import Engine
    from quantgeo.solvers.imaginary import ImaginaryTimeOptions, ImaginaryTimeSolver
    from quantgeo.solvers.schemes import SCHEMES, SplittingScheme, get_scheme
    from quantgeo.solvers.split_operator import (
        AbsorbingBoundary,
        GroundState,
        SplitOperatorOptions,
        SplitOperatorSolver,
    )

__getattr__, __dir__ = attach(
    __name__,
    {
        ".base": ["Engine"],
        ".imaginary": ["ImaginaryTimeOptions", "ImaginaryTimeSolver"],
        ".schemes": ["SCHEMES", "SplittingScheme", "get_scheme"],
        ".split_operator": [
            "AbsorbingBoundary",
            "GroundState",
            "SplitOperatorOptions",
            "SplitOperatorSolver",
        ],
    },
)

__all__ = [
    "SCHEMES",
    "AbsorbingBoundary",
    "Engine",
    "GroundState",
    "ImaginaryTimeOptions",
    "ImaginaryTimeSolver",
    "SplitOperatorOptions",
    "SplitOperatorSolver",
    "SplittingScheme",
    "get_scheme",
]
