"""The kernels' inlined PCG64 (``quantgeo._kernels.pcg64``) against NumPy's own PCG64: the same
uniforms bit for bit, the generator's state handed back so that NumPy continues the stream,
and a clear error for a generator on another bit generator."""

from __future__ import annotations

import numpy as np
import pytest

from quantgeo._kernels import pcg64

_fill = pcg64.fill_uniforms


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 7])
def test_inlined_stream_is_numpys(seed: int) -> None:
    ref = np.random.default_rng(seed)
    rng = np.random.default_rng(seed)
    ref.random(3)  # a state that is not the seeded one
    rng.random(3)
    st = pcg64.state(rng)
    got = np.empty(5000)
    _fill(st, got)
    pcg64.restore(rng, st)
    assert np.array_equal(got, ref.random(5000))
    # NumPy continues where the kernel stopped, through every output path
    assert np.array_equal(rng.random(7), ref.random(7))
    assert np.array_equal(rng.integers(0, 2**62, 5), ref.integers(0, 2**62, 5))


def test_restore_keeps_the_32_bit_buffer() -> None:
    ref = np.random.default_rng(9)
    rng = np.random.default_rng(9)
    ref.integers(0, 2**31, dtype=np.uint32)  # leaves a buffered half word in both
    rng.integers(0, 2**31, dtype=np.uint32)
    st = pcg64.state(rng)
    got = np.empty(10)
    _fill(st, got)
    pcg64.restore(rng, st)
    assert np.array_equal(got, ref.random(10))
    assert rng.integers(0, 2**31, dtype=np.uint32) == ref.integers(0, 2**31, dtype=np.uint32)


def test_other_bit_generator_is_refused() -> None:
    with pytest.raises(TypeError, match=r"`rng` must be a numpy\.random\.Generator on PCG64"):
        pcg64.state(np.random.Generator(np.random.MT19937(0)))


@pytest.mark.parametrize("length", [0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 1023, 4096, 4097])
def test_lanes_give_numpys_stream_and_state(length: int) -> None:
    # fill_range steps four jump-ahead lanes (s ← s·M⁴ + c) and finishes sequentially: every
    # length, a multiple of the lanes or not, gives NumPy's uniforms in order and leaves the
    # state NumPy's sequential stream reaches
    ref = np.random.default_rng(length + 5)
    rng = np.random.default_rng(length + 5)
    st = pcg64.state(rng)
    got = np.full(length + 2, -1.0)
    pcg64.fill_range(st, got, 1, length + 1)
    pcg64.restore(rng, st)
    assert np.array_equal(got[1 : length + 1], ref.random(length))
    assert got[0] == -1.0 and got[-1] == -1.0  # nothing outside the range written
    assert rng.bit_generator.state["state"] == ref.bit_generator.state["state"]
