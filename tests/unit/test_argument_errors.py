"""Bad arguments to the Python API raise an error that names the argument in backticks.

Each case was, before, an error from deep inside NumPy or QuTiP (``'float' object is not
iterable``, ``could not convert string to float``, a bare ``KeyError``, ``MemoryError: 7.28 TiB``)
that named nothing the caller wrote.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import quantgeo as qg
from quantgeo._validation import check_int, format_bytes
from quantgeo.lattice import MAX_SITES
from quantgeo.potentials import from_array, harmonic


@pytest.fixture
def lat() -> qg.Lattice:
    return qg.Lattice(32, (-4.0, 4.0))


@pytest.fixture
def ham(lat: qg.Lattice) -> qg.Hamiltonian:
    return qg.Hamiltonian(lat, harmonic(1.0))


# -- lattice ---------------------------------------------------------------------------------
def test_lattice_shape_and_bounds_types() -> None:
    with pytest.raises(ValueError, match=r"`shape` must be an integer ≥ 2 .*got 64\.0 \(float\)"):
        qg.Lattice(64.0, (-1.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`bounds` must be a \(lo, hi\) pair .*got None"):
        qg.Lattice(64, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`bounds` must be a \(lo, hi\) pair .*got 'ab'"):
        qg.Lattice(64, "ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`bounds\[0\]\[1\]` must be a real number, got 'x'"):
        qg.Lattice(64, (0.0, "x"))


def test_lattice_site_limit_refused_before_allocating() -> None:
    assert MAX_SITES == 1 << 26
    side = 1 << 13  # side² = 2²⁶: the largest square lattice allowed
    assert qg.Lattice((side, side), (0.0, 1.0)).size == MAX_SITES
    # one state of 10¹² complex128 sites: 1.6·10¹³ bytes = 14.6 TiB
    need = f"{1e12 * 16 / 2**40:.3g} TiB"
    assert need == "14.6 TiB"
    tracemalloc.start()
    try:
        with pytest.raises(ValueError) as info:
            qg.Lattice([10**6, 10**6], (0.0, 1.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert msg.startswith("`shape` (1000000, 1000000) has 1,000,000,000,000 sites")
    assert "MAX_SITES = 67,108,864" in msg and need in msg and "\n" not in msg
    assert peak < 1 << 20  # refused without building any array
    with pytest.raises(ValueError, match=r"has 67,117,056 sites, above MAX_SITES"):
        qg.Lattice((side, side + 1), (0.0, 1.0))
    # a shape whose product overflows int64 is still counted exactly
    with pytest.raises(ValueError, match=r"has 100,000,000,000,000,000,000 sites"):
        qg.Lattice((10**10, 10**10), (0.0, 1.0))


def test_format_bytes_binary_units() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1 << 30) == "1 GiB"
    assert format_bytes(1.5 * 2**20) == "1.5 MiB"
    assert format_bytes(2**50) == "1.02e+03 TiB"


def test_check_int_messages() -> None:
    with pytest.raises(ValueError, match=r"`seed` must be a non-negative integer, got -1"):
        check_int("seed", -1, 0)
    with pytest.raises(ValueError, match=r"`n` must be a positive integer, got 2\.0"):
        check_int("n", 2.0)
    with pytest.raises(ValueError, match=r"`k` must be an integer in \[1, 4\], got 5"):
        check_int("k", 5, 1, maximum=4)
    with pytest.raises(ValueError, match=r"`b` must be a positive integer or None, got 0"):
        check_int("b", 0, or_none=True)
    with pytest.raises(ValueError, match=r"`flag` must be a positive integer, got True"):
        check_int("flag", True)
    assert check_int("n", np.int64(3)) == 3


# -- states, potentials, Hamiltonians --------------------------------------------------------
def test_strings_where_arrays_belong(lat: qg.Lattice, ham: qg.Hamiltonian) -> None:
    with pytest.raises(TypeError, match=r"`lattice` must be a Lattice, got str 'lat'"):
        qg.gaussian("lat")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`lattice` must be a Lattice, got str"):
        qg.plane_wave("lat", 0.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`ham` must be a Hamiltonian, got Lattice"):
        qg.coherent(lat)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=r"`potential` must be a Potential, an array of site values or None, got str",
    ):
        qg.Hamiltonian(lat, "harmonic")
    with pytest.raises(TypeError, match=r"`values` must be an array of site values, got str"):
        from_array("harmonic")
    with pytest.raises(TypeError, match=r"`potential` must be .* got list \[None, None\]"):
        qg.Hamiltonian(lat, [None, None])
    with pytest.raises(TypeError, match=r"`data` must be an array of complex site values"):
        qg.Wavefunction(lat, "abc")
    solver = qg.SplitOperatorSolver(ham, 0.01)
    state_msg = r"`state0` must be a Wavefunction or an array of complex site values, got str"
    with pytest.raises(TypeError, match=state_msg):
        solver.run("gauss", (0.0, 1.0))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=state_msg):
        solver.ground_state("gauss")  # type: ignore[arg-type]


def test_numeric_inputs_still_accepted(lat: qg.Lattice) -> None:
    v = np.linspace(0.0, 1.0, 32)
    ham = qg.Hamiltonian(lat, list(v))
    np.testing.assert_array_equal(ham.potential_values(), v)
    v[0] = 5.0  # the Hamiltonian kept its own copy
    assert ham.potential_values()[0] == 0.0
    data = np.ones(32, dtype=np.int64)
    psi = qg.Wavefunction(lat, data)
    assert psi.data.dtype == np.complex128 and psi.data is not data


def test_gaussian_outside_the_box(lat: qg.Lattice) -> None:
    with pytest.raises(
        ValueError,
        match=r"the packet lies outside the box: `center` = 1e\+06 is outside \[-4, 4\] "
        r"\(`width` = 1\)",
    ):
        qg.gaussian(lat, center=1e6)
    lat2 = qg.Lattice((16, 16), (-4.0, 4.0))
    with pytest.raises(ValueError, match=r"`center\[1\]` = -9 is outside .*`width\[1\]` = 0\.5"):
        qg.gaussian(lat2, center=(0.0, -9.0), width=0.5)
    # between two sites (spacing 0.25), σ = 10⁻³: |ψ|² ∝ exp(−0.125²/(2σ²)) underflows to 0
    with pytest.raises(
        ValueError, match=r"no weight on any lattice site: `width` = 0\.001 .*spacing 0\.25"
    ):
        qg.gaussian(lat, center=0.125, width=1e-3)
    # at the edge the packet is cut, but it is inside the box and allowed
    assert qg.gaussian(lat, center=4.0).norm() == pytest.approx(1.0, abs=1e-12)


def test_compare_needs_trajectories(ham: qg.Hamiltonian) -> None:
    traj = qg.SplitOperatorSolver(ham, 0.01).run(
        qg.gaussian(ham.lattice), (0.0, 0.1), recorder=qg.Recorder(times=[0.0, 0.1])
    )
    with pytest.raises(TypeError, match=r"`b` must be a Trajectory, got str 'x'"):
        qg.compare(traj, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"`a` must be a Trajectory, got NoneType"):
        qg.compare(None, traj)  # type: ignore[arg-type]


def test_qutip_method_checked_at_construction(ham: qg.Hamiltonian) -> None:
    import qutip

    with pytest.raises(ValueError, match=r"`method` must be one of .*'adams'.*got 'foo'"):
        qg.QutipReference(ham, method="foo")
    for name in qutip.SESolver.avail_integrators():
        assert qg.QutipReference(ham, method=name).method == name
