"""``fft="auto"`` times one-thread candidates by CPU time, threaded ones by the wall clock."""

from __future__ import annotations

import time

from quantgeo.solvers import fft as fftmod

_NAP = 2e-4  # seconds a fake sub-step sleeps: wall-clock time that uses no CPU


class _Sleeper:
    """An engine whose sub-step is a sleep (no CPU time, ``_NAP`` of wall-clock time)."""

    def aligned(self, psi):
        return psi

    def evolve(self, psi, v, k_rest, k_last, vi, ki, v_merged, nsteps):
        time.sleep(_NAP * nsteps)


def test_one_thread_candidates_are_timed_by_cpu_time():
    # a job that waits (here: sleeps; on a shared machine: for a core) costs no thread CPU
    # time, so a one-thread decision is not swayed by the machine's other jobs
    timings = fftmod._time_candidates({"a": _Sleeper()}, (8,), workers=1)
    assert timings["a"] < 0.25 * _NAP


def test_threaded_candidates_are_timed_by_the_wall_clock():
    # with threads the CPU time of the calling thread is not the step's cost: the wall is
    timings = fftmod._time_candidates({"a": _Sleeper()}, (8,), workers=2)
    assert timings["a"] >= _NAP
