"""Loading: TOML text → dict → ``--set`` overrides → ``[fast]`` merge → validated
:class:`~quantgeo.scenario.Scenario`; every problem reported together as
``file: [table].key: message`` (TOML syntax errors with the table and key of their line)."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from quantgeo.errors import QuantgeoWarning, ScenarioError
from quantgeo.scenario.checker import Checker, suggest, tname
from quantgeo.scenario.kinds import Context, get_kind, kind_names, table_order
from quantgeo.scenario.schema import BAD, SCENARIO_KEYS, Key
from quantgeo.scenario.specs import MetaSpec, Scenario
from quantgeo.scenario.system import validate_animation, validate_system

__all__ = [
    "MAX_DEPTH",
    "MAX_NAME_LENGTH",
    "MAX_TABLES",
    "load_scenario",
    "scenario_from_text",
    "validate_doc",
]

#: Deepest nesting of arrays and tables a scenario may have (a 3D inline array in an array
#: of potential tables inside ``[fast]`` needs 7); checked before anything recurses on it.
MAX_DEPTH = 16
#: Most entries of an array of tables (``[[hamiltonian.potential]]``, ``[[expect.analytic]]``).
MAX_TABLES = 64
#: Longest ``[scenario].name`` (it becomes the default output folder's name).
MAX_NAME_LENGTH = 100
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


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


def _text_depth(text: str) -> tuple[int, int]:
    """Deepest ``[``/``{`` nesting of TOML ``text`` outside strings and comments, and its line.

    tomllib parses nested arrays and inline tables recursively, so a document nested a few
    hundred levels deep would raise ``RecursionError``: this scan is iterative.
    """
    depth = deepest = 0
    line = where = 1
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if text[j] == "\\" and c == '"':
                    j += 1
                elif text[j] == "\n":
                    line += 1
                    if len(quote) == 1:
                        break  # an unterminated string: tomllib reports it
                j += 1
            i = j + len(quote)
            continue
        elif c in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return deepest, where


def parse_toml(text: str, label: str) -> dict[str, Any]:
    deepest, at = _text_depth(text)
    if deepest > MAX_DEPTH:
        raise ScenarioError(
            f"{label}: {_where(text.splitlines(), at)}: arrays or inline tables nested "
            f"{deepest} levels deep (line {at}), at most {MAX_DEPTH}"
        )
    try:
        return tomllib.loads(text)
    except RecursionError:  # pragma: no cover - the scan above refuses such documents first
        raise ScenarioError(
            f"{label}: [toml]: nested too deeply, at most {MAX_DEPTH} levels"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _LINE_RE.search(msg)
        lines = text.splitlines()
        lineno = int(m.group(1)) if m else 0
        if not m and "end of document" in msg:
            lineno = max((i + 1 for i, ln in enumerate(lines) if ln.strip()), default=0)
        where = _where(lines, lineno)
        raise ScenarioError(f"{label}: {where}: invalid TOML: {msg}") from None


def _where(lines: list[str], lineno: int) -> str:
    """``[table].key`` of line ``lineno`` (1-based) of a TOML text, or ``[toml]``."""
    if not lineno:
        return "[toml]"
    table = ""
    for line in lines[: lineno - 1]:
        h = _HEADER_RE.match(line)
        if h and not _KEY_RE.match(line):
            table = h.group(1)
    cur = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    h = _OPEN_HEADER_RE.match(cur)
    km = _KEY_RE.match(cur)
    if km:
        return f"[{table or 'toml'}].{km.group(1).strip(chr(34) + chr(39))}"
    if h:
        return f"[{h.group(1)}]"
    return f"[{table}]" if table else "[toml]"


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
            owners = [
                k for k in kind_names() if table in (*get_kind(k).required, *get_kind(k).optional)
            ]
            ck.add(
                table,
                None,
                f"unknown table for kind = {kind.name!r} (not used by it"
                + (f"; it belongs to kind {', '.join(map(repr, owners))})" if owners else ")"),
            )
    name = meta["name"]
    if isinstance(name, str) and (len(name) > MAX_NAME_LENGTH or not _NAME_RE.fullmatch(name)):
        ck.add(
            "scenario",
            "name",
            "must be a file name of letters, digits, '.', '_' and '-' not starting with '.' "
            f"and at most {MAX_NAME_LENGTH} characters (it names the output folder), got "
            f"{name[:40]!r}" + ("…" if len(name) > 40 else ""),
        )
        name = BAD
    if name is None or name is BAD:
        name = path.stem if path is not None else "scenario"
    meta_spec = MetaSpec(
        name=name,
        description=meta["description"] if meta["description"] is not BAD else "",
        kind=kind.name,
        seed=meta["seed"] if meta["seed"] is not BAD else 0,
    )
    animation = validate_animation(doc, ck)
    system = (
        validate_system(doc, ck, path.parent if path is not None else None) if kind.system else {}
    )
    return kind.validate(doc, ck, Context(path, fast, meta_spec, animation, system))


def scenario_from_text(
    text: str, file: str = "<scenario>", *, fast: bool = False, warn: bool = True
) -> Scenario:
    """Validate scenario TOML ``text``; errors are labelled with ``file``.

    See :func:`load_scenario`.
    """
    doc = parse_toml(text, file)
    return _issue(_from_doc(doc, file, None, fast), warn)


def load_scenario(
    path: str | os.PathLike[str],
    *,
    fast: bool = False,
    overrides: Mapping[str, Any] | None = None,
    warn: bool = True,
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
    warn
        Issue each of the scenario's :attr:`~quantgeo.scenario.Scenario.warnings` (values
        that are accepted but questionable: a ``dt`` as long as the run, a momentum beyond the
        lattice's largest …) as a :class:`~quantgeo.errors.QuantgeoWarning`; the command line
        prints them as ``warning: file: [table].key: message`` instead.

    Raises
    ------
    ScenarioError
        Listing every problem as ``file: [table].key: message``; also when the document is
        nested more than :data:`MAX_DEPTH` levels deep or an array holds more than
        :data:`MAX_TABLES` tables.
    """
    p = Path(path)
    doc = _read_toml(p, str(path))
    check_limits(doc, str(path))
    if overrides:
        _apply_overrides(doc, overrides, str(path))
    return _issue(_from_doc(doc, str(path), p, fast), warn)


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


def check_limits(doc: dict[str, Any], file: str) -> None:
    """Refuse a parsed document nested deeper than :data:`MAX_DEPTH` (dotted keys nest without
    brackets) or with an array of more than :data:`MAX_TABLES` tables, before anything walks it
    recursively (the merge of ``[fast]``, pydantic, the potential sum)."""
    problems: list[str] = []
    # (node, tables on the way, first key below them, depth)
    stack: list[tuple[Any, tuple[str, ...], str, int]] = [(doc, (), "", 0)]
    while stack:  # iterative: the walk itself must not recurse
        node, tables, key, depth = stack.pop()
        label = "[" + (".".join(tables[:4]) or "toml") + "]" + (f".{key}" if key else "")
        if depth > MAX_DEPTH:
            problems.append(f"{file}: {label}: nested more than {MAX_DEPTH} levels deep")
            continue
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            children = [(str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            if len(node) > MAX_TABLES and all(isinstance(x, dict) for x in node):
                problems.append(f"{file}: {label}: {len(node)} tables, at most {MAX_TABLES}")
                continue
            children = [("", v) for v in node]
        for name, v in children:
            if not isinstance(v, (dict, list)):
                continue  # a scalar adds no level (and long arrays of numbers stay cheap)
            is_table = isinstance(v, dict) or (
                isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)
            )
            if key or not name:  # inside a value, or an entry of an array
                stack.append((v, tables, key, depth + 1))
            elif is_table and re.fullmatch(r"[A-Za-z0-9_-]+", name):
                stack.append((v, (*tables, name), "", depth + 1))
            else:
                stack.append(
                    (v, tables, name if re.fullmatch(r"[^\]:\s]+", name) else "?", depth + 1)
                )
    if problems:
        raise ScenarioError(sorted(set(problems)))


def _from_doc(doc: dict[str, Any], file: str, path: Path | None, fast: bool) -> Scenario:
    check_limits(doc, file)
    fast_raw = doc.get("fast", {})
    fast_warnings: list[str] = []
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
            fast_warnings = fck.warnings
            base_set = set(problems)
            for prob in fck.problems:
                plain = prob.replace(" (with the [fast] overrides)", "")
                if plain not in base_set:
                    problems.append(prob)
    if problems:
        raise ScenarioError(problems)
    out = fast_sc if fast else base
    assert out is not None
    # the warnings of the pass returned (a [fast] pass labels its overridden keys [fast.…])
    found = tuple(dict.fromkeys(fast_warnings if fast else ck.warnings))
    object.__setattr__(out, "warnings", found)
    return out


def _issue(sc: Scenario, warn: bool) -> Scenario:
    """Issue ``sc.warnings`` as :class:`~quantgeo.errors.QuantgeoWarning` (when ``warn``)."""
    if warn:
        for line in sc.warnings:
            warnings.warn(line, QuantgeoWarning, stacklevel=3)
    return sc


# =============================================================================================
# Building
