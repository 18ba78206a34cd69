r"""The points of a sweep: Cartesian product of overrides, validation, content hash and seed.

A sweep over ``vary = {k_1: [v_11, …], …, k_m: [v_m1, …]}`` has the
:math:`\prod_j |V_j|` points of :func:`itertools.product`, in the order of the keys and
values given (the last key varies fastest).  Each point is the scenario file read with the
fixed overrides and the point's own overrides (the dotted keys of ``quantgeo run --set``)
through :func:`quantgeo.scenario.load_scenario`, so each point is a fully validated scenario.
In fast mode an override of a key that the file's ``[fast]`` table also sets is applied to the
fast value too (``born.walkers`` also sets ``fast.born.walkers``), so the varied value is the one
that runs.

The **content hash** of a point is the SHA-256 of a canonical JSON form of its resolved
:class:`~quantgeo.scenario.Scenario` (every field with its defaults filled in, floats by their
exact ``repr``, the file's path left out so a moved file keeps its hashes) together with the run
options that change the result.  Two override sets that resolve to the same scenario (``dt =
0.01`` and ``dt = 1e-2``) are the same point.

**Seeds.** A point whose overrides do not set ``scenario.seed`` gets the seed

.. math:: s = \mathrm{SeedSequence}(s_0,\ \mathrm{spawn\_key} = h)\,.\mathrm{generate\_state}(1,
   \mathrm{uint64}) \gg 1,

the child keyed by the point's hash :math:`h` (four 32-bit words) of one root
``numpy.random.SeedSequence`` whose entropy :math:`s_0` is the ``seed`` argument of the sweep,
or else the file's ``[scenario].seed``.  The seed is a function of the point's content only,
so results do not depend on the executor, the number of workers or the order of completion.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from quantgeo._validation import check_int
from quantgeo.errors import ScenarioError
from quantgeo.scenario import Scenario, load_scenario

__all__ = ["SEED_KEY", "Point", "content_hash", "expand_grid", "plan_points", "point_seed"]

#: The dotted key of the scenario's seed; a point that sets it keeps its own seed.
SEED_KEY = "scenario.seed"

#: Hex digits of the SHA-256 kept as the point's folder name (128 bits).
HASH_DIGITS = 32


@dataclass(frozen=True)
class Point:
    """One validated point of a sweep.

    Attributes
    ----------
    index
        Position in the Cartesian product (row of the sweep table).
    overrides
        The point's own overrides (one value per varied key).
    hash
        Content hash (:data:`HASH_DIGITS` hex digits): the name of its folder under ``points/``.
    seed
        The seed it runs with: its own ``scenario.seed`` override, or the derived child seed.
    seed_derived
        Whether ``seed`` was derived from the hash (``False``: set by an override).
    run_overrides
        Every override the worker applies: fixed, the point's, and the derived seed.
    """

    index: int
    overrides: Mapping[str, Any]
    hash: str
    seed: int
    seed_derived: bool
    run_overrides: Mapping[str, Any]


def expand_grid(vary: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The Cartesian product of ``vary`` as a list of override mappings (last key fastest).

    Raises
    ------
    ValueError
        If ``vary`` is empty, a key is not ``TABLE.KEY`` or a value list is empty or a string.
    """
    if not isinstance(vary, Mapping) or not vary:
        raise ValueError(
            f"`vary` must be a non-empty mapping of dotted keys to value lists, got {vary!r}"
        )
    problems = []
    for key, values in vary.items():
        parts = [p for p in str(key).split(".") if p]
        if len(parts) < 2:
            problems.append(f"`vary` key {key!r} must be a dotted TABLE.KEY (as for --set)")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            problems.append(
                f"`vary[{key!r}]` must be a list of values, got {type(values).__name__} {values!r}"
            )
        elif len(values) == 0:
            problems.append(f"`vary[{key!r}]` must list at least one value, got []")
    if problems:
        raise ValueError("; ".join(problems))
    keys = list(vary)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*vary.values())]


def _canonical(obj: Any) -> Any:
    """A JSON-ready form that is identical for equal scenarios on every machine."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            "__type__": type(obj).__name__,
            **{f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)},
        }
    if isinstance(obj, Mapping):
        return {str(k): _canonical(obj[k]) for k in sorted(obj, key=str)}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        digest = hashlib.sha256(data.tobytes()).hexdigest()
        return {"__array__": str(data.dtype), "shape": list(data.shape), "sha256": digest}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return {"__float__": repr(obj)}  # exact, and keeps 1 and 1.0 apart
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    text = repr(obj)
    if " at 0x" in text:  # an object identity would make the hash differ between processes
        raise TypeError(f"cannot hash scenario content {text}: no stable representation")
    return text


def content_hash(scenario: Scenario, run_options: Mapping[str, Any] | None = None) -> str:
    """SHA-256 (first :data:`HASH_DIGITS` hex digits) of the resolved scenario and run options.

    The scenario's ``path`` is left out (the content, not the file's location, names a point).
    """
    body = {
        f.name: _canonical(getattr(scenario, f.name))
        for f in dataclasses.fields(scenario)
        if f.name != "path"
    }
    doc = {"scenario": body, "run": _canonical(dict(run_options or {}))}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:HASH_DIGITS]


def point_seed(root: int, digest: str) -> int:
    """The child seed keyed by ``digest`` of ``SeedSequence(root)`` (a 63-bit integer ≥ 0)."""
    words = tuple(int(digest[i : i + 8], 16) for i in range(0, HASH_DIGITS, 8))
    child = np.random.SeedSequence(entropy=int(root), spawn_key=words)
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _fast_keys(path: Path) -> set[str]:
    """Dotted keys that the file's ``[fast]`` table sets (e.g. ``born.walkers``)."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()  # load_scenario reports it

    def walk(node: Any, prefix: str) -> set[str]:
        if not isinstance(node, dict):
            return {prefix}
        out = {prefix} if prefix else set()
        for k, v in node.items():
            out |= walk(v, f"{prefix}.{k}" if prefix else str(k))
        return out

    return walk(doc.get("fast", {}), "")


def _with_fast(overrides: Mapping[str, Any], fast_keys: set[str]) -> dict[str, Any]:
    """In fast mode, an override of a key that ``[fast]`` also sets must win over it."""
    out = dict(overrides)
    for key, value in overrides.items():
        if key in fast_keys and not key.startswith("fast."):
            out.setdefault(f"fast.{key}", value)
    return out


def _fmt_overrides(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in overrides.items())


def plan_points(
    file: str | os.PathLike[str],
    vary: Mapping[str, Sequence[Any]],
    *,
    overrides: Mapping[str, Any] | None = None,
    fast: bool = False,
    seed: int | None = None,
    run_options: Mapping[str, Any] | None = None,
) -> list[Point]:
    """Validate every point of the sweep and give each its hash and seed.

    Parameters
    ----------
    file
        The scenario ``.toml`` file.
    vary
        Dotted key → list of values (the Cartesian product is swept).
    overrides
        Fixed overrides applied to every point before the varied ones (``--set``).
    fast
        Apply the scenario's ``[fast]`` overrides.
    seed
        Entropy of the root ``SeedSequence`` (default: the file's ``[scenario].seed``).
    run_options
        Options of :func:`~quantgeo.scenario.run_scenario` that change results (hashed).

    Raises
    ------
    ScenarioError
        Before anything runs, listing every bad point with its overrides; a problem shared by
        every point (an unknown key, with its did-you-mean) is listed once.
    ValueError
        For a malformed ``vary`` or ``seed``.
    """
    if seed is not None:
        check_int("seed", seed, 0, or_none=True)
    grid = expand_grid(vary)
    fixed = dict(overrides or {})
    path = Path(file).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"`scenario` file not found: {os.fspath(file)!r}")
    options = {**dict(run_options or {}), "root_seed": seed}
    fast_keys = _fast_keys(path) if fast else set()
    loaded: list[tuple[dict[str, Any], Scenario | None, list[str]]] = []
    for point in grid:
        try:
            sc = load_scenario(path, fast=fast, overrides=_with_fast({**fixed, **point}, fast_keys))
            loaded.append((point, sc, []))
        except ScenarioError as exc:
            loaded.append((point, None, list(exc.problems)))
    bad = [(i, pt, probs) for i, (pt, sc, probs) in enumerate(loaded) if sc is None]
    if bad:
        shared = set(bad[0][2]).intersection(*(set(p) for _, _, p in bad[1:]))
        shared = shared if len(bad) == len(grid) else set()
        lines = [f"every point: {p}" for p in bad[0][2] if p in shared]
        for i, pt, probs in bad:
            own = [p for p in probs if p not in shared]
            lines += [f"point {i} ({_fmt_overrides(pt)}): {p}" for p in own]
        head = f"{len(bad)} of {len(grid)} sweep points are invalid; nothing was run"
        raise ScenarioError([head, *lines])
    out = []
    for i, (pt, resolved, _) in enumerate(loaded):
        assert resolved is not None
        sc = resolved
        digest = content_hash(sc, options)
        own_seed = SEED_KEY in pt or SEED_KEY in fixed
        if own_seed:
            value = int(sc.meta.seed)
            run = _with_fast({**fixed, **pt}, fast_keys)
        else:
            root = int(sc.meta.seed) if seed is None else seed
            value = point_seed(root, digest)
            run = {**_with_fast({**fixed, **pt}, fast_keys), SEED_KEY: value}
        out.append(Point(i, dict(pt), digest, value, not own_seed, run))
    return out
