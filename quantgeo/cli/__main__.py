"""``python -m quantgeo.cli`` runs the ``quantgeo`` command."""

import sys

from quantgeo.cli import main

sys.exit(main())
