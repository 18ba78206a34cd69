"""Numba's cache and kernels that call across modules (``quantgeo._kernels._cache``)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quantgeo._kernels import _cache

_MAIN = """
import sys
from numba import njit
from pkg.dep import inc
{hook}

@njit(cache=True)
def f():
    return inc()

{call}
"""


def _run(root: Path) -> int:
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("NUMBA_CACHE_DIR", None)  # the in-tree cache, next to the sources
    out = subprocess.run(
        [sys.executable, "-c", "import pkg.main, pkg.plain; print(pkg.main.f(), pkg.plain.f())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    main, plain = out.stdout.split()
    return int(main) * 10 + int(plain)


def _write_dep(root: Path, value: int, stamp: float) -> None:
    dep = root / "pkg" / "dep.py"
    dep.write_text(f"from numba import njit\n\n@njit(cache=True)\ndef inc():\n    return {value}\n")
    os.utime(dep, (stamp, stamp))


def test_a_changed_callee_in_another_module_is_recompiled(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    hook = "from quantgeo._kernels._cache import drop_stale"
    call = "drop_stale(__name__, ['pkg.dep'])"
    (pkg / "main.py").write_text(textwrap.dedent(_MAIN.format(hook=hook, call=call)))
    (pkg / "plain.py").write_text(textwrap.dedent(_MAIN.format(hook="", call="")))
    base = (pkg / "main.py").stat().st_mtime
    _write_dep(tmp_path, 1, base - 100)
    assert _run(tmp_path) == 11  # both compile and cache with inc() == 1
    _write_dep(tmp_path, 2, base + 100)  # the callee changes; the callers' files do not
    # Numba alone keeps the stale entry (plain: 1); the hook drops it and recompiles (main: 2)
    assert _run(tmp_path) == 21
    assert _run(tmp_path) == 21  # and stays right on the next import
    # a callee restored with an older stamp (cp -p, rsync -t, an archive) is a change too
    _write_dep(tmp_path, 3, base - 200)
    assert _run(tmp_path) == 31


@pytest.mark.parametrize("name", ["fftw", "evolution"])
def test_the_kernel_modules_cache_location_is_found(name: str) -> None:
    # drop_stale reads the dispatchers' cache location; a Numba that renames it must fail here
    module = __import__(f"quantgeo._kernels.{name}", fromlist=["_"])
    assert _cache._cache_dir(module) is not None
