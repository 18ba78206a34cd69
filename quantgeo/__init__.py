"""quantgeo — geometric learning dynamics and the emergent lattice Schrödinger equation.

Public names (a contract, see ARCHITECTURE.md): lattices, Hamiltonians, wavefunctions, the
split-operator solver, the QuTiP reference, recording and comparison.  They are imported on
first use (:mod:`quantgeo._lazy`), so ``import quantgeo`` costs almost nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from quantgeo._lazy import attach

if TYPE_CHECKING:  # the names as the type checker sees them; the table below must match
    from quantgeo import observables, potentials
    from quantgeo._version import __version__
    from quantgeo.compare import Comparison, compare
    from quantgeo.emergence import BornEnsemble, MadelungLattice
    from quantgeo.errors import (
        LatticeMismatchError,
        QuantgeoError,
        QuantgeoWarning,
        ResourceError,
        ScenarioError,
        StabilityError,
    )
    from quantgeo.hamiltonian import Hamiltonian
    from quantgeo.lattice import Lattice
    from quantgeo.recording import Recorder, Trajectory
    from quantgeo.reference import QutipReference
    from quantgeo.scenario import Scenario, load_scenario, run_scenario
    from quantgeo.solvers import (
        SCHEMES,
        AbsorbingBoundary,
        Engine,
        GroundState,
        ImaginaryTimeSolver,
        SplitOperatorSolver,
        SplittingScheme,
    )
    from quantgeo.wavefunction import Wavefunction, coherent, eigenstate, gaussian, plane_wave

__getattr__, __dir__ = attach(
    __name__,
    {
        "._version": ["__version__"],
        ".compare": ["Comparison", "compare"],
        ".emergence": ["BornEnsemble", "MadelungLattice"],
        ".errors": [
            "LatticeMismatchError",
            "QuantgeoError",
            "QuantgeoWarning",
            "ResourceError",
            "ScenarioError",
            "StabilityError",
        ],
        ".hamiltonian": ["Hamiltonian"],
        ".lattice": ["Lattice"],
        ".recording": ["Recorder", "Trajectory"],
        ".reference": ["QutipReference"],
        ".scenario": ["Scenario", "load_scenario", "run_scenario"],
        ".solvers": [
            "SCHEMES",
            "AbsorbingBoundary",
            "Engine",
            "GroundState",
            "ImaginaryTimeSolver",
            "SplitOperatorSolver",
            "SplittingScheme",
        ],
        ".wavefunction": ["Wavefunction", "coherent", "eigenstate", "gaussian", "plane_wave"],
    },
    submodules=["observables", "potentials"],
)

__all__ = [
    "SCHEMES",
    "AbsorbingBoundary",
    "BornEnsemble",
    "Comparison",
    "Engine",
    "GroundState",
    "Hamiltonian",
    "ImaginaryTimeSolver",
    "Lattice",
    "LatticeMismatchError",
    "MadelungLattice",
    "QuantgeoError",
    "QuantgeoWarning",
    "QutipReference",
    "Recorder",
    "ResourceError",
    "Scenario",
    "ScenarioError",
    "SplitOperatorSolver",
    "SplittingScheme",
    "StabilityError",
    "Trajectory",
    "Wavefunction",
    "__version__",
    "coherent",
    "compare",
    "eigenstate",
    "gaussian",
    "load_scenario",
    "observables",
    "plane_wave",
    "potentials",
    "run_scenario",
]
