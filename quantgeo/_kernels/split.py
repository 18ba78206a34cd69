"""Split-operator kernels (Numba, FFTs from rocket-fft's ``scipy.fft`` in nopython mode).

``psi`` is a C-contiguous complex128 array of 1–3 dimensions, updated in place.  The FFTs run
with ``workers`` threads; the element-wise products use Numba's thread pool only when
``threaded`` is true (never inside the FFT, so threads are not nested).
"""

from __future__ import annotations

import scipy.fft as sfft
from numba import njit, prange

__all__ = ["kinetic_step", "multiply", "split_evolve"]


@njit(cache=True, fastmath=False)
def _multiply_serial(a, b):  # type: ignore[no-untyped-def]
    fa = a.reshape(a.size)
    fb = b.reshape(b.size)
    for i in range(fa.size):
        fa[i] *= fb[i]


@njit(cache=True, parallel=True)
def _multiply_threaded(a, b):  # type: ignore[no-untyped-def]
    fa = a.reshape(a.size)
    fb = b.reshape(b.size)
    for i in prange(fa.size):
        fa[i] *= fb[i]


@njit(cache=True)
def multiply(a, b, threaded):  # type: ignore[no-untyped-def]
    """``a *= b`` element-wise (same shape, C-contiguous)."""
    if threaded:
        _multiply_threaded(a, b)
    else:
        _multiply_serial(a, b)


@njit(cache=True)
def kinetic_step(psi, k_factor, workers, threaded):  # type: ignore[no-untyped-def]
    """``psi ← IFFT(k_factor · FFT(psi))`` over all axes, in place."""
    spec = sfft.fftn(psi, workers=workers, overwrite_x=True)
    multiply(spec, k_factor, threaded)
    out = sfft.ifftn(spec, workers=workers, overwrite_x=True)
    if out.ctypes.data != psi.ctypes.data:
        psi[...] = out


@njit(cache=True)
def split_evolve(psi, v_factors, k_factors, v_index, k_index, v_merged, nsteps, workers, threaded):  # type: ignore[no-untyped-def]
    """Advance ``psi`` by ``nsteps`` steps of a composition scheme.

    One step is ``V[v_index[s]] K[k_index[s-1]] … V[v_index[1]] K[k_index[0]] V[v_index[0]]``
    (rightmost first); between steps the last and first V factors are replaced by their
    product ``V[v_merged]``.

    Parameters
    ----------
    psi : complex128 array, shape S
    v_factors : complex128 array, shape (nv, *S) — ``exp(-i a_j V dt/ħ)`` (times absorber)
    k_factors : complex128 array, shape (nk, *S) — ``exp(-i b_j ε(k) dt/ħ)``, FFT order
    v_index : int64 array (s + 1,);  k_index : int64 array (s,);  v_merged : int
    nsteps : int ≥ 1;  workers : FFT threads;  threaded : thread the products
    """
    s = k_index.size
    multiply(psi, v_factors[v_index[0]], threaded)
    for n in range(nsteps):
        for j in range(s):
            kinetic_step(psi, k_factors[k_index[j]], workers, threaded)
            if j < s - 1:
                multiply(psi, v_factors[v_index[j + 1]], threaded)
        if n < nsteps - 1:
            multiply(psi, v_factors[v_merged], threaded)
        else:
            multiply(psi, v_factors[v_index[s]], threaded)


