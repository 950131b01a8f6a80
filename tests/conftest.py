"""Shared fixtures for the CPython tests."""
from __future__ import annotations

import functools
import os
import pty
import re
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`-n` (pyproject's addopts: every core, one worker on one) hands out single tests, but
    a group stays on one worker: a file whose tests share a module-scoped fixture (built once),
    and each MicroPython module's tests (test_firmware_mp runs a module once for all of them)."""
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist keeps xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class Groups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(config.rootpath, nodeid)

    return Groups(config, log)


@functools.cache
def _shares_module_fixture(path: Path) -> bool:
    return re.search(r"scope=[\"'](module|package|class)[\"']", path.read_text()) is not None


def _group(root: Path, nodeid: str) -> str:
    file = nodeid.split("::")[0]
    if file == "tests/test_firmware_mp.py":
        return "micropython " + nodeid.split("[")[1].split("-")[0]
    return file if _shares_module_fixture(root / file) else nodeid


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
