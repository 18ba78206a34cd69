"""Split-operator vs qutip.sesolve on the identical lattice operator (kinetic="lattice")."""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg
from quantgeo.potentials import harmonic, shaken_trap, time_dependent
from tests.conftest import fit_order

pytestmark = pytest.mark.qutip

TIMES = np.linspace(0.0, 10.0, 21)


def _richardson(ham, psi0, dt, scheme, times):
    """States at dt and dt/2, and the splitting-error estimate of the dt run (order p:
    e(dt) ≈ |ψ_dt − ψ_{dt/2}|·2^p/(2^p − 1))."""
    p = qg.SCHEMES[scheme].order
    a = qg.SplitOperatorSolver(ham, dt, scheme).run(
        psi0, (0, times[-1]), recorder=qg.Recorder(times)
    )
    b = qg.SplitOperatorSolver(ham, dt / 2, scheme).run(
        psi0, (0, times[-1]), recorder=qg.Recorder(times)
    )
    est = qg.compare(a, b).max_l2 * 2**p / (2**p - 1)
    return a, est


def test_1d_trap_coherent_state():
    lat = qg.Lattice(256, (-10.0, 10.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.coherent(ham, center=2.0, momentum=0.5)
    so, splitting = _richardson(ham, psi0, 0.005, "yoshida4", TIMES)
    assert splitting < 1e-8  # a tenth of the tolerance: the difference measures QuTiP vs us
    ref = qg.QutipReference(ham).run(psi0, (0, 10), recorder=qg.Recorder(TIMES))
    cmp = qg.compare(so, ref)
    assert cmp.max_l2 <= 1e-7
    assert cmp.observables["energy"].max() <= 1e-7
    assert cmp.observables["norm"].max() <= 1e-9


def test_2d_anisotropic_trap():
    lat = qg.Lattice((32, 32), [(-6.0, 6.0), (-5.0, 5.0)])
    ham = qg.Hamiltonian(lat, harmonic((1.0, 1.7)), mass=(1.0, 0.8))
    psi0 = qg.coherent(ham, omega=(1.0, 1.7), center=(1.0, -0.5), momentum=(0.0, 0.7))
    so, splitting = _richardson(ham, psi0, 0.005, "yoshida4", TIMES)
    assert splitting < 1e-8
    ref = qg.QutipReference(ham).run(psi0, (0, 10), recorder=qg.Recorder(TIMES))
    assert qg.compare(so, ref).max_l2 <= 1e-7


@pytest.mark.parametrize("scheme", ["strang", "yoshida4"])
def test_shaken_trap_converges_to_qobjevo_at_scheme_order(scheme):
    """Time-dependent V (separable → QobjEvo list form): error vs QuTiP falls as dt^order."""
    lat = qg.Lattice(64, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, shaken_trap(1.0, 0.8, 1.3))
    psi0 = qg.coherent(ham, center=0.5)
    t_end = 2.0
    ref = qg.QutipReference(ham).run(psi0, (0, t_end), recorder=qg.Recorder([t_end]))
    steps = [20, 40, 80] if scheme == "strang" else [10, 20, 40]
    errs = []
    for n in steps:
        so = qg.SplitOperatorSolver(ham, t_end / n, scheme).run(
            psi0, (0, t_end), recorder=qg.Recorder([t_end])
        )
        errs.append(qg.compare(so, ref).max_l2)
    order = fit_order(t_end / np.asarray(steps), np.asarray(errs))
    assert abs(order - qg.SCHEMES[scheme].order) <= 0.3, (order, errs)


def test_callable_drive_uses_function_qobjevo():
    """A non-separable V(x, t) goes to QuTiP as H(t); Yoshida-4 at small dt agrees closely."""
    lat = qg.Lattice(48, (-6.0, 6.0))
    pot = time_dependent(lambda x, t: 0.5 * x**2 * (1 + 0.3 * np.sin(2.0 * t)))
    ham = qg.Hamiltonian(lat, pot)
    psi0 = qg.coherent(ham, center=1.0)
    assert ham.potential.terms(lat) is None
    times = [0.5, 1.0]
    so, splitting = _richardson(ham, psi0, 0.01, "yoshida4", times)
    ref = qg.QutipReference(ham).run(psi0, (0, 1.0), recorder=qg.Recorder(times))
    assert qg.compare(so, ref).max_l2 <= splitting + 1e-8


def test_qutip_long_run_does_not_hit_nsteps():
    """QuTiP's default nsteps (2500) fails on long intervals; ours must not."""
    lat = qg.Lattice(128, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    traj = qg.QutipReference(ham).run(qg.coherent(ham, center=1.0), (0, 200.0))
    assert abs(traj["norm"][-1] - 1.0) < 1e-8


def test_options_pass_through_to_sesolve() -> None:
    """QuTiP 5 `options` reach sesolve (a method and its integrator option), keep quantgeo's
    safe defaults for what they don't set, and bad keys name the argument."""
    import qutip

    lat = qg.Lattice(64, (-8.0, 8.0))
    ham = qg.Hamiltonian(lat, harmonic(1.0))
    psi0 = qg.coherent(ham, center=1.0)
    rec = qg.Recorder(times=[0.0, 0.5, 1.0], observables=("norm",))
    ref = qg.QutipReference(ham, options={"method": "bdf", "max_step": 0.01})
    assert ref.method == "bdf" and ref.atol == 1e-12 and ref.options == {"max_step": 0.01}
    traj = ref.run(psi0, (0.0, 1.0), recorder=rec)
    # the same call written by hand in QuTiP: identical options give identical states
    c0 = qutip.Qobj((psi0.data * np.sqrt(lat.cell_volume)).reshape(-1, 1), dims=[[64], [1]])
    opts = {"method": "bdf", "max_step": 0.01, "atol": 1e-12, "rtol": 1e-10, "nsteps": 10**7}
    res = qutip.sesolve(ham.to_qobj(), c0, [0.0, 0.5, 1.0], options=opts)
    final = res.states[-1].full().ravel() / np.sqrt(lat.cell_volume)
    np.testing.assert_allclose(traj.states[-1].ravel(), final, rtol=0, atol=1e-13)
    assert traj.info["options"] == {"max_step": 0.01}
    with pytest.raises(ValueError, match="`options` has 'max_stepp'"):
        qg.QutipReference(ham, options={"max_stepp": 0.01})
    with pytest.raises(ValueError, match="`atol` given both"):
        qg.QutipReference(ham, atol=1e-9, options={"atol": 1e-10})
    with pytest.raises(TypeError, match="`options` must be a dict"):
        qg.QutipReference(ham, options=["bdf"])  # type: ignore[arg-type]
