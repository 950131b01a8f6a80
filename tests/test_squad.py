"""`archcue squad` (issue 25 item 1): a row per runner with the verdict, runs and minutes, effect,
pain trend and what is due, the most pressing first; verdicts cached by the runner's sessions."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.squad import summaries, view
from host.store.db import Store
from tests.helpers import drill_session
from tests.squad_store import Truth, add_runner

TODAY = date.today()


def _day(weeks_ago: float) -> datetime:
    return datetime.combine(TODAY, datetime.min.time()).replace(hour=7) - timedelta(weeks=weeks_ago)


RESPONDER = Truth("ana", True, 0.4, 0.4, 0.6, 0.15)
NON_RESPONDER = Truth("bo", False, 1.0, 0.4, 0.6, 0.15)


@pytest.fixture(scope="module")
def squad(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ana steadies, run 5 weeks ago (retest due); bo no difference, 8 weeks ago (not seen);
    cy two runs whose toes never answer the buzz (not enough data), pain rising; dee steadies
    last week (nothing due)."""
    path = tmp_path_factory.mktemp("squad") / "s.sqlite"
    store = Store(path)
    add_runner(store, RESPONDER, 40, 1, _day(5))
    add_runner(store, NON_RESPONDER, 60, 2, _day(8))
    cy = Truth("cy", False, 1.0, 0.4, 0.15, 0.15)  # toes that do not answer the buzz
    add_runner(store, cy, 20, 3, _day(3))
    add_runner(store, cy, 20, 4, _day(1))
    add_runner(store, Truth("dee", True, 0.4, 0.4, 0.6, 0.15), 40, 5, _day(1))
    cy_sessions = [s.id for s in sorted(store.sessions("cy"), key=lambda s: str(s.started_at))]
    store.add_note(cy_sessions[:2], pain_after=2, knee="left")
    store.add_note(cy_sessions[2:], pain_after=5, knee="left")
    store.close()
    return path


def _rows(path: Path) -> list[view.Row]:
    store = Store(path, create=False)
    return view.squad_rows(summaries.all_summaries(store), store.sessions(), store.run_notes(), TODAY)


def test_most_pressing_first(squad: Path) -> None:
    rows = _rows(squad)
    assert [r.runner for r in rows] == ["cy", "ana", "bo", "dee"]
    by = {r.runner: r for r in rows}
    assert [d.what for d in by["cy"].due] == ["pain_rising", "protocol_run"]
    assert by["cy"].pain is not None and (by["cy"].pain.first, by["cy"].pain.last) == (2, 5)
    assert by["cy"].summary.runs == 2 and by["cy"].summary.verdict == "insufficient_data"
    assert by["ana"].summary.verdict == "stabilizes" and [d.what for d in by["ana"].due] == ["retest"]
    assert by["bo"].summary.verdict == "no_clear_effect" and [d.what for d in by["bo"].due] == ["not_seen"]
    assert by["dee"].due == [] and by["dee"].summary.runs == 1
    assert by["bo"].summary.minutes == pytest.approx(60, abs=1)  # both insoles of one run count once


def test_text_json_html(squad: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert archcue(["--store", str(squad), "squad"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.split()[:2] == ["runner", "verdict"])
    assert [line.split()[0] for line in lines[first + 1:first + 5]] == ["cy", "ana", "bo", "dee"]
    assert "rising 2 -> 5 after" in out and "not seen for 8 weeks" in out and "curling: " in out
    assert "drills this week" not in out and "date unknown" not in out
    assert archcue(["--store", str(squad), "squad", "--out", str(tmp_path / "s.json")]) == 0
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["runners"][0]["due"][0]["what"] == "pain_rising"
    assert data["runners"][1]["curling_ratio"]["high"] < 1
    assert archcue(["--store", str(squad), "squad", "--out", str(tmp_path / "s.html")]) == 0
    page = (tmp_path / "s.html").read_text()
    assert page.count("<tr class=") == 4 and "class='stabilizes'" in page


def test_empty_columns_left_out(squad: Path) -> None:
    rows = [r for r in _rows(squad) if r.runner != "cy"]  # the only runner with pain noted
    assert "knee pain" not in view.table(rows).head and "knee pain" in view.table(_rows(squad)).head


def test_cache_keyed_by_sessions(squad: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "copy.sqlite"
    path.write_bytes(squad.read_bytes())
    store = Store(path, create=False)
    summaries.all_summaries(store, workers=1)
    computed: list[str] = []
    real = summaries.summary_of
    monkeypatch.setattr(summaries, "summary_of", lambda runner, *a, **k: computed.append(runner) or real(runner, *a,
                                                                                                          **k))
    summaries.all_summaries(store, workers=1)
    assert computed == []  # every runner from the cache
    add_runner(store, NON_RESPONDER, 20, 9, _day(0))  # bo runs again
    assert summaries.all_summaries(store, workers=1)["bo"].runs == 2
    assert computed == ["bo"]
    store.assign([s.id for s in store.sessions("dee")], "ana")  # a move changes both runners' keys
    out = summaries.all_summaries(store, workers=1)
    assert computed == ["bo", "ana"] and "dee" not in out and out["ana"].runs == 2


def test_unwritable_cache_still_answers(squad: Path, tmp_path: Path) -> None:
    path = tmp_path / "copy.sqlite"
    path.write_bytes(squad.read_bytes())
    summaries.cache_path(path).write_bytes(b"not a database")
    assert summaries.all_summaries(Store(path, create=False), workers=1)["ana"].verdict == "stabilizes"


def test_bad_input(squad: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert archcue(["--store", str(tmp_path / "none.sqlite"), "squad"]) == 1
    assert "no store at" in capsys.readouterr().err
    assert archcue(["--store", str(squad), "squad", "--out", str(tmp_path / "s.pdf")]) == 1
    assert "not .pdf" in capsys.readouterr().err
    assert archcue(["--store", str(squad), "squad", "--weeks", "0"]) == 1
    assert "--weeks 0" in capsys.readouterr().err


def test_drills_this_week_beside_the_runners_who_do_them(squad: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    """A runner's foot-drill sets this week against the target (3 days without a plan), in its own
    column; a squad without drills has no such column (test_text_json_html)."""
    path = tmp_path / "s.sqlite"
    path.write_bytes(squad.read_bytes())
    drill_session(path, tmp_path, "dee", _day(0).isoformat(timespec="seconds"))
    assert archcue(["--store", str(path), "squad"]) == 0
    out = capsys.readouterr().out
    assert "drills this week" in out and "1 of 3 days" in out
    assert archcue(["--store", str(path), "squad", "--format", "json"]) == 0
    by = {r["runner"]: r for r in json.loads(capsys.readouterr().out)["runners"]}
    assert by["dee"]["beside"] == {"drills this week": "1 of 3 days"} and by["ana"]["beside"] == {}
    assert by["dee"]["verdict"] == "stabilizes"  # a drill session is no run: the verdict is as before
