"""``python -m quantgeo`` runs the ``quantgeo`` command (as ``python -m quantgeo.cli``)."""

import sys

# SIGINT/SIGTERM handling first, before anything heavier is imported (quantgeo.cli.main
# installs it again, for the console script)
from quantgeo._interrupt import install

install()

from quantgeo.cli import main  # noqa: E402

sys.exit(main())
