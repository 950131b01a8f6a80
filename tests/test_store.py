"""The coach's SQLite store: idempotent, all-or-nothing imports, clear errors."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.records import SessionFileError, flag, parse_session
from host.store import Store, StoreError


def _session(n: int, sid: str = "dev1-000001", runner: str = "ana", sealed: bool = True) -> bytes:
    f = io.BytesIO()
    f.write(sessionlog._header_block({"session": sid, "device": "dev1", "runner": runner, "foot": "left",
                                      "rate_hz": 200, "format": 1}))
    summary = sessionlog.Summary()
    buf = bytearray(record.SIZE)
    for i in range(n):
        record.pack_into(buf, 0, record.FLAG_COLLAPSE if i % 4 == 0 else 0, 1000 + 700 * i, 250, 1500, 2000,
                         300, 40, 0, 3000, 0, 0)
        f.write(buf)
        summary.add(record.unpack(buf))
    if sealed:
        f.write(sessionlog._trailer_block(summary.as_dict()))
    return f.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_import_twice_stores_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    data = _session(40)
    assert store.import_session(data, _sha(data)) == ("dev1-000001", True)
    assert store.import_session(data, _sha(data)) == ("dev1-000001", False)
    steps = store.steps("dev1-000001")
    assert len(steps) == 40 and flag(steps, "collapse").sum() == 10
    assert store.runners() == [("ana", 1, 40)]


def test_sealed_copy_replaces_an_unsealed_one(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    early = _session(10, sealed=False)
    store.import_session(early, _sha(early))
    late = _session(30)
    assert store.import_session(late, _sha(late))[1]
    assert len(store.steps("dev1-000001")) == 30 and len(store.sessions()) == 1


def test_torn_tail_is_left_out_and_corrupt_files_rejected(tmp_path: Path) -> None:
    data = _session(20, sealed=False) + b"\x01\x00\x07"  # a torn record at the end
    header, blob, trailer = parse_session(data)
    assert len(blob) == 20 * record.SIZE and trailer is None
    with pytest.raises(SessionFileError, match="not a session file"):
        parse_session(b"garbage" * 10)
    with pytest.raises(SessionFileError):
        parse_session(_session(5)[:7])


def test_a_store_from_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="schema version 99"):
        Store(path)


def test_summary_of_the_trailer_is_kept(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    data = _session(8)
    store.import_session(data, _sha(data))
    [row] = store.sessions("ana")
    assert row.summary["steps"] == 8 and json.dumps(row.summary)
