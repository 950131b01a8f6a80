"""Shared fixtures for the CPython tests."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def board() -> dict:
    from hardware.board_data import load_board

    return load_board()
