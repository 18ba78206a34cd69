r"""Self-describing trajectory files: :class:`~quantgeo.recording.Trajectory` ↔ ``xarray.Dataset``.

Layout of the Dataset (and of the ``.nc`` / ``.h5`` files :meth:`Trajectory.save
<quantgeo.recording.Trajectory.save>` writes):

- coordinates ``t`` (record times) and, on a lattice, ``x``, ``y``, ``z`` (site coordinates
  :math:`x_i = lo_i + n\,\Delta_i`, one per axis) and ``axis`` (the names ``"x"`` …);
- ``psi(t, x, y, z)``: the recorded states (``state`` when they are not complex site values);
- one variable per observable: dims ``(t,)``, ``(t, axis)`` for one value per lattice axis
  (``position``, ``momentum``, ``width``), ``(t, x, y, z)`` for fields (``density``), else
  ``(t, <name>_0, …)``; an observable named like a coordinate (``"x"``) becomes
  ``obs_x``, and ``long_name`` always holds the observable's name;
- every variable has a ``units`` attribute (``"time"``, ``"length"``, ``"energy"``,
  ``"1"`` dimensionless, ``"?"`` unknown, in the units of the run, ħ = 1 unless set);
- Dataset attributes: ``title``, ``quantgeo_version``, ``engine``, ``info`` (JSON of
  ``Trajectory.info``), ``provenance`` (JSON, when ``info`` has a ``"provenance"`` entry),
  ``lattice_bounds`` (flat ``lo_0, hi_0, lo_1, …``) and ``complex_convention``.

Complex convention: in ``.nc`` files (valid netCDF-4, which has no complex type) a complex
variable ``v`` is stored as two float64 variables ``v_real`` and ``v_imag`` carrying the
attribute ``complex_part = "real"`` / ``"imag"``; reassemble with ``ds.v_real + 1j *
ds.v_imag``.  In ``.h5`` files (``invalid_netcdf=True``) complex variables are stored as they
are.  :func:`read` handles both.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from quantgeo._io import atomic_path, jsonable

if TYPE_CHECKING:
    from quantgeo.recording import Trajectory

__all__ = ["read", "to_dataset", "write"]

_AXES = ("x", "y", "z")
_VECTOR = ("position", "momentum", "width")
_CONVENTION = (
    "complex variable v stored as float64 v_real and v_imag (attribute complex_part); "
    "v = v_real + 1j*v_imag"
)


def _var_name(name: str) -> str:
    # netCDF names: no '/', and not starting with a digit or underscore
    clean = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
    return clean if re.match(r"[A-Za-z]", clean) else f"v_{clean}"


def to_dataset(traj: Trajectory) -> Any:
    """The ``xarray.Dataset`` of ``traj`` (layout in the module docstring)."""
    import xarray as xr

    from quantgeo._version import __version__
    from quantgeo.recording import OBSERVABLE_UNITS

    lat = traj.lattice
    n_t = len(traj.times)
    coords: dict[str, Any] = {"t": ("t", traj.times, {"units": "time", "long_name": "time"})}
    space: tuple[str, ...] = ()
    if lat is not None:
        space = _AXES[: lat.ndim]
        for name, ax in zip(space, lat.axes, strict=True):
            coords[name] = (name, ax, {"units": "length", "long_name": f"site coordinate {name}"})
        coords["axis"] = ("axis", np.array(space, dtype=object), {"units": "1"})
    data: dict[str, Any] = {}
    if traj.states is not None:
        states = np.asarray(traj.states)
        on_lattice = lat is not None and states.shape[1:] == lat.shape
        if on_lattice and np.iscomplexobj(states):
            data["psi"] = (
                ("t", *space),
                states,
                {"units": f"length^(-{lat.ndim}/2)", "long_name": "ψ, Σ|ψ|²ΔV = 1"},
            )
        else:
            dims = ("t", *space) if on_lattice else _extra_dims("state", states.shape)
            data["state"] = (dims, states, {"units": "?", "long_name": "recorded state"})
    for name, arr in traj.observables.items():
        arr = np.asarray(arr)
        if lat is not None and arr.shape[1:] == lat.shape and lat.ndim > 0 and arr.ndim > 1:
            dims = ("t", *space)
        elif lat is not None and arr.shape[1:] == (lat.ndim,) and name in _VECTOR:
            dims = ("t", "axis")
        else:
            dims = _extra_dims(_var_name(name), arr.shape)
        units = {"units": OBSERVABLE_UNITS.get(name, "?"), "long_name": name}
        var = _var_name(name)
        if var in coords or var in ("psi", "state"):
            var = f"obs_{var}"  # an observable named like a coordinate (an e_op "x")
        data[var] = (dims, arr, units)
    assert all(v[1].shape[:1] == (n_t,) for v in data.values())
    attrs: dict[str, Any] = {
        "title": "quantgeo trajectory",
        "quantgeo_version": __version__,
        "engine": str(traj.info.get("engine", "")),
        "info": json.dumps(jsonable(traj.info)),
    }
    if "provenance" in traj.info:
        attrs["provenance"] = json.dumps(jsonable(traj.info["provenance"]))
    if lat is not None:
        attrs["lattice_bounds"] = np.asarray(lat.bounds, dtype=float).ravel()
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _extra_dims(name: str, shape: tuple[int, ...]) -> tuple[str, ...]:
    return ("t", *(f"{name}_{k}" for k in range(len(shape) - 1)))


def write(traj: Trajectory, path: str | os.PathLike[str], *, complex_native: bool) -> None:
    """Write ``traj`` to ``path`` through h5netcdf, atomically (see the module docstring)."""
    ds = to_dataset(traj)
    if not complex_native:
        for name in [n for n, v in ds.data_vars.items() if np.iscomplexobj(v.values)]:
            var = ds[name]
            ds[f"{name}_real"] = var.real.assign_attrs(var.attrs, complex_part="real")
            ds[f"{name}_imag"] = var.imag.assign_attrs(var.attrs, complex_part="imag")
            ds = ds.drop_vars(name)
        ds.attrs["complex_convention"] = _CONVENTION
    else:
        ds.attrs["complex_convention"] = "complex variables stored as complex (invalid_netcdf)"
    # `axis` holds strings: a fixed-width type keeps it readable by netCDF-4 tools
    if "axis" in ds.coords:
        ds = ds.assign_coords(axis=ds["axis"].astype(str))
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=complex_native)


def read(path: str | os.PathLike[str]) -> Trajectory:
    """Read a ``.nc`` or ``.h5`` file written by :func:`write` back into a Trajectory."""
    import xarray as xr

    from quantgeo.lattice import Lattice
    from quantgeo.recording import Trajectory

    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ds = ds.load()
    for name in [n for n in ds.data_vars if str(n).endswith("_real")]:
        base = str(name)[: -len("_real")]
        if f"{base}_imag" in ds and ds[name].attrs.get("complex_part") == "real":
            ds[base] = ds[name] + 1j * ds[f"{base}_imag"]
            ds[base].attrs = {k: v for k, v in ds[name].attrs.items() if k != "complex_part"}
            ds = ds.drop_vars([name, f"{base}_imag"])
    info = json.loads(ds.attrs.get("info", "{}"))
    lattice = None
    space = [a for a in _AXES if a in ds.dims]
    if space:
        bounds = np.asarray(ds.attrs["lattice_bounds"], dtype=float).reshape(-1, 2)
        lattice = Lattice(tuple(ds.sizes[a] for a in space), [tuple(b) for b in bounds])
    states = None
    for key in ("psi", "state"):
        if key in ds:
            states = ds[key].values
    obs = {
        str(v.attrs.get("long_name", n)): v.values
        for n, v in ds.data_vars.items()
        if n not in ("psi", "state")
    }
    return Trajectory(ds["t"].values, obs, states, info, lattice)
