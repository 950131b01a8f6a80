"""Files archcue reads or writes for the coach: regular files only. A FIFO would hang a read,
/dev/zero never ends, and replacing a device node with a report breaks the machine."""
from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from host.command import UserError

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def kind(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


@contextlib.contextmanager
def open_regular(path: Path | str, error: type[UserError] = UserError) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """The file open for reading, and its stat; `error` (one line) if it cannot be read or is
    anything but a regular file. Opened without blocking, so a FIFO cannot hang the open."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise error(f"{path}: cannot read ({e.strerror})") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise error(f"{path} is {kind(st.st_mode)}: archcue reads only saved files")
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as f:
        yield f, st


def read_small(path: Path | str, limit: int, what: str, error: type[UserError] = UserError) -> bytes:
    """A whole regular file of at most `limit` bytes (a config): larger is refused, not read."""
    with open_regular(path, error) as (f, _):
        data = f.read(limit + 1)
    if len(data) > limit:
        raise error(f"{path}: larger than {limit // 1024} KB: not {what}")
    return data
