"""``python -m retention``: the same as the ``retention`` command."""

import sys

from retention.cli import main

if (
    __name__ == "__main__"
):  # not when imported, e.g. by the documentation's inspection of the package
    sys.exit(main())
