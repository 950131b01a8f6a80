"""`archcue sessions`: every kind of session on its line (notes, damage, provenance of an import,
moves between runners, recovery, unsealed), in a number of store queries that does not grow
with the sessions listed."""
from __future__ import annotations

import contextlib
import hashlib
import io
import sqlite3
import time
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.store.db import Store
from host.store.records import parse_session
from tests.sessionfiles import flip, record_offset, sealed_session

IMPORTED = {"imported": {"file": "lab run.csv", "format": "csv", "units": "newton", "sha256": "ab" * 32}}


def _put(store: Store, sid: str, data: bytes, **where: str) -> None:
    store.import_parsed(parse_session(data, sid), hashlib.sha256(data).hexdigest(), **where)


def mixed_store(path: Path, groups: int = 1) -> None:
    """`groups` sets of eight sessions, one of each kind the listing words."""
    store = Store(path)
    for g in range(groups):
        dev, imp = f"dev{g + 1}", f"imp{g + 1}"
        _put(store, f"{dev}-000001", sealed_session(20, f"{dev}-000001", device=dev))
        unsealed = sealed_session(20, f"{dev}-000002", device=dev)
        _put(store, f"{dev}-000002", unsealed[:record_offset(unsealed, 20)])
        damaged = sealed_session(20, f"{dev}-000003", device=dev, extra={"started_at": "2026-11-02T07:00:00"})
        _put(store, f"{dev}-000003", flip(damaged, record_offset(damaged, 4) + 3))
        _put(store, f"{dev}-000004", sealed_session(20, f"{dev}-000004", device=dev, recovered=True))
        _put(store, f"{dev}-000005", sealed_session(20, f"{dev}-000005", runner="", device=dev),
             runner="bob", foot="right")
        _put(store, f"{dev}-000006", sealed_session(20, f"{dev}-000006", device=dev))
        store.assign([f"{dev}-000006"], "bob", "right")
        _put(store, f"{imp}-000001", sealed_session(20, f"{imp}-000001", runner="carol", device=imp,
                                                    extra={"started_at": "2026-11-03T07:30:00", **IMPORTED}))
        damaged = sealed_session(20, f"{imp}-000002", runner="carol", device=imp, extra=IMPORTED)
        _put(store, f"{imp}-000002", flip(damaged, record_offset(damaged, 0) + 3))
        store.assign([f"{imp}-000002"], "ana")
        store.add_note([f"{dev}-000001", f"{imp}-000002"], pain_during=3, knee="left", drill="toe-curl")
        store.add_note([f"{dev}-000003"], pain_after=0)
    store.close()


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("host.store.db._now", lambda: "2026-11-29T08:00:00")


# the listing with --all (every session here is a short one), oldest first: dated by their clock,
# undated by when they were pulled (all at once here, so by id)
WHOLE = "".join(line + "\n" for line in (
    'session                  runner         foot   started          minutes blocks  steps  note',
    'dev1-000003              ana            left   2026-11-02 07:00     0.2      0     19  pain ? during, 0'
    ' after; short session, not counted: shorter than the warm-up plus one block (11 min); DAMAGED: 1 corrupt'
    ' record(s) at 4',
    'imp1-000001              carol          left   2026-11-03 07:30     0.2      0     20  short session, not'
    ' counted: shorter than the warm-up plus one block (11 min); imported from lab run.csv (csv)',
    'dev1-000001              ana            left   date unknown         0.2      0     20  pain 3 during, ? after'
    ' (left knee); drill toe-curl; short session, not counted: shorter than the warm-up plus one block (11 min)',
    'dev1-000002              ana            left   date unknown         0.2      0     20  short session, not'
    ' counted: shorter than the warm-up plus one block (11 min); DAMAGED: not sealed (the insole could not seal'
    ' it); not sealed',
    'dev1-000004              ana            left   date unknown         0.2      0     20  short session, not'
    ' counted: shorter than the warm-up plus one block (11 min); recovered after a power cut',
    'dev1-000005              bob            right  date unknown         0.2      0     20  short session, not'
    ' counted: shorter than the warm-up plus one block (11 min); placed by pull --runner 2026-11-29T08:00:00',
    'dev1-000006              bob            right  date unknown         0.2      0     20  short session, not'
    ' counted: shorter than the warm-up plus one block (11 min); moved from ana by assign 2026-11-29T08:00:00',
    'imp1-000002              ana            left   date unknown         0.2      0     19  pain 3 during, ? after'
    ' (left knee); drill toe-curl; short session, not counted: shorter than the warm-up plus one block (11 min);'
    ' DAMAGED: 1 corrupt record(s) at 0; imported from lab run.csv (csv); moved from carol by assign'
    ' 2026-11-29T08:00:00',
))


def test_every_kind_of_session_has_its_words(tmp_path: Path, frozen: None,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    mixed_store(tmp_path / "s.sqlite")
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "sessions", "--all"]) == 0
    assert capsys.readouterr().out == WHOLE
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "sessions", "ANA", "--all"]) == 0  # any spelling
    head, *lines = WHOLE.splitlines(keepends=True)
    assert capsys.readouterr().out == head + "".join(line for line in lines if line.split()[1] == "ana")
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "sessions"]) == 0  # short ones out, damaged ones in
    damaged = [line for line in lines if "DAMAGED" in line]
    assert capsys.readouterr().out == head + "".join(damaged) + (
        "(5 short sessions not listed: too short to hold a block, or no running, as a pull before a run or a second "
        "pull leaves; `archcue sessions --all` lists them)\n")


def listing(db: Path) -> tuple[float, list[str]]:
    """`archcue sessions` on the store db, in this process: (seconds, the SQL statements it ran)."""
    run: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs) -> sqlite3.Connection:
        con = connect(*args, **kwargs)
        con.set_trace_callback(run.append)
        return con

    sqlite3.connect = traced  # counted, not changed
    try:
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            assert archcue(["--store", str(db), "sessions", "--all"]) == 0
        return time.perf_counter() - start, run
    finally:
        sqlite3.connect = connect


def test_the_listing_costs_the_same_queries_for_8_or_24_sessions(tmp_path: Path) -> None:
    mixed_store(tmp_path / "few.sqlite")
    mixed_store(tmp_path / "more.sqlite", groups=3)
    assert len(Store(tmp_path / "more.sqlite").sessions()) == 24
    assert listing(tmp_path / "few.sqlite")[1] == listing(tmp_path / "more.sqlite")[1]
