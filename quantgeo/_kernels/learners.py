r"""Numba kernel of the lattice learners' jump process (NumPy twin in :mod:`.learners_reference`).

Each learner is a continuous-time Markov chain on the lattice sites whose rates
:math:`r_{n\to m}` are frozen over one refresh interval of length ``h``.  The waiting times use
the random time change of a unit-rate clock: learner i carries the rest :math:`E_i` of an
:math:`\mathrm{Exp}(1)` variable; at site n with total rate :math:`R_n` it jumps after
:math:`E_i/R_n` if that is shorter than the time left in the interval, otherwise it spends
:math:`R_n\cdot(\text{time left})` of its clock and keeps the rest for the next interval
(exact for piecewise-constant rates, and one exponential per jump instead of one per interval).
The destination is the first direction k with :math:`u R_n < \sum_{j\le k} r_{n,j}`.

Random numbers come from a ``numpy.random.Generator`` passed in (Numba draws from it natively,
bit for bit NumPy's stream).  To let the twin draw them in vectorised blocks the learners move
in *rounds*: round 0 examines every learner, round r + 1 those that jumped in round r; inside a
round the uniforms of all jumping learners (in learner order) are drawn before their new
exponential clocks — exactly the order of the twin's ``rng.random(k)`` then
``rng.standard_exponential(k)``.
"""

from __future__ import annotations

import time

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["jump_interval", "warmup"]

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]


@njit(cache=True, error_model="numpy")
def jump_interval(
    site: IntArray,
    clock: Array,
    left: Array,
    active: IntArray,
    fired: IntArray,
    cum: Array,
    nbr: IntArray,
    h: float,
    rng: np.random.Generator,
) -> int:
    """Advance every learner over one interval of length ``h`` with frozen rates.

    Parameters
    ----------
    site
        int64, shape ``(M,)``: flat site index of each learner (updated in place).
    clock
        float64, shape ``(M,)``: rest of each learner's unit-rate exponential clock (in place).
    left, active, fired
        Scratch arrays of shape ``(M,)`` (float64, int64, int64).
    cum
        float64, shape ``(sites, 2d)``: cumulative rates over the directions of ``nbr``
        (1/time); ``cum[:, -1]`` is the total rate of leaving each site.
    nbr
        int64, shape ``(sites, 2d)``: neighbour of each site in each direction.
    h
        Interval length.
    rng
        ``numpy.random.Generator``, advanced in place.

    Returns
    -------
    Number of jumps made.
    """
    m = site.shape[0]
    nd = cum.shape[1]
    last = nd - 1
    jumps = 0
    first = True
    n_active = m
    while n_active > 0:
        n_fired = 0
        if first:  # round 0 visits every learner: no index list, no scratch writes
            for i in range(m):
                rate = cum[site[i], last]
                budget = rate * h
                if clock[i] < budget:
                    left[i] = h - clock[i] / rate
                    fired[n_fired] = i
                    n_fired += 1
                else:
                    clock[i] -= budget
            first = False
        else:
            for j in range(n_active):
                i = active[j]
                rate = cum[site[i], last]
                budget = rate * left[i]
                if clock[i] < budget:
                    left[i] -= clock[i] / rate
                    fired[n_fired] = i
                    n_fired += 1
                else:
                    clock[i] -= budget
        for j in range(n_fired):
            i = fired[j]
            s = site[i]
            target = rng.random() * cum[s, last]
            k = nd
            for d in range(nd):
                if target < cum[s, d]:
                    k = d
                    break
            if k == nd:  # u·R rounded up to R: the last direction with a positive rate
                k = last
                while k > 0 and cum[s, k] == cum[s, k - 1]:
                    k -= 1
            site[i] = nbr[s, k]
        for j in range(n_fired):
            clock[fired[j]] = rng.standard_exponential()
        for j in range(n_fired):
            active[j] = fired[j]
        jumps += n_fired
        n_active = n_fired
    return jumps


def warmup() -> float:
    """Compile (or load from Numba's cache) :func:`jump_interval`; return the seconds spent."""
    start = time.perf_counter()
    site = np.zeros(2, dtype=np.int64)
    clock = np.ones(2)
    cum = np.array([[1.0, 2.0], [1.0, 2.0]])
    nbr = np.array([[1, 1], [0, 0]], dtype=np.int64)
    scratch_i = np.empty(2, dtype=np.int64)
    jump_interval(
        site,
        clock,
        np.empty(2),
        scratch_i,
        scratch_i.copy(),
        cum,
        nbr,
        0.1,
        np.random.default_rng(0),
    )
    return time.perf_counter() - start
