"""Data files that MicroPython tests read (they cannot run numpy): built once per
checkout under build/testdata by CPython, passed to them as ARCHCUE_TESTDATA."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTDATA = ROOT / "build" / "testdata"


def ensure_test_data() -> Path:
    TESTDATA.mkdir(parents=True, exist_ok=True)
    return TESTDATA
