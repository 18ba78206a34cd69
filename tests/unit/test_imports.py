"""``import quantgeo`` is cheap: public names are imported on first use (quantgeo._lazy).

Structural checks only (which modules get imported), never wall-clock limits.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

LAZY_PACKAGES = ["quantgeo", "quantgeo.learning", "quantgeo.emergence", "quantgeo.solvers"]
HEAVY = {"qutip", "matplotlib", "pydantic", "tqdm", "numba", "scipy"}


def _imported(*args: str) -> set[str]:
    """Top-level names of every module ``python -X importtime ARGS`` imports."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":  # the header line
                names.add(name.split(".")[0])
    assert "quantgeo" in names, "importtime output was not parsed"
    return names


def test_import_quantgeo_loads_no_heavy_dependency() -> None:
    assert not HEAVY & _imported("-c", "import quantgeo")


def test_quantgeo_help_loads_no_heavy_dependency() -> None:
    assert not HEAVY & _imported("-m", "quantgeo.cli", "--help")


def _type_checking_imports(package: str) -> dict[str, str]:
    """name → module of the imports under ``if TYPE_CHECKING:`` in the package's __init__."""
    init = Path(importlib.import_module(package).__file__ or "")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    block = next(
        n
        for n in tree.body
        if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"
    )
    names = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names:
            names[alias.asname or alias.name] = node.module
    return names


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_resolves_as_the_type_checker_sees_it(package: str) -> None:
    pkg = importlib.import_module(package)
    declared = _type_checking_imports(package)
    assert set(declared) == set(pkg.__all__), "TYPE_CHECKING imports and __all__ differ"
    listed = dir(pkg)
    for name, module in declared.items():
        source = importlib.import_module(module)
        expected = getattr(source, name, None)
        if expected is None:  # `from quantgeo import observables`: the name is a submodule
            expected = importlib.import_module(f"{module}.{name}")
        assert getattr(pkg, name) is expected, name
        assert name in listed, name
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = pkg.no_such_name


def test_star_import_binds_every_name() -> None:
    namespace: dict[str, object] = {}
    exec("from quantgeo import *", namespace)
    import quantgeo

    assert set(quantgeo.__all__) <= set(namespace)


def test_functions_named_like_their_module_stay_functions() -> None:
    # the submodules are imported first (as another quantgeo module would), then looked up
    code = textwrap.dedent(
        """
        import sys, types
        import quantgeo.compare, quantgeo.learning.metric
        import quantgeo, quantgeo.learning
        assert quantgeo.compare is sys.modules["quantgeo.compare"].compare
        assert quantgeo.learning.metric is sys.modules["quantgeo.learning.metric"].metric
        f = quantgeo.learning.regimes
        import quantgeo.learning.regimes
        assert quantgeo.learning.regimes is f
        assert f is sys.modules["quantgeo.learning.regimes"].regimes
        assert not isinstance(quantgeo.learning.regimes, types.ModuleType)
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True)
