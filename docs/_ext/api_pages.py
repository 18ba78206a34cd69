"""Write the API reference pages (``api/*.rst``) from the packages' ``__all__``.

One page per public module of ``quantgeo`` (the package itself, its public top-level modules and
its subpackages, in that order).  Each page shows the module docstring, an ``autosummary``
table of its public names and the autodoc entry of each (numpydoc renders the docstrings).  An
object re-exported in several places is documented once, under its first public name (the
shortest path: ``quantgeo.Lattice`` rather than ``quantgeo.lattice.Lattice``), and the other
pages link to it; so every public name has an entry and no cross-reference is ambiguous.

One page per module rather than one per object: the theme draws the whole navigation tree on
every page, so ~20 pages build in a fraction of the time of ~250.

The pages are written at ``config-inited``, before Sphinx lists the sources, so they follow
``__all__`` without being edited by hand.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from types import ModuleType
from typing import Any

import quantgeo

API_DIR = "api"


def public_modules() -> list[str]:
    """``quantgeo``, its public top-level modules, then its public subpackages (sorted)."""
    modules: list[str] = []
    packages: list[str] = []
    for info in pkgutil.iter_modules(quantgeo.__path__):
        if info.name.startswith("_"):
            continue
        (packages if info.ispkg else modules).append(f"quantgeo.{info.name}")
    return ["quantgeo", *sorted(modules), *sorted(packages)]


def public_names(module: ModuleType) -> list[str]:
    """The names in ``__all__`` that are not modules or dunders."""
    names = getattr(module, "__all__", [])
    return [
        n
        for n in names
        if not n.startswith("__") and not inspect.ismodule(getattr(module, n, None))
    ]


def _identity(obj: Any) -> int | None:
    """Objects that are the same when re-exported (classes, functions); constants are not."""
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return id(obj)
    return None


def plan() -> dict[str, tuple[list[str], list[str]]]:
    """Module → (names documented on its page, names linked to another page)."""
    seen: dict[int, str] = {}
    out: dict[str, tuple[list[str], list[str]]] = {}
    for modname in public_modules():
        module = importlib.import_module(modname)
        own, linked = [], []
        for name in public_names(module):
            key = _identity(getattr(module, name))
            if key is not None and key in seen:
                linked.append(seen[key])
                continue
            if key is not None:
                seen[key] = f"{modname}.{name}"
            own.append(name)
        out[modname] = (own, linked)
    return out


def _title(text: str, char: str = "=") -> list[str]:
    return [text, char * len(text), ""]


def _directive(obj: Any) -> str:
    if inspect.isclass(obj):
        return "autoexception" if issubclass(obj, BaseException) else "autoclass"
    if inspect.isroutine(obj):
        return "autofunction"
    return "autodata"


def module_page(modname: str, own: list[str], linked: list[str], *, index: bool = True) -> str:
    """The page of ``modname``; ``index=False`` when an object has the module's name."""
    module = importlib.import_module(modname)
    lines = _title(f"``{modname}``")
    lines += [f".. automodule:: {modname}"] + ([] if index else ["   :no-index:"])
    lines += ["", f".. currentmodule:: {modname}", ""]
    if own:
        lines += [".. autosummary::", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in own] + [""]
    if linked:
        lines += [".. rubric:: Also available here", ""]
        lines += [f"- :obj:`{target}`" for target in linked] + [""]
    for name in own:
        kind = _directive(getattr(module, name))
        lines += [f".. {kind}:: {name}"]
        if kind in ("autoclass", "autoexception"):
            lines += ["   :members:", "   :show-inheritance:"]
        lines += [""]
    return "\n".join(lines)


def index_page(modules: list[str]) -> str:
    lines = _title("API reference")
    lines += [
        "Generated from the docstrings of the public names (``__all__``) of each module.",
        "An object re-exported by several modules has one page, under its shortest name.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
    ]
    lines += [f"   {m}" for m in modules] + [""]
    return "\n".join(lines)


def _write(path: Path, text: str) -> None:
    # Only rewrite changed pages: an unchanged mtime keeps Sphinx's incremental rebuilds.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_pages(srcdir: Path) -> list[Path]:
    """Write ``api/index.rst`` and one page per module; return the module pages."""
    folder = srcdir / API_DIR
    folder.mkdir(exist_ok=True)
    pages = []
    layout = plan()
    # the function quantgeo.compare shadows the module quantgeo.compare: one object per name
    objects = {f"{m}.{n}" for m, (own, _) in layout.items() for n in own}
    for modname, (own, linked) in layout.items():
        path = folder / f"{modname}.rst"
        _write(path, module_page(modname, own, linked, index=modname not in objects))
        pages.append(path)
    _write(folder / "index.rst", index_page(list(layout)))
    for stale in set(folder.glob("*.rst")) - {*pages, folder / "index.rst"}:
        stale.unlink()  # a module that is gone: its page would be outside every toctree
    return pages


def _config_inited(app: Any, config: Any) -> None:
    write_pages(Path(app.srcdir))


def _drop_type_docstring(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    """A constant without a docstring of its own gets its type's ("Built-in immutable
    sequence."): show none rather than that."""
    doc = inspect.getdoc(type(obj))
    if what == "data" and doc and "\n".join(lines).strip() == doc.strip():
        lines.clear()


def setup(app: Any) -> dict[str, Any]:
    app.connect("autodoc-process-docstring", _drop_type_docstring, priority=400)  # before numpydoc
    # config-inited: before Sphinx lists the source files and autosummary scans them for stubs
    app.connect("config-inited", _config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
