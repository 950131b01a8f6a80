"""`archcue import RECORDING --ratings R.json` (issue 27): a lab run of the hips-or-feet protocol in
pain mode, stored as the insole stores a run it recorded itself (the ratings' protocol in the
session's config, the ratings as the runner's answer event records), read by `archcue
hips-or-feet --runner` as an insole's run is; a run's answers count once however many insoles
hold them. The recordings are the foreign runner model's (tests/foreign_runner.py)."""
from __future__ import annotations

import contextlib
import io
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from firmware.core import config as fw_config
from firmware.core import record, sessionlog
from host.cli import main
from host.hips_or_feet.ratings import RATED_MS
from host.plan.protocol import run_keys
from host.sources import engine, importer, moticon
from host.store.db import Store
from host.store.records import decode, parse_session
from tests.foreign_runner import generate as foreign
from tests.helpers import store_rows, write_moticon_export

ROUNDS = [["hips", "none", "sham", "feet"], ["feet", "sham", "none", "hips"]]
ORDER = "hnsf fsnh"  # ROUNDS as protocol.py writes an arm order
PAIN = [4, 5, 4, 2, 2, 4, 5, 7]  # block 8's 7/10 is the safety stop (the last block: nothing rated after it)
RATINGS = {"warmup_pain": 4, "expectation": {"feet": 7, "hips": 5, "sham": 4}, "rounds": ROUNDS, "pain": PAIN,
           "familiarisation": [10, 10]}
WARMUP_S = 60  # --config may shorten the warm-up; the blocks are the ratings' (pain mode: 180 s)
BLOCK_MS = 180_000
SECONDS = WARMUP_S + 8 * 180 + 5  # the warm-up and 2 rounds of 4 blocks, then 5 s


def archcue(store: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--store", str(store), *args])
    return code, out.getvalue(), err.getvalue()


def _json(path: Path, data: dict) -> str:
    path.write_text(json.dumps(data))
    return str(path)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lab run: the recording (CSV, newtons, 100 Hz), its ratings and the coach's config."""
    folder = tmp_path_factory.mktemp("lab")
    foreign(seconds=SECONDS, rate_hz=100, collapse_prob=0.4, seed=3).write_csv(folder / "run.csv")
    _json(folder / "ratings.json", RATINGS)
    _json(folder / "config.json", {"warmup_s": WARMUP_S})
    return folder


def _import(store: Path, lab: Path, ratings: str | None = None, *more: str) -> tuple[int, str, str]:
    return archcue(store, "import", str(lab / "run.csv"), "--units", "newton", "--runner", "ana", "--config",
                   str(lab / "config.json"), "--ratings", ratings or str(lab / "ratings.json"), *more)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, lab: Path) -> tuple[Path, Path]:
    """The store after the import, and the session file as the import sealed it."""
    folder = tmp_path_factory.mktemp("imported")
    sealed = []
    reseal = importer.reseal

    def keep(*args: object) -> Path:
        path = reseal(*args)  # type: ignore[arg-type]
        sealed.append(shutil.copy(path, folder / path.name))
        return path

    with pytest.MonkeyPatch.context() as m:
        m.setattr(importer, "reseal", keep)
        code, out, err = _import(folder / "s.sqlite", lab)
    assert code == 0, err
    assert "next: archcue hips-or-feet --runner ana" in out
    assert "no start time (--started-at): the run's session is not paired" in err  # a CSV: give the other foot's
    return folder / "s.sqlite", Path(sealed[0])


def _answers(events: list[dict]) -> list[tuple]:
    return [(chr(e["command"]), e["a"], e["b"], e["c"], e["block"], e["stopped"]) for e in events
            if e["kind"] == "answer"]


def test_the_run_is_stored_as_an_insole_stores_one(imported: tuple[Path, Path]) -> None:
    store = Store(imported[0])
    [row] = store.sessions("ana")
    header = store.headers([row.id])[row.id]
    assert {k: header["config"][k] for k in ("cue_mode", "block_s", "pain_mode", "arm_order", "warmup_s")} == \
        run_keys("pain", ORDER) | {"warmup_s": WARMUP_S}
    assert header["imported"]["ratings"] == "ratings.json"
    events = [e for e in store.events(row.id) if e["kind"] == "answer"]
    assert _answers(events) == ([("X", 7, 5, 4, 0, 0), ("F", 10, 10, 0, 0, 0), ("P", 4, 0, 0, 0, 0)]
                                + [("P", p, 0, 0, b, int(b == 8)) for b, p in enumerate(PAIN, 1)])
    for e in events[3:]:  # each block's pain in its rating window, at its time in the block
        assert BLOCK_MS - RATED_MS <= e["ms_in_block"] < BLOCK_MS
        assert e["t_ms"] == WARMUP_S * 1000 + (e["block"] - 1) * BLOCK_MS + e["ms_in_block"]
    assert all(e["t_ms"] < WARMUP_S * 1000 for e in events[:3])  # the warm-up's


def test_the_answers_lie_among_the_steps_in_time_order(imported: tuple[Path, Path]) -> None:
    """Each answer follows every step whose toe-off came before it, and precedes the next one
    (where the insole writes an answer: at a toe-off, in swing)."""
    blob = parse_session(imported[1].read_bytes()).records
    slots = []  # (is an answer, its time: a step's toe-off, an answer's t_ms), in log order
    for off in range(0, len(blob), record.SIZE):
        if not record.is_event(blob, off):
            values = record.unpack(blob, off)
            slots.append((False, values[record.I_IC_MS] + values[record.I_STANCE_MS]))
        elif record.unpack_event(blob, off)[0] == record.EV_ANSWER:
            slots.append((True, record.unpack_event(blob, off)[1]))
    at = [i for i, (answer, _) in enumerate(slots) if answer]
    assert len(at) == 11
    for i in at:
        before = [t for answer, t in slots[:i] if not answer]
        after = [t for answer, t in slots[i + 1:] if not answer]
        assert (not before or before[-1] <= slots[i][1]) and (not after or slots[i][1] < after[0])


def test_scan_and_recovery_accept_the_session(imported: tuple[Path, Path], tmp_path: Path) -> None:
    """The sealed file reads whole (its trailer counts the answers), and cut before its trailer
    (a power cut) the insole's recovery seals it again with every record."""
    store_path, sealed = imported
    steps: list[tuple] = []
    events: list[tuple] = []
    found = sessionlog.scan_path(str(sealed), steps.append, None, events.append)
    assert found.bad == 0 and found.records == len(steps) + len(events)
    assert found.trailer["events"] == len(events) and found.trailer["steps"] == len(steps)
    assert sum(kind == record.EV_ANSWER for kind, _, _ in events) == 11
    [row] = Store(store_path).sessions("ana")
    with contextlib.closing(sqlite3.connect(store_path)) as db:
        assert parse_session(sealed.read_bytes()).records == db.execute("SELECT records FROM steps").fetchone()[0]
    sid = found.header["session"]
    device = tmp_path / "device"
    (device / sessionlog.DIR).mkdir(parents=True)
    cut = sealed.read_bytes()[:found.data_start + found.records * record.SIZE]
    Path(sessionlog.path(str(device), sid)).write_bytes(cut)
    assert sessionlog.recover(str(device), log=lambda _: None) == [sid]
    again = parse_session(Path(sessionlog.path(str(device), sid)).read_bytes(), sid)
    assert again.damage is None and again.trailer is not None and again.trailer["recovered"]
    assert again.records == parse_session(sealed.read_bytes()).records and again.trailer["events"] == len(events)
    assert len(decode(again.records)) == row.n_steps


def _without_sources(doc: dict) -> dict:
    doc = dict(doc, runs=[{k: v for k, v in r.items() if k != "source"} for r in doc["runs"]], left_out=[])
    doc.pop("loading_per_arm", None)
    return doc


def test_its_answer_is_its_ratings_files_answer(imported: tuple[Path, Path], lab: Path) -> None:
    code, out, _ = archcue(imported[0], "hips-or-feet", "--runner", "ana", "--format", "json")
    assert code == 0
    stored = json.loads(out)
    code, out, _ = archcue(imported[0], "hips-or-feet", str(lab / "ratings.json"), "--format", "json")
    assert code == 0
    given = json.loads(out)
    assert _without_sources(stored) == _without_sources(given)
    assert stored["runs"][0]["stopped_at_block"] == 8 and stored["rounds"] == 2
    loading = {x["arm"]: x for x in stored["loading_per_arm"]}
    assert sorted(loading) == sorted(["none", "feet", "hips", "sham"])
    assert all(x["blocks"] == 2 and x["landings"] > 300 for x in loading.values())


def test_the_same_ratings_add_nothing_and_other_ratings_replace_them(imported: tuple[Path, Path], lab: Path,
                                                                     tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    shutil.copy(imported[0], store)
    before = store_rows(store)
    [old] = Store(store).sessions("ana")
    code, out, _ = _import(store, lab)
    assert code == 0 and f"already in the store as session {old.id}" in out and "nothing added" in out
    assert store_rows(store) == before
    copy = _json(tmp_path / "ratings.json", RATINGS)  # the same ratings in another file: the same session
    code, out, _ = _import(store, lab, copy)
    assert code == 0 and "nothing added" in out and store_rows(store) == before
    corrected = _json(tmp_path / "corrected.json", RATINGS | {"pain": PAIN[:7] + [6]})
    code, out, _ = _import(store, lab, corrected)
    [new] = Store(store).sessions("ana")
    assert code == 0 and new.id != old.id
    assert (f"it replaces session {old.id} ({old.n_steps} steps), an earlier import of this recording with ratings: "
            "the run is counted once") in out
    assert [e["a"] for e in Store(store).events(new.id) if e["kind"] == "answer"][-1] == 6


@pytest.fixture
def filled(tmp_path: Path, imported: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the imported store; the firmware must not run."""
    monkeypatch.setattr(engine, "run_firmware", lambda *a, **k: pytest.fail("the firmware ran"))
    store = tmp_path / "s.sqlite"
    shutil.copy(imported[0], store)
    return store


@pytest.mark.parametrize("change, config, says", [
    ({"pain": [4, 11]}, {}, "pain of block 2: 11 is not a pain score from 0 to 10"),
    ({"rounds": None}, {}, "ratings without a protocol"),
    ({"rounds": ROUNDS[:1]}, {}, "'rounds' must list at least 2 rounds"),
    ({"pain": [4, 4.5]}, {}, "block 2: 4.5 is not a whole number, and the insole stores its answers as whole numbers"),
    ({"warmup_pain": 3.5}, {}, "the warm-up's pain: 3.5 is not a whole number"),
    ({"expectation": {"feet": 7}}, {}, "'expectation' names feet: the insole stores it whole"),
    ({}, {"block_s": 60}, "block_s 60 contradicts the ratings file's protocol (block_s 180)"),
    ({}, {"arm_order": "nfhs nfhs"}, "arm_order 'nfhs nfhs' contradicts the ratings file's protocol (arm_order "
                                     "'hnsf fsnh')"),
    ({}, {"pain_mode": 0}, "pain_mode 0 contradicts"),
    ({}, {"cue_mode": "faded"}, "cue_mode 'faded' contradicts"),
    ({}, {"warmup_s": 0}, "warmup_s 0: a pain-mode run rates the warm-up's pain in its warm-up"),
])
def test_bad_ratings_or_config_are_one_line_and_change_nothing(filled: Path, lab: Path, tmp_path: Path,
                                                              change: dict, config: dict, says: str) -> None:
    ratings = _json(tmp_path / "bad.json", {k: v for k, v in (RATINGS | change).items() if v is not None})
    cfg = _json(tmp_path / "c.json", {"warmup_s": WARMUP_S} | config)
    before = store_rows(filled)
    code, out, err = archcue(filled, "import", str(lab / "run.csv"), "--units", "newton", "--runner", "ana",
                             "--config", cfg, "--ratings", ratings)
    assert code == 1 and out == "" and says in err and err.count("\n") == 1, err
    assert store_rows(filled) == before


def test_ratings_with_a_drill_or_no_file_are_one_line(filled: Path, lab: Path, tmp_path: Path) -> None:
    before = store_rows(filled)
    for args, says in [(["--ratings", str(tmp_path / "none.json")], "none.json: cannot read it"),
                       (["--ratings", str(lab / "ratings.json"), "--drill", "balance", "--foot", "left"],
                        "--ratings: a drill set has no pain ratings")]:
        code, out, err = archcue(filled, "import", str(lab / "run.csv"), "--units", "newton", "--runner", "ana", *args)
        assert code == 1 and out == "" and says in err and err.count("\n") == 1, err
    assert store_rows(filled) == before


def test_a_rating_the_recording_does_not_reach_is_refused(filled: Path, lab: Path, tmp_path: Path) -> None:
    """The recording ends 10 s before block 8's last 30 s: its rating is refused, naming the
    block and the recording's length."""
    short = tmp_path / "short.csv"
    seconds = WARMUP_S + 7 * 180 + 140
    t = np.arange(0, seconds * 1000 + 1, 10.0)
    np.savetxt(short, np.column_stack([t, np.zeros((len(t), 6))]), delimiter=",", fmt="%g",
               header="t_ms,heel,arch,met1,met5,hallux,toes", comments="")
    before = store_rows(filled)
    code, out, err = archcue(filled, "import", str(short), "--units", "newton", "--runner", "ana", "--config",
                             str(lab / "config.json"), "--ratings", str(lab / "ratings.json"))
    assert code == 1 and out == "" and err.count("\n") == 1
    assert ("block 8 is rated, but the recording ends at 24:20, before that rating's window (24:30 to 25:00; the "
            "recording's time 0 is the start of the warm-up); nothing imported") in err
    assert store_rows(filled) == before


def test_both_feet_of_an_export_hold_the_ratings_and_count_them_once(lab: Path, tmp_path: Path) -> None:
    run = foreign(seconds=SECONDS, rate_hz=100, collapse_prob=0.4, seed=5)
    other = foreign(seconds=SECONDS, rate_hz=100, collapse_prob=0.4, seed=6)
    export = tmp_path / "lab.txt"
    write_moticon_export(export, {"left": (other.t_ms, other.forces), "right": (run.t_ms, run.forces)},
                         "02.12.2026 07:30:00.000")
    store = tmp_path / "s.sqlite"
    code, out, err = archcue(store, "import", str(export), "--runner", "ana", "--config", str(lab / "config.json"),
                             "--ratings", str(lab / "ratings.json"))
    assert code == 0 and "the two sessions are the two insoles of one run" in out, err
    rows = Store(store).sessions("ana")
    assert sorted(r.foot for r in rows) == list(moticon.SIDES) and len(Store(store).runs("ana")) == 1
    assert all(len(_answers(Store(store).events(r.id))) == 11 for r in rows)
    code, out, _ = archcue(store, "hips-or-feet", "--runner", "ana", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and len(doc["runs"]) == 1 and doc["rounds"] == 2
    code, given, _ = archcue(store, "hips-or-feet", str(lab / "ratings.json"), "--format", "json")
    assert _without_sources(doc) == _without_sources(json.loads(given))
    in_blocks = [int((Store(store).steps(r.id)["block"] > 0).sum()) for r in rows]
    assert sum(x["landings"] for x in doc["loading_per_arm"]) > max(in_blocks)  # both feet's landings


# --- the store's runs: a run's answers count once, however many insoles hold them ---------

START = "2026-12-02T07:30:00"
CONFIG = fw_config.validate({"runner_id": "ana", "warmup_s": WARMUP_S} | run_keys("pain", ORDER))[0]


def _insole(root: Path, name: str, foot: str, answers: list[tuple[int, str, int, int]]) -> None:
    """A pulled insole's session: a landing every 700 ms through the warm-up and 8 blocks, and the
    answers (t_ms, command, a, block) typed to it, written at the next toe-off."""
    header = {"runner": "ana", "foot": foot, "rate_hz": 200, "config": CONFIG | {"foot": foot},
              "started_at": START}
    root.mkdir()
    log = sessionlog.SessionLog(str(root), name, header, log=lambda _: None)
    buf = bytearray(record.SIZE)
    pending = sorted(answers)
    warmup_ms = WARMUP_S * 1000
    for ic in range(1000, SECONDS * 1000, 700):
        block = 0 if ic < warmup_ms else 1 + (ic - warmup_ms) // BLOCK_MS
        record.pack_into(buf, 0, record.FLAG_CALIBRATED, ic, 250, 1500, 2000, 300, 40, 0, 3000, block, 0)
        log.append(buf)
        while pending and pending[0][0] <= ic + 250:
            _, command, a, b = pending.pop(0)
            into = 0 if b == 0 else (ic + 250 - warmup_ms) % BLOCK_MS
            record.pack_event_into(buf, 0, record.EV_ANSWER, ic + 250, ord(command), a, 10 if command == "F" else 0,
                                   0, b, 0, into)
            log.append(buf)
    log.close()


def _typed() -> list[tuple[int, str, int, int]]:
    warm = [(30_000, "F", 9, 0), (40_000, "P", 4, 0)]
    return warm + [(WARMUP_S * 1000 + b * BLOCK_MS - 10_000, "P", p, b) for b, p in enumerate(PAIN[:7], 1)]


@pytest.mark.parametrize("left_has", [True, False])
def test_a_pulled_pair_counts_its_answers_once(tmp_path: Path, left_has: bool) -> None:
    """The two insoles of one run (left and right, the same minutes): the answers typed to one of
    them, or the same answers held by both (an imported lab run's): one run of answers."""
    store = Store(tmp_path / "s.sqlite", create=True)
    for name, foot, answers in [("left", "left", _typed() if left_has else []), ("right", "right", _typed())]:
        _insole(tmp_path / name, name, foot, answers)
        store.import_device(tmp_path / name)
    assert len(store.runs("ana")) == 1 and len(store.sessions("ana")) == 2
    code, out, _ = archcue(tmp_path / "s.sqlite", "hips-or-feet", "--runner", "ana", "--format", "json")
    [run] = json.loads(out)["runs"]
    assert code == 0 and run["warmup_pain"] == 4 and run["familiarisation"] == [9, 10] and run["rounds"] == 1
    assert run["ignored_answers"] == 0
