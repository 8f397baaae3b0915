"""Make the reliability helpers (case lists, worker pool, program generator) importable."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
