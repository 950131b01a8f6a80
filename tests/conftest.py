"""Shared fixtures for the CPython tests."""
from __future__ import annotations

import os
import pty
import tty
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def board() -> dict:
    from hardware.board_data import load_board

    return load_board()


@pytest.fixture()
def pty_port() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal standing for an insole's USB port: (the insole's side, the port's path)."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    yield master, os.ttyname(slave)
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass
