"""The coach's SQLite store: idempotent, all-or-nothing imports, clear errors."""
from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.store.db import SCHEMA_VERSION, Store, StoreError
from host.store.records import SessionFileError, flag, parse_session
from tests.sessionfiles import flip, record_offset, sealed_session


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


def test_a_flipped_bit_in_a_middle_record_keeps_every_other_record_as_damaged(tmp_path: Path) -> None:
    data = sealed_session(255)
    bad = flip(data, record_offset(data, 127) + 9)
    parsed = parse_session(bad, "dev1-000001")
    assert len(parsed.records) == 254 * record.SIZE and parsed.gaps == [127] and "127" in parsed.damage
    store = Store(tmp_path / "s.sqlite")
    store.import_session(bad, _sha(bad))
    [row] = store.sessions()
    assert row.status == "damaged" and row.n_steps == 254 and not store.verified(row.id, _sha(bad))
    assert list(store.steps(row.id)["ic_ms"]) == [1000 + 700 * i for i in range(255) if i != 127]
    good = parse_session(data)
    assert good.damage is None and good.gaps == []
    store.import_session(data, _sha(data))  # the intact copy replaces the damaged one
    assert store.verified("dev1-000001", _sha(data)) and store.sessions()[0].n_steps == 255


def test_a_damaged_header_is_rebuilt_from_the_trailer(tmp_path: Path) -> None:
    bad = flip(sealed_session(30, runner="Zoë 🏃 ñ"), 12)  # inside the header's JSON
    parsed = parse_session(bad, "dev1-000001")
    assert parsed.header["rebuilt"] and parsed.header["runner"] == "Zoë 🏃 ñ"
    assert len(parsed.records) == 30 * record.SIZE and "header damaged" in parsed.damage


def _trailer_variants(data: bytes, records: int) -> list[bytes]:
    """Every byte of the trailer with each bit flipped, zeroed and erased (0xFF); the file cut at
    every byte of it; the whole trailer zeroed and erased."""
    start = record_offset(data, records)
    out = []
    for i in range(start, len(data)):
        out += [data[:i] + bytes([data[i] ^ 1 << bit]) + data[i + 1:] for bit in range(8)]
        out += [data[:i] + bytes([v]) + data[i + 1:] for v in (0, 0xFF)] + [data[:i + 1]]
    return out + [data[:start] + fill * (len(data) - start) for fill in (b"\0", b"\xff")]


def test_a_damaged_trailer_over_intact_records_is_read_whole_before_and_after_the_insole_reseals(
        tmp_path: Path) -> None:
    data = sealed_session(50)
    variants = [v for v in _trailer_variants(data, 50) if v != data]
    folder = tmp_path / "insole"
    (folder / sessionlog.DIR).mkdir(parents=True)
    path = Path(sessionlog.path(str(folder), "dev1-000001"))
    whole = 0
    for v in variants:
        path.write_bytes(v)
        sessionlog.recover(str(folder), lambda _m: None)  # what the insole does before it lists its sessions
        for copy in (v, path.read_bytes()):
            parsed = parse_session(copy, "dev1-000001")
            assert parsed.damage is None and parsed.records == data[record_offset(data, 0):record_offset(data, 50)]
            assert parsed.trailer is not None and parsed.trailer["records"] == 50
            whole += 1
    assert len(variants) > 8000 and whole == 2 * len(variants)


def test_a_damaged_last_record_is_never_taken_for_a_damaged_trailer() -> None:
    data = sealed_session(50)
    at = record_offset(data, 49)
    for i in range(at, at + record.SIZE):
        for bit in range(8):
            bad = data[:i] + bytes([data[i] ^ 1 << bit]) + data[i + 1:]
            parsed = parse_session(bad, "dev1-000001")
            assert parsed.damage and parsed.gaps == [49] and len(parsed.records) == 49 * record.SIZE


def test_a_trailer_rebuilt_on_the_host_makes_the_session_whole_in_the_store(tmp_path: Path) -> None:
    bad = flip(sealed_session(30), -40)
    store = Store(tmp_path / "s.sqlite")
    store.import_session(bad, _sha(bad))
    [row] = store.sessions()
    assert row.status == "ok" and row.n_steps == 30 and store.verified(row.id, _sha(bad))
    assert row.summary is not None and row.summary["rebuilt"] and row.summary["steps"] == 30


def test_a_file_stored_as_damaged_by_an_older_archcue_is_made_whole_when_read_again(tmp_path: Path) -> None:
    from dataclasses import replace

    bad = flip(sealed_session(30), -40)
    store = Store(tmp_path / "s.sqlite")
    older = replace(parse_session(bad), trailer=None, damage="6 corrupt record(s) at 30, 31, 32, 33, 34 ...")
    store.import_parsed(older, _sha(bad))  # as the archcue before this one stored it
    assert store.damage("dev1-000001")
    assert store.import_session(bad, _sha(bad)) == ("dev1-000001", True)
    assert store.damage("dev1-000001") is None and store.verified("dev1-000001", _sha(bad))
    assert store.import_session(bad, _sha(bad)) == ("dev1-000001", False)  # once whole, left as is


@pytest.mark.parametrize("data,expect,message", [
    (b"", "dev1-000001", "empty file"),
    (_session(5)[:3] + b"X" + _session(5)[4:], "dev1-000001", "not a session file"),
    (sealed_session(3, fmt=99), "dev1-000001", "format 99"),
    (sealed_session(3, sid="dev1-000777"), "dev1-000001", "header names session 'dev1-000777'"),
    (_session(3, runner=7), "dev1-000001", "'runner' is int"),  # type: ignore[arg-type]
])
def test_files_the_host_cannot_import_are_refused_by_name(data: bytes, expect: str, message: str) -> None:
    with pytest.raises(SessionFileError, match=message):
        parse_session(data, expect)


def test_names_written_as_surrogates_by_old_firmware_are_joined_back() -> None:
    # MicroPython's json turned the host's \ud83c\udfc3 escapes into two UTF-8-encoded surrogates
    mangled = _session(2, runner="Zoë X").replace(b"X", b"\xed\xa0\xbc\xed\xbf\x83")
    header = parse_session(_recrc(mangled)).header
    assert header["runner"] == "Zoë 🏃"


def _recrc(data: bytes) -> bytes:
    """The header block with its CRC recomputed (after an edit of its JSON)."""
    end = data.index(b"}", 6) + 1  # the test header holds no nested object
    payload = data[6:end]
    return b"ACS1" + len(payload).to_bytes(2, "little") + payload + sessionlog._crc(payload) + data[end + 4:]


def test_a_version_1_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE runners (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
        CREATE TABLE devices (id TEXT PRIMARY KEY, board TEXT, firmware TEXT, last_seen TEXT);
        CREATE TABLE sessions (id TEXT PRIMARY KEY, runner_id INTEGER NOT NULL REFERENCES runners(id),
            device_id TEXT NOT NULL REFERENCES devices(id), foot TEXT, rate_hz INTEGER, started_at TEXT,
            imported_at TEXT NOT NULL, sha256 TEXT NOT NULL, n_steps INTEGER NOT NULL, recovered INTEGER NOT NULL,
            header_json TEXT NOT NULL, summary_json TEXT);
        CREATE TABLE steps (session_id TEXT PRIMARY KEY REFERENCES sessions(id), n_steps INTEGER NOT NULL,
            records BLOB NOT NULL);
        INSERT INTO meta VALUES ('schema_version', '1');
        INSERT INTO runners VALUES (1, 'ana', 'x');
        INSERT INTO devices VALUES ('dev1', NULL, NULL, NULL);
        INSERT INTO sessions VALUES ('dev1-000001', 1, 'dev1', 'left', 200, NULL, 'x', 'abc', 0, 0, '{}', '{}');
        INSERT INTO steps VALUES ('dev1-000001', 0, x'');
    """)
    db.commit()
    db.close()
    store = Store(path, create=False)
    [row] = store.sessions()
    assert row.status == "ok" and store.verified("dev1-000001", "abc")
    assert store.db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    data = sealed_session(3, sid="dev1-000002")
    store.import_session(data, _sha(data))
    assert len(store.sessions()) == 2


def test_read_only_opening_never_creates_and_names_a_bad_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no store at"):
        Store(tmp_path / "typo.sqlite", create=False)
    assert not (tmp_path / "typo.sqlite").exists()
    (tmp_path / "text.sqlite").write_text("hello, not a database " * 100)
    with pytest.raises(StoreError, match="not a readable archcue store"):
        Store(tmp_path / "text.sqlite", create=False)
    other = sqlite3.connect(tmp_path / "other.sqlite")
    other.execute("CREATE TABLE t (x)")
    other.commit()
    other.close()
    with pytest.raises(StoreError, match="not an archcue store"):
        Store(tmp_path / "other.sqlite")
    (tmp_path / "killed.sqlite").write_bytes(b"")  # a pull killed before its first write
    with pytest.raises(StoreError, match="an empty store .* pull an insole first"):
        Store(tmp_path / "killed.sqlite", create=False)
    Store(tmp_path / "killed.sqlite").close()  # the next pull makes it a store
    assert Store(tmp_path / "killed.sqlite", create=False).sessions() == []


def test_a_store_whose_creation_was_cut_before_its_version_opens(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM meta")  # as archcue 1 left it when killed between its tables and its version row
    db.commit()
    db.close()
    store = Store(path, create=False)
    data = sealed_session(3)
    store.import_session(data, _sha(data))
    assert store.db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    assert len(store.sessions()) == 1
