"""Sphinx configuration of the quantgeo documentation site.

Build locally (the ``docs`` extra)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

The API pages (``api/``) are generated from ``__all__`` by ``_ext/api_pages.py`` and the
scenario gallery (``_gallery/``) by ``_ext/scenario_gallery.py``, both at build time; the
example notebooks are executed by myst-nb (outputs cached under the build folder).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import quantgeo

# The notebook kernels inherit this environment: MPLBACKEND=Agg (as CI sets it) would replace
# the kernels' inline backend and the pages would lose the figures that plt.show() draws.
os.environ.pop("MPLBACKEND", None)

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "quantgeo"
author = "the quantgeo developers"
copyright = "the quantgeo developers"
release = quantgeo.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",  # Markdown (myst-parser) and notebooks
    "api_pages",
    "scenario_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
exclude_patterns = ["_build", "**/.ipynb_checkpoints", "Thumbs.db", ".DS_Store"]

# -- API pages -----------------------------------------------------------------------------
autosummary_generate = False  # the tables link to the entries on the same page
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # autosummary already lists them
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Markdown and notebooks ----------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
# The notebooks are stored without outputs (tests/unit/test_notebooks.py executes them); the
# build executes them once and caches the outputs (jupyter-cache) next to the HTML, so a
# rebuild with unchanged code cells does not run them again.  A cell error fails the build.
nb_execution_mode = "cache"
nb_execution_timeout = -1  # no cell timeout (the house rule: no wall-clock limits)
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
# stderr holds the tqdm progress bars (text: a static page has no widgets) and their notices
nb_output_stderr = "remove"

# -- Gallery -------------------------------------------------------------------------------
scenario_gallery_fast = True  # the scenarios' [fast] overrides: seconds, not minutes

# -- HTML ----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"quantgeo {release}"
html_static_path: list[str] = []
