"""Shared fixtures for the CPython tests."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="session")
def board() -> dict:
    from hardware.board_data import load_board

    return load_board()
