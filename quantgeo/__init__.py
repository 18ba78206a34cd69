"""quantgeo — geometric learning dynamics and the emergent lattice Schrödinger equation.

Public names (a contract, see ARCHITECTURE.md): lattices, Hamiltonians, wavefunctions, the
split-operator solver, the QuTiP reference, recording and comparison.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from quantgeo import observables, potentials
from quantgeo.compare import Comparison, compare
from quantgeo.emergence import BornEnsemble, MadelungLattice
from quantgeo.errors import (
    LatticeMismatchError,
    QuantgeoError,
    QuantgeoWarning,
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

try:
    __version__ = _version("quantgeo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

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
