"""The import's progress (engine.LogFollower) reads a growing session file incrementally and says
at every moment what a scan of the whole file would: the last valid record's contact time."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.sources import engine
from tests.sessionfiles import flip, record_offset, sealed_session

N = 60


def _whole_file_ms(device: Path, before: set[str]) -> int:
    """The figure from a scan of each new whole file (0 while a file has no readable header)."""
    values: list[int] = []  # every valid record's contact time, file by file
    for sid in [s for s in sessionlog.session_ids(str(device)) if s not in before]:
        try:
            sessionlog.scan_path(sessionlog.path(str(device), sid), lambda v: values.append(v[record.I_IC_MS]))
        except sessionlog.LogError:
            pass
    return values[-1] if values else 0


def _session(sid: str) -> bytes:
    """N records, the 20th and the last corrupt: the figure must come from the last valid one."""
    data = sealed_session(N, sid)
    return flip(flip(data, record_offset(data, 20) + 5), record_offset(data, N - 1) + 5)


def _cuts(data: bytes) -> list[int]:
    """Where a growing file is looked at: empty, a torn header, mid-record, a torn trailer, whole."""
    head = record_offset(data, 0)
    return sorted({0, 3, head, head + 1, *range(head, len(data), 29), record_offset(data, N), len(data) - 3,
                   len(data)})


def test_the_progress_follows_a_growing_session_as_a_whole_scan_would(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / sessionlog.DIR).mkdir()
    old = sealed_session(5, "dev1-000001")  # there before the run: not followed
    Path(sessionlog.path(str(tmp_path), "dev1-000001")).write_bytes(old)
    first, second = _session("dev1-000002"), _session("dev1-000003")
    read: list[int] = []
    scan = sessionlog.scan
    monkeypatch.setattr(sessionlog, "scan",  # what the follower reads (it feeds the reader a BytesIO)
                        lambda f, size, *a: (isinstance(f, io.BytesIO) and read.append(size)) or scan(f, size, *a))
    follower = engine.LogFollower(tmp_path, {"dev1-000001"})
    for sid, data in (("dev1-000002", first), ("dev1-000003", second)):
        path, seen = Path(sessionlog.path(str(tmp_path), sid)), []
        for cut in _cuts(data):
            path.write_bytes(data[:cut])
            seen.append(follower.logged_ms())
            assert seen[-1] == _whole_file_ms(tmp_path, {"dev1-000001"}), (sid, cut)
        assert seen[-1] == 1000 + 700 * (N - 2)  # the last valid record: the end
        if sid == "dev1-000002":  # (the second session's times start again from 1000: not monotonic across)
            assert seen == sorted(seen)
            # each byte read once, but the header block and a record still being written again at each look;
            # rescanning the whole file each time reads about 8 times as much here
            assert sum(read) <= len(first) + len(seen) * (record_offset(first, 0) + record.SIZE)
