"""The insole's session lifecycle end to end: the virtual insole (the real firmware in
MicroPython behind a pty) and archcue pull. A session is made by the first step, not by a
restart; the virtual insole keeps what a pull wrote across `simulator serve` restarts; a
config.json the insole cannot parse never stops it, and the next pull replaces it."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from firmware.core import record, sessionlog
from host.cli import main as archcue
from host.store.db import Store
from host.sync.pull import pull
from tests.helpers import Virtual, wait_for


def _first_records(device: Path, sid: str) -> tuple[dict, list[tuple]]:
    got: list[tuple] = []
    found = sessionlog.scan_path(sessionlog.path(str(device), sid), got.append)
    return found.header, got


def test_pull_pull_run_pull_leaves_exactly_one_session(tmp_path: Path) -> None:
    """Issue 20.1: pulls restart the insole, and a restart with nobody running makes no
    session; the run after them is one session, all its steps in it, its clock starting
    near its first landing however long the insole lay still."""
    v = Virtual(tmp_path, resting=True)
    device = v.dir / "device"
    store = Store(tmp_path / "s.sqlite")
    try:
        for _ in range(2):
            r = pull(store, v.port, quiet=True)  # restarts the insole, which lies on the desk
            assert r.imported == [] and r.on_device == 0 and r.stopped_run is None
            time.sleep(1)  # 40 s of the insole's time
        assert sessionlog.session_ids(str(device)) == []
        v.wear("run")
        wait_for(lambda: v.steps_logged() > 4000)  # bytes: step records and the cue events among them
        v.wear("rest")
        r = pull(store, v.port, quiet=True)
        assert len(r.imported) == 1 and r.stopped_run is not None
        sid, steps = r.stopped_run
        time.sleep(1.5)  # restarted, resting: nothing new
        assert sessionlog.session_ids(str(device)) == [sid] == r.imported
        assert [s.id for s in store.sessions()] == [sid] and len(store.steps(sid)) == steps > 100
        _, got = _first_records(device, sid)
        assert got[0][record.I_IC_MS] < 12000  # the clock restarted while the insole lay still
    finally:
        v.stop()


def test_the_virtual_insole_keeps_what_a_pull_wrote_across_restarts(tmp_path: Path) -> None:
    """Issue 20.8: runner, foot and config written by a pull are the insole's, as on a board's
    flash, when `simulator serve` is started again on the same folder."""
    v = Virtual(tmp_path)
    store = Store(tmp_path / "s.sqlite")
    try:
        wait_for(lambda: v.steps_logged() > 1500)
        pull(store, v.port, runner="ana", foot="left", config_file={"cue_every_steps": 7}, quiet=True,
             restart=False)
    finally:
        v.stop()
    v = Virtual(tmp_path)  # serve again
    try:
        device = v.dir / "device"
        wait_for(lambda: len(sessionlog.session_ids(str(device))) == 2 and v.steps_logged() > 3000)
        r = pull(store, v.port, quiet=True, restart=False)
        [sid] = r.imported
        header, _ = _first_records(device, sid)
        assert (header["runner"], header["foot"], header["config"]["cue_every_steps"]) == ("ana", "left", 7)
        assert {s.id: s for s in store.sessions()}[sid].runner == "ana"
    finally:
        v.stop()


@pytest.mark.parametrize("kind", ["400 KB", "20,000 deep"])
def test_a_config_the_insole_cannot_parse_never_bricks_it(tmp_path: Path, kind: str) -> None:
    """Issue 21.3, at the virtual insole's default heap (the board's): it logs on its last
    good config or the defaults, its sessions say why, and the next pull writes a new one."""
    device = tmp_path / "insole" / "device"
    device.mkdir(parents=True)
    bad = (json.dumps({"runner_id": "x", "notes": "y" * 400_000}) if kind == "400 KB"
           else "[" * 20_000 + "]" * 20_000)
    (device / "config.json").write_text(bad)
    v = Virtual(tmp_path)  # keeps the insole's own config.json
    store = Store(tmp_path / "s.sqlite")
    try:
        wait_for(lambda: v.steps_logged() > 1500)  # it logs
        r = pull(store, v.port, runner="ana", quiet=True, restart=False)
        assert r.config_written and len(r.imported) == 1
        header, got = _first_records(device, r.imported[0])
        assert "refused" in header["config_errors"][0] and header["config"]["runner_id"] == "" and len(got) > 20
        new = json.loads((device / "config.json").read_text())
        assert new["runner_id"] == "ana" and not (device / "config.json.bak").exists()  # the bad one is gone
    finally:
        v.stop()


def test_the_pull_says_when_the_flash_was_full_or_the_config_has_problems(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issues 21.1 / 21.3: what the insole notes (firmware/sync.py info(): flash_full,
    config_errors) is in the pull's summary. The note is the firmware's own format
    (core/sessionlog.py FULL_NOTE), written here by hand: a virtual insole's flash is the
    host's disk, which does not fill (tests/mp/test_fw_flashfull.py fills LittleFS)."""
    device = tmp_path / "insole" / "device"
    device.mkdir(parents=True)
    (device / "config.json").write_text(json.dumps({"cue_every_steps": 5, "colour": "red"}))
    v = Virtual(tmp_path)
    try:
        wait_for(lambda: v.steps_logged() > 1500)
        (device / sessionlog.FULL_NOTE).write_text(json.dumps({"session": "insole-000007", "steps": 4321}))
        assert archcue(["--store", str(tmp_path / "s.sqlite"), "pull", "--port", v.port, "--no-restart"]) == 0
        out = capsys.readouterr().out
        assert "flash was full: logging stopped in session insole-000007 after 4321 steps" in out
        assert "config.json has problems (colour: unknown setting)" in out
    finally:
        v.stop()
