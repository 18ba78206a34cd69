"""Splitting schemes: published weights, symmetry, order conditions and the fitted order of each
registered scheme against exact lattice evolutions (static and driven trap)."""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg
from quantgeo.potentials import harmonic, shaken_trap
from quantgeo.solvers.schemes import SCHEMES, SplittingScheme, get_scheme
from tests.conftest import fit_order

T_END = 6.0
DV_TOL = 1e-14  # the weights are stored to ~16 digits

# Steps over T_END for each scheme: errors between ~3e-4 and ~1e-12 on the 64-site trap below,
# above the ~5e-14 round-off floor, with dt ≤ 0.5 (no phase per step above π on the state,
# so no aliasing warning).
STATIC_STEPS = {
    "yoshida4": [16, 32, 64],
    "suzuki4": [12, 24, 48],
    "blanes-moan4": [12, 24, 48],
    "yoshida6": [12, 24, 48],
    "kahan-li6": [12, 24, 48],
    "blanes-moan6": [12, 16, 24],
    "suzuki-umeno8": [12, 16, 24],
    "kahan-li8": [12, 16, 24],
}
# The general splittings with a time-dependent V (their clock-time rule), against the Magnus
# reference (its step-doubling estimate ≤ 1e-12, far below the errors fitted).
DRIVEN_STEPS = {"blanes-moan4": [12, 24, 48], "blanes-moan6": [16, 20, 24]}


def test_every_registered_scheme_has_a_fitted_order_test() -> None:
    assert set(STATIC_STEPS) == set(SCHEMES) - {"strang"}


@pytest.mark.parametrize("name", list(SCHEMES))
def test_weights_sum_to_one_and_are_palindromic(name: str) -> None:
    s = SCHEMES[name]
    b, a = np.asarray(s.coefficients), np.asarray(s.potential_weights)
    assert a.size == b.size + 1 == s.stages + 1
    assert abs(b.sum() - 1.0) <= DV_TOL and abs(a.sum() - 1.0) <= DV_TOL
    # symmetric method: Φ(h)Φ(−h) = 1 needs palindromic weights
    assert np.array_equal(b, b[::-1]) and np.array_equal(a, a[::-1])
    assert s.reference


@pytest.mark.parametrize("name", [n for n, s in SCHEMES.items() if s.composition])
def test_composition_order_conditions(name: str) -> None:
    """Symmetric compositions of a symmetric method (Hairer, Lubich & Wanner 2006, V.3.2):
    order p needs Σγ = 1 and Σγ^k = 0 for the odd k = 3 … p − 1 (the single-letter words)."""
    s = SCHEMES[name]
    g = np.asarray(s.coefficients)
    for k in range(3, s.order, 2):
        scale = np.sum(np.abs(g) ** k)
        assert abs(np.sum(g**k)) <= 1e-14 * scale, (name, k, np.sum(g**k))


def test_published_values() -> None:
    """Spot checks of the weights against the papers' tables (and the derived entries)."""
    kl6 = SCHEMES["kahan-li6"].coefficients
    assert kl6[0] == 0.39216144400731413927925056 and kl6[4] == pytest.approx(
        0.79854399093482996339895035, abs=1e-15
    )
    kl8 = SCHEMES["kahan-li8"].coefficients
    assert kl8[8] == pytest.approx(-0.60550853383003451169892108, abs=1e-15)
    su8 = SCHEMES["suzuki-umeno8"].coefficients
    assert su8[7] == pytest.approx(-0.79688793935291635401978884, abs=1e-15)
    bm4 = SCHEMES["blanes-moan4"]
    assert bm4.potential_weights[3] == pytest.approx(0.21937695575349958, abs=1e-15)
    assert bm4.coefficients[2] == pytest.approx(0.434336666566456, abs=1e-15)
    bm6 = SCHEMES["blanes-moan6"]
    assert bm6.potential_weights[5] == pytest.approx(-0.7255255585086897, abs=1e-15)
    assert bm6.coefficients[4] == pytest.approx(-0.016404589403618, abs=1e-15)
    sz = SCHEMES["suzuki4"].coefficients
    assert sz[0] == pytest.approx(0.41449077179437573714, abs=1e-15)


def test_composition_weights_match_the_strang_merge() -> None:
    """Adjacent half steps of V merge: a = (w₁/2, (w₁ + w₂)/2, (w₂ + w₃)/2, w₃/2)."""
    s = SCHEMES["yoshida4"]
    w1, w2, w3 = s.coefficients
    assert s.composition
    assert s.potential_weights == (w1 / 2, (w1 + w2) / 2, (w2 + w3) / 2, w3 / 2)


def test_bad_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="v_weights"):
        SplittingScheme("x", 2, (1.0,), (0.5, 0.25, 0.25))
    with pytest.raises(ValueError, match="sum to 1"):
        SplittingScheme("x", 2, (1.0,), (0.5, 0.6))
    with pytest.raises(ValueError, match="`scheme`"):
        get_scheme("nope")


@pytest.fixture(scope="module")
def trap():  # type: ignore[no-untyped-def]
    """Coherent state in a 64-site harmonic trap (ω = ½); exact ψ(T) by exact diagonalisation."""
    lat = qg.Lattice(64, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, harmonic(0.5))
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)
    w, u = np.linalg.eigh(ham.to_sparse().toarray())
    exact = u @ (np.exp(-1j * w * T_END / ham.hbar) * (u.conj().T @ psi0.data))
    return ham, psi0, exact


@pytest.fixture(scope="module")
def shaken():  # type: ignore[no-untyped-def]
    """The same state in a shaken trap (QobjEvo-like V(x, t)); the Magnus reference."""
    from quantgeo._qutip_bench import exact_states

    lat = qg.Lattice(64, (-12.0, 12.0))
    ham = qg.Hamiltonian(lat, shaken_trap(0.5, amplitude=0.5, drive_frequency=0.6))
    psi0 = qg.coherent(ham, center=1.5, momentum=0.5)
    ket = exact_states(ham, psi0.data, np.array([0.0, T_END]), tol=1e-12)[-1]
    return ham, psi0, ket / np.sqrt(lat.cell_volume)


def _errors(problem, scheme, steps):  # type: ignore[no-untyped-def]
    ham, psi0, exact = problem
    dv = ham.lattice.cell_volume
    out = []
    for n in steps:
        psi = qg.SplitOperatorSolver(ham, T_END / n, scheme).evolve(psi0, T_END).data
        out.append(np.sqrt(np.sum(np.abs(psi - exact) ** 2) * dv))
    return np.asarray(out)


@pytest.mark.convergence
@pytest.mark.parametrize(("scheme", "steps"), list(STATIC_STEPS.items()))
def test_fitted_order_static_trap(trap, scheme, steps) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(trap, scheme, steps)
    order = fit_order(T_END / np.asarray(steps), errors)
    assert abs(order - SCHEMES[scheme].order) <= 0.3, (scheme, order, errors)


@pytest.mark.convergence
@pytest.mark.parametrize(("scheme", "steps"), list(DRIVEN_STEPS.items()))
def test_fitted_order_driven_trap(shaken, scheme, steps) -> None:  # type: ignore[no-untyped-def]
    errors = _errors(shaken, scheme, steps)
    order = fit_order(T_END / np.asarray(steps), errors)
    assert abs(order - SCHEMES[scheme].order) <= 0.3, (scheme, order, errors)


def test_composition_written_as_a_general_splitting_gives_the_same_states(trap) -> None:  # type: ignore[no-untyped-def]
    """The general-splitting factors (own potential weights) reproduce the composition path
    when given the composition's merged weights: the same product of factors, to round-off."""
    ham, psi0, _ = trap
    y6 = SCHEMES["yoshida6"]
    general = SplittingScheme("y6-general", 6, y6.coefficients, y6.potential_weights)
    a = qg.SplitOperatorSolver(ham, 0.1, y6).evolve(psi0, 1.0).data
    b = qg.SplitOperatorSolver(ham, 0.1, general).evolve(psi0, 1.0).data
    assert np.abs(a - b).max() <= 1e-12


def test_general_splitting_refused_with_an_absorber_and_with_mpi(trap) -> None:  # type: ignore[no-untyped-def]
    ham = trap[0]
    absorber = qg.AbsorbingBoundary(width=1.0, strength=1.0)
    with pytest.raises(ValueError, match="negative sub-steps"):
        qg.SplitOperatorSolver(ham, 0.1, "blanes-moan6", absorber=absorber)
    with pytest.raises(ValueError, match="general splitting"):
        qg.SplitOperatorSolver(ham, 0.1, "blanes-moan6", backend="mpi")


def test_general_splitting_numba_equals_its_numpy_twin(shaken) -> None:  # type: ignore[no-untyped-def]
    """The general-splitting factors run through both kernel backends (static and driven V)."""
    ham, psi0, _ = shaken
    for h in (ham, qg.Hamiltonian(ham.lattice, harmonic(0.5))):
        a = qg.SplitOperatorSolver(h, 0.25, "blanes-moan6").evolve(psi0, 1.0).data
        b = qg.SplitOperatorSolver(h, 0.25, "blanes-moan6", backend="numpy").evolve(psi0, 1.0).data
        assert np.abs(a - b).max() <= 1e-12
