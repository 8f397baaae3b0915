"""``allo.dsl.<op>``: the built-in kernel operations under their reference-compatible path."""

from .language import *  # noqa: F401,F403
from .language import __all__  # noqa: F401
