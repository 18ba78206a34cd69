"""The installed version of quantgeo (its own module: reading package metadata costs an
import that ``import quantgeo`` should not pay)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("quantgeo")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
