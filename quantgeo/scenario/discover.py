"""Finding scenario files: the bundled ones and those named on the command line."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path

__all__ = ["bundled_scenarios_dir", "find_scenarios"]


def bundled_scenarios_dir() -> Path | None:
    """Folder of the scenarios shipped with quantgeo.

    Looked up as the package ``quantgeo.scenarios`` (installed from the top-level
    ``scenarios/`` folder), then ``scenarios/`` beside the source tree.
    """
    try:
        spec = importlib.util.find_spec("quantgeo.scenarios")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            p = Path(loc)
            if any(p.glob("*.toml")):
                return p
    here = Path(__file__).resolve().parent  # quantgeo/scenario/
    p = here.parents[1] / "scenarios"
    return p if p.is_dir() and any(p.glob("*.toml")) else None


def find_scenarios(paths: Sequence[str | os.PathLike[str]] = ()) -> list[Path]:
    """Expand files and folders into a sorted list of ``.toml`` files (default: the bundled)."""
    if not paths:
        d = bundled_scenarios_dir()
        return sorted(d.glob("*.toml")) if d is not None else []
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(p.glob("*.toml")))
        else:
            out.append(p)
    return out
