"""Every bundled scenario validates, passes `quantgeo validate` (fast) and its full run (slow)."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from quantgeo.hamiltonian import Hamiltonian
from quantgeo.scenario import (
    KINDS,
    Scenario,
    find_scenarios,
    load_scenario,
    run_scenario,
    schema_markdown,
)

from .conftest import SCENARIO_DIR, SCENARIO_FILES

IDS = [p.stem for p in SCENARIO_FILES]

REQUIRED_SUBJECTS = {
    "free_packet",
    "coherent_trap",
    "anisotropic_trap_2d",
    "double_well_tunnelling",
    "barrier_transmission",
    "double_slit_2d",
    "talbot_ring",
    "ground_state_imaginary",
    "driven_trap",
    "absorbing_boundary",
    "emergence_three_way",
    "born_ensemble",
}


def test_bundled_folder_has_the_required_scenarios() -> None:
    assert SCENARIO_DIR is not None, "no bundled scenarios folder found"
    names = {load_scenario(p).name for p in SCENARIO_FILES}
    assert len(SCENARIO_FILES) >= 12
    assert REQUIRED_SUBJECTS <= names
    assert len(names) == len(SCENARIO_FILES), "scenario names must be unique"
    assert find_scenarios() == SCENARIO_FILES
    assert find_scenarios([SCENARIO_DIR]) == SCENARIO_FILES


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_scenario_file_validates(path) -> None:
    full = load_scenario(path)
    fast = load_scenario(path, fast=True)
    for sc in (full, fast):
        assert isinstance(sc, Scenario)
        assert sc.meta.kind in KINDS
        assert sc.meta.description.strip(), "every scenario describes what it checks"
        with pytest.raises(dataclasses.FrozenInstanceError):
            sc.meta = sc.meta  # type: ignore[misc]
    assert not full.fast and fast.fast
    assert full.name == fast.name == path.stem
    n_expect = (
        len(full.expect.analytic)
        + len(full.expect.extra)
        + sum(
            getattr(full.expect, k) is not None
            for k in (
                "max_norm_drift",
                "max_energy_drift",
                "max_l2_vs_reference",
                "max_infidelity_vs_reference",
            )
        )
    )
    assert n_expect >= 1, "every scenario has expected tolerances"
    if full.meta.kind == "schrodinger":
        built = full.build()
        assert built.lattice.shape == full.lattice.shape
        # the spec's registry of time-dependent potential types agrees with the built potential
        assert built.hamiltonian.time_dependent == full.hamiltonian.time_dependent


def test_one_diagonalisation_per_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    """The eigenstate initial state and the tunnelling check share one eigh."""
    calls: list[int | None] = []
    real = Hamiltonian.eigh

    def counting(self: Hamiltonian, k: int | None = None, t: float = 0.0) -> object:
        calls.append(k)
        return real(self, k, t)

    monkeypatch.setattr(Hamiltonian, "eigh", counting)
    assert SCENARIO_DIR is not None
    result = run_scenario(load_scenario(SCENARIO_DIR / "double_well_tunnelling.toml", fast=True))
    assert result.passed, result.checks
    assert calls == [2]


def test_readme_documents_every_key() -> None:
    readme = (SCENARIO_DIR / "README.md").read_text(encoding="utf-8")
    assert schema_markdown() in readme, "regenerate the key reference in scenarios/README.md"
    for path in SCENARIO_FILES:
        assert f"`{path.stem}`" in readme, f"{path.name} is not listed in scenarios/README.md"


def test_validate_subprocess_exits_0_and_prints_the_table(
    validate_run: subprocess.CompletedProcess[str],
) -> None:
    out = validate_run.stdout
    assert validate_run.returncode == 0, out + validate_run.stderr
    assert re.search(r"^scenario\s+time\s+check\s+value\s+tolerance\s+result", out, re.M)
    assert f"{len(SCENARIO_FILES)}/{len(SCENARIO_FILES)} scenarios passed (fast mode" in out
    assert "FAIL" not in out
    assert "Traceback" not in validate_run.stderr


def parse_table(out: str) -> dict[str, list[tuple[str, str]]]:
    """Scenario → [(check, result)] from the fixed-width table printed by `quantgeo validate`."""
    lines = out.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("scenario "))
    cols = {name: lines[head].index(name) for name in ("check", "value", "result", "detail")}
    table: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for ln in lines[head + 2 :]:
        if not ln.strip() or re.match(r"^\d+/\d+ scenarios passed", ln):
            break
        name = ln[: cols["check"]].split()[0] if ln[: cols["check"]].strip() else current
        current = name
        check = ln[cols["check"] : cols["value"]].strip()
        result = ln[cols["result"] : cols["detail"]].strip() if len(ln) > cols["result"] else ""
        table.setdefault(name, []).append((check, result))
    return table


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_scenario_passes_fast_in_validate(
    path, validate_run: subprocess.CompletedProcess[str]
) -> None:
    table = parse_table(validate_run.stdout)
    assert path.stem in table, f"{path.stem} missing from the validate table"
    rows = table[path.stem]
    assert rows and all(result == "PASS" for _, result in rows), rows


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIO_FILES, ids=IDS)
def test_scenario_passes_full(path) -> None:
    result = run_scenario(load_scenario(path))
    failed = [c for c in result.checks if not c.passed]
    assert result.passed, (result.error, failed)
