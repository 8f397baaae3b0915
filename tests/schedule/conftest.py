"""Make the shared test helpers (``tests/helpers_schedule.py``) importable."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
