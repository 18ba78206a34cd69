r"""Options and results of the split-operator solvers (their defaults, units and ranges).

:class:`SplitOperatorOptions` is the one place a default, unit or range of
:class:`~quantgeo.solvers.split_operator.SplitOperatorSolver` is written (the constructor and the
scenario ``[solver]`` table read it); :class:`AbsorbingBoundary` is its complex absorbing layer;
:class:`GroundState` is what imaginary-time propagation returns.  All are re-exported by
:mod:`quantgeo.solvers.split_operator`, where the public names live.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quantgeo._kernels import BACKENDS
from quantgeo._options import check_options, option
from quantgeo._validation import check_positive
from quantgeo.solvers.fft import FFT_CHOICES
from quantgeo.solvers.schemes import SCHEMES
from quantgeo.wavefunction import Wavefunction

__all__ = [
    "SOLVER_BACKENDS",
    "THREAD_MIN_SITES",
    "AbsorbingBoundary",
    "GroundState",
    "SplitOperatorOptions",
]

#: Below this many sites threads cost more than they save (measured: 1D 4096 is faster on 1).
THREAD_MIN_SITES = 1 << 15
#: ``backend`` values of the solver: the kernel backends, and "mpi" (one state split over MPI
#: ranks, :mod:`quantgeo.solvers.distributed`; numba kernels on each rank's piece).
SOLVER_BACKENDS: tuple[str, ...] = (*BACKENDS, "mpi")


@dataclass(frozen=True)
class AbsorbingBoundary:
    r"""Complex absorbing potential :math:`-i\,\eta\,w(x)` in layers at the box edges.

    ``w`` rises from 0 to 1 as :math:`(d/\ell)^p` over a layer of width :math:`\ell` at both ends of
    every axis (:func:`quantgeo.potentials.absorbing_mask`).  A packet of wavenumber k is absorbed
    with little reflection when the layer spans several wavelengths and
    :math:`\eta\,\ell/(\hbar v) \gg 1` while :math:`\eta \ll \hbar^2 k^2/m`.

    Parameters
    ----------
    width
        Layer width ℓ (length units), scalar or per axis.
    strength
        η (energy units), > 0.
    power
        Exponent p of the ramp (≥ 1).
    """

    width: float | Sequence[float] = option(
        unit="length", doc="Width ℓ of the absorbing layer at each box edge", kind="axis", gt=0
    )
    strength: float = option(unit="energy", doc="η of the complex potential −iη(d/ℓ)^p", gt=0)
    power: int = option(2, doc="Exponent p of the ramp", kind="int", ge=1)

    def __post_init__(self) -> None:
        check_positive("strength", self.strength)
        if isinstance(self.power, bool) or not isinstance(self.power, int) or self.power < 1:
            raise ValueError(f"`power` must be an integer ≥ 1, got {self.power!r}")


@dataclass(frozen=True)
class SplitOperatorOptions:
    """Options of :class:`~quantgeo.solvers.split_operator.SplitOperatorSolver`: its
    defaults, units and ranges (written once; the constructor and the scenario ``[solver]``
    table take them from here).

    Ranges are checked at construction (``ValueError`` naming every field out of range).
    """

    dt: float = option(unit="time", doc="Largest time step (imaginary mode: dτ)", gt=0)
    scheme: str = option("strang", doc="Splitting scheme", kind="str", choices=tuple(SCHEMES))
    backend: str = option(
        "numba",
        doc="Kernels: compiled 'numba', the 'numpy' twins, or 'mpi' (the state split over MPI "
        "ranks: run under mpiexec)",
        kind="str",
        choices=SOLVER_BACKENDS,
    )
    decomposition: int = option(
        1,
        doc="backend 'mpi': 1 = slabs, 2 = pencils (3D only)",
        kind="int",
        ge=1,
        le=2,
    )
    workers: int | None = option(
        None,
        unit="threads",
        doc="FFT threads, or 'auto' (all cores for ≥ 2¹⁵ sites)",
        kind="int_or_auto",
        ge=1,
    )
    fft: str = option(
        "auto",
        doc="FFT: 'rocket' (in Numba), 'fftw' (pyFFTW), 'scipy', or 'auto' (the faster, timed)",
        kind="str",
        choices=FFT_CHOICES,
    )
    check_every: int = option(
        100, unit="steps", doc="Steps between finiteness/norm checks", kind="int", ge=1
    )
    norm_tol: float = option(1e-8, doc="Allowed norm drift before StabilityError", gt=0)
    error_samples: int = option(
        4,
        unit="segments",
        doc="Segments redone with half steps for the splitting-error estimate (0: none)",
        kind="int",
        ge=0,
    )
    error_tol: float = option(
        0.1,
        unit="relative L2",
        doc="Warn when the estimated splitting error ‖ψ − ψ_exact‖/‖ψ₀‖ at t_end exceeds it",
        gt=0,
    )

    def __post_init__(self) -> None:
        check_options(self)


@dataclass(frozen=True)
class GroundState:
    """Result of imaginary-time propagation.

    Attributes
    ----------
    state
        Normalised ground state.
    energy
        ⟨H⟩ of ``state`` (energy units).
    steps
        Imaginary-time steps taken.
    converged
        Whether the energy change over a check interval fell below ``tol`` and the residual
        below ``residual_tol·max(1, |E|)``
        (:class:`~quantgeo.solvers.imaginary.ImaginaryTimeSolver`).
    residual
        ``‖Hψ − Eψ‖`` (lattice L2 norm), an a-posteriori accuracy check.
    """

    state: Wavefunction
    energy: float
    steps: int
    converged: bool
    residual: float
