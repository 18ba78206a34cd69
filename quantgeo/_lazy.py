"""Lazy public names of a package (PEP 562), so ``import quantgeo`` stays cheap.

A package lists which submodule defines each public name; the submodule is imported the first
time the name is looked up (``quantgeo.Lattice``, ``from quantgeo import Lattice``, ``dir()``
lists it), and the value is then cached in the package.  Importing ``quantgeo`` therefore does
not import NumPy, SciPy, Numba, QuTiP, matplotlib, pydantic or tqdm.

Some public functions share their submodule's name (``quantgeo.compare`` is the function
:func:`~quantgeo.compare.compare`, ``quantgeo.learning.regimes`` the function
:func:`~quantgeo.learning.regimes.regimes`).  With eager imports the function was bound after
the submodule and won; here the submodule may be imported later (by another module), and the
import system would then overwrite the package attribute with the module.  The package's module
type refuses that one assignment, so the name keeps meaning the function either way.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["attach"]


class _LazyPackage(types.ModuleType):
    """Module type of a lazy package; ``_shadowed`` names are never replaced by a module."""

    _shadowed: frozenset[str] = frozenset()

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._shadowed and isinstance(value, types.ModuleType):
            return  # a submodule named like a public function: keep the function
        super().__setattr__(name, value)


def attach(
    package: str,
    exports: Mapping[str, Iterable[str]],
    submodules: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the ``__getattr__`` and ``__dir__`` of a lazy package.

    Parameters
    ----------
    package
        The package's ``__name__`` (it must already be in ``sys.modules``).
    exports
        Submodule (relative, ``".lattice"``) → the public names it defines.
    submodules
        Submodules that are public names themselves (``quantgeo.observables``).

    Returns
    -------
    (__getattr__, __dir__)
        To be assigned at module level of the package's ``__init__``.
    """
    where = {name: mod for mod, names in exports.items() for name in names}
    subs = frozenset(submodules)
    module = sys.modules[package]
    shadowed = frozenset(n for n, mod in where.items() if mod.rsplit(".", 1)[-1] == n)
    module.__class__ = type(
        "_LazyPackage", (_LazyPackage,), {"_shadowed": shadowed, "__module__": __name__}
    )

    def __getattr__(name: str) -> Any:
        if name in where:
            value = getattr(importlib.import_module(where[name], package), name)
        elif name in subs:
            value = importlib.import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        vars(module)[name] = value  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(module)) | set(where) | subs)

    return __getattr__, __dir__
