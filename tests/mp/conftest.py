# Under CPython, pytest collects these MicroPython test modules directly: put the firmware
# root (packages `core`, `hal`) and this folder on the path, as MICROPYPATH does under
# MicroPython (see tests/test_firmware_mp.py).
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE.parents[1] / "firmware", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
