"""The example notebooks (docs/examples/*.ipynb) run top to bottom in a fresh kernel; any cell
error (including a failed ``assert`` inside a notebook) fails the test (issue 14, item 2)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))


def test_there_are_the_three_examples() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"qutip_comparison", "emergence_three_way", "learning_regimes"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    # No cell timeout (the house rule: no wall-clock limits); files go to a scratch folder.
    client = NotebookClient(
        nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell on any error
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code)
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
