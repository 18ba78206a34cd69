"""The same sweep on local processes (1 and 2 workers), a Dask LocalCluster and MPI gives the
same table bit for bit, for a stochastic scenario (the Born ensemble, seeds from the hashes)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quantgeo.sweep import make_executor, sweep

from .conftest import BORN_SMALL

BORN_VARY = {"born.walkers": [200, 300], "born.t_end": [0.25, 0.5]}


def _values(result: Any) -> list[tuple[Any, ...]]:
    return [
        (r["point"], r["seed"], r["status"], r["error"], sorted(r["checks"].items()))
        for r in result.rows
    ]


@pytest.fixture(scope="module")
def born_serial(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from quantgeo.scenario import bundled_scenarios_dir

    d = bundled_scenarios_dir()
    assert d is not None
    out = tmp_path_factory.mktemp("serial")
    return sweep(
        d / "born_ensemble.toml", BORN_VARY, "serial", out=out, fast=True, overrides=BORN_SMALL
    )


def test_seeds_make_the_born_points_differ(born_serial: Any) -> None:
    assert born_serial.n_errors == 0 and born_serial.n_points == 4
    z = [r["checks"]["z_a1"]["value"] for r in born_serial.rows]
    assert len(set(z)) == 4  # four seeds, four different walker histograms
    assert len({r["seed"] for r in born_serial.rows}) == 4


@pytest.mark.parametrize("workers", [1, 2])
def test_processes_equal_serial(
    born_file: Path, born_serial: Any, tmp_path: Path, workers: int
) -> None:
    res = sweep(
        born_file, BORN_VARY, out=tmp_path, fast=True, overrides=BORN_SMALL, workers=workers
    )
    assert _values(res) == _values(born_serial)
    assert sorted(p.name for p in (tmp_path / "points").iterdir()) == sorted(
        r["point"] for r in born_serial.rows
    )


def test_dask_local_cluster_equals_serial(
    born_file: Path, born_serial: Any, tmp_path: Path
) -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        res = sweep(born_file, BORN_VARY, client, out=tmp_path, fast=True, overrides=BORN_SMALL)
        assert client.status == "running"  # a client passed in is not closed
    assert _values(res) == _values(born_serial)


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with pytest.raises(ConnectionError, match="`scheduler`") as err:
        make_executor("dask", scheduler="tcp://127.0.0.1:1", timeout=1.0)
    assert "could not reach the Dask scheduler at 'tcp://127.0.0.1:1' within 1 s" in str(err.value)


def _mpiexec() -> list[str]:
    # the environment's own MPI (the mpich wheel of the test extra) before a system one
    here = Path(sys.executable).parent / "mpiexec"
    exe = str(here) if here.exists() else shutil.which("mpiexec")
    if exe is None:
        pytest.fail(
            "mpiexec not found: the MPI sweep test needs an MPI runtime "
            "(the test extra's mpich wheel, or a system MPI)"
        )
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
    cmd = [exe]
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
    return cmd


def test_mpi_pool_equals_serial(born_file: Path, born_serial: Any, tmp_path: Path) -> None:
    import json

    cmd = [
        *_mpiexec(),
        "-n",
        "3",
        sys.executable,
        "-m",
        "mpi4py.futures",
        "-m",
        "quantgeo.sweep",
        str(born_file),
        "--fast",
        "--executor",
        "mpi",
        "-q",
        "-o",
        str(tmp_path),
        *(f"--set={k}={json.dumps(v)}" for k, v in BORN_SMALL.items()),
        *(f"--vary={k}={','.join(map(str, v))}" for k, v in BORN_VARY.items()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    # exit status = number of failed points: the shortened runs fail z_a1 like the serial ones
    assert proc.returncode == born_serial.n_failed, proc.stderr
    doc = json.loads((tmp_path / "sweep.json").read_text())
    assert doc["executor"] == {"kind": "MPIPoolExecutor", "workers": 2}
    got = [
        (r["point"], r["seed"], r["status"], r["error"], sorted(r["checks"].items()))
        for r in doc["rows"]
    ]
    assert got == _values(born_serial)
