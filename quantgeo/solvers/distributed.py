r"""One state split over MPI ranks: the split-operator step on mpi4py-fft's ``PFFT``.

``SplitOperatorSolver(ham, dt, backend="mpi", decomposition=1|2)`` delegates here.  Each rank
holds its piece of ψ and its piece of the spectral buffer (:mod:`._mpi_layout`: slabs of axis 0
with ``decomposition=1``, pencils of axes 0 and 1 with ``decomposition=2`` in 3D; a 1D lattice
through the four-step FFT of ``ψ.reshape(N₁, N₂)``).  A Strang sub-step is then

.. math::
    \psi_\text{local} \leftarrow \psi_\text{local}\,(1 + g_V), \qquad
    \hat\psi_\text{local} \leftarrow \hat\psi_\text{local}\,(1 + g_K(k_\text{local})),

the same element-wise Numba kernels (``apply_factor``, ``apply_kinetic``) as the serial solver
on the local pieces, with the serial solver's factors sliced to the piece (so the two agree to
round-off: the only difference is the order of the FFT's floating-point sums), and one forward
and one inverse parallel FFT in between (local FFTs and ``alltoall`` transposes).

Observables are reductions (``allreduce``) of local sums and are identical on every rank.
What needs the whole state — stored states, callable observables, ``e_ops``, callbacks, the
``density`` field — is gathered on rank 0 at the record times only, and only when asked for;
rank 0's :class:`~quantgeo.recording.Trajectory` holds everything, the other ranks' hold the
named observables.  Launch with ``mpiexec -n P python script.py`` or
``mpiexec -n P quantgeo run FILE --set solver.backend=mpi``.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from quantgeo._kernels import kernels
from quantgeo._kernels.reference import compose
from quantgeo._preflight import Estimate, check_run, run_estimate
from quantgeo._validation import check_int
from quantgeo.potentials import absorbing_mask
from quantgeo.recording import Recorder, Trajectory
from quantgeo.solvers._mpi_layout import FourStepLayout, GridLayout, Layout, four_step_factors
from quantgeo.solvers.accuracy import _DECADES, StepDoubling, warn_phases
from quantgeo.solvers.base import ProgressTracker, plan_run, run_plan
from quantgeo.solvers.factors import _bounded, _v_factors, v_exponent
from quantgeo.solvers.split_operator import NormCheck
from quantgeo.wavefunction import Wavefunction, _as_data

if TYPE_CHECKING:
    from quantgeo.lattice import Lattice
    from quantgeo.solvers.split_operator import SplitOperatorSolver

__all__ = ["INSTALL", "DistributedSplit", "mpi_rank", "mpi_size", "require_mpi"]

CArray = NDArray[np.complex128]
FArray = NDArray[np.float64]

#: Blocks of rows in which a rank builds its V factors (their temporaries: 1/8 of a piece each).
_BLOCKS = 8
#: What to install when mpi4py or mpi4py-fft is missing.
INSTALL = (
    'pip install "quantgeo[mpi]" (mpi4py-fft compiles against the FFTW headers: install them '
    "first, e.g. apt-get install libfftw3-dev)"
)


def require_mpi() -> Any:
    """Import mpi4py and mpi4py-fft; return ``mpi4py.MPI``.

    Raises
    ------
    ImportError
        Naming the missing package and the install command (:data:`INSTALL`).
    """
    try:
        import mpi4py_fft  # noqa: F401
        from mpi4py import MPI
    except ImportError as exc:
        raise ImportError(
            f"`backend` 'mpi' needs mpi4py and mpi4py-fft ({exc.name or exc} is missing): {INSTALL}"
        ) from None
    return MPI


def mpi_rank() -> int:
    """This process's rank in ``COMM_WORLD`` (0 when mpi4py is not installed)."""
    try:
        from mpi4py import MPI
    except ImportError:
        return 0
    return int(MPI.COMM_WORLD.Get_rank())


def mpi_size() -> int:
    """The number of ranks of this MPI job from the launcher's environment (MPICH/Hydra and
    Slurm's ``PMI_SIZE``, Open MPI's ``OMPI_COMM_WORLD_SIZE``), without initialising MPI; 1
    outside a launcher (the pre-flight estimate is then that of one rank holding it all)."""
    for var in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE"):
        value = os.environ.get(var, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


class _LocalLattice:
    """The piece of a lattice one rank holds, duck-typed for ``Potential.values`` and
    :func:`~quantgeo.potentials.absorbing_mask` (shape, bounds, spacing, coordinates)."""

    def __init__(self, lattice: Lattice, layout: Layout) -> None:
        self.ndim, self.bounds, self.spacing = lattice.ndim, lattice.bounds, lattice.spacing
        self._coords = layout.coords
        self.shape = layout.shape
        self.size = math.prod(self.shape)

    def coordinates(self) -> tuple[FArray, ...]:
        return self._coords


class _DistStepDoubling(StepDoubling):
    """:class:`StepDoubling` with the distance reduced over the ranks."""

    def __init__(self, dist: DistributedSplit, *args: Any) -> None:
        super().__init__(*args)
        self._dist = dist

    def _distance(self, a: CArray, b: CArray) -> float:
        d = self._dist.allsum(float(np.vdot(a - b, a - b).real)) * self.dv
        return math.sqrt(d) / (1.0 - 2.0 ** (-self.order))


class _Stepper:
    """The local piece of ψ for :func:`~quantgeo.solvers.base.run_plan`; snapshots gather the
    whole state on rank 0 only when the recorder needs it."""

    def __init__(self, dist: DistributedSplit, psi: CArray, est: StepDoubling, full: bool):
        self.dist, self.state, self.est, self.full = dist, psi, est, full

    def advance(self, t: float, h: float, n: int) -> None:
        self.est.advance(self.state, t, h, n)

    def snapshot(self, t: float, store: bool) -> tuple[Any, Any]:
        if not self.full:
            return None, None
        whole = self.dist.gather(self.state)
        if whole is None:
            return None, None
        snap = Wavefunction(self.dist.lattice, whole)
        return snap, snap.data


class DistributedSplit:
    """The distributed half of a ``backend="mpi"`` :class:`SplitOperatorSolver`.

    Parameters
    ----------
    solver
        The solver (its Hamiltonian, scheme, absorber, options; its serial factor builders
        are reused and sliced to this rank's piece).
    decomposition
        1: slabs (axis 0 in position space, axis 1 in Fourier space; a 1D lattice: the
        four-step layout); 2: pencils (axes 0 and 1 over a P₀×P₁ grid, 3D lattices only).
    comm
        The communicator (default ``MPI.COMM_WORLD``).

    Raises
    ------
    ImportError
        Without mpi4py / mpi4py-fft (naming the install command).
    ValueError
        For a ``decomposition`` out of range, more ranks than the sites of a distributed axis,
        or a 1D lattice of N sites without factors N = N₁·N₂, N₁, N₂ ≥ P (naming the lattice
        and P).
    """

    def __init__(self, solver: SplitOperatorSolver, decomposition: int, comm: Any = None):
        mpi = require_mpi()
        self.solver, self.ham = solver, solver.ham
        self.lattice = lat = solver.ham.lattice
        self.comm = mpi.COMM_WORLD if comm is None else comm
        self._sum, self._max = mpi.SUM, mpi.MAX
        self.size, self.rank = int(self.comm.Get_size()), int(self.comm.Get_rank())
        self.decomposition = check_int("decomposition", decomposition, 1, maximum=2)
        if self.decomposition > max(lat.ndim - 1, 1):
            raise ValueError(
                f"`decomposition` must be 1 (slabs) for a {lat.ndim}D lattice (pencils need "
                f"3D), got {decomposition}"
            )
        self.layout = self._layout(mpi)
        self.shape = self.layout.shape
        self.local = _LocalLattice(lat, self.layout)
        self._k = kernels("split", "numba")
        self.fft = self.layout.fft
        self._fwd, self._bwd = self.fft.forward, self.fft.backward
        self._spec = np.asarray(self._fwd.output_array)
        self.timers = {"fft": 0.0, "transpose": 0.0, "elementwise": 0.0, "factors": 0.0}
        self._damping: FArray | None = None
        ab = solver.absorber
        if ab is not None:
            self._damping = ab.strength * absorbing_mask(cast(Any, self.local), ab.width, ab.power)
        self._v0 = self.layout.take(self.ham._v0)  # the Hamiltonian's own V(0)
        if self.ham.time_dependent:
            self._check_local_potential()
        self._kin_cache: dict[float, tuple[CArray, ...]] = {}
        self._pot_cache: dict[float, CArray] = {}

    def _layout(self, mpi: Any) -> Layout:
        """The layout of this lattice over the ranks, or a ValueError naming the lattice and P
        when some rank would get no sites (every rank checks; all raise together)."""
        lat, ranks = self.lattice, self.size
        layout: Layout | None = None
        if lat.ndim == 1:
            factors = four_step_factors(lat.size, ranks)
            if factors is not None:
                layout = FourStepLayout(self.comm, self.ham, factors)
        else:
            layout = GridLayout(self.comm, self.ham, self.decomposition)
        empty = layout is None or layout.empty
        if int(self.comm.allreduce(int(empty), op=mpi.MAX)):
            raise ValueError(self._unsplittable())
        assert layout is not None
        return layout

    def _unsplittable(self) -> str:
        lat, ranks = self.lattice, self.size
        head = f"`backend` 'mpi' cannot split {lat!r} over P = {ranks} ranks"
        if lat.ndim == 1:
            what = "more ranks than sites" if ranks > lat.size else "no such factors"
            return (
                f"{head} ({what}): a 1D lattice of N sites is split as N = N₁·N₂ with N₁ and "
                f"N₂ ≥ P (four-step FFT), and N = {lat.size} has no such factors for P = "
                f"{ranks}; use fewer ranks, an N with two factors ≥ P, or backend 'numba'"
            )
        dims = "axis 0" if self.decomposition == 1 else "axes 0 and 1"
        hint = " or `decomposition` 2" if lat.ndim == 3 and self.decomposition == 1 else ""
        return (
            f"{head} with `decomposition` {self.decomposition}: some rank gets no sites (the "
            f"distributed axes, {dims} in position space and the next in Fourier space, need "
            f"at least as many sites as ranks along them); use fewer ranks{hint}"
        )

    # -- reductions and gathers -------------------------------------------------------------
    def together(self, fn: Callable[[], Any], *, root: bool = False) -> Any:
        """``fn()`` on every rank (``root``: on rank 0, its result broadcast); when it raises on
        some rank, every rank raises that rank's exception, so none waits in a collective
        call that the others never make (bad input, a memory pre-flight refused on one node)."""
        out: Any = None
        error: BaseException | None = None
        if not root or self.rank == 0:
            try:
                out = fn()
            except Exception as exc:
                error = exc
        errors = self.comm.allgather(error)
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first
        return self.comm.bcast(out, root=0) if root else out

    def allsum(self, x: Any) -> Any:
        """Sum of ``x`` (a float or an array) over the ranks, on every rank."""
        if np.ndim(x) == 0:
            return float(self.comm.allreduce(float(x), op=self._sum))
        arr = np.ascontiguousarray(x, dtype=np.float64)
        out = np.empty_like(arr)
        self.comm.Allreduce(arr, out, op=self._sum)
        return out

    def norm(self, psi: CArray) -> float:
        r""":math:`\sum_n |\psi_n|^2 \Delta V` over the whole lattice."""
        return self.allsum(float(np.vdot(psi, psi).real)) * self.lattice.cell_volume

    def scatter(self, state0: Any) -> CArray:
        """This rank's piece of ``state0``: a whole-lattice state (every rank passes it) or the
        piece itself (shape :attr:`shape`, C-contiguous complex128, copied)."""
        arr = getattr(state0, "data", state0)
        if (
            isinstance(arr, np.ndarray)
            and arr.shape == self.shape
            and self.shape != (self.lattice.shape)
        ):
            if isinstance(state0, Wavefunction):
                self.lattice.check_same("state0", state0.lattice)
            return np.array(arr, dtype=np.complex128, order="C")
        data = _as_data(state0, self.lattice, "state0")
        return np.array(self.layout.take(data), dtype=np.complex128, order="C")

    def gather(self, local: NDArray[Any]) -> NDArray[Any] | None:
        """The whole array on rank 0 (``None`` elsewhere); ``local`` is this rank's piece."""
        pieces = self.comm.gather((self.layout.where, np.ascontiguousarray(local)), root=0)
        if self.rank != 0:
            return None
        whole = np.empty(self.lattice.shape, dtype=local.dtype)
        for where, block in pieces:
            self.layout.put(whole, where, block)
        return whole

    def _support(self, weight: FArray, tail: float) -> NDArray[np.bool_]:
        """``accuracy._support`` over the whole lattice: the same threshold (from the reduced
        total, peak and weight per decade), applied to this rank's ``weight``."""
        total = self.allsum(float(np.sum(weight)))
        peak = float(self.comm.allreduce(float(np.max(weight)), op=self._max))
        if not total > 0:
            return np.zeros(weight.shape, dtype=bool)
        with np.errstate(divide="ignore"):
            decade = np.floor(-np.log10(weight / peak))
        decade = np.clip(np.nan_to_num(decade, posinf=_DECADES), 0, _DECADES).astype(np.intp)
        per_decade = self.allsum(
            np.bincount(decade.ravel(), weights=weight.ravel(), minlength=_DECADES + 1)
        )
        below = np.cumsum(per_decade[::-1])[::-1]
        ok = np.nonzero(below <= tail * total)[0]
        cut = int(ok[0]) if ok.size else _DECADES + 1
        return np.asarray(decade < cut)

    def phases(self, psi: CArray, dt: float, t: float, tail: float) -> dict[str, float]:
        """:func:`~quantgeo.solvers.accuracy.check_phase_per_step` with reductions over the
        ranks (no rank holds the whole state); rank 0 issues the warnings."""
        mx, inf = self._max, math.inf
        sites = self._support(np.abs(psi) ** 2, tail)
        v = self._potential(t)
        lo = float(np.min(v[sites])) if sites.any() else inf
        hi = float(np.max(v[sites])) if sites.any() else -inf
        lo, hi = -float(self.comm.allreduce(-lo, op=mx)), float(self.comm.allreduce(hi, op=mx))
        wv, wk = self.solver.scheme.phase_weights
        phase_v = wv * (hi - lo) * dt / self.ham.hbar if hi >= lo else 0.0
        modes = self._support(np.abs(self.spectrum(psi)) ** 2, tail)
        eps = sum(self.layout.eps_grids, np.zeros(()))
        top = float(np.max(np.broadcast_to(eps, modes.shape)[modes])) if modes.any() else -inf
        top = float(self.comm.allreduce(top, op=mx))
        # with V constant on the state the kinetic factor is exact: high phases are harmless
        phase_t = wk * top * dt / self.ham.hbar if top > -inf and phase_v > 0 else 0.0
        if self.rank == 0:
            warn_phases(phase_v, phase_t, dt, stacklevel=5)
        return {"phase_v": phase_v, "phase_t": phase_t}

    # -- factors --------------------------------------------------------------------------
    def _check_local_potential(self) -> None:
        """A time-dependent V is evaluated on each rank's piece (its coordinates only); refuse
        a potential that cannot be (one that is not a function of the coordinates)."""
        try:
            local = self._potential(0.0)
            good = local.shape == self.shape and bool(np.allclose(local, self._v0, rtol=1e-12))
        except (ValueError, TypeError, IndexError, AttributeError):
            good = False
        if not self.comm.allreduce(int(not good), op=self._sum) == 0:
            raise ValueError(
                f"`ham` has a time-dependent potential ({self.ham.potential!r}) that cannot be "
                "evaluated on one rank's piece of the lattice: `backend` 'mpi' needs V(x, t) "
                "given as a function of the coordinates"
            )

    def _potential(self, t: float) -> FArray:
        """V on this rank's piece at time ``t``."""
        if not self.ham.time_dependent:
            return self._v0
        return self.ham.potential.values(cast(Any, self.local), t, self.ham.mass)

    def _exponent(self, v: FArray) -> CArray:
        """``−iV/ħ`` with the absorbing layer ``−ηw/ħ`` on this rank's piece."""
        return v_exponent(v, self._damping, self.ham.hbar)

    def _kinetic(self, h: float) -> tuple[CArray, ...]:
        """The serial kinetic factors of step ``h`` on this rank's modes."""
        if h not in self._kin_cache:
            _bounded(self._kin_cache)
            self._kin_cache[h] = self.layout.kinetic(*self.solver._real_kinetic(h))
        return self._kin_cache[h]

    def _build(self, expos: list[CArray], h: float, merged: bool) -> CArray:
        """The serial ``_v_factors`` of the exponents ``expos``, built a block of rows at a
        time: the same element-wise values without the serial build's dozen temporary
        arrays of the whole piece (it would dominate the memory of a rank)."""
        coeffs = self.solver.scheme.coefficients
        out = np.empty((len(coeffs) + (2 if merged else 1), *self.shape), dtype=np.complex128)
        rows = self.shape[0]
        block = max(1, -(-rows // _BLOCKS))
        for r in range(0, rows, block):
            part = slice(r, r + block)
            out[:, part] = _v_factors(coeffs, [e[part] for e in expos], h, merged=merged)
        return out

    def _static_factors(self, h: float) -> CArray:
        if h not in self._pot_cache:
            _bounded(self._pot_cache)
            t0 = time.perf_counter()
            expo = self._exponent(self._v0)
            self._pot_cache[h] = self._build([expo] * self.solver.scheme.stages, h, True)
            self.timers["factors"] += time.perf_counter() - t0
        return self._pot_cache[h]

    def _td_factors(self, t: float, h: float) -> CArray:
        sch = self.solver.scheme
        mids = t + h * sch.substep_midpoints()
        expos = [self._exponent(self._potential(float(tm))) for tm in mids]
        return self._build(expos, h, False)

    # -- the step -------------------------------------------------------------------------
    def _warmup(self) -> float:
        """Compile (or load from Numba's cache) the element-wise kernels for the dimension of
        this rank's piece (2D for a four-step 1D lattice)."""
        from quantgeo._kernels import warmup

        return warmup(("split",), (len(self.shape),))

    def _transform(self, tr: Any, normalize: bool) -> None:
        """One parallel FFT stage by stage (local FFTs, then transposes), timing each part."""
        clock = time.perf_counter
        xfftn, transfer = tr._xfftn, tr._transfer
        tw, tw_inv, forward = self.layout.twiddle, self.layout.twiddle_conj, tr is self._fwd
        for i, move in enumerate(transfer):
            t0 = clock()
            xfftn[i](normalize=normalize)
            if tw is not None and forward:  # the four-step twiddle between the two stages
                np.multiply(xfftn[i].output_array, tw, out=xfftn[i].output_array)
            t1 = clock()
            move(xfftn[i].output_array, xfftn[i + 1].input_array)
            if tw_inv is not None and not forward:
                np.multiply(xfftn[i + 1].input_array, tw_inv, out=xfftn[i + 1].input_array)
            t2 = clock()
            self.timers["fft"] += t1 - t0
            self.timers["transpose"] += t2 - t1
        t0 = clock()
        xfftn[-1](normalize=normalize)
        self.timers["fft"] += clock() - t0

    def spectrum(self, psi: CArray) -> CArray:
        """``fftn(ψ)`` (unnormalised, NumPy's convention) on this rank's spectral piece; the
        returned buffer is the FFT's own (overwritten by the next transform)."""
        t0 = time.perf_counter()
        np.copyto(self._fwd.input_array, psi)
        self.timers["elementwise"] += time.perf_counter() - t0
        self._transform(self._fwd, False)
        return self._spec

    def _kinetic_step(self, psi: CArray, kin: tuple[CArray, ...], j: int) -> None:
        spec = self.spectrum(psi)
        t0 = time.perf_counter()
        self.layout.apply_kinetic(self._k, spec, kin, j)
        self.timers["elementwise"] += time.perf_counter() - t0
        self._transform(self._bwd, True)
        t0 = time.perf_counter()
        np.copyto(psi, self._bwd.output_array)
        self.timers["elementwise"] += time.perf_counter() - t0

    def _factor(self, psi: CArray, g: CArray) -> None:
        t0 = time.perf_counter()
        self._k.apply_factor(psi, g)
        self.timers["elementwise"] += time.perf_counter() - t0

    def _evolve(self, psi: CArray, v: CArray, kin: tuple[CArray, ...], n: int) -> None:
        """``split_evolve`` of ``_kernels/split.py`` with the parallel kinetic step (the twins'
        composition loop; the merged factor ``v[s + 1]`` is used only between steps)."""
        sol = self.solver
        merged = sol.scheme.stages + 1
        compose(
            psi,
            v,
            sol._v_index,
            sol._k_index,
            merged,
            n,
            self._factor,
            lambda k: self._kinetic_step(psi, kin, k),
        )

    def advance(self, psi: CArray, t: float, h: float, nsteps: int) -> None:
        """``nsteps`` steps of size ``h`` from ``t`` on this rank's piece (collective)."""
        kin = self._kinetic(h)
        if self.ham.time_dependent:
            for n in range(nsteps):
                t0 = time.perf_counter()
                v = self._td_factors(t + n * h, h)
                self.timers["factors"] += time.perf_counter() - t0
                self._evolve(psi, v, kin, 1)
                del v  # before the next build: two sets of factors would be alive at once
        else:
            self._evolve(psi, self._static_factors(h), kin, nsteps)

    # -- observables ------------------------------------------------------------------------
    def _observables(self, psi: CArray, clock: Callable[[], float]) -> dict[str, Callable]:
        """Named observables of the live piece ``psi``, reduced over the ranks (each function
        ignores its argument: at a record time the live piece is the recorded state)."""
        coords = self.local.coordinates()

        def moments() -> tuple[FArray, FArray]:
            p = np.abs(psi) ** 2
            first = self.allsum(np.array([p.sum(), *((p * x).sum() for x in coords)]))
            mean = first[1:] / first[0]
            second = self.allsum(
                np.array([(p * (x - m) ** 2).sum() for x, m in zip(coords, mean, strict=True)])
            )
            return mean, second / first[0]

        def spectral() -> tuple[FArray, FArray, float]:
            pk = np.abs(self.spectrum(psi)) ** 2
            grids, egrid = self.layout.k_grids, self.layout.eps_grids
            eps = sum((pk * e).sum() for e in egrid)
            sums = self.allsum(np.array([pk.sum(), *((pk * k).sum() for k in grids), eps]))
            return sums[1:-1] / sums[0], sums, float(sums[-1])

        def energy(_: Any) -> float:
            kin = spectral()[2]
            p = np.abs(psi) ** 2
            both = self.allsum(np.array([(self._potential(clock()) * p).sum(), p.sum()]))
            return float((kin / self.lattice.size + both[0]) / both[1])

        def density(_: Any) -> FArray:
            whole = self.gather(np.abs(psi) ** 2)
            return np.empty(0) if whole is None else whole

        return {
            "norm": lambda _: self.norm(psi),
            "energy": energy,
            "position": lambda _: moments()[0],
            "width": lambda _: np.sqrt(moments()[1]),
            "momentum": lambda _: self.ham.hbar * spectral()[0],
            "density": density,
        }

    # -- the run ----------------------------------------------------------------------------
    def _plan_recording(self, recorder: Recorder, t_span: Any) -> tuple[Recorder, bool]:
        """Rank 0's recorder decides what is recorded; the other ranks get a recorder of its
        named observables at its times (so the collective calls line up) and store nothing."""

        def decide() -> tuple[Any, list[tuple[str, Any]], bool]:  # on rank 0
            named = [(k, v) for k, v in recorder.observables.items() if isinstance(v, str)]
            full = bool(
                recorder.store_states
                or recorder.e_ops
                or recorder.callbacks
                or len(named) < len(recorder.observables)
            )
            return recorder.schedule(t_span), named, full

        times, named, full = self.together(decide, root=True)
        if self.rank == 0:
            return recorder, full
        return Recorder(times, observables=dict(named), store_states=False), full

    def run(
        self,
        state0: Any,
        t_span: tuple[float, float],
        *,
        recorder: Recorder | None = None,
        progress: bool | None = None,
    ) -> Trajectory:
        """:meth:`SplitOperatorSolver.run` on the distributed state (collective: every rank
        calls it).  ``state0`` is the whole state or this rank's piece."""
        sol, lat = self.solver, self.lattice
        recorder = recorder if recorder is not None else Recorder()
        psi = self.together(lambda: self.scatter(state0))
        rec, full = self._plan_recording(recorder, t_span)
        where = "SplitOperatorSolver.run (mpi): "
        self.together(lambda: check_run(self.memory_estimate(t_span, rec), where))
        plan = self.together(lambda: plan_run(t_span, rec, sol.dt))
        table = self._observables(psi, lambda: rec.time)

        def resolve(name: str) -> Callable[[Any], Any]:
            if name not in table:
                from quantgeo.observables import resolver

                return resolver(self.ham)(name)  # raises naming the allowed names
            return table[name]

        rec.begin(resolve)
        compile_time = self._warmup()
        phases = self.phases(psi, sol.dt, plan.t0, (sol.error_tol / 20) ** 2)
        norm0 = self.norm(psi)
        dv = lat.cell_volume
        est = _DistStepDoubling(
            self, self.advance, sol.scheme.order, plan.total_steps, sol.error_samples, dv
        )
        trackers = [
            NormCheck(sol.norm_tol, sol.absorber is not None, self.norm),
            ProgressTracker("split-operator (mpi)", progress if self.rank == 0 else False),
        ]
        self.timers = dict.fromkeys(self.timers, 0.0)
        stats = run_plan(
            _Stepper(self, psi, est, full), plan, rec, chunk=sol.check_every, trackers=trackers
        )
        accuracy = est.info(stats.t - plan.t0, norm0, stats.steps)
        if self.rank == 0:
            sol._warn_accuracy(accuracy["error_estimate_raw"], norm0)
        timers = {
            k: float(self.comm.allreduce(v, op=self._sum)) / self.size
            for k, v in self.timers.items()
        }
        info = sol._run_info(
            stats,
            compile_time,
            accuracy,
            phases,
            backend="mpi",
            workers=1,
            fft="mpi4py-fft",
            ranks=self.size,
            decomposition=self.decomposition,
            local_shape=list(self.shape),
            time_fft=timers["fft"],
            time_transpose=timers["transpose"],
            time_elementwise=timers["elementwise"],
            time_factors=timers["factors"],
        )
        return rec.finish(info, lat)

    def memory_estimate(self, t_span: tuple[float, float], recorder: Recorder) -> Estimate:
        """Bytes this rank holds in :meth:`run`: its piece of ψ, the ``s + 2`` V factors, the
        exponent and the blocks of their build (:meth:`_build`, about 1.5 pieces), a
        time-dependent V's ``s`` exponents, the parallel FFT's buffers (input and output of
        each of its stages) and, on rank 0, the gathered records."""
        sol = self.solver
        piece = 16.0 * math.prod(self.shape)
        stages = sol.scheme.stages
        arrays = (stages + 2) + 3.5 + (stages if self.ham.time_dependent else 0)
        buffers = 2 * len(self._fwd._xfftn)
        return run_estimate(
            t_span,
            recorder,
            sol.dt,
            state_bytes=16.0 * self.lattice.size,
            working={
                "for this rank's piece of the state, its factors and FFT buffers": (
                    (arrays + buffers) * piece,
                    "use more ranks or a smaller lattice",
                )
            },
        )
