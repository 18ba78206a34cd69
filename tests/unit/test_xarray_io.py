"""Self-describing trajectories (issue 14, item 4): ``Trajectory.to_xarray()`` and
``Trajectory.save`` to ``.nc`` / ``.h5``, opened with xarray alone (no quantgeo) and read back."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import quantgeo as qg
from quantgeo import potentials

PROVENANCE = {"command": "quantgeo run tiny.toml", "seed": 7, "versions": {"numpy": "x"}}


@pytest.fixture(scope="module")
def traj2d() -> qg.Trajectory:
    lat = qg.Lattice((16, 8), [(-4.0, 4.0), (-2.0, 2.0)])
    ham = qg.Hamiltonian(lat, potentials.harmonic(1.0))
    psi = qg.gaussian(lat, (0.5, 0.0), (0.8, 0.6), momentum=(1.0, 0.0))
    rec = qg.Recorder(every=0.25, observables=("norm", "energy", "position", "density"))
    traj = qg.SplitOperatorSolver(ham, dt=0.05).run(psi, (0.0, 0.5), recorder=rec)
    traj.info["provenance"] = PROVENANCE  # what `quantgeo run` attaches to a saved run
    return traj


def test_to_xarray_layout(traj2d: qg.Trajectory) -> None:
    ds = traj2d.to_xarray()
    lat = traj2d.lattice
    np.testing.assert_array_equal(ds["t"].values, traj2d.times)
    np.testing.assert_array_equal(ds["x"].values, lat.axes[0])
    np.testing.assert_array_equal(ds["y"].values, lat.axes[1])
    assert ds["psi"].dims == ("t", "x", "y") and ds["psi"].dtype == np.complex128
    np.testing.assert_array_equal(ds["psi"].values, traj2d.states)
    assert ds["position"].dims == ("t", "axis") and list(ds["axis"].values) == ["x", "y"]
    assert ds["density"].dims == ("t", "x", "y")
    units = {n: ds[n].attrs["units"] for n in ("t", "x", "energy", "position", "norm", "psi")}
    assert units == {
        "t": "time",
        "x": "length",
        "energy": "energy",
        "position": "length",
        "norm": "1",
        "psi": "length^(-2/2)",
    }
    assert json.loads(ds.attrs["provenance"]) == PROVENANCE
    assert json.loads(ds.attrs["info"])["engine"] == "split-operator"
    # a ψ(x, y) slice selects by coordinate, as xarray users expect
    assert ds["psi"].sel(t=0.5, x=lat.axes[0][3]).shape == (8,)


_READ_WITHOUT_QUANTGEO = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import xarray as xr

    path = sys.argv[1]
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        if "psi" in ds:
            psi = ds["psi"].values
        else:  # .nc: the documented convention, psi = psi_real + 1j*psi_imag
            assert ds["psi_real"].attrs["complex_part"] == "real"
            psi = ds["psi_real"].values + 1j * ds["psi_imag"].values
        out = {
            "t": ds["t"].values.tolist(),
            "x": ds["x"].values.tolist(),
            "y": ds["y"].values.tolist(),
            "units": {n: ds[n].attrs["units"] for n in ("t", "x", "y", "energy", "position")},
            "provenance": json.loads(ds.attrs["provenance"]),
            "psi_re": psi.real.tolist(),
            "psi_im": psi.imag.tolist(),
            "energy": ds["energy"].values.tolist(),
            "convention": ds.attrs["complex_convention"],
        }
    assert "quantgeo" not in sys.modules
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize("suffix", [".nc", ".h5"])
def test_saved_file_opens_with_xarray_alone(
    traj2d: qg.Trajectory, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"run{suffix}"
    traj2d.save(path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind
    proc = subprocess.run(
        [sys.executable, "-c", _READ_WITHOUT_QUANTGEO, str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,  # not the repository: `import quantgeo` would need the installed package
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout)
    lat = traj2d.lattice
    assert got["t"] == traj2d.times.tolist()
    assert got["x"] == lat.axes[0].tolist() and got["y"] == lat.axes[1].tolist()
    assert got["units"] == {
        "t": "time",
        "x": "length",
        "y": "length",
        "energy": "energy",
        "position": "length",
    }
    assert got["provenance"] == PROVENANCE
    psi = np.array(got["psi_re"]) + 1j * np.array(got["psi_im"])
    np.testing.assert_array_equal(psi, traj2d.states)  # float64 parts: bit for bit
    np.testing.assert_array_equal(got["energy"], traj2d["energy"])
    assert ("v_real" in got["convention"]) == (suffix == ".nc")


@pytest.mark.parametrize("suffix", [".nc", ".h5", ".npz"])
def test_save_load_round_trip(traj2d: qg.Trajectory, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"run{suffix}"
    traj2d.save(path)
    back = qg.Trajectory.load(path)
    assert back.lattice == traj2d.lattice
    np.testing.assert_array_equal(back.times, traj2d.times)
    np.testing.assert_array_equal(back.states, traj2d.states)
    assert set(back.observables) == set(traj2d.observables)
    for name, arr in traj2d.observables.items():
        np.testing.assert_array_equal(back[name], arr)
    assert back.info["provenance"] == PROVENANCE
    assert back.info["engine"] == traj2d.info["engine"]


def test_observable_named_like_a_coordinate(tmp_path: Path) -> None:
    lat = qg.Lattice(32, (-4.0, 4.0))
    traj = qg.Trajectory(
        [0.0, 1.0], {"x": np.array([0.1, 0.2]), "a/b": np.array([1, 2])}, lattice=lat
    )
    ds = traj.to_xarray()
    assert ds["obs_x"].attrs["long_name"] == "x" and "a_b" in ds
    traj.save(tmp_path / "o.nc")
    back = qg.Trajectory.load(tmp_path / "o.nc")
    assert set(back.observables) == {"x", "a/b"} and back.states is None


def test_save_refuses_an_unknown_suffix(traj2d: qg.Trajectory, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`path` must end in \.npz, \.nc or \.h5"):
        traj2d.save(tmp_path / "run.csv")
    assert not list(tmp_path.iterdir())
