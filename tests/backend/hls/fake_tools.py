"""Stand-ins for vendor tools, so the run plumbing of a project (input files, the command,
output files) is tested without them: a fake ``make`` that adds ``input0.data`` and
``input1.data`` (int32) into the first output file and copies the first element of input 0
into the second, as the ``vadd`` kernels of these tests do."""

from __future__ import annotations

import os
import sys

FAKE_MAKE = f"""#!{sys.executable}
import os, sys
import numpy as np
with open("make_args.txt", "w") as log:
    log.write(" ".join(sys.argv[1:]))
A = np.fromfile("input0.data", np.int32)
B = np.fromfile("input1.data", np.int32)
names = os.environ["FAKE_OUTPUTS"].split(",")
(A + B).astype(np.int32).tofile(names[0])
if len(names) > 1:
    A[:1].astype(np.int32).tofile(names[1])
"""


def install_tools(tmp_path, monkeypatch, outputs: list[str], *names: str) -> None:
    """Put a fake ``make`` (writing ``outputs``) and executables ``names`` first on PATH."""
    bin_dir = tmp_path / "fake_bin"
    bin_dir.mkdir()
    for name, text in [("make", FAKE_MAKE)] + [(n, "#!/bin/sh\nexit 0\n") for n in names]:
        path = bin_dir / name
        path.write_text(text)
        path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_OUTPUTS", ",".join(outputs))
