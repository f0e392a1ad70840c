"""``python -m ait42_session``: the same as the ``ait42-session`` command."""

import sys

from ait42_session.faces.cli import main

sys.exit(main())
