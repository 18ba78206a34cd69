"""``FactorCache.get(keep_built=True)``: the building caller's arrays are kept as they are (no
copy allocated when an entry is kept), later callers get copies of them."""

from __future__ import annotations

import numpy as np

from quantgeo.solvers.factors import FactorCache


def test_keep_built_keeps_the_built_arrays_and_hands_out_copies():
    cache = FactorCache(4, 1e6)
    made: list[np.ndarray] = []

    def build():
        made.append(np.arange(4.0))
        return (made[-1],)

    first = cache.get(("k",), build, keep_built=True)  # built, only its hash remembered
    second = cache.get(("k",), build, keep_built=True)  # built again, kept uncopied
    third = cache.get(("k",), build, keep_built=True)  # a copy of the kept arrays
    assert len(made) == 2 and len(cache) == 1
    assert first[0] is made[0] and second[0] is made[1]
    assert np.array_equal(third[0], made[1]) and not np.shares_memory(third[0], made[1])
