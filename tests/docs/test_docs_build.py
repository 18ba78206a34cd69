"""The documentation site builds with warnings as errors (issue 14, item 5).

One ``sphinx-build -W --keep-going -b html docs <tmp>`` (the command of the README, in a fresh
output folder) is shared by the tests below: the build has no warning, every public name has an
API page generated from its docstring, the gallery shows one picture per bundled scenario and
the example notebooks are shown with their outputs.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import quantgeo

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
NOTEBOOKS = sorted((DOCS / "examples").glob("*.ipynb"))
# Sphinx reports "file:line: WARNING: …" / "ERROR: …"; the kernels' own log lines
# ("[IPKernelApp] WARNING | …") are not documentation problems.
PROBLEM = re.compile(r"(WARNING|ERROR|CRITICAL|SEVERE): ")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("docs") / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"sphinx-build failed (exit {proc.returncode}):\n{log[-6000:]}"
    return out, log


def test_build_has_no_warning(site: tuple[Path, str]) -> None:
    _, log = site
    problems = [line for line in log.splitlines() if PROBLEM.search(line)]
    assert not problems, "\n".join(problems)


def _public() -> list[tuple[str, str, object]]:
    """(module, name, object) for ``quantgeo.__all__`` and every public module's ``__all__``."""
    modules = ["quantgeo"] + [
        f"quantgeo.{m.name}"
        for m in pkgutil.iter_modules(quantgeo.__path__)
        if not m.name.startswith("_")
    ]
    out = []
    for modname in modules:
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if not name.startswith("__") and not inspect.ismodule(obj):
                out.append((modname, name, obj))
    return out


def _documented_ids(out: Path) -> set[str]:
    ids: set[str] = set()
    for page in (out / "api").rglob("*.html"):
        ids |= set(re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', page.read_text()))
    return ids


def test_every_public_name_has_an_api_page(site: tuple[Path, str]) -> None:
    out, _ = site
    ids = _documented_ids(out)
    public = _public()
    # A class or function re-exported in several modules is documented under one of its names.
    aliases: dict[int, set[str]] = {}
    for modname, name, obj in public:
        if inspect.isclass(obj) or inspect.isroutine(obj):
            aliases.setdefault(id(obj), set()).add(f"{modname}.{name}")
    missing = []
    for modname, name, obj in public:
        names = aliases.get(id(obj), set()) | {f"{modname}.{name}"}
        if not names & ids:
            missing.append(f"{modname}.{name}")
    assert not missing, f"no API entry for {missing}"
    # the top-level names and the subpackages' names are all among them
    assert {f"quantgeo.{n}" for n in ("Lattice", "SplitOperatorSolver", "compare")} <= ids
    assert {"quantgeo.learning.CovariantGD", "quantgeo.evolution.WrightFisher"} <= ids
    for sub in ("observables", "potentials"):  # quantgeo.__all__'s submodules: a page each
        assert (out / "api" / f"quantgeo.{sub}.html").exists()


def test_api_pages_carry_the_numpydoc_sections(site: tuple[Path, str]) -> None:
    out, _ = site
    page = (out / "api" / "quantgeo.html").read_text()
    start = page.index('id="quantgeo.SplitOperatorSolver"')
    run = page.index('id="quantgeo.SplitOperatorSolver.run"', start)
    # the class docstring's Parameters section, rendered by numpydoc, then its run() method
    assert "Parameters" in page[start:run]
    assert "Parameters" in page[run : page.index('id="quantgeo.SplitOperatorSolver.', run + 1)]


def test_gallery_has_one_picture_per_bundled_scenario(site: tuple[Path, str]) -> None:
    from PIL import Image

    out, _ = site
    html = (out / "gallery.html").read_text()
    images = re.findall(r'<img alt="[^"]*" src="_images/([^"]+)\.png"', html)
    assert sorted(images) == sorted(p.stem for p in SCENARIOS)
    for stem in images:
        with Image.open(out / "_images" / f"{stem}.png") as im:
            rgb = np.asarray(im.convert("RGB"), dtype=float)
        assert rgb.shape[0] >= 200 and rgb.shape[1] >= 300, stem
        # a drawn frame, not a blank one: many pixels differ from the background colour
        background = np.median(rgb.reshape(-1, 3), axis=0)
        drawn = np.any(np.abs(rgb - background) > 30, axis=-1).mean()
        assert drawn > 0.01, f"{stem}: only {drawn:.2%} of the pixels are drawn"


def test_notebook_pages_show_their_outputs(site: tuple[Path, str]) -> None:
    out, _ = site
    assert NOTEBOOKS
    for nb in NOTEBOOKS:
        page = (out / "examples" / f"{nb.stem}.html").read_text()
        assert page.count('class="cell_output') >= 1, nb.stem
        assert "<img" in page, f"{nb.stem}: no figure output"
        assert "Traceback" not in page, nb.stem
        assert "site-packages" not in page, f"{nb.stem}: stderr (progress bars) is shown"


def test_readme_names_the_build_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "sphinx-build -W --keep-going -b html docs docs/_build/html" in readme
