"""``python -m kg`` runs the ``exokg`` command."""

import sys

from kg.cli import main

sys.exit(main())
