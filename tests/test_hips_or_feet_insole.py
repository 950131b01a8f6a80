"""A pain-mode run on the virtual insole: the runner's answers sent as `archcue live` sends them,
written by the firmware as event records, pulled with the steps, and read back as the run's
familiarisation, expectation and pain (with the arm order from the session header)."""
from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path

from host.cli import main
from host.store.db import Store
from host.store.records import decode_events
from host.sync.answers import answer_bytes
from host.sync.device_link import close_quietly, open_serial
from host.sync.pull import pull
from tests.helpers import Virtual, wait_for

ORDER = "hnsf fsnh"
CONFIG = {"runner_id": "ana", "cue_mode": "blocks", "warmup_s": 60, "block_s": 20, "arm_order": ORDER,
          "pain_mode": 1}


def _say(port: str, *typed: str) -> None:
    """Typed answers, a moment apart (the insole keeps one at a time until a toe-off writes it)."""
    line = open_serial(port)
    try:
        for text in typed:
            line.write(answer_bytes(text))
            line.flush()
            time.sleep(0.5)  # 5 s of the run at 10x: several toe-offs
    finally:
        close_quietly(line)


def test_pulled(tmp_path: Path) -> None:
    """The answers are pulled with the run, at the board's heap (simulator/virtual_insole.py)."""
    insole = Virtual(tmp_path, speed=10, config=CONFIG)  # the scenario's 180 s run in 18 s
    try:
        started = time.monotonic()
        wait_for(lambda: insole.steps_logged() > 1000)
        _say(insole.port, "f 9 10", "x 7 5 4", "4")  # in the warm-up (60 s of the run: 6 s at 10x)
        time.sleep(max(0.0, started + 9 - time.monotonic()))  # into the blocks
        _say(insole.port, "5", "3")
        store = Store(tmp_path / "s.sqlite", create=True)
        pull(store, insole.port, quiet=True)
    finally:
        insole.stop()
    [row] = [r for r in store.sessions("ana") if store.events(r.id)]
    assert store.headers([row.id])[row.id]["config"]["arm_order"] == ORDER  # the randomization, with the run
    events = store.events(row.id)
    said = [(chr(e["command"]), e["a"], e["b"], e["c"]) for e in events if e["kind"] == "answer"]
    assert said == [("F", 9, 10, 0), ("X", 7, 5, 4), ("P", 4, 0, 0), ("P", 5, 0, 0), ("P", 3, 0, 0)]
    blocks = [e["block"] for e in events if e["kind"] == "answer"]
    assert blocks[2] == 0 and all(b >= 1 for b in blocks[3:])  # the warm-up's pain, then the blocks'
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--store", str(tmp_path / "s.sqlite"), "hips-or-feet", "--runner", "ana", "--format", "json"]) == 0
    [run] = json.loads(out.getvalue())["runs"]
    assert run["familiarisation"] == [9, 10] and run["expectation"] == {"feet": 7.0, "hips": 5.0, "sham": 4.0}
    assert run["warmup_pain"] == 4.0


def test_what_the_coach_types_is_written_by_the_firmware_which_stops_the_cues_at_the_safety_stop(
        tmp_path: Path) -> None:
    """The answers typed on the virtual clock (the sim HAL's `said`, as the demo's coach types them)
    become the firmware's own answer records, each in its block; the rating that hits the safety
    stop (6/10, 3 above the warm-up's 3) is marked, and no cue is given after it."""
    from firmware.core import sessionlog
    from hardware.board_data import load_board
    from host.hips_or_feet import lab_run, ratings
    from host.store.records import parse_session
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.synth import generate

    config = {"runner_id": "ana", "foot": "right", "cue_mode": "blocks", "warmup_s": 60, "block_s": 20,
              "arm_order": "fhsn nfhs", "pain_mode": 1}
    run = ratings.parse("typed", {"warmup_pain": 3, "rounds": [["feet", "hips", "sham", "none"]] * 2,
                                  "pain": [3, 2, 3, 6], "expectation": {"feet": 7, "hips": 5, "sham": 4},
                                  "familiarisation": [10, 10]})
    said = lab_run.typed(run, config, 230_000, "typed")
    result = run_synth(generate(load_scenario("responder"), seed=1, seconds=230), load_board(), config, tmp_path,
                       said=said)
    [sid] = result.sessions
    parsed = parse_session(Path(sessionlog.path(str(tmp_path / "device"), sid)).read_bytes(), sid)
    events = [e for e in decode_events(parsed.records) if e["kind"] == "answer"]
    assert [(chr(e["command"]), e["a"], e["block"], e["stopped"]) for e in events] == [
        ("X", 7, 0, 0), ("F", 10, 0, 0), ("P", 3, 0, 0), ("P", 3, 1, 0), ("P", 2, 2, 0), ("P", 3, 3, 0),
        ("P", 6, 4, 1)]
    back = ratings.from_events("insole", config, decode_events(parsed.records))
    assert back is not None and back.pain[:4] == [3, 2, 3, 6] and back.stopped_at == 4
    stop_ms = events[-1]["t_ms"]
    cues = [t for t, _ in result.haptics] + [t for t, name in result.patterns if name.startswith("cue_")]
    assert cues and max(cues) < stop_ms  # the cues ran until the stop, and none after it


def test_the_demo_finds_the_feet_cue_of_its_runner(tmp_path: Path, capsys) -> None:
    """`make demo DEMO=--hips-or-feet`: the plan's two pain-mode runs through the firmware, the
    coach's answers typed on the way, stored; the answer and the report with it."""
    from simulator.__main__ import main as simulator

    assert simulator(["demo", "--hips-or-feet", "--dir", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "hips or feet: the feet cue (curl the toes) eased the knee pain while it was used" in out
    assert "hips-or-feet --runner demo-knee" in out.splitlines()[-1]
    store = Store(tmp_path / "demo" / "archcue.sqlite")
    rows = store.sessions("demo-knee")
    headers = store.headers([r.id for r in rows])
    assert [headers[r.id]["config"]["plan_step"] for r in rows] == [1, 2]
    assert all(sum(e["kind"] == "answer" for e in store.events(r.id)) == 3 + 16 for r in rows)
    assert (tmp_path / "demo" / "report-demo-knee.html").exists()
