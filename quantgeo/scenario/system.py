"""Validation of the tables every scenario kind shares: ``[lattice]``, ``[hamiltonian]`` (with its
potential terms) and ``[initial_state]``; and their frozen specs."""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from quantgeo.hamiltonian import MAX_DENSE_SITES
from quantgeo.scenario.checker import Checker, ok, suggest, tname
from quantgeo.scenario.schema import (
    ANIMATION_KEYS,
    BAD,
    HAMILTONIAN_KEYS,
    INITIAL_STATES,
    LATTICE_KEYS,
    MAX_SITES,
    POTENTIALS,
    Key,
)
from quantgeo.scenario.specs import (
    AnimationSpec,
    HamiltonianSpec,
    InitialStateSpec,
    LatticeSpec,
    PotentialSpec,
)

__all__ = [
    "animation_spec",
    "load_npy",
    "system_specs",
    "validate_animation",
    "validate_system",
]


def load_npy(path: Path) -> NDArray[Any]:
    """The array of the ``.npy`` file ``path``: only a regular file (a FIFO or a device would
    block the read) holding a NumPy array, never a pickle (``allow_pickle=False``).

    Raises
    ------
    ValueError
        Naming the path and what it is instead.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise ValueError(f"file not found: {path}") from None
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (FIFO, device …)"
        raise ValueError(f"must be a regular .npy file, {path} is {what}")
    try:
        with open(path, "rb") as f:
            np.lib.format.read_magic(f)  # a pickle or a .npz fails here, not in np.load
            f.seek(0)
            arr = np.load(f, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        why = "it holds Python objects" if "allow_pickle" in str(exc) else str(exc)
        raise ValueError(f"not a NumPy .npy array file: {path} ({why})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
        raise ValueError(f"not a NumPy .npy array file: {path}")
    if arr.dtype.kind not in "iufc":
        raise ValueError(f"must hold numbers, {path} holds dtype {arr.dtype}")
    return arr


def validate_animation(doc: dict[str, Any], ck: Checker) -> dict[str, Any]:
    """``[animation]`` values (``BAD`` where a problem was reported)."""
    animation = ck.table(doc.get("animation", {}), "animation", ANIMATION_KEYS, None)
    if animation["size"] is not BAD and animation["size"] is not None:
        if len(animation["size"]) != 2 or min(animation["size"]) <= 0:
            ck.add(
                "animation",
                "size",
                f"must be [width, height] in inches > 0, got {list(animation['size'])}",
            )
            animation["size"] = BAD
    return animation


def validate_system(doc: dict[str, Any], ck: Checker, base: Path | None = None) -> dict[str, Any]:
    """Validate ``[lattice]``, ``[hamiltonian]`` and ``[initial_state]`` (``file =`` arrays are
    read relative to ``base``, default the working folder).

    Returns
    -------
    dict
        ``ndim``, ``size``, ``lattice``, ``hamiltonian``, ``potentials`` (``(label, type,
        values)`` per term), ``itype`` and ``initial_state``: the values read, ``BAD`` where a
        problem was reported (and ``None`` for an unknown ``ndim``/``size``).
    """
    lat, ndim, size = _lattice(doc, ck)
    ham_raw = doc.get("hamiltonian", {})
    ham = ck.table(ham_raw, "hamiltonian", HAMILTONIAN_KEYS, ndim, extra=("potential",))
    base = base if base is not None else Path.cwd()
    potentials = _potentials(ham_raw, ck, ndim, lat, base)
    itype, init = _initial_state(doc, ck, ndim, size, lat, ham, potentials, base)
    _packet_checks(ck, itype, init, ndim, lat, ham)
    return {
        "ndim": ndim,
        "size": size,
        "lattice": lat,
        "hamiltonian": ham,
        "potentials": potentials,
        "itype": itype,
        "initial_state": init,
    }


def _lattice(doc: dict[str, Any], ck: Checker) -> tuple[dict[str, Any], int | None, int | None]:
    lat_raw = doc.get("lattice", {})
    lat = ck.table(lat_raw, "lattice", LATTICE_KEYS[:1], None, extra=("bounds",))
    ndim = len(lat["shape"]) if lat["shape"] is not BAD else None
    lat["bounds"] = BAD
    if isinstance(lat_raw, dict):
        if "bounds" in lat_raw:
            lat["bounds"] = ck.value("lattice", LATTICE_KEYS[1], lat_raw["bounds"], ndim)
        elif "lattice" in doc:
            ck.add("lattice", "bounds", f"missing required key ({LATTICE_KEYS[1].doc})")
    size = math.prod(lat["shape"]) if ndim is not None else None
    if size is not None and size > MAX_SITES:
        ck.add(
            "lattice",
            "shape",
            f"{size} sites exceed the limit of {MAX_SITES} (2²⁶, 1 GiB per complex state)",
        )
        lat["shape"], ndim, size = BAD, None, None
    return lat, ndim, size


def _typed_table(
    ck: Checker, label: str, raw: dict[str, Any], registry: dict[str, tuple[Key, ...]], what: str
) -> Any:
    """The ``type`` of a typed table (``BAD`` if missing or unknown, reported).

    Without a valid type the keys no type knows are still reported (with the keys of all
    types), so that a misspelt key is named even when the type is missing too.
    """
    ttype = raw.get("type", BAD)
    if ttype is BAD:
        ck.add(label, "type", f"missing required key; valid types: {', '.join(registry)}")
    elif not isinstance(ttype, str) or ttype not in registry:
        ck.add(
            label,
            "type",
            f"unknown {what} type {ttype!r}{suggest(str(ttype), registry)}; "
            f"valid: {', '.join(registry)}",
        )
        ttype = BAD
    if ttype is BAD:
        known = sorted({k.name for keys in registry.values() for k in keys} | {"type"})
        for key in raw:
            if key not in known:
                ck.add(
                    label,
                    key,
                    f"unknown key{suggest(key, known)}; valid keys (of any type): "
                    + ", ".join(known),
                )
    return ttype


def _potentials(
    ham_raw: Any, ck: Checker, ndim: int | None, lat: dict[str, Any], base: Path
) -> list[tuple[str, str, dict[str, Any]]]:
    pot_raw = ham_raw.get("potential", []) if isinstance(ham_raw, dict) else []
    if isinstance(pot_raw, dict):
        pot_list = [("hamiltonian.potential", pot_raw)]
    elif isinstance(pot_raw, list) and all(isinstance(p, dict) for p in pot_raw):
        pot_list = [(f"hamiltonian.potential.{i}", p) for i, p in enumerate(pot_raw)]
    else:
        ck.add(
            "hamiltonian",
            "potential",
            f"must be a table or an array of tables, got {tname(pot_raw)}",
        )
        pot_list = []
    potentials: list[tuple[str, str, dict[str, Any]]] = []
    for label, praw in pot_list:
        ptype = _typed_table(ck, label, praw, POTENTIALS, "potential")
        if ptype is BAD:
            continue
        vals = ck.table(
            praw, label, POTENTIALS[ptype], ndim, extra=("type",), context=f" for type = {ptype!r}"
        )
        potentials.append((label, ptype, vals))
        if "axis" in vals and vals["axis"] not in (BAD, None) and ndim is not None:
            if vals["axis"] >= ndim:
                ck.add(label, "axis", f"must be < the lattice dimension {ndim}, got {vals['axis']}")
                vals["axis"] = BAD
        if ptype == "array":
            check_array_source(ck, label, vals, lat["shape"] if ndim else None, "values", base)
            vals.pop("_data", None)  # the build reads the file again
        if ptype == "double_slit":
            _double_slit(ck, label, vals, ndim)
    return potentials


def _double_slit(ck: Checker, label: str, vals: dict[str, Any], ndim: int | None) -> None:
    if ndim is not None and ndim != 2:
        ck.add(label, "type", f"'double_slit' needs a 2D lattice, got {ndim}D")
    if ok(vals["slit_width"], vals["separation"]) and vals["slit_width"] >= vals["separation"]:
        ck.add(
            label,
            "slit_width",
            f"must be smaller than `separation` ({vals['separation']}), got {vals['slit_width']}",
        )


def _initial_state(
    doc: dict[str, Any],
    ck: Checker,
    ndim: int | None,
    size: int | None,
    lat: dict[str, Any],
    ham: dict[str, Any],
    potentials: list[tuple[str, str, dict[str, Any]]],
    base: Path,
) -> tuple[Any, dict[str, Any]]:
    init_raw = doc.get("initial_state", {})
    if not isinstance(init_raw, dict):
        ck.add("initial_state", None, f"must be a table, got {tname(init_raw)}")
        return BAD, {}
    if "type" not in init_raw and "initial_state" not in doc:
        return BAD, {}
    itype = _typed_table(ck, "initial_state", init_raw, INITIAL_STATES, "initial-state")
    if itype is BAD:
        return BAD, {}
    init = ck.table(
        init_raw,
        "initial_state",
        INITIAL_STATES[itype],
        ndim,
        extra=("type",),
        context=f" for type = {itype!r}",
    )
    if itype == "array":
        check_array_source(ck, "initial_state", init, lat["shape"] if ndim else None, "real", base)
        _normalisable(ck, init, lat)
    if itype == "eigenstate" and ok(init["n"]):
        _superposition(ck, init, size, ham)
    if itype == "coherent" and init["omega"] is None:
        traps = [v for _, t, v in potentials if t in ("harmonic", "shaken_trap")]
        if len(traps) != 1:
            ck.add(
                "initial_state",
                "omega",
                "required unless the potential has exactly one harmonic or shaken_trap term",
            )
            init["omega"] = BAD
        else:
            init["omega"] = traps[0]["omega"]
    return itype, init


def _superposition(
    ck: Checker, init: dict[str, Any], size: int | None, ham: dict[str, Any]
) -> None:
    for key in ("coefficients", "phases"):
        if init[key] not in (BAD, None) and len(init[key]) != len(init["n"]):
            ck.add(
                "initial_state",
                key,
                f"must have one entry per index in `n` ({len(init['n'])}), got {len(init[key])}",
            )
            init[key] = BAD
    if init["coefficients"] not in (BAD, None) and not any(init["coefficients"]):
        ck.add("initial_state", "coefficients", "must not all be zero")
    if size is not None and size > MAX_DENSE_SITES and ham["kinetic"] == "spectral":
        ck.add(
            "initial_state",
            "type",
            f"'eigenstate' with kinetic = 'spectral' needs ≤ {MAX_DENSE_SITES} "
            f"sites (dense eigh), the lattice has {size}",
        )


def check_array_source(
    ck: Checker,
    label: str,
    vals: dict[str, Any],
    shape: Any,
    main: str,
    base: Path | None = None,
) -> None:
    """Exactly one of inline values (``main``) and ``file``; arrays of the lattice shape; a
    ``file`` (relative to ``base``) is read with :func:`load_npy` (its array is kept in
    ``vals["_data"]`` for the checks, not in the spec)."""
    has_inline = vals.get(main) is not None
    has_file = vals.get("file") is not None
    if has_inline == has_file:
        ck.add(label, main, f"give exactly one of `{main}` and `file`")
        return
    if has_file and vals["file"] is not BAD:
        try:
            arr = load_npy((base if base is not None else Path.cwd()) / vals["file"])
        except ValueError as exc:
            ck.add(label, "file", str(exc))
            vals["file"] = BAD
            return
        if shape not in (None, BAD) and tuple(arr.shape) != tuple(shape):
            ck.add(label, "file", f"has shape {tuple(arr.shape)}, the lattice has {tuple(shape)}")
            vals["file"] = BAD
        elif not np.all(np.isfinite(arr)):
            ck.add(label, "file", "must hold finite numbers (it has nan or inf)")
            vals["file"] = BAD
        elif main == "values" and np.iscomplexobj(arr) and np.any(arr.imag != 0):
            ck.add(
                label,
                "file",
                "holds complex values and their imaginary part would be dropped; save the real "
                "part (an absorbing boundary is [solver.absorber])",
            )
            vals["file"] = BAD
        else:
            vals["_data"] = arr
        return
    if has_inline and vals[main] is not BAD and shape not in (None, BAD):
        for key in (main, "imag"):
            inline = vals.get(key)
            if inline is not None and inline is not BAD and inline.shape != tuple(shape):
                ck.add(
                    label,
                    key,
                    f"has shape {inline.shape}, the lattice has shape {tuple(shape)}",
                )
                vals[key] = BAD


def _spacings(lat: dict[str, Any], ndim: int | None) -> list[tuple[float, float]] | None:
    """``(Δ, L)`` per axis, or ``None`` when the lattice is not valid."""
    if ndim is None or not ok(lat["shape"], lat["bounds"]):
        return None
    return [
        ((hi - lo) / n, hi - lo) for n, (lo, hi) in zip(lat["shape"], lat["bounds"], strict=True)
    ]


def _normalisable(ck: Checker, init: dict[str, Any], lat: dict[str, Any]) -> None:
    """Refuse an ``array`` state that is zero everywhere or whose norm over- or underflows (it
    would run with energy NaN)."""
    data: Any = init.pop("_data", None)
    if data is None:
        if not ok(init["real"]) or init["real"] is None or not ok(init["imag"]):
            return
        data = init["real"] if init["imag"] is None else init["real"] + 1j * init["imag"]
        key = "real"
    else:
        key = "file"
    cells = _spacings(lat, len(lat["shape"]) if ok(lat["shape"]) else None)
    dv = math.prod(d for d, _ in cells) if cells else 1.0
    with np.errstate(over="ignore", under="ignore"):
        norm2 = float(np.sum(np.abs(data) ** 2) * dv)
    if not (math.isfinite(norm2) and norm2 > 0):
        what = "zero everywhere" if not np.any(data) else f"of norm² Σ|ψ|²ΔV = {norm2:.3g}"
        ck.add("initial_state", key, f"is {what}: the state cannot be normalised")
        init[key] = BAD


def _packet_checks(
    ck: Checker,
    itype: Any,
    init: dict[str, Any],
    ndim: int | None,
    lat: dict[str, Any],
    ham: dict[str, Any],
) -> None:
    """Refuse a Gaussian centred outside the box (as :func:`~quantgeo.wavefunction.gaussian`
    does, but without allocating the state); warn about a momentum at or beyond the lattice's
    largest, πħ/Δ (it aliases), and a packet narrower than a spacing or wider than the box
    (±2σ longer than L)."""
    cells = _spacings(lat, ndim)
    if cells is None or itype not in ("gaussian", "coherent", "plane_wave") or not ok(ham["hbar"]):
        return
    assert ndim is not None

    def per_axis(v: Any) -> tuple[float, ...]:
        return tuple(v) if isinstance(v, tuple) else (v,) * ndim

    hbar = ham["hbar"]
    if itype == "gaussian" and ok(init["center"]):  # checked here: no state is allocated
        for i, (c, (lo, hi)) in enumerate(
            zip(per_axis(init["center"]), lat["bounds"], strict=True)
        ):
            if not lo <= c <= hi:
                ck.add(
                    "initial_state",
                    "center",
                    f"the packet lies outside the box: {c:g} on axis {i} is outside "
                    f"[{lo:g}, {hi:g}]; put the centre inside the box",
                )
    if ok(init.get("momentum")):
        for i, (p, (d, _)) in enumerate(zip(per_axis(init["momentum"]), cells, strict=True)):
            pmax = math.pi * hbar / d
            if abs(p) >= pmax * (1 - 1e-12):
                ck.warn(
                    "initial_state",
                    "momentum",
                    f"{p:g} on axis {i} is at or beyond the lattice's largest momentum πħ/Δ = "
                    f"{pmax:.6g}: it folds back to another momentum; refine the lattice",
                )
    width: Any = None
    if itype == "gaussian" and ok(init["width"]):
        width = per_axis(init["width"])
    elif itype == "coherent" and ok(init["omega"], ham["mass"]) and init["omega"] is not None:
        width = tuple(
            math.sqrt(hbar / (2 * m * w))
            for m, w in zip(per_axis(ham["mass"]), per_axis(init["omega"]), strict=True)
        )
    for i, (w, (d, length)) in enumerate(zip(width or (), cells, strict=False)):
        if w < d:
            ck.warn(
                "initial_state",
                "width" if itype == "gaussian" else "omega",
                f"the packet width σ = {w:.4g} on axis {i} is narrower than the lattice "
                f"spacing Δ = {d:.4g}: it is not resolved",
            )
        elif 4 * w > length:
            ck.warn(
                "initial_state",
                "width" if itype == "gaussian" else "omega",
                f"the packet (±2σ = ±{2 * w:.4g}) on axis {i} is wider than the box (L = "
                f"{length:.4g}): it overlaps its periodic images",
            )


def system_specs(d: dict[str, Any]) -> tuple[LatticeSpec, HamiltonianSpec, InitialStateSpec]:
    """Freeze the validated ``[lattice]``, ``[hamiltonian]`` and ``[initial_state]`` values."""
    lat, ham, ndim = d["lattice"], d["hamiltonian"], d["ndim"]
    assert ndim is not None
    mass = ham["mass"] if isinstance(ham["mass"], tuple) else (ham["mass"],) * ndim
    pots = tuple(PotentialSpec(t, MappingProxyType(dict(v))) for _, t, v in d["potentials"])
    return (
        LatticeSpec(lat["shape"], lat["bounds"]),
        HamiltonianSpec(ham["kinetic"], tuple(mass), ham["hbar"], pots),
        InitialStateSpec(d["itype"], MappingProxyType(dict(d["initial_state"]))),
    )


def animation_spec(animation: dict[str, Any]) -> AnimationSpec:
    """Freeze the validated ``[animation]`` values."""
    return AnimationSpec(
        fps=animation["fps"],
        dpi=animation["dpi"],
        frames=animation["frames"],
        t_end=animation["t_end"],
        size=tuple(animation["size"]),
        overlay=animation["overlay"],
        curves=tuple(animation["curves"]),
        potential_contour=animation["potential_contour"],
        normalize=animation["normalize"],
    )
