"""A drill session on the virtual insole end to end: the runner ends a run with a press, starts a
drill session with two (firmware/app.py), performs the drills (simulator/drills.py's performer);
`archcue pull` over the real pty stores the session whole and `archcue drills` lists its sets."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from firmware.core import sessionlog
from host.cli import main as archcue
from host.store.db import Store
from host.sync.pull import pull
from simulator.drills import perform
from tests.helpers import Virtual, wait_for

DRILLS = "toe-waver,short-foot"


def _records(path: str) -> bytes:
    """A session file's records as the insole wrote them (all CRC-valid)."""
    found = sessionlog.scan_path(path)
    assert found.bad == 0 and found.trailer is not None  # sealed when the session ended
    return Path(path).read_bytes()[found.data_start:found.data_start + found.records * 24]


def test_a_drill_session_started_on_the_insole_pulls_whole(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    v = Virtual(tmp_path, config={"drills": DRILLS},
                extra=("--seconds", "20", "--drills", DRILLS, "--skill", "steady", "--count", "10"))
    try:
        haptics = v.dir / "sim" / "haptics.csv"
        wait_for(lambda: haptics.exists() and "drill_done" in haptics.read_text(), timeout=120)
        device = str(v.dir / "device")
        ids = sessionlog.session_ids(device)
        assert len(ids) == 2  # the run the press ended, then the drill session
        on_insole = {sid: _records(sessionlog.path(device, sid)) for sid in ids}
        store_path = tmp_path / "s.sqlite"
        store = Store(store_path)
        report = pull(store, v.port, runner="ana", foot="right", quiet=True)
        assert sorted(report.imported) == ids
    finally:
        v.stop()
    run_id, drill_id = ids
    headers = store.headers(ids)
    assert headers[drill_id]["kind"] == "drills" and "kind" not in headers[run_id]
    stored = sqlite3.connect(store_path).execute("SELECT records FROM steps WHERE session_id = ?",
                                                 (drill_id,)).fetchone()[0]
    assert stored == on_insole[drill_id] and len(stored) > 10 * 24  # every event record, byte for byte
    events = store.events(drill_id)
    assert [e["kind"] for e in events].count("drill_set_end") == 2
    patterns = [line.split(",")[1] for line in haptics.read_text().splitlines()]
    assert patterns.index("drill_start") < patterns.index("drill_next") < patterns.index("drill_done")

    assert archcue(["--store", str(store_path), "drills", "ana", "--format", "json"]) == 0
    trials = json.loads(capsys.readouterr().out)["trials"]
    assert {t["session"] for t in trials} == {drill_id}
    waver, short = (perform(d, "steady", "right", 1 + i, 200, scale=4.5, count=10).truth
                    for i, d in enumerate(DRILLS.split(",")))
    by_drill = {t["drill"]: t for t in trials}
    assert by_drill["toe-waver"]["cycles"] == min(8, waver["cycles"])  # the set ends at its 8th cycle
    efforts = short["efforts"]
    assert efforts.count("rep") >= 8 and "curl" in efforts  # the seed's performer: a curl among the reps
    before_8th = efforts[:[i for i, e in enumerate(efforts) if e == "rep"][7] + 1]
    assert by_drill["short-foot"]["reps"] == 8 and by_drill["short-foot"]["curls"] == before_8th.count("curl")
