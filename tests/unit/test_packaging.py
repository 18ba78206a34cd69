"""The explicit package list in pyproject.toml covers every subpackage (installs need it)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import quantgeo

ROOT = Path(__file__).resolve().parents[2]


def test_every_subpackage_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    pkg_root = Path(quantgeo.__file__).parent
    found = {
        "quantgeo" + "".join(f".{part}" for part in init.parent.relative_to(pkg_root).parts)
        for init in pkg_root.rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools].packages: {sorted(found - listed)}"
    assert "quantgeo.scenarios" in listed


def test_bundled_scenarios_are_found():
    from quantgeo import scenario

    assert len(scenario.find_scenarios()) >= 12
