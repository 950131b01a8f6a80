"""The runner's side of the question (issue 11 item 4, issue 20 item 5): `archcue note` records
knee pain and the drill on a session, for its run (both feet), refuses bad values with one line,
keeps a history, and the report (text, JSON, HTML), `sessions` and the export carry the notes."""
from __future__ import annotations

import base64
import csv
import hashlib
import json
import re
import sqlite3
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.store.db import SCHEMA_VERSION, Store
from host.store.records import parse_session
from tests.block_steps import block_run
from tests.sessionfiles import record_offset, sealed_session

SIDS = [f"dev1-00000{i}" for i in range(1, 5)]
# three runs of 12 minutes (two blocks each): SIDS[2] and SIDS[3] are the two insoles of the third
RUNS = {sid: (day, foot) for sid, day, foot in zip(SIDS, ("2026-11-02T07:00:00", "2026-11-04T07:00:00",
                                                         "2026-11-06T07:00:00", "2026-11-06T07:00:03"),
                                                   ("left", "left", "left", "right"))}


def _put(store: Store, sid: str, sealed: bool = True) -> None:
    day, foot = RUNS.get(sid, (None, "left"))
    data = sealed_session(0, sid=sid, steps=block_run(12, SIDS.index(sid) if sid in SIDS else 9),
                          extra={"started_at": day, "foot": foot})
    if not sealed:  # cut after the last record: the trailer never written (pulled mid-run)
        data = data[:record_offset(data, len(parse_session(data).records) // 24)]
    store.import_parsed(parse_session(data, sid), hashlib.sha256(data).hexdigest())


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "s.sqlite"
    s = Store(path)
    for sid in SIDS:
        _put(s, sid)
    s.close()
    return path


def _run(path: Path, *argv: str) -> int:
    return archcue(["--store", str(path), *argv])


def _note_rows(path: Path) -> int:
    return sqlite3.connect(path).execute("SELECT COUNT(*) FROM notes").fetchone()[0]


@pytest.mark.parametrize("argv, says", [
    (["--pain-during", "11", "--knee", "left"], "--pain-during '11': give a whole number from 0"),
    (["--pain-after", "2.5", "--knee", "left"], "--pain-after '2.5': give a whole number"),
    (["--pain-during", "-1", "--knee", "left"], "--pain-during '-1'"),
    (["--pain-during", "three", "--knee", "left"], "--pain-during 'three'"),
    (["--pain-during", "٣", "--knee", "left"], "--pain-during '٣'"),  # a digit, but not one a coach types
    (["--pain-during", "9" * 5000, "--knee", "left"], "give a whole number"),  # past int()'s digit limit
    (["--knee", "middle"], "--knee 'middle': give left, right or both"),
    (["--drill-other", "a\x1bb"], "--drill-other a\\x1bb: contains control character"),
    (["--drill-other", "x" * 33], "33 characters, at most 32"),
    (["--drill-other", "  "], "--drill-other: empty"),
    (["--drill", "toecurl"], "--drill 'toecurl': did you mean toe-curl?"),
    (["--drill", "hip core"], "--drill 'hip core': did you mean hips-core?"),
    (["--drill", "swimming"], "--drill 'swimming': give toe-curl, hips-core or none, or your own drill with "
                              "--drill-other NAME"),
    ([], "nothing to note"),
    (["--pain-during", "4"], "a pain above 0 needs the knee"),
])
def test_bad_values_are_refused_with_one_line_and_nothing_stored(store: Path, argv: list[str], says: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store, "note", SIDS[0], *argv) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "Traceback" not in err
    assert _note_rows(store) == 0


def test_an_unknown_session_notes_none_of_them(store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store, "note", SIDS[0], "dev1-000009", "--pain-during", "3", "--knee", "left") == 1
    assert "no session dev1-000009" in capsys.readouterr().err and _note_rows(store) == 0


def test_notes_keep_a_history_and_the_latest_value_of_each_field_counts(store: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store, "note", SIDS[0], "--pain-during", "5", "--knee", "Right", "--drill", "Toe curl") == 0
    assert capsys.readouterr().out == f"{SIDS[0]}: pain 5 during, ? after (right knee); drill toe-curl\n"
    assert _run(store, "note", SIDS[0], "--pain-after", "0") == 0  # the next morning: knee and drill stay
    assert _run(store, "note", SIDS[0], "--pain-during", "0") == 0  # a correction
    s = Store(store)
    n = s.notes()[SIDS[0]]
    assert (n.pain_during, n.pain_after, n.knee, n.drill) == (0, 0, "right", "toe-curl")
    assert [r[3:] for r in s.note_history([SIDS[0]])] == [
        (5, None, "right", "toe-curl"), (None, 0, None, None), (0, None, None, None)]
    assert _run(store, "note", SIDS[1], "--pain-during", "0") == 0  # no pain: no knee needed
    assert _run(store, "note", SIDS[1], "--pain-after", "2") == 1  # ... until there is pain
    capsys.readouterr()
    assert _run(store, "sessions") == 0
    out = capsys.readouterr().out
    assert "pain 0 during, 0 after (right knee); drill toe-curl" in out and "pain 0 during, ? after" in out


def test_a_note_outlives_the_sealed_copy_replacing_an_unsealed_one(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.sqlite")
    _put(s, "dev2-000001", sealed=False)
    s.add_note(["dev2-000001"], pain_during=3, knee="left", drill="hips-core")
    _put(s, "dev2-000001")
    assert s.sessions()[0].summary is not None and s.notes()["dev2-000001"].pain_during == 3


def _report(path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert _run(path, "report", "ana", *argv) == 0
    return capsys.readouterr().out


def test_the_report_puts_pain_beside_each_run_and_compares_drills(store: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert "No pain or drill noted for these runs yet" in _report(store, capsys)
    assert _run(store, "note", SIDS[0], "--pain-during", "6", "--pain-after", "4", "--knee", "right",
                "--drill", "toe-curl") == 0
    text = _report(store, capsys)
    row = next(line for line in text.splitlines() if SIDS[0] in line and "6/10" in line)  # its run's row
    assert "not enough data" in row and "4/10" in row and "toe-curl" in row  # beside this run's verdict
    assert "Drills compared" not in text  # one drill: nothing to compare
    assert _run(store, "note", SIDS[1], "--pain-during", "2", "--knee", "right", "--drill", "hips-core") == 0
    assert _run(store, "note", SIDS[2], SIDS[3], "--pain-during", "4", "--pain-after", "1", "--knee", "both",
                "--drill", "toe_curl") == 0  # the two insoles of one run
    text = _report(store, capsys)
    table = text[text.index("Drills compared"):]
    assert re.search(r"toe-curl\s+2\s+5\.0 \(4 to 6\)\s+2\.5 \(1 to 4\)", table)  # two runs, not three sessions
    assert re.search(r"hips-core\s+1\s+2\.0\s+not noted", table)
    assert "one runner" in table and "cannot show that a drill caused" in table and "too few to compare" in table
    only = _report(store, capsys, "--session", SIDS[1])
    assert "6/10" not in only and "2/10" in only and "Drills compared" not in only  # notes follow the selection


def test_the_json_report_carries_the_notes_and_the_comparison(store: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(store, "note", SIDS[0], "--pain-during", "6", "--knee", "left", "--drill", "toe-curl") == 0
    assert _run(store, "note", SIDS[1], "--pain-after", "3", "--knee", "left", "--drill-other", "my own drill") == 0
    assert _run(store, "note", SIDS[3], "--pain-during", "1", "--knee", "left") == 0  # the right insole's session
    capsys.readouterr()
    doc = json.loads(_report(store, capsys, "--format", "json"))["notes"]
    assert [(n["run"], n["sessions"], n["pain_during"], n["pain_after"], n["drill"]) for n in doc["runs"]] == [
        (SIDS[0], [SIDS[0]], 6, None, "toe-curl"), (SIDS[1], [SIDS[1]], None, 3, "my own drill"),
        (SIDS[2], [SIDS[2], SIDS[3]], 1, None, None)]
    by = {d["drill"]: d for d in doc["drills"]}
    assert by["toe-curl"]["during_mean"] == 6 and by["toe-curl"]["after_mean"] is None  # no NaN in JSON
    assert by["my own drill"]["after_range"] == [3, 3] and "one runner" in doc["caveat"]


def test_the_html_report_draws_pain_over_the_runs(store: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for sid, p in zip(SIDS[:3], ("7", "5", "2")):
        assert _run(store, "note", sid, "--pain-during", p, "--knee", "left", "--drill", "toe-curl") == 0
    assert _run(store, "report", "ana", "--out", str(tmp_path / "r.html")) == 0
    page = (tmp_path / "r.html").read_text()
    [png] = re.findall(r"<img alt='Knee pain over the runs' src='data:image/png;base64,([^']+)'>", page)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert "pain during went from 7 to 2 out of 10" in page


def test_export_carries_the_notes_and_their_history(store: Path, tmp_path: Path) -> None:
    assert _run(store, "note", SIDS[0], "--pain-during", "6", "--knee", "right", "--drill-other", "=cmd()") == 0
    assert _run(store, "note", SIDS[0], "--pain-after", "2") == 0
    assert _run(store, "export", "ana", "--csv", str(tmp_path / "out")) == 0
    sessions = {r["session"]: r for r in csv.DictReader(open(tmp_path / "out" / "sessions.csv"))}
    first = sessions[SIDS[0]]
    assert (first["pain_during"], first["pain_after"], first["knee"], first["drill"]) == ("6", "2", "right", "'=cmd()")
    assert sessions[SIDS[1]]["pain_during"] == "" and sessions[SIDS[1]]["drill"] == ""
    history = list(csv.DictReader(open(tmp_path / "out" / "notes.csv")))
    assert [(h["pain_during"], h["pain_after"]) for h in history] == [("6", ""), ("", "2")]
    readme = (tmp_path / "out" / "README.txt").read_text()
    assert all(c in readme for c in ("pain_during", "pain_after", "knee", "drill", "notes.csv"))


def test_a_version_3_store_gains_notes_on_opening(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    s = Store(path)
    _put(s, SIDS[0])
    s.db.executescript("DROP TABLE notes; UPDATE meta SET value = '3' WHERE key = 'schema_version';")
    s.close()
    s = Store(path, create=False)
    assert s.db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION) == "6"
    s.add_note([SIDS[0]], pain_after=1, knee="both")
    assert s.notes()[SIDS[0]].knee == "both"


def test_a_note_on_one_insole_is_the_runs_and_a_later_one_adds_to_it(store: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 20's bar: pain after the run, noted the next morning on one insole's session, shows
    on the run, once; the knee named on the other insole's session counts for it."""
    assert _run(store, "note", SIDS[2], "--pain-during", "3", "--knee", "right", "--drill", "toe-curl") == 0
    assert capsys.readouterr().out == (f"{SIDS[2]} + {SIDS[3]} (one run, both feet): pain 3 during, ? after "
                                       "(right knee); drill toe-curl\n")
    assert _run(store, "note", SIDS[3], "--pain-after", "1") == 0  # no --knee: the run has one
    assert _run(store, "note", SIDS[2], "--pain-after", "2") == 0  # a correction, on the other insole
    capsys.readouterr()
    text = _report(store, capsys)
    pain = text[text.index("Knee pain and drills"):]
    [row] = [line for line in pain.splitlines() if "2026-11-06" in line]
    assert f"{SIDS[2]} + {SIDS[3]}" in row and "3/10" in row and "2/10" in row and "1/10" not in row
    assert "(1 run noted by the coach)" in pain
    assert _run(store, "sessions") == 0
    listing = capsys.readouterr().out
    assert listing.count("pain 3 during, 2 after (right knee); drill toe-curl") == 1
    assert f"same run as {SIDS[2]} (both feet)" in listing
    only = _report(store, capsys, "--session", SIDS[3])  # the run's note, whichever insole is reported
    assert re.search(r"3/10\s+2/10", only)
