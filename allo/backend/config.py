"""Build configuration for HLS projects (``backends.md`` §1.3).

>>> DEFAULT_CONFIG["device"], PART_NUMBER["u280"]
('u280', 'xcu280-fsvh2892-2L-e')
"""

from __future__ import annotations

DEFAULT_CONFIG = {"device": "u280", "frequency": 300, "mode": "csim|csynth|cosim|impl"}

PART_NUMBER = {
    "ultra96v2": "xczu3eg-sbva484-1-i",
    "pynqz2": "xc7z020clg400-1",
    "zedboard": "xc7z020clg484-1",
    "zcu102": "xczu9eg-ffvb1156-2-e",
    "zcu104": "xczu7ev-ffvc1156-2-e",
    "zcu106": "xczu7ev-ffvc1156-2-e",
    "zcu111": "xczu28dr-ffvg1517-2-e",
    "vck190": "xcvc1902-vsva2197-2MP-e-S",
    "vhk158": "xcvh1582-vsva3697-2MP-e-S-es1",
    "u200": "xcu200-fsgd2104-2-e",
    "u250": "xcu250-figd2104-2L-e",
    "u280": "xcu280-fsvh2892-2L-e",
}

# Boards whose Vivado flow exports an IP for a block design instead of a bitstream.
EMBEDDED_DEVICES = ("ultra96v2", "pynqz2", "zedboard")
