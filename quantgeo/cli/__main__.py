"""``python -m quantgeo.cli`` runs the ``quantgeo`` command."""

import sys

# SIGINT/SIGTERM handling first, before anything heavier is imported (quantgeo.cli.main
# installs it again, for the console script)
from quantgeo._interrupt import install

install()

from quantgeo.cli import main  # noqa: E402

sys.exit(main())
