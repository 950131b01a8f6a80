"""One user of an insole's port at a time: `archcue pull` and `archcue live` (and a second
view) would otherwise read each other's bytes, and a pull would take a live stream for a board
without archcue firmware.

An advisory lock (flock) on a small file named after the port's real path, taken before the
port is opened (opening a port can toggle a board's reset lines). The file says who holds it
(pid, command, user, since when), so the one refused can be told. The kernel drops the lock
when its holder exits, however it exits: a killed pull leaves no stale lock. The file itself
is never removed (removing a lock file races with the next taker)."""
from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
import tempfile
import time
from pathlib import Path

from host.command import UserError


class PortBusy(UserError):
    pass


def lock_path(port: str) -> Path:
    """Where the lock of this port lives: the temp folder, one file per device."""
    name = os.path.realpath(port).strip("/").replace("/", "_")
    return Path(tempfile.gettempdir()) / f"archcue-port-{name}.lock"


def _holder(path: Path) -> str:
    """Who holds the lock, in words, from its file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return (f"`{info['command']}` (pid {int(info['pid'])}, user {info['user']}, since {info['since']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "another archcue (it did not say which)"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment or the password database
        return str(os.getuid())


class PortLock:
    """Held from construction to release(); PortBusy if another process holds it."""

    def __init__(self, port: str, command: str):
        self.path = lock_path(port)
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            writable = True
        except PermissionError:  # another user's file: the lock still works, it just cannot say who we are
            self.fd = os.open(self.path, os.O_RDONLY)
            writable = False
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise PortBusy(f"{port} is busy: {_holder(self.path)} is using it; close that first "
                           "(Ctrl-C in a live view), then try again") from None
        if writable:
            with contextlib.suppress(OSError):  # a full temp folder must not stop a pull: the lock is taken
                os.ftruncate(self.fd, 0)
                os.pwrite(self.fd, json.dumps({"pid": os.getpid(), "command": command, "user": _user(),
                                               "since": time.strftime("%H:%M:%S")}).encode(), 0)

    def release(self) -> None:
        if self.fd < 0:
            return
        with contextlib.suppress(OSError):
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
        self.fd = -1
