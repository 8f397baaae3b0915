"""``python -m allo``: the same command as the ``allo`` console script (``allo.cli``)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
