"""The split-operator factors built on the whole stack of rows at once.

``g = e^z − 1`` for every factor of a step: the stacked builders (one array operation per term
over all rows, a pure phase on its real angle) must give the values of ``expm1j`` applied row
by row (the same IEEE operations on each element, so equal, not close), and both must agree
with ``exp(z) − 1`` to the rounding of the cancelling subtraction (≤ 4u·|e^z| for |z| ≤ 30,
far below the 1e-13 used).
"""

from __future__ import annotations

import numpy as np
import pytest

import quantgeo as qg
from quantgeo.potentials import harmonic
from quantgeo.solvers.factors import (
    _v_factors,
    expm1i,
    expm1j,
    kinetic_factors,
    scaled_factors,
    v_exponent,
    weighted_factors,
)
from quantgeo.solvers.schemes import SCHEMES, _static_layout


def _rows(scales, expos):
    return np.stack([expm1j(s * e) for s, e in zip(scales, expos, strict=True)])


@pytest.fixture(params=[(64,), (12, 10), (4, 6, 5)], ids=["1d", "2d", "3d"])
def ham(request):
    return qg.Hamiltonian(qg.Lattice(request.param, (-6.0, 6.0)), harmonic(1.0))


@pytest.fixture(params=[False, True], ids=["phase", "absorber"])
def expo(request, ham):
    damping = np.linspace(0.0, 2.0, ham.lattice.size).reshape(ham.lattice.shape)
    return v_exponent(ham.potential_values(), damping if request.param else None, ham.hbar)


def test_expm1i_is_expm1j_of_a_pure_phase():
    y = np.linspace(-40.0, 40.0, 1001)
    assert np.array_equal(expm1i(y), expm1j(1j * y))
    assert np.max(np.abs(expm1i(y) - (np.exp(1j * y) - 1))) < 1e-13


def test_static_factors_of_general_splittings_equal_the_row_by_row_build(expo):
    for scheme in SCHEMES.values():
        if scheme.composition:
            continue
        scales = 0.37 * np.asarray(_static_layout(scheme)[0])
        out = scaled_factors(scales, expo)
        assert out.shape == (len(scales), *expo.shape) and out.flags.c_contiguous
        assert np.array_equal(out, _rows(scales, [expo] * len(scales)))
        exact = np.exp(scales.reshape(-1, *[1] * expo.ndim) * expo) - 1
        assert np.max(np.abs(out - exact)) < 1e-13


def test_time_dependent_factors_equal_the_row_by_row_build(expo):
    scheme = SCHEMES["blanes-moan6"]
    expos = [expo * (1.0 + 0.1 * j) for j in range(scheme.stages + 1)]
    scales = 0.21 * np.asarray(scheme.potential_weights)
    out = weighted_factors(scales, expos)
    assert out.flags.c_contiguous and np.array_equal(out, _rows(scales, expos))


@pytest.mark.parametrize("merged", [True, False])
def test_composition_factors_are_those_of_their_definition(expo, merged):
    """Factor 0: ½w₁E₁; factor j: ½(w_j E_j + w_{j+1} E_{j+1}); factor s: ½w_s E_s; merged
    (static E): ½(w_s + w₁)E (the module docstring of factors.py), each through expm1j."""
    w = SCHEMES["yoshida4"].coefficients
    static = [expo] * len(w)
    moving = [expo * (1.0 + 0.2 * j) for j in range(len(w))]
    for expos in [static] if merged else [static, moving]:
        h = 0.05
        half = [0.5 * w[j] * expos[j] for j in range(len(w))]
        xs = [half[0], *(half[j - 1] + half[j] for j in range(1, len(w))), half[-1]]
        if merged:
            xs.append(half[-1] + half[0])
        want = np.stack([expm1j(h * x) for x in xs])
        out = _v_factors(w, expos, h, merged=merged)
        assert out.flags.c_contiguous and np.array_equal(out, want)


@pytest.mark.parametrize("z", [-0.3j * np.array([0.4, 1.0, -0.2]), np.array([-0.25 + 0j])])
def test_kinetic_factors_are_the_separable_product(ham, z):
    """(1 + g_a)(1 + g_b)… − 1 over the leading axes, the last axis apart (real time: pure
    phases; imaginary time: real exponents), against the product of exp over the grid."""
    rest, last = kinetic_factors(ham, z)
    axes = [eps / ham.hbar for eps in ham.axis_dispersions()]
    assert rest.shape == (len(z), ham.lattice.size // ham.lattice.shape[-1])
    assert last.shape == (len(z), ham.lattice.shape[-1])
    assert np.array_equal(last, np.stack([expm1j(zj * axes[-1]) for zj in z]))
    for j, zj in enumerate(z):
        whole = np.exp(zj * ham.dispersion() / ham.hbar)
        lead = np.exp(zj * sum(np.meshgrid(*axes[:-1], indexing="ij"), np.zeros(())))
        assert np.allclose((1 + rest[j]).reshape(np.shape(lead)), lead, rtol=0, atol=1e-14)
        got = (1 + rest[j])[:, None] * (1 + last[j])[None, :]
        assert np.max(np.abs(got.reshape(whole.shape) - whole)) < 1e-13


def test_solver_factors_are_built_once_per_step_size(ham):
    """Each step size's factors are built once (cached; the kernels read them) and are the
    row-by-row build's."""
    solver = qg.SplitOperatorSolver(ham, 0.1, "blanes-moan6", error_samples=0)
    first = solver._static_potential(0.1)
    assert solver._static_potential(0.1) is first
    half = solver._static_potential(0.05)
    expo = v_exponent(ham.potential_values(), None, ham.hbar)
    weights = np.asarray(_static_layout(SCHEMES["blanes-moan6"])[0])
    assert np.array_equal(half, _rows(0.05 * weights, [expo] * len(weights)))
    assert solver._real_kinetic(0.1) is solver._real_kinetic(0.1)


def test_halves_are_the_two_separate_builds_bit_for_bit(expo):
    """A step's factors and those of half the step (the step-doubling estimate's) from one
    stack: equal, not close, to building each on its own (halving is exact in binary)."""
    from quantgeo.solvers.factors import _scaled_stack, _v_stack, expm1i_halves, factors_and_halves

    y = np.linspace(-40.0, 40.0, 1001)
    coarse, fine = expm1i_halves(y)
    assert np.array_equal(coarse, expm1i(y)) and np.array_equal(fine, expm1i(0.5 * y))
    for scheme in SCHEMES.values():
        h = 0.37
        if scheme.composition:
            w = scheme.coefficients
            stack = _v_stack(w, [expo] * len(w), h, merged=True)
            want = [_v_factors(w, [expo] * len(w), s, merged=True) for s in (h, 0.5 * h)]
        else:
            scales = np.asarray(_static_layout(scheme)[0])
            stack = _scaled_stack(h * scales, expo)
            want = [scaled_factors(s * scales, expo) for s in (h, 0.5 * h)]
        got = factors_and_halves(*stack)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), scheme.name


@pytest.mark.parametrize("scheme", ["blanes-moan6", "yoshida4"])
def test_solver_builds_the_half_step_factors_with_the_step(ham, scheme):
    """With the step-doubling estimate on, building h's factors also builds h/2's (shared sin
    pass, kinetic rows in one call), and both are the factors a solver without the estimate
    builds for each step on its own."""
    on = qg.SplitOperatorSolver(ham, 0.1, scheme)
    off = qg.SplitOperatorSolver(ham, 0.1, scheme, error_samples=0)
    v = on._static_potential(0.1)
    on._real_kinetic(0.1)
    assert 0.05 in on._potential_cache and 0.05 in on._kinetic_cache
    off._static_potential(0.1)
    off._real_kinetic(0.1)
    assert 0.05 not in off._potential_cache and 0.05 not in off._kinetic_cache
    assert on._static_potential(0.05) is on._potential_cache[0.05]
    assert np.array_equal(v, off._static_potential(0.1))
    assert np.array_equal(on._static_potential(0.05), off._static_potential(0.05))
    for a, b in zip(on._real_kinetic(0.05), off._real_kinetic(0.05), strict=True):
        assert np.array_equal(a, b)
    for a, b in zip(on._real_kinetic(0.1), off._real_kinetic(0.1), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("scheme", ["blanes-moan6", "yoshida4", "strang"])
def test_factors_built_on_distinct_values_are_the_sitewise_build(scheme):
    """A static V with repeated values (a barrier: zero on most sites; a symmetric trap) has
    its factors built once per distinct value and gathered back: equal, bit for bit (the
    sign of a zero included), to building them on every site."""
    from quantgeo.solvers import factors as fmod

    lat = qg.Lattice((24, 20), (-6.0, 6.0))
    x, y = lat.coordinates()
    v = np.where(np.abs(x) < 1.0, 3.0, 0.0) + 0.0 * y
    v[0, :3] = -0.0  # -0.0 and 0.0 give factors differing in the sign of a zero
    for values in (v, 0.5 * (x**2 + y**2)):
        ham = qg.Hamiltonian(lat, qg.potentials.from_array(values))
        expo = v_exponent(ham.potential_values(), None, ham.hbar)
        small, index = fmod.distinct_sites(expo)
        assert index is not None and small.size <= fmod.DISTINCT_FRACTION * expo.size
        assert np.array_equal(small[index].reshape(expo.shape), expo)
        assert np.array_equal(np.signbit(small[index].imag), np.signbit(expo.imag.ravel()))
        solver = qg.SplitOperatorSolver(ham, 0.1, scheme)
        ref = qg.SplitOperatorSolver(ham, 0.1, scheme)
        for h in (0.1, 0.05):
            got = solver._static_potential(h)
            with pytest.MonkeyPatch.context() as m:
                m.setattr(fmod, "DISTINCT_FRACTION", -1.0)  # every site on its own
                ref._potential_cache.clear()
                want = ref._static_potential(h)
            assert got.shape == want.shape and got.flags.c_contiguous
            assert np.array_equal(got.view(np.int64), want.view(np.int64))  # bits


def test_distinct_values_are_not_used_for_an_absorber_or_few_repeats(rng):
    from quantgeo.solvers import factors as fmod

    expo = v_exponent(rng.uniform(0, 1, (12, 10)), None, 1.0)
    assert fmod.distinct_sites(expo)[1] is None  # every value distinct
    damped = v_exponent(np.zeros((12, 10)), np.full((12, 10), 0.5), 1.0)
    assert fmod.distinct_sites(damped)[1] is None  # not a pure phase
    # a large lattice builds every site: its sort of all sites would cost as much as the build
    big = v_exponent(np.zeros(fmod.DISTINCT_MAX_SITES + 1), None, 1.0)
    assert fmod.distinct_sites(big)[1] is None
    assert fmod.distinct_sites(big[:-1])[1] is not None  # one value: gathered at the bound


def test_the_factor_cache_copies_by_content_and_stays_bounded():
    """Same content: kept from its second build on, then copies of it (never the same
    arrays); other content (V, ħ, step, weights): built again; the least recently used
    entries go first; an entry above the caps is never kept."""
    from quantgeo.solvers.factors import FactorCache, content_key

    cache = FactorCache(2, 1e6)
    calls = []

    def build(x):
        def run():
            calls.append(x)
            return (np.full(3, x, dtype=np.complex128),)

        return run

    def get(v, hbar, x):
        return cache.get(content_key("p", v, hbar), build(x))

    v = np.arange(4.0)
    get(v, 1.0, 1)  # first build: only the key's hash is remembered
    assert len(cache) == 0
    a = get(v.copy(), 1.0, 1)  # equal values, another array: second build, kept
    b = get(v, 1.0, 1)  # a copy of the kept one
    assert calls == [1, 1] and len(cache) == 1
    assert np.array_equal(a[0], b[0]) and a[0] is not b[0]
    b[0][0] = 99  # a caller's copy is its own
    assert get(v, 1.0, 1)[0][0] == 1 and calls == [1, 1]
    for _ in range(2):
        get(v + 1, 1.0, 2)  # other V
        get(v, 2.0, 3)  # other ħ; the second time evicts the least recent, v
    assert calls == [1, 1, 2, 3, 2, 3] and len(cache) == 2
    get(v + 1, 1.0, 2)  # kept
    get(v, 1.0, 1)  # evicted: built again (and kept: its hash is remembered)
    assert calls == [1, 1, 2, 3, 2, 3, 1]
    for cap in (FactorCache(4, 10.0), FactorCache(4, 1e6, entry_bytes=10.0)):
        for _ in range(3):  # 48 bytes an entry: above the cap, built every time
            cap.get(("k",), build(4))
        assert len(cap) == 0 and calls[-3:] == [4, 4, 4]


@pytest.mark.parametrize("scheme", ["blanes-moan6", "yoshida4"])
def test_runs_with_cached_factors_equal_runs_that_build_them(ham, scheme):
    """A third solver on the same V copies its factors from the cache (kept at the second
    build): the same states bit for bit as those that build them, and its own arrays."""
    from quantgeo.solvers.factors import factor_cache

    psi0 = qg.coherent(ham, center=0.5, momentum=0.5)

    def run():
        solver = qg.SplitOperatorSolver(ham, 0.05, scheme, fft="rocket")
        rec = qg.Recorder([0.25, 0.5], store_states=True, observables=())
        traj = solver.run(psi0, (0.0, 0.5), recorder=rec, progress=False)
        return np.asarray(traj.states), solver

    factor_cache.clear()
    built, _ = run()
    again, first = run()  # built again, and kept
    hits = factor_cache.hits
    copied, second = run()
    assert factor_cache.hits >= hits + 2  # V and kinetic factors
    assert np.array_equal(built, copied) and np.array_equal(again, copied)
    for h, f in second._potential_cache.items():
        assert not np.shares_memory(f, first._potential_cache[h])
    for h, (rest, last) in second._kinetic_cache.items():  # kept by copy: each solver its own
        assert not np.shares_memory(rest, first._kinetic_cache[h][0])
        assert not np.shares_memory(last, first._kinetic_cache[h][1])
