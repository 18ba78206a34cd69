r"""QuTiP interop both ways (issue 14, item 1): every row of the issue's table, the √ΔV
normalisation, ``e_ops`` as ``sesolve`` takes them, ``Trajectory.to_qutip`` and ``compare``
against a user's own ``sesolve`` result.

Conventions: a quantgeo state has Σ|ψ|²ΔV = 1, a QuTiP ket Σ|c|² = 1, c = ψ√ΔV.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import qutip

import quantgeo as qg
from quantgeo import potentials
from quantgeo.errors import LatticeMismatchError

pytestmark = pytest.mark.qutip

# A conversion is one multiplication and one division by √ΔV per entry: the round trip is
# exact up to two roundings, |δψ| ≤ 2·2⁻⁵³·|ψ| ≈ 2.2e-16·|ψ|.
ROUND_TRIP = 1e-15
# e_ops values are computed by qutip.expect on the same ket: equal up to roundings of sums of
# N ≲ 10³ products, well inside 1e-12 (the bound).
EXPECT = 1e-12


@pytest.fixture(scope="module")
def trap() -> qg.Hamiltonian:
    return qg.Hamiltonian(qg.Lattice(128, (-10.0, 10.0)), potentials.harmonic(1.0))


@pytest.fixture(scope="module")
def psi(trap: qg.Hamiltonian) -> qg.Wavefunction:
    return qg.gaussian(trap.lattice, 1.0, 0.7, momentum=0.5)


@pytest.fixture(scope="module")
def q0(trap: qg.Hamiltonian, psi: qg.Wavefunction) -> Any:
    # the hand conversion: the QuTiP-normalised ket of psi
    lat = trap.lattice
    return qutip.Qobj(psi.data.reshape(-1, 1) * np.sqrt(lat.cell_volume), dims=[[128], [1]])


def _x_op(lat: qg.Lattice) -> Any:
    return qutip.Qobj(np.diag(lat.axes[0]), dims=[list(lat.shape), list(lat.shape)])


def _expect_on_states(op: Any, traj: qg.Trajectory, t_dep: bool = False) -> np.ndarray:
    kets = [qg.Wavefunction(traj.lattice, s).to_qobj() for s in traj.states]
    return np.array(
        [qutip.expect(op(t) if t_dep else op, k) for t, k in zip(traj.times, kets, strict=True)]
    )


# -- Qobj in and out --------------------------------------------------------------------------
def test_to_qobj_is_the_unit_ket_with_dims(psi: qg.Wavefunction, q0: Any) -> None:
    ket = psi.to_qobj()
    assert ket.isket and ket.dims == [[128], [1]]
    assert abs(ket.norm() - 1.0) < 1e-14  # Σ|ψ|²ΔV = 1 ⇔ Σ|c|² = 1
    assert np.max(np.abs(ket.full() - q0.full())) <= ROUND_TRIP * np.max(np.abs(q0.full()))


def test_round_trip_is_exact(psi: qg.Wavefunction, q0: Any, trap: qg.Hamiltonian) -> None:
    back = qg.Wavefunction.from_qobj(trap.lattice, psi.to_qobj())
    assert np.max(np.abs(back.data - psi.data)) <= ROUND_TRIP * np.max(np.abs(psi.data))
    ket = qg.Wavefunction.from_qobj(trap.lattice, q0).to_qobj()
    assert np.max(np.abs(ket.full() - q0.full())) <= ROUND_TRIP * np.max(np.abs(q0.full()))
    assert abs(qg.Wavefunction.from_qobj(trap.lattice, q0).norm() - 1.0) < 1e-14


def test_two_dimensional_dims_and_the_hamiltonian_space() -> None:
    lat = qg.Lattice((6, 4), [(-3.0, 3.0), (-2.0, 2.0)])
    ham = qg.Hamiltonian(lat, potentials.harmonic(1.0))
    psi = qg.gaussian(lat, (0.5, -0.2), (0.8, 0.6))
    ket = psi.to_qobj()
    assert ket.isket and ket.dims[0] == [6, 4]  # QuTiP 5 writes dims[1] as [1]
    # the ket lives in the space of ham.to_qobj(): ⟨H⟩ agrees with quantgeo's energy
    assert abs(qutip.expect(ham.to_qobj(), ket) - qg.observables.energy(psi, ham)) < 1e-12
    flat = qutip.Qobj(ket.full())  # dims [[24], [1]] is accepted too
    back = qg.Wavefunction.from_qobj(lat, flat)
    assert np.max(np.abs(back.data - psi.data)) <= ROUND_TRIP * np.max(np.abs(psi.data))


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (lambda k: k.dag(), "must be a ket"),
        (lambda k: k * k.dag(), "must be a ket"),
        (lambda k: qutip.Qobj(np.ones((64, 1))), "does not fit the lattice"),
        (lambda k: qutip.Qobj(k.full(), dims=[[64, 2], [1, 1]]), r"allowed dims\[0\]"),
    ],
)
def test_from_qobj_rejects_what_does_not_fit(
    trap: qg.Hamiltonian, q0: Any, bad: Any, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        qg.Wavefunction.from_qobj(trap.lattice, bad(q0))


# -- the table, row by row ------------------------------------------------------------
def test_row_solver_run_accepts_a_ket(trap: qg.Hamiltonian, q0: Any) -> None:
    solver = qg.SplitOperatorSolver(trap, dt=0.01)
    rec = {"every": 0.5}
    a = solver.run(q0, (0.0, 1.0), recorder=qg.Recorder(**rec))
    b = solver.run(
        qg.Wavefunction.from_qobj(trap.lattice, q0), (0.0, 1.0), recorder=qg.Recorder(**rec)
    )
    assert np.array_equal(a.states, b.states)
    assert abs(a["norm"][0] - 1.0) < 1e-14  # converted with √ΔV, not taken as site values


def test_row_column_array_gets_a_pointed_error(trap: qg.Hamiltonian, q0: Any) -> None:
    solver = qg.SplitOperatorSolver(trap, dt=0.01)
    with pytest.raises(LatticeMismatchError, match=r"Qobj\.full\(\).*from_qobj"):
        solver.run(q0.full(), (0.0, 1.0))


def test_row_wavefunction_of_a_ket(trap: qg.Hamiltonian, q0: Any) -> None:
    w = qg.Wavefunction(trap.lattice, q0)
    assert np.array_equal(w.data, qg.Wavefunction.from_qobj(trap.lattice, q0).data)
    assert abs(w.norm() - 1.0) < 1e-14


@pytest.mark.parametrize("as_dict", [False, True])
def test_row_recorder_observables_take_a_qobj(
    trap: qg.Hamiltonian, psi: qg.Wavefunction, as_dict: bool
) -> None:
    x = _x_op(trap.lattice)
    obs: Any = {"x": x, "norm": "norm"} if as_dict else ["norm", x]
    traj = qg.SplitOperatorSolver(trap, dt=0.01).run(
        psi, (0.0, 1.0), recorder=qg.Recorder(every=0.25, observables=obs)
    )
    name = "x" if as_dict else "e1"  # a list entry is named by its position, as in e_ops
    np.testing.assert_allclose(traj[name], _expect_on_states(x, traj), rtol=0, atol=EXPECT)
    # and ⟨x⟩ is quantgeo's own position observable Σ x|ψ|²ΔV (an independent formula)
    pos = [qg.observables.position(traj.state(k))[0] for k in range(len(traj))]
    np.testing.assert_allclose(traj[name], pos, rtol=0, atol=EXPECT)


def test_row_qutip_reference_accepts_a_ket(trap: qg.Hamiltonian, q0: Any) -> None:
    ref = qg.QutipReference(trap)
    traj = ref.run(q0, (0.0, 1.0), recorder=qg.Recorder(every=0.5))
    res = qutip.sesolve(
        trap.to_qobj(),
        q0,
        traj.times,
        options={"atol": ref.atol, "rtol": ref.rtol, "nsteps": ref.nsteps, "method": ref.method},
    )
    # quantgeo's run reads q0 as ψ = c/√ΔV and hands QuTiP ψ·√ΔV: c up to one rounding, which
    # may change the adaptive steps; the runs then agree to the integrator's local tolerance
    # atol + rtol·|c| (per entry of c), taken ten times for the steps of a unit time.
    scale = np.sqrt(trap.lattice.cell_volume)
    tol = 10 * (ref.atol + ref.rtol * np.max(np.abs(q0.full()))) / scale
    for k, ket in enumerate(res.states):
        np.testing.assert_allclose(traj.states[k], ket.full().ravel() / scale, rtol=0, atol=tol)


@pytest.mark.parametrize("engine", ["madelung", "born"])
def test_every_wavefunction_engine_accepts_a_ket(
    trap: qg.Hamiltonian, q0: Any, psi: qg.Wavefunction, engine: str
) -> None:
    make = {
        "madelung": lambda: qg.MadelungLattice(trap),
        "born": lambda: qg.BornEnsemble(trap, walkers=200, seed=3, dt=0.05, psi_dt=0.05),
    }[engine]
    a = make().run(q0, (0.0, 0.1))
    b = make().run(qg.Wavefunction.from_qobj(trap.lattice, q0), (0.0, 0.1))
    assert np.array_equal(a.states, b.states)


def test_row_a_qobj_out_of_a_trajectory(trap: qg.Hamiltonian, psi: qg.Wavefunction) -> None:
    traj = qg.SplitOperatorSolver(trap, dt=0.01).run(
        psi, (0.0, 1.0), recorder=qg.Recorder(every=0.5)
    )
    res = traj.to_qutip()
    assert res.times == [0.0, 0.5, 1.0]
    assert all(k.isket and k.dims == [[128], [1]] for k in res.states)
    assert abs(res.states[0].overlap(psi.to_qobj()) - 1.0) < 1e-14
    assert res.final_state is res.states[-1]
    assert set(res.e_data) == {"norm", "energy"}  # no e_ops: every observable by name


# -- e_ops as sesolve takes them ---------------------------------------------------------------
def test_e_ops_list_of_qobj_qobjevo_and_function(
    trap: qg.Hamiltonian, psi: qg.Wavefunction
) -> None:
    lat = trap.lattice
    x = _x_op(lat)
    x_evo = qutip.QobjEvo([x, lambda t: np.cos(t)])
    p_op = qutip.Qobj(trap.kinetic_sparse(), dims=x.dims)  # any non-diagonal Hermitian op
    seen: list[float] = []

    def f(t: float, state: Any) -> float:
        seen.append(t)
        assert state.isket  # as sesolve passes it
        return float(qutip.expect(p_op, state)) * t

    rec = qg.Recorder(every=0.25, e_ops=[x, x_evo, f])
    traj = qg.SplitOperatorSolver(trap, dt=0.01).run(psi, (0.0, 1.0), recorder=rec)
    np.testing.assert_allclose(traj["e0"], _expect_on_states(x, traj), rtol=0, atol=EXPECT)
    np.testing.assert_allclose(
        traj["e1"], _expect_on_states(x_evo, traj, t_dep=True), rtol=0, atol=EXPECT
    )
    np.testing.assert_allclose(
        traj["e2"], _expect_on_states(p_op, traj) * traj.times, rtol=0, atol=EXPECT
    )
    np.testing.assert_allclose(traj["e1"], traj["e0"] * np.cos(traj.times), rtol=0, atol=EXPECT)
    assert seen == list(traj.times)
    assert {"norm", "energy"} <= set(traj.observables)  # recorded in addition
    res = traj.to_qutip()
    assert list(res.e_data) == [0, 1, 2]  # keyed by position, as sesolve keys a list
    np.testing.assert_array_equal(res.expect[1], traj["e1"])


def test_e_ops_dict_equals_sesolve_expect(trap: qg.Hamiltonian, psi: qg.Wavefunction) -> None:
    h = trap.to_qobj()
    x = _x_op(trap.lattice)
    ref = qg.QutipReference(trap)
    traj = ref.run(psi, (0.0, 1.0), recorder=qg.Recorder(every=0.25, e_ops={"H": h, "x": x}))
    res = qutip.sesolve(
        h,
        psi.to_qobj(),
        traj.times,
        e_ops={"H": h, "x": x},
        options={"atol": ref.atol, "rtol": ref.rtol, "nsteps": ref.nsteps, "method": ref.method},
    )
    for key in ("H", "x"):
        # the same states (same integrator): the values agree to roundings of the sums
        np.testing.assert_allclose(traj[key], res.e_data[key], rtol=0, atol=EXPECT)
    assert list(traj.to_qutip().e_data) == ["H", "x"]


def test_e_ops_bad_entries_are_named() -> None:
    with pytest.raises(TypeError, match=r"`e_ops\['e1'\]` must be a qutip\.Qobj"):
        qg.Recorder(e_ops=[lambda t, s: 0.0, 3.0])
    with pytest.raises(ValueError, match="also `observables`"):
        qg.Recorder(observables=("norm",), e_ops={"norm": lambda t, s: 0.0})
    with pytest.raises(TypeError, match=r"`observables\['e0'\]`"):
        qg.Recorder(observables=[1.5])


# -- compare against the user's own sesolve ------------------------------------------------------
def test_compare_with_a_users_sesolve_result(trap: qg.Hamiltonian, psi: qg.Wavefunction) -> None:
    solver = qg.SplitOperatorSolver(trap, dt=0.01)
    traj = solver.run(psi, (0.0, 2.0), recorder=qg.Recorder(every=0.25))
    ref = qg.QutipReference(trap)
    via_reference = qg.compare(traj, ref.run(psi, (0.0, 2.0), recorder=qg.Recorder(every=0.25)))
    h = trap.to_qobj()
    res = qutip.sesolve(
        h,
        psi.to_qobj(),
        traj.times,
        e_ops={"energy": h},
        options={
            "atol": ref.atol,
            "rtol": ref.rtol,
            "nsteps": ref.nsteps,
            "method": ref.method,
            "store_states": True,
        },
    )
    assert isinstance(res, qutip.solver.Result)
    via_result = qg.compare(traj, res)
    # the same integrator on the same ket: the same numbers
    np.testing.assert_array_equal(via_result.l2, via_reference.l2)
    np.testing.assert_array_equal(via_result.infidelity, via_reference.infidelity)
    np.testing.assert_allclose(
        via_result.observables["energy"], via_reference.observables["energy"], rtol=0, atol=EXPECT
    )
    assert via_result.max_l2 > 0  # Strang at dt = 0.01 is not exact
    # either argument may be the result
    np.testing.assert_array_equal(qg.compare(res, traj).l2, via_result.l2)


def test_compare_needs_a_lattice_for_a_result(trap: qg.Hamiltonian, psi: qg.Wavefunction) -> None:
    res = qutip.sesolve(trap.to_qobj(), psi.to_qobj(), [0.0, 0.1])
    with pytest.raises(TypeError, match="QuTiP result"):
        qg.compare(res, res)
    with pytest.raises(TypeError, match="`b` must be"):
        qg.compare(qg.Trajectory([0.0]), 3.0)


def test_e_ops_on_an_engine_without_wavefunction_states(trap: qg.Hamiltonian, q0: Any) -> None:
    born = qg.BornEnsemble(trap, walkers=100, seed=1, dt=0.05, psi_dt=0.05)
    rec = qg.Recorder(observables=(), e_ops=[_x_op(trap.lattice)])
    with pytest.raises(TypeError, match=r"needs a wavefunction state.*use a callable observable"):
        born.run(q0, (0.0, 0.1), recorder=rec)
