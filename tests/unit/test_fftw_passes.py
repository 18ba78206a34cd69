"""The whole-lattice FFTW kernel's vector-lane passes (``quantgeo/_kernels/simd.py``).

``fftw_evolve`` applies the V and kinetic factors two complex numbers at a time and finishes an
odd row (kinetic) or an odd lattice (V) with scalar code; the NumPy twin applies them with
complex arithmetic.  Both round each product differently by at most a few u (fused
multiply-adds), ~1e-16 of max|ψ| per pass, so over the ≤ 9 steps × 2 stages here ≤ 1e-14:
the bound 1e-13 is the one of the other kernel/twin tests.
"""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo._kernels import kernels
from quantgeo.solvers import fft as fftmod


def _factors(rng, shape, nk, zero_row):
    v = np.exp(1j * rng.uniform(-1, 1, (3, *shape))) - 1
    k_rest = np.exp(1j * rng.uniform(-1, 1, (nk, int(np.prod(shape[:-1]))))) - 1
    if zero_row:
        k_rest[:, 0] = 0.0  # the k = 0 row of every real dispersion: g = k_last exactly
    k_last = np.exp(1j * rng.uniform(-1, 1, (nk, shape[-1]))) - 1
    return v, k_rest, k_last


# odd last axes (a scalar number at the end of every kinetic row), an odd lattice (the V
# pass's scalar tail), a last axis of 1 and 2 (no pair, one pair), and the even cases
SHAPES = [(5, 7), (3, 5, 7), (7, 1), (9, 2), (6, 8), (4, 6, 10)]


@pytest.mark.parametrize("zero_row", [False, True])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_whole_lattice_kernel_equals_its_twin(rng, shape, zero_row):
    """``fftw_evolve`` = its NumPy twin (the same FFTW plans, complex NumPy passes) to 1e-13,
    one step and several, on lattices whose rows or size are odd."""
    kern = fftmod._candidate("fftw", kernels("split"), shape, 1)
    twin = fftmod._candidate("fftw", kernels("split", "numpy"), shape, 1)
    for nsteps in (1, 2, 9):
        psi = kern.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
        ref = twin.aligned(psi.copy())
        args = (*_factors(rng, shape, 2, zero_row), np.array([0, 1, 2]), np.array([0, 1]), 2)
        kern.evolve(psi, *args, nsteps)
        twin.evolve(ref, *args, nsteps)
        assert np.max(np.abs(psi - ref)) <= 1e-13 * np.max(np.abs(ref)), nsteps


def test_whole_lattice_kernel_is_a_product_of_its_factors(rng):
    """Independent of the twin: a kinetic factor that is one number ``1 + g`` commutes with
    the FFTs (the unnormalised pair is N times the identity, the kernel's ``1/N`` undoes it),
    so one step is exactly ψ·(1+v₀)·(1+g)·(1+v₁) — on a (7, 1) lattice: odd size (the V pass's
    scalar tail) and rows of one number (the kinetic pass's scalar ends)."""
    shape = (7, 1)
    kern = fftmod._candidate("fftw", kernels("split"), shape, 1)
    v, k_rest, k_last = _factors(rng, shape, 1, False)
    k_rest[:] = 0.0  # g = k_last[0, 0] everywhere (one last-axis site)
    psi = kern.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    expect = psi * (1 + v[0]) * (1 + k_last[0, 0]) * (1 + v[1])
    kern.evolve(psi, v, k_rest, k_last, np.array([0, 1]), np.array([0]), 2, 1)
    assert np.max(np.abs(psi - expect)) <= 1e-14 * np.max(np.abs(expect))


def test_patient_planning_covers_small_2d_and_3d_lattices_at_one_thread():
    """2D and 3D lattices of 2¹⁰…2¹⁴ sites with a non-power-of-two axis, at 1 thread
    only, are planned FFTW_PATIENT."""
    from quantgeo.solvers.fftw_native import FFTW_PATIENT, patient_small, whole_flags

    assert whole_flags((48, 48), 1) & FFTW_PATIENT and not whole_flags((48, 48), 2) & FFTW_PATIENT

    assert patient_small((48, 48), 1) and patient_small((20, 20, 20), 1)
    assert patient_small((96, 96), 1) and not patient_small((129, 128), 1)
    assert not patient_small((31, 31), 1) and not patient_small((48, 48), 2)
    assert not patient_small((64, 64), 1) and not patient_small((32, 32), 1)  # powers of two
    assert not patient_small((4096,), 1)  # 1D: whole_flags decides


def test_patient_plans_give_the_rocket_states(rng):
    """With the PATIENT plans the step equals rocket-fft's to 1e-12 (FFT rounding,
    ~1e-15 a step; the bound of the other backend tests)."""
    shape = (32, 48)
    k = kernels("split")
    fftw = fftmod.make_fft("fftw", "numba", k, shape, 1)
    rocket = fftmod.make_fft("rocket", "numba", k, shape, 1)
    psi = fftw.aligned(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    ref = psi.copy()
    args = (*_factors(rng, shape, 2, True), np.array([0, 1, 2]), np.array([0, 1]), 2, 5)
    fftw.evolve(psi, *args)
    rocket.evolve(ref, *args)
    assert np.max(np.abs(psi - ref)) <= 1e-12 * np.max(np.abs(ref))
