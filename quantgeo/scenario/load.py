"""Loading: TOML text → dict → ``--set`` overrides → ``[fast]`` merge → validated
:class:`~quantgeo.scenario.Scenario`; every problem reported together as
``file: [table].key: message`` (TOML syntax errors with the table and key of their line)."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quantgeo.errors import ScenarioError
from quantgeo.scenario.checker import Checker, suggest, tname
from quantgeo.scenario.kinds import Context, get_kind, kind_names, table_order
from quantgeo.scenario.schema import BAD, SCENARIO_KEYS, Key
from quantgeo.scenario.specs import MetaSpec, Scenario
from quantgeo.scenario.system import validate_animation, validate_system

__all__ = ["load_scenario", "scenario_from_text", "validate_doc"]


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(f"{label}: [scenario]: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{label}: [scenario]: cannot read the file: {exc}") from None
    return parse_toml(text, label)


_LINE_RE = re.compile(r"\(at line (\d+), column (\d+)\)")
_HEADER_RE = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")
_OPEN_HEADER_RE = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)")


def parse_toml(text: str, label: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE_RE.search(msg)
        where = "[toml]"
        lines = text.splitlines()
        lineno = int(m.group(1)) if m else 0
        if not m and "end of document" in msg:
            lineno = max((i + 1 for i, ln in enumerate(lines) if ln.strip()), default=0)
        if lineno:
            table = ""
            for line in lines[: lineno - 1]:
                h = _HEADER_RE.match(line)
                if h and not _KEY_RE.match(line):
                    table = h.group(1)
            cur = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
            h = _OPEN_HEADER_RE.match(cur)
            km = _KEY_RE.match(cur)
            if km:
                where = f"[{table or 'toml'}].{km.group(1).strip(chr(34) + chr(39))}"
            elif h:
                where = f"[{h.group(1)}]"
            elif table:
                where = f"[{table}]"
        raise ScenarioError(f"{label}: {where}: invalid TOML: {msg}") from None


def _merge(
    base: dict[str, Any], over: Mapping[str, Any], prefix: str, overrides: set[str]
) -> dict[str, Any]:
    out = dict(base)
    for key, val in over.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], val, path, overrides)
        else:
            out[key] = val
            overrides.add(path)
    return out


def scenario_keys() -> tuple[Key, ...]:
    """``[scenario]``'s keys, ``kind`` listing the registered kinds."""
    return tuple(
        dataclasses.replace(k, choices=kind_names()) if k.name == "kind" else k
        for k in SCENARIO_KEYS
    )


def validate_doc(
    doc: dict[str, Any], ck: Checker, path: Path | None, fast: bool
) -> Scenario | None:
    """Validate a parsed TOML document; return the Scenario or ``None`` (problems in ``ck``)."""
    order = table_order()
    for table in doc:
        if table not in order:
            ck.add(
                table,
                None,
                f"unknown table{suggest(table, order)}; valid tables: {', '.join(order)}",
            )
    meta = ck.table(doc.get("scenario", {}), "scenario", scenario_keys(), None)
    kind = get_kind(meta["kind"] if meta["kind"] is not BAD else "schrodinger")
    for table in kind.required:
        if table not in doc:
            ck.add(table, None, f"missing required table for kind = {kind.name!r}")
    for table in doc:
        if table in order and table not in (*kind.required, *kind.optional, "scenario", "fast"):
            ck.add(table, None, f"not used by kind = {kind.name!r}")
    name = meta["name"]
    if name is None or name is BAD:
        name = path.stem if path is not None else "scenario"
    meta_spec = MetaSpec(
        name=name,
        description=meta["description"] if meta["description"] is not BAD else "",
        kind=kind.name,
        seed=meta["seed"] if meta["seed"] is not BAD else 0,
    )
    animation = validate_animation(doc, ck)
    system = validate_system(doc, ck) if kind.system else {}
    return kind.validate(doc, ck, Context(path, fast, meta_spec, animation, system))


def scenario_from_text(text: str, file: str = "<scenario>", *, fast: bool = False) -> Scenario:
    """Validate scenario TOML ``text``; errors are labelled with ``file``.

    See :func:`load_scenario`.
    """
    doc = parse_toml(text, file)
    return _from_doc(doc, file, None, fast)


def load_scenario(
    path: str | os.PathLike[str],
    *,
    fast: bool = False,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Read and validate a scenario file.

    Both the full scenario and its ``[fast]`` variant are validated, so a file that loads is
    runnable in both modes.

    Parameters
    ----------
    path
        The ``.toml`` file.
    fast
        Apply the ``[fast]`` overrides (coarser and shorter, with their own tolerances).
    overrides
        Dotted keys set before validation, e.g. ``{"lattice.shape": [512, 512]}`` (the CLI's
        ``--set``); ``"fast.solver.dt"`` changes a fast override.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: [table].key: message``.
    """
    p = Path(path)
    doc = _read_toml(p, str(path))
    if overrides:
        _apply_overrides(doc, overrides, str(path))
    return _from_doc(doc, str(path), p, fast)


def _apply_overrides(doc: dict[str, Any], overrides: Mapping[str, Any], file: str) -> None:
    problems = []
    for dotted, value in overrides.items():
        parts = [x for x in str(dotted).split(".") if x]
        if len(parts) < 2:
            problems.append(f"{file}: [{dotted}]: an override needs TABLE.KEY, got {dotted!r}")
            continue
        node = doc
        for i, part in enumerate(parts[:-1]):
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                where = ".".join(parts[: i + 1])
                problems.append(f"{file}: [{where}]: cannot set {dotted!r}: {where} is not a table")
                break
            node = nxt
        else:
            node[parts[-1]] = value
    if problems:
        raise ScenarioError(problems)


def _from_doc(doc: dict[str, Any], file: str, path: Path | None, fast: bool) -> Scenario:
    fast_raw = doc.get("fast", {})
    base_doc = {k: v for k, v in doc.items() if k != "fast"}
    ck = Checker(file)
    base = validate_doc(base_doc, ck, path, False)
    problems = list(ck.problems)
    fast_sc = None
    if not isinstance(fast_raw, dict):
        problems.append(f"{file}: [fast]: must be a table of overrides, got {tname(fast_raw)}")
    else:
        bad = False
        order = table_order()
        for key, val in fast_raw.items():
            if key in ("scenario", "fast") or key not in order:
                problems.append(
                    f"{file}: [fast.{key}]: cannot be overridden; valid: "
                    + ", ".join(t for t in order if t not in ("scenario", "fast"))
                )
                bad = True
            elif not isinstance(val, dict):
                problems.append(f"{file}: [fast].{key}: must be a table, got {tname(val)}")
                bad = True
        if not bad:
            overrides: set[str] = set()
            merged = _merge(base_doc, fast_raw, "", overrides)
            fck = Checker(file, overrides)
            fast_sc = validate_doc(merged, fck, path, True)
            base_set = set(problems)
            for prob in fck.problems:
                plain = prob.replace(" (with the [fast] overrides)", "")
                if plain not in base_set:
                    problems.append(prob)
    if problems:
        raise ScenarioError(problems)
    out = fast_sc if fast else base
    assert out is not None
    return out


# =============================================================================================
# Building
