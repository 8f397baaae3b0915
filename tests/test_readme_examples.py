"""Every ```python block of README.md runs as written (the first example a newcomer pastes)."""

import contextlib
import io
import re
import runpy
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path):
    # kernels are read from their source file, so each block runs as a script; later blocks
    # assume the first one's `import numpy as np` and `import allo`
    script = tmp_path / f"readme_block_{index}.py"
    script.write_text("import numpy as np\nimport allo\n" + BLOCKS[index])
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        runpy.run_path(str(script), run_name="__main__")
    if "print(" in BLOCKS[index]:
        assert printed.getvalue().strip()
