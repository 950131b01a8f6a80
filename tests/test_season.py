"""A season kept straight (issue 20, items 1-4): a run is the unit (two insoles paired by the
overlap of their landings, leftovers of pulls never counted), everything in time order, runs
of any length, one runner whatever the spelling. Stores are built through the store's own
import, from session files as the firmware writes them (tests/sessionfiles.py: block numbers
clamped to the record's 7 bits)."""
from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from host.cli import main as archcue
from host.reports.figures import block_bars
from host.reports.report import Table, text_table
from host.store.db import FOLDED, SCHEMA_VERSION, Store
from host.store.records import decode, parse_session
from host.text import width
from host.verdict.analysis import Steps, analyse
from tests.block_steps import block_run
from tests.sessionfiles import sealed_session

IMPORTED = {"file": "lab.csv", "format": "csv", "units": "newton", "sha256": "ab" * 32}


def _put(db: Path, sid: str, steps: np.ndarray, day: str | None, foot: str, runner: str = "ana",
         imported: bool = False) -> None:
    data = sealed_session(0, sid=sid, device=sid.rsplit("-", 1)[0], runner=runner, steps=steps,
                          extra={"started_at": day, "foot": foot, **({"imported": IMPORTED} if imported else {})})
    store = Store(db)
    store.import_parsed(parse_session(data, sid), hashlib.sha256(data).hexdigest())
    store.close()


def _out(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert archcue(["--store", str(db), *argv]) == 0
    return capsys.readouterr().out


def _json(db: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    return json.loads(_out(db, capsys, "report", "ana", "--format", "json", *argv))


# ------------------------------------------------------------------------------------ a run is the unit

@pytest.fixture(scope="module")
def two_insoles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The issue's case: the right insole re-pulled just before the run (a 25-second session), the
    left pulled too (a session with no step), a 40-minute run with both, both pulled after."""
    db = tmp_path_factory.mktemp("two") / "s.sqlite"
    _put(db, "right-000001", block_run(25 / 60, 7), "2026-11-24T07:00:00", "right")
    _put(db, "left-000001", block_run(0, 8), "2026-11-24T07:00:20", "left")
    _put(db, "left-000002", block_run(40, 1, ratio=0.5), "2026-11-24T07:01:00", "left")
    _put(db, "right-000002", block_run(40, 2, ratio=0.5), "2026-11-24T07:01:05", "right")
    return db


def test_two_insoles_pulled_before_and_after_are_one_run_of_40_minutes(two_insoles: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = _json(two_insoles, capsys)
    [run] = out["runs"]
    assert run["sessions"] == ["left-000002", "right-000002"] and run["feet"] == ["left", "right"]
    assert 39.9 < run["minutes"] < 40.1 and 39.9 < out["minutes"] < 40.1  # pooled: 40, not 80
    assert (run["blocks_off"], run["blocks_on"]) == (15, 15)
    assert (out["primary"]["clusters_a"], out["primary"]["clusters_b"]) == (15, 15)  # a minute of both feet once
    assert out["asymmetry"]["windows"] == 40 and out["asymmetry"]["runs"] == 1  # left/right over 40 minutes
    assert set(out["per_foot_verdict"]) == {"left", "right"}
    assert [(x["session"], x["why"]) for x in out["leftovers"]] == [
        ("right-000001", "shorter than the warm-up plus one block (11 min)"), ("left-000001", "no running landing")]
    assert [s["session"] for s in out["sessions"]] == ["left-000002", "right-000002"]
    assert {s["run"] for s in out["sessions"]} == {"left-000002"}
    text = _out(two_insoles, capsys, "report", "ana")
    assert "1 run (2 sessions), 40 minutes of running, on 2026-11-24 (2 short sessions left out)" in text
    assert "left-000002 (left foot) and right-000002 (right foot): the two insoles of one run" in text
    assert "right-000001" not in text and "2 short sessions left out" in text
    assert "Left against right, over 40 minutes both insoles recorded" in text


def test_a_leftover_never_pairs_or_counts(two_insoles: Path) -> None:
    """The same runs analysed without the leftovers give the same numbers: they are not in it."""
    store = Store(two_insoles)
    everything = store.runner_steps("ana")
    runs_only = [(row, st) for row, st in everything if not row.shape.leftover]
    a, b = analyse("ana", everything), analyse("ana", runs_only)
    assert len(everything) == 4 and len(runs_only) == 2
    assert a.primary == b.primary and a.asymmetry == b.asymmetry and a.runs == b.runs
    assert a.verdict == b.verdict == "stabilizes" and len(a.leftovers) == 2 and not b.leftovers


def test_pull_pull_run_pull_lists_one_run_and_all_lists_the_rest(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    _put(db, "ins-000001", block_run(0, 1), None, "right")  # pull 1 restarts the insole: nothing recorded
    _put(db, "ins-000002", block_run(50 / 60, 2), "2026-11-24T06:58:00", "right")  # pull 2 comes 50 s later
    _put(db, "ins-000003", block_run(40, 3), "2026-11-24T07:00:00", "right")  # the run, then pull 3
    text = _out(db, capsys, "report", "ana")
    runs = text[text.index("The runs"):text.index("Evidence")]
    assert runs.count("  * ") == 2 and "ins-000003 (right foot): 40 minutes" in runs
    assert "2 short sessions left out" in runs and "`archcue report ana --all` lists them" in runs
    history = text[text.index("History"):]
    assert "ins-000001" not in text and "ins-000002" not in text and "(1 run, oldest first" in history
    listed = _out(db, capsys, "report", "ana", "--all")
    table = listed[listed.index("Short sessions, not counted (2)"):]
    assert "ins-000001" in table and "ins-000002" in table and "no running landing" in table
    assert listed.count("VERDICT") == 1 and _json(db, capsys)["verdict"] == _json(db, capsys, "--all")["verdict"]
    assert "ins-000003" in _out(db, capsys, "sessions") and "ins-000002" not in _out(db, capsys, "sessions")
    assert "ins-000002" in _out(db, capsys, "sessions", "--all")
    assert archcue(["--store", str(db), "note", "ins-000002", "--pain-during", "0"]) == 0  # kept, but said
    assert "ins-000002 is a short session, not a run (shorter than the warm-up plus one block (11 min)): reports " \
        "leave it out" in capsys.readouterr().err


def test_only_short_sessions_make_no_run_and_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    _put(db, "ins-000001", block_run(3, 1), "2026-11-24T06:58:00", "right")
    out = _json(db, capsys)
    assert out["verdict"] == "insufficient_data" and out["runs"] == [] and len(out["leftovers"]) == 1
    text = _out(db, capsys, "report", "ana")
    assert "No run yet" in text and "History" not in text
    assert _out(db, capsys, "sessions") == "no runs yet: 1 short session (`archcue sessions --all` lists it)\n"


def test_an_insole_restarted_mid_run_is_still_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The right insole restarted after 20 minutes (two sessions) beside the left's one: one run;
    its second session's blocks are matched to the left's by time (it starts its own warm-up)."""
    db = tmp_path / "s.sqlite"
    _put(db, "left-000001", block_run(40, 1), "2026-11-24T07:00:00", "left")
    _put(db, "right-000001", block_run(20, 2), "2026-11-24T07:00:02", "right")
    _put(db, "right-000002", block_run(19, 3), "2026-11-24T07:21:00", "right")
    [run] = _json(db, capsys)["runs"]
    assert run["sessions"] == ["left-000001", "right-000001", "right-000002"] and 39.9 < run["minutes"] < 40.1


def test_runs_on_one_day_apart_in_time_are_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    _put(db, "left-000001", block_run(30, 1), "2026-11-24T07:00:00", "left")
    _put(db, "right-000001", block_run(30, 2), "2026-11-24T07:33:00", "right")  # started 33 min later: no overlap
    assert [r["sessions"] for r in _json(db, capsys)["runs"]] == [["left-000001"], ["right-000001"]]


# ------------------------------------------------------------------------------------ time order

def _dates(rows: list[str]) -> list[str]:
    return [re.match(r"\s*(\S+ \S+|date unknown)", row).group(1) for row in rows]


def test_history_is_in_time_order_across_insoles_and_imports(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Two insoles (the left's ids sort after the right's), imports from three years given out of
    order, one undated import (placed when imported, last): every list and chart oldest first."""
    db = tmp_path / "s.sqlite"
    for k, day in enumerate(("2026-11-02", "2026-11-09")):
        _put(db, f"zz-left-00000{k}", block_run(30, 10 + k), f"{day}T07:00:00", "left")
        _put(db, f"aa-right-00000{k}", block_run(30, 20 + k), f"{day}T07:00:04", "right")
    for sid, day, seed in (("csv-0007", "2023-05-01", 1), ("csv-0003", "2022-03-01", 2), ("csv-0001", "2023-09-01", 3),
                           ("csv-0000", None, 4)):
        _put(db, sid, block_run(30, seed), day and f"{day}T10:00:00", "right", imported=True)
    out = _json(db, capsys)
    starts = [r["started_at"] for r in out["runs"]]
    assert starts == ["2022-03-01T10:00:00", "2023-05-01T10:00:00", "2023-09-01T10:00:00", "2026-11-02T07:00:00",
                      "2026-11-09T07:00:00", None]
    assert out["runs"][-1]["imported"] and out["runs"][-1]["when"] is not None
    assert [s["session"] for s in out["sessions"]] == [sid for r in out["runs"] for sid in r["sessions"]]
    assert out["runs"][3]["sessions"] == ["zz-left-000000", "aa-right-000000"]  # by clock, not by id
    text = _out(db, capsys, "report", "ana")
    history = text[text.index("History"):text.index("Knee pain")].splitlines()[3:]
    rows = [r for r in history if r.strip() and not r.startswith("Trend")]
    dates = _dates(rows)
    assert dates[:5] == sorted(dates[:5]) and len(dates) == 6 and dates[-1] == "date unknown"
    assert "date unknown (imported 20" in rows[-1]
    assert "date unknown (an imported recording: --started-at sets it), imported 20" in text  # The runs, in full
    page = _out(db, capsys, "report", "ana", "--format", "html")
    table = page[page.index("History ("):]
    cells = [html.unescape(c) for c in re.findall(r"<tr><td>(.*?)</td>", table[:table.index("</table>")])]
    assert cells[:5] == sorted(cells[:5]) and cells[0].startswith("2022-03-01") and len(cells) == 6
    assert "in the first run" in page and "Run by run" in page


# ------------------------------------------------------------------------------------ any length of run

@pytest.mark.parametrize("minutes", [180, 360])
def test_long_block_runs_count_every_block(tmp_path: Path, minutes: int, capsys: pytest.CaptureFixture[str]) -> None:
    """Past 127 blocks the record's counter stops; the host counts on by time: blocks per condition
    right (to the block), one bar per block in the chart."""
    db = tmp_path / "s.sqlite"
    truth = block_run(minutes, 1)
    _put(db, "ins-000001", truth, "2026-11-24T07:00:00", "right")
    raw = sqlite3.connect(db).execute("SELECT records FROM steps").fetchone()[0]
    assert np.frombuffer(raw, np.uint8).reshape(-1, 24)[:, 20].max() & 0x7F == 127  # as the insole stores it
    blocks = minutes - 10
    out = _json(db, capsys)
    [run] = out["runs"]
    assert abs(run["blocks_on"] - blocks // 2) <= 1 and abs(run["blocks_off"] - blocks // 2) <= 1
    assert (out["primary"]["clusters_a"], out["primary"]["clusters_b"]) == (blocks // 2, blocks // 2)
    assert f"then {blocks // 2} blocks without and {blocks // 2} with the buzz" in _out(db, capsys, "report", "ana")
    store = Store(db)
    sessions = store.runner_steps("ana")
    assert (sessions[0][1]["block"] == truth["block"]).all()
    bars = block_bars(Steps.from_sessions(sessions), "ins-000001")
    assert bars is not None and list(bars.block) == list(range(blocks + 1))  # the warm-up, then each block
    widths = (bars.end - bars.start)[1:-1]
    assert np.allclose(widths, 1, atol=0.02) and abs(bars.start[1] - 10) < 0.02
    assert (bars.on[1:] == (np.arange(1, blocks + 1) % 2 == 0)).all()
    assert f"{minutes:.1f}".rjust(7) + f"{blocks:>7}" in _out(db, capsys, "sessions")


def test_unwrapping_holds_through_a_pause_and_leaves_short_runs_alone() -> None:
    """A standing break of 2.5 minutes after block 127 (no steps, so no flag flips seen) costs no
    block; a run under 127 blocks decodes as recorded."""
    truth = block_run(200, 2)
    keep = ~((truth["ic_ms"] > 150 * 60_000) & (truth["ic_ms"] < 152.5 * 60_000))
    for steps in (truth[keep], block_run(100, 3)):
        stored = decode(parse_session(sealed_session(0, steps=steps)).records)
        assert (stored["block"] == steps["block"]).all()


# ------------------------------------------------------------------------------------ one runner, one name

def test_one_runner_whatever_the_spelling(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    for k, name in enumerate(("Ana", " ana", "ANA")):  # as three insoles (or imports) name the runner
        _put(db, f"dev{k}-000001", block_run(30, k), f"2026-11-0{k + 2}T07:00:00", "right", runner=name)
    _put(db, "dev9-000001", block_run(30, 9), "2026-11-09T07:00:00", "right", runner="bob")
    store = Store(db)
    store.assign(["dev9-000001"], "ａｎａ ")  # full-width letters, as a CJK keyboard types them
    assert store.runners() == [("Ana", 4, sum(s.n_steps for s in store.sessions()))]
    assert {s.runner for s in store.sessions("aNa")} == {"Ana"}
    text = _out(db, capsys, "report", " ANA")
    assert text.startswith("archcue report: Ana\n") and "4 runs" in text


def test_a_version_4_store_folds_its_runners_and_finds_its_shapes(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    _put(db, "dev1-000001", block_run(30, 1), "2026-11-02T07:00:00", "right", runner="Ana")
    _put(db, "dev2-000001", block_run(5, 2), "2026-11-03T07:00:00", "right", runner="zoe")
    con = sqlite3.connect(db)  # as archcue 4 left it: no keys, no shapes, a second spelling of Ana
    con.executescript("DROP INDEX runners_by_key; ALTER TABLE runners DROP COLUMN key; "
                      "ALTER TABLE sessions DROP COLUMN shape_json; "
                      "INSERT INTO runners (name, created_at) VALUES ('ana', '2026-11-03T08:00:00'), "
                      "('Zoe', '2026-11-04T08:00:00');"
                      "UPDATE sessions SET runner_id = (SELECT id FROM runners WHERE name = 'ana') "
                      "WHERE id = 'dev2-000001'; UPDATE meta SET value = '4' WHERE key = 'schema_version';")
    con.close()
    store = Store(db, create=False)
    assert store.db.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION) == "6"
    assert [r[:2] for r in store.runners()] == [("Ana", 2)]  # zoe and Zoe had no session left: dropped
    assert store.histories(["dev2-000001"])["dev2-000001"][-1][1:3] + (store.histories(["dev2-000001"])[
        "dev2-000001"][-1][5],) == ("ana", "Ana", FOLDED)
    shapes = {s.id: s.shape for s in store.sessions()}
    assert not shapes["dev1-000001"].leftover and shapes["dev2-000001"].leftover
    assert shapes["dev1-000001"].blocks_on == shapes["dev1-000001"].blocks_off == 10


def test_wide_names_keep_the_columns_aligned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "s.sqlite"
    for k, name in enumerate(("ana", "李娜", "🏃\u200d♀️ zoë")):
        _put(db, f"dev{k}-000001", block_run(30, k), f"2026-11-0{k + 2}T07:00:00", "right", runner=name)
    lines = _out(db, capsys, "sessions").splitlines()[1:]
    feet = {width(line[:line.index("right")]) for line in lines}
    assert len(feet) == 1, lines  # the foot column starts at the same terminal column on every line
    runners = _out(db, capsys, "runners").splitlines()[1:]
    assert len({width(line) for line in runners}) == 1, runners
    rows = [["李娜のドリル", "22"], ["toe-curl", "11"], ["🏃 run", "33"]]
    table = text_table(Table(["drill", "runs"], rows))
    assert len({width(line) for line in table[1:]}) == 1, table  # the second column starts at one column


def test_a_drill_session_is_listed_as_one_and_never_a_run(two_insoles: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A drill set done in the minutes of the run (the right insole's, in its time): listed as a
    drill session (not a short session, not hidden), alone, in no verdict, report or squad row."""
    from host.sources.importer import Options, import_recording
    from host.squad.summaries import all_summaries
    from tests import foreign_drills as fd

    db = tmp_path / "s.sqlite"
    db.write_bytes(two_insoles.read_bytes())
    before = _json(db, capsys)
    for seed, runner in ((1, "ana"), (2, "dee")):  # dee: a runner with drill sessions only
        csv = tmp_path / f"tw{seed}.csv"
        fd.toe_waver(fd.performer("fair", "right", 1), seed=seed).write_csv(csv)
        opts = Options(csv, runner, "right", units="newton", started_at="2026-11-24T07:10:00", drill="toe-waver")
        [drill] = import_recording(db, opts, note=lambda _: None)
    assert Store(db).runner_exists("dee")
    store = Store(db)
    runs = store.runs("ana")
    assert [[r.id for r in run] for run in runs if len(run) > 1] == [["left-000002", "right-000002"]]
    ana_drill = next(r for r in store.sessions("ana") if r.kind == "drills")
    assert [ana_drill] in runs  # alone
    assert ana_drill.id not in [row.id for row, _ in store.runner_steps("ana", runs_only=True)]
    assert set(all_summaries(store)) == {"ana"}  # no squad row for drill sessions alone
    assert all_summaries(store)["ana"].sessions == 2
    store.close()
    after = _json(db, capsys)
    assert after["runs"] == before["runs"] and after["leftovers"] == before["leftovers"]
    listed = _out(db, capsys, "sessions", "ana").splitlines()
    [line] = [x for x in listed if ana_drill.id in x]
    assert "drill session: `archcue drills ana`" in line and "short session" not in line
    assert line.split()[5:8] == ["-", "-", "0"]  # minutes, blocks, steps
    assert "1 short session" not in listed[-1] and "(2 short sessions not listed" in listed[-1]
    assert drill.session in _out(db, capsys, "sessions", "dee")
