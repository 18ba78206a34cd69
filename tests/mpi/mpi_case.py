"""Run under ``mpiexec -n P``: ``backend="mpi"`` against the serial solver, and its bad input.

``python mpi_case.py OUT.json CASE [CASE ...]`` with CASE ``1d`` (4096 sites, the four-step
FFT on 64×64), ``2d`` (96×80, slabs), ``3d16`` (16³, slabs), ``3d16p`` (16³, pencils),
``3d64`` / ``3d64p`` (64³), ``bad`` (the refused inputs).  Every case runs 100 Strang steps
with a time-dependent V (a shaken trap) and an absorbing layer; rank 0 runs the serial solver
on the same problem and writes, per case, the relative L2 distance of the final states, each
observable's largest difference relative to its scale and the phases of the aliasing check.
Not collected by pytest (tests/mpi/test_distributed.py launches it).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
from mpi4py import MPI

from quantgeo.hamiltonian import Hamiltonian
from quantgeo.lattice import Lattice
from quantgeo.potentials import shaken_trap
from quantgeo.recording import Recorder
from quantgeo.solvers.split_operator import AbsorbingBoundary, SplitOperatorSolver

COMM = MPI.COMM_WORLD
OBSERVABLES = ("norm", "energy", "position", "width", "momentum")
CASES = {
    "1d": ((4096,), 1),
    "2d": ((96, 80), 1),
    "3d16": ((16, 16, 16), 1),
    "3d16p": ((16, 16, 16), 2),
    "3d64": ((64, 64, 64), 1),
    "3d64p": ((64, 64, 64), 2),
}
DT, STEPS = 0.01, 100


def problem(shape: tuple[int, ...]) -> tuple[Hamiltonian, np.ndarray]:
    """A moving packet in a shaken trap (V(x, t)) on a box of side 16 (absorber: 2 wide)."""
    lat = Lattice(shape, [(-8.0, 8.0)] * len(shape))
    ham = Hamiltonian(lat, shaken_trap(1.0, 0.5, 2.0), kinetic="spectral")
    c = lat.coordinates()
    # off-centre and moving into the absorbing layer along axis 0 (x = 2 + 5t reaches it at
    # t = 0.8), so that the absorber and every axis matter
    centre = [2.0, 0.3, 0.6][: len(shape)]
    psi0 = np.exp(-sum((x - x0) ** 2 for x, x0 in zip(c, centre, strict=True)) + 5j * c[0])
    return ham, np.asarray(psi0, dtype=np.complex128)


def compare(name: str) -> dict[str, Any] | None:
    shape, dec = CASES[name]
    ham, psi0 = problem(shape)
    opts: dict[str, Any] = {"absorber": AbsorbingBoundary(2.0, 1.0), "error_samples": 0}
    span = (0.0, DT * STEPS)

    def recorder() -> Recorder:
        return Recorder(every=0.25, observables=OBSERVABLES)

    dist = SplitOperatorSolver(ham, DT, backend="mpi", decomposition=dec, **opts)
    got = dist.run(psi0, span, recorder=recorder())
    if COMM.rank != 0:
        assert got.states is None  # states are gathered on rank 0 only
        return None
    ref = SplitOperatorSolver(ham, DT, **opts).run(psi0, span, recorder=recorder())
    assert got.states is not None and ref.states is not None
    a, b = got.states[-1], ref.states[-1]
    obs = {k: float(np.max(np.abs(got[k] - ref[k])) / np.max(np.abs(ref[k]))) for k in OBSERVABLES}
    return {
        "steps": got.info["steps"],
        "ranks": got.info["ranks"],
        "local_shape": got.info["local_shape"],
        "l2": float(np.linalg.norm(a - b) / np.linalg.norm(b)),
        "absorbed": float(1.0 - ref["norm"][-1] / ref["norm"][0]),
        # the aliasing check at run start, measured with reductions over the ranks
        "phases": [[got.info[k], ref.info[k]] for k in ("phase_per_step_v", "phase_per_step_t")],
        "observables": obs,
    }


def refused(make: Any) -> str:
    try:
        make()
    except ValueError as exc:
        return str(exc)
    return ""


def bad() -> dict[str, str]:
    """The messages of the refused inputs (empty string: not refused)."""
    p = COMM.size
    one_d = Hamiltonian(Lattice(p - 1, (-1.0, 1.0)))
    prime = Hamiltonian(Lattice(4 * p + 1, (-1.0, 1.0)))  # no factors ≥ P
    thin = Hamiltonian(Lattice((p - 1, 64), [(-1.0, 1.0)] * 2))
    flat, cube = problem((8, 8))[0], problem((8, 8, 8))[0]
    solver = SplitOperatorSolver(flat, 0.01, backend="mpi")
    psi = np.ones((8, 8), dtype=np.complex128)
    # rank 0's recorder alone is wrong: every rank must raise its error, none wait for rank 0
    rec = Recorder([0.5]) if COMM.rank == 0 else Recorder()
    return {
        "record_times_on_rank_0": refused(lambda: solver.run(psi, (0.0, 0.1), recorder=rec)),
        "state_shape": refused(lambda: solver.run(np.ones((5, 5)), (0.0, 0.1))),
        "1d": refused(lambda: SplitOperatorSolver(one_d, 0.01, backend="mpi")),
        "1d_prime": refused(lambda: SplitOperatorSolver(prime, 0.01, backend="mpi")),
        "thin": refused(lambda: SplitOperatorSolver(thin, 0.01, backend="mpi")),
        "pencils_2d": refused(
            lambda: SplitOperatorSolver(flat, 0.01, backend="mpi", decomposition=2)
        ),
        "decomposition_3": refused(
            lambda: SplitOperatorSolver(cube, 0.01, backend="mpi", decomposition=3)
        ),
    }


def main(out: str, names: list[str]) -> None:
    result: dict[str, Any] = {}
    for name in names:
        result[name] = bad() if name == "bad" else compare(name)
    if COMM.rank == 0:
        with open(out, "w", encoding="utf-8") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
