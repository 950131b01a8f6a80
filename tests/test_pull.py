"""archcue pull end to end over the virtual insole: a real pty, the real firmware in
MicroPython, mpremote's transport, the SQLite store."""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.core import sessionlog
from host.cli import main as archcue
from host.store.db import Store
from host.sync import device_link
from host.sync.device_link import LinkError
from host.sync.pull import pull
from tests.helpers import Virtual, wait_for
from tests.sessionfiles import flip, record_offset, sealed_session

SID = "insole-00000"  # the fixture insole's first session ids: device id + counter


@pytest.fixture()
def insole(tmp_path: Path) -> Iterator[Virtual]:
    v = Virtual(tmp_path)
    wait_for(lambda: v.steps_logged() > 2000)
    yield v
    v.stop()


def _counts(store_path: Path) -> tuple[int, int, int]:
    db = sqlite3.connect(store_path)
    if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sessions'").fetchone():
        return 0, 0, 0  # a pull killed between making the file and its one schema transaction
    sessions = db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    distinct = db.execute("SELECT COUNT(DISTINCT id) FROM sessions").fetchone()[0]
    steps = db.execute("SELECT COALESCE(SUM(n_steps), 0) FROM steps").fetchone()[0]
    return sessions, distinct, steps


def test_pull_twice_imports_once(insole: Virtual, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    first = pull(store, insole.port, runner="ana", foot="left", quiet=True)
    assert first.imported == [SID + "1"] and first.config_written
    steps = store.steps(SID + "1")
    assert len(steps) > 10 and (steps["version"] == 2).all()  # step record version 2 (issue 9)
    wait_for(lambda: len(sessionlog.session_ids(str(insole.dir / "device"))) == 2)  # restarted: a new run
    time.sleep(1)
    second = pull(store, insole.port, quiet=True)
    assert second.already == 1 and second.imported == [SID + "2"]
    third = pull(store, insole.port, quiet=True, restart=False)
    assert SID + "1" not in third.imported and SID + "2" not in third.imported
    sessions, distinct, _ = _counts(tmp_path / "s.sqlite")
    assert sessions == distinct
    rows = {s.id: s for s in store.sessions()}
    assert rows[SID + "2"].runner == "ana" and rows[SID + "2"].foot == "left"
    assert rows[SID + "2"].started_at is not None  # the clock the first pull set


def test_link_cut_mid_transfer_stores_nothing_partial(insole: Virtual, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s.sqlite")
    real_read = device_link.Insole.read
    calls = {"n": 0}

    def flaky(self, sid: str, offset: int, n: int) -> bytes:
        calls["n"] += 1
        if calls["n"] == 2:
            raise LinkError("link lost (cable out)")
        return real_read(self, sid, offset, n)

    monkeypatch.setattr(device_link.Insole, "read", flaky)
    with pytest.raises(LinkError, match="cable out"):
        pull(store, insole.port, quiet=True, restart=False, chunk_size=256)
    assert _counts(tmp_path / "s.sqlite") == (0, 0, 0)
    monkeypatch.setattr(device_link.Insole, "read", real_read)
    again = pull(store, insole.port, quiet=True)
    assert again.imported and _counts(tmp_path / "s.sqlite")[0] == len(again.imported)


def test_an_insole_unplugged_mid_pull_gets_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The virtual insole vanishes as the pull starts copying (its pty closes, as a USB serial
    port does when the cable is pulled): one line that says so and what to do, not pyserial's
    message; nothing partial in the store."""
    v = Virtual(tmp_path, name="unplugged")
    wait_for(lambda: v.steps_logged() > 2000)
    real_read = device_link.Insole.read
    calls = {"n": 0}

    def unplug_then_read(self, sid: str, offset: int, n: int) -> bytes:
        calls["n"] += 1
        if calls["n"] == 1:
            v.proc.kill()  # the cable out: the port is gone
            v.proc.wait()
        return real_read(self, sid, offset, n)

    monkeypatch.setattr(device_link.Insole, "read", unplug_then_read)
    db = tmp_path / "s.sqlite"
    try:
        assert archcue(["--store", str(db), "pull", "--port", v.port]) == 1
    finally:
        v.stop()
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == (f"archcue: {os.path.realpath(v.port)}: link lost: the insole was unplugged (or its USB port "
                       "failed); 0 new sessions stored whole before it, nothing partial, and the insole keeps every "
                       "session the store lacks: plug it in and run `archcue pull` again")
    assert calls["n"] == 1 and _counts(db) == (0, 0, 0)


def test_a_link_lost_names_its_cause() -> None:
    import serial
    from mpremote.transport import TransportError

    assert "unplugged" in str(device_link.link_lost("/dev/ttyUSB0", serial.SerialException("device reports "
                                                                                             "readiness to read")))
    assert str(device_link.link_lost("/dev/ttyUSB0", TransportError("timeout waiting for first EOF reception"))) == \
        "/dev/ttyUSB0: link lost: the insole stopped answering"


def test_pull_killed_at_random_points_then_completes(insole: Virtual, tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    rng = random.Random(7)
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "host.cli", "--store", str(db), "pull", "--port",
                                 insole.port, "--no-restart"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, 1.2))
        proc.send_signal(signal.SIGKILL)  # the host vanishes at a random point
        proc.wait()
        if db.exists():
            sessions, distinct, _ = _counts(db)
            assert sessions == distinct
    assert archcue(["--store", str(db), "pull", "--port", insole.port]) == 0
    store = Store(db)
    for s in store.sessions():  # every stored session is whole: its steps match its file
        assert len(store.steps(s.id)) == s.n_steps
    sessions, distinct, _ = _counts(db)
    assert sessions == distinct >= 1


def test_power_cut_mid_session_is_recovered_and_pulled(insole: Virtual, tmp_path: Path) -> None:
    os.kill(insole.firmware_pid(), signal.SIGKILL)  # the battery dies mid-run
    wait_for(lambda: len(sessionlog.session_ids(str(insole.dir / "device"))) == 2)  # rebooted
    time.sleep(0.5)
    store = Store(tmp_path / "s.sqlite")
    r = pull(store, insole.port, quiet=True)
    rows = {s.id: s for s in store.sessions()}
    assert r.imported and rows[SID + "1"].recovered and rows[SID + "1"].n_steps > 5


def test_clear_deletes_only_what_the_store_verified(insole: Virtual, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    r = pull(store, insole.port, clear=True, quiet=True, restart=False)
    assert r.cleared == len(r.imported) == 1
    assert not sessionlog.session_ids(str(insole.dir / "device"))
    assert len(store.sessions()) == 1


def test_cli_errors_are_clear(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", str(tmp_path / "s.sqlite")]
    assert archcue(store + ["pull", "--port", "/dev/nonexistent"]) == 1
    assert "no such port" in capsys.readouterr().err
    # a terminal that is not a board: nothing answers the REPL
    import pty

    master, slave = pty.openpty()
    try:
        assert archcue(store + ["pull", "--port", os.ttyname(slave)]) == 1
        assert "no MicroPython REPL answered" in capsys.readouterr().err
    finally:
        os.close(master)
        os.close(slave)
    assert archcue(store + ["sessions", "nobody"]) == 1
    assert "no runner 'nobody'" in capsys.readouterr().err


def test_port_discovery_says_none_or_which(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from host.sync.device_link import find_port

    monkeypatch.setattr(device_link.list_ports, "comports", lambda: [])
    with pytest.raises(LinkError, match="no insole found on USB"):
        find_port(None)
    two = [SimpleNamespace(device="/dev/ttyUSB0", vid=0x10C4, pid=0xEA60),
           SimpleNamespace(device="/dev/ttyACM0", vid=0x303A, pid=0x4001),
           SimpleNamespace(device="/dev/ttyS0", vid=None, pid=None)]
    monkeypatch.setattr(device_link.list_ports, "comports", lambda: two)
    with pytest.raises(LinkError, match="several possible insoles: /dev/ttyUSB0 .*, /dev/ttyACM0"):
        find_port(None)
    monkeypatch.setattr(device_link.list_ports, "comports", lambda: two[:1] + two[2:])
    assert find_port(None) == "/dev/ttyUSB0"


def test_left_and_right_insoles_land_under_one_runner(tmp_path: Path) -> None:
    left = Virtual(tmp_path, name="leftsole", config={"runner_id": "ana", "foot": "left"})
    right = Virtual(tmp_path, name="rightsole", config={"runner_id": "ana", "foot": "right"})
    try:
        wait_for(lambda: left.steps_logged() > 1500 and right.steps_logged() > 1500)
        store = Store(tmp_path / "s.sqlite")
        for insole in (left, right):
            pull(store, insole.port, quiet=True, restart=False)
        [(runner, sessions, steps)] = store.runners()
        assert runner == "ana" and sessions == 2 and steps > 20
        assert sorted(s.foot for s in store.sessions("ana")) == ["left", "right"]
        assert {s.device for s in store.sessions("ana")} == {"leftsole", "rightsole"}
    finally:
        left.stop()
        right.stop()


def test_any_runner_name_round_trips_over_three_pulls(insole: Virtual, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    store = ["--store", str(tmp_path / "s.sqlite")]
    name = "Zoë 🏃 ñ"
    assert archcue(store + ["pull", "--port", insole.port, "--runner", name]) == 0
    for _ in range(2):
        wait_for(lambda: insole.steps_logged() > 2000)  # restarted: the next run carries the name
        time.sleep(0.5)
        assert archcue(store + ["pull", "--port", insole.port]) == 0
    capsys.readouterr()
    assert archcue(store + ["runners"]) == 0
    assert name in capsys.readouterr().out
    names = {s.runner for s in Store(tmp_path / "s.sqlite").sessions()}
    assert name in names and all(n.encode("utf-8") for n in names)  # no surrogates: they cannot encode


def test_a_control_character_in_a_name_is_refused_before_anything_is_written(insole: Virtual, tmp_path: Path,
                                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "pull", "--port", insole.port, "--runner", "a\x1b[2Jb"]) == 1
    err = capsys.readouterr().err
    assert "control character" in err and r"a\x1b[2Jb" in err and "\x1b" not in err and "Traceback" not in err
    assert "\x1b" not in (insole.dir / "device" / "config.json").read_text()


def test_bad_files_are_named_kept_and_the_good_ones_imported(insole: Virtual, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    device = str(insole.dir / "device")
    middle = sealed_session(255, sid="insole-000901", device="insole")
    files = {"insole-000900": sealed_session(40, sid="insole-000900", device="insole"),  # good
             "insole-000901": flip(middle, record_offset(middle, 127) + 9),
             "insole-000902": flip(sealed_session(30, sid="insole-000902", device="insole"), 20),  # header bit
             "insole-000903": b"not a session " * 20,
             "insole-000904": sealed_session(5, sid="insole-000904", device="insole", fmt=99),
             "insole-000905": b""}  # a power cut as it was made: no data, the insole removes it
    for sid, data in files.items():
        Path(sessionlog.path(device, sid)).write_bytes(data)
    store = ["--store", str(tmp_path / "s.sqlite")]
    assert archcue(store + ["pull", "--port", insole.port, "--clear", "--no-restart"]) == 0  # all it could take
    out = capsys.readouterr().out
    for sid in ("insole-000901", "insole-000902", "insole-000903", "insole-000904"):
        assert sid in out and Path(sessionlog.path(device, sid)).exists(), sid
    assert "2 damaged sessions" in out and "2 unreadable session files" in out and "format 99" in out
    assert "--clear-damaged" in out
    assert not Path(sessionlog.path(device, "insole-000900")).exists()  # verified whole: cleared
    assert "insole-000905" not in out and not Path(sessionlog.path(device, "insole-000905")).exists()  # empty
    rows = {r.id: r for r in Store(tmp_path / "s.sqlite").sessions()}
    assert rows["insole-000900"].status == "ok" and rows["insole-000900"].n_steps == 40
    assert rows["insole-000901"].status == "damaged" and rows["insole-000901"].n_steps == 254
    assert rows["insole-000902"].status == "damaged" and rows["insole-000902"].n_steps == 30  # rebuilt header
    assert "insole-000903" not in rows and "insole-000904" not in rows and "insole-000905" not in rows
    assert SID + "1" in rows and rows[SID + "1"].status == "ok"  # the run the pull stopped
    assert not any(sessionlog.exists(sessionlog.path(device, sid, sessionlog.SYNCED_SUFFIX)) for sid in files)
    capsys.readouterr()
    assert archcue(store + ["sessions"]) == 0
    listing = capsys.readouterr().out
    assert "DAMAGED" in listing and "insole-000901" in listing
    # the coach confirms: the damaged files go, each saved whole beside the store; the newer format stays
    assert archcue(store + ["pull", "--port", insole.port, "--clear-damaged", "--no-restart"]) == 0
    out = capsys.readouterr().out
    for sid in ("insole-000901", "insole-000902"):
        assert not Path(sessionlog.path(device, sid)).exists()
        assert (tmp_path / "damaged" / f"{sid}.acs").read_bytes() == files[sid]
        assert f"{sid} -> {tmp_path / 'damaged' / sid}.acs" in out
    assert Path(sessionlog.path(device, "insole-000904")).exists() and "format 99" in out
    assert not (tmp_path / "damaged" / "insole-000904.acs").exists()
    rows = {r.id: r for r in Store(tmp_path / "s.sqlite").sessions()}
    assert rows["insole-000901"].n_steps == 254 and rows["insole-000901"].status == "damaged"  # still stored


def test_a_damaged_trailer_over_intact_records_is_stored_whole_and_cleared(insole: Virtual, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The insole reseals such a file at the pull (recovery appends a trailer after the damaged
    one); the host reads the damaged trailer as one, not as corrupt records."""
    device = str(insole.dir / "device")
    files = {}
    for k, at in enumerate((-1, -8, -30, -200)):  # the magic, the CRC, the JSON's end, inside the JSON
        sid = f"insole-00091{k}"
        files[sid] = flip(sealed_session(120, sid=sid, device="insole"), at)
        Path(sessionlog.path(device, sid)).write_bytes(files[sid])
    cut = sealed_session(50, sid="insole-000920", device="insole")
    Path(sessionlog.path(device, "insole-000920")).write_bytes(cut[:-100])  # the seal cut short
    store = ["--store", str(tmp_path / "s.sqlite")]
    assert archcue(store + ["pull", "--port", insole.port, "--clear", "--no-restart"]) == 0
    out = capsys.readouterr().out
    rows = {r.id: r for r in Store(tmp_path / "s.sqlite").sessions()}
    for sid in [*files, "insole-000920"]:
        assert rows[sid].status == "ok" and rows[sid].n_steps == (50 if sid == "insole-000920" else 120), sid
        assert rows[sid].summary is not None and not Path(sessionlog.path(device, sid)).exists(), sid
        assert f"{sid}: its trailer was damaged, every record intact: stored whole" in out
    assert "damaged session" not in out and "nothing left on the insole that the store lacks" in out


def test_many_sessions_pull_in_full_with_a_board_sized_heap(tmp_path: Path) -> None:
    """The bench pulls 1,000; 150 here keep the test short. The listing and recovery use
    constant memory, so the count does not matter to the heap."""
    v = Virtual(tmp_path, heap_kb=160)
    try:
        device = str(v.dir / "device")
        for k in range(150):
            sid = f"insole-{k + 100:06d}"
            Path(sessionlog.path(device, sid)).write_bytes(sealed_session(20, sid=sid, device="insole"))
        store = Store(tmp_path / "s.sqlite")
        r = pull(store, v.port, quiet=True)
        assert not r.left_behind and len(r.imported) == 151
        again = pull(store, v.port, quiet=True, restart=False)  # nothing new: listed from the markers
        # the restarted insole makes a session only once its runner has landed: at most one new
        assert again.already == 151 and len(again.imported) <= 1 and not again.left_behind
        assert len(list(Path(device, sessionlog.DIR).glob("*" + sessionlog.SYNCED_SUFFIX))) >= 151
        other = pull(Store(tmp_path / "other.sqlite"), v.port, quiet=True, restart=False)  # a second coach's store
        assert len(other.imported) == again.on_device and not other.left_behind  # synced elsewhere: still copied
    finally:
        v.stop()


def test_a_host_that_dies_mid_pull_leaves_the_insole_recording_again(tmp_path: Path) -> None:
    v = Virtual(tmp_path, pull_idle_s=3, baud=19200)  # a slow line: the pull is still copying when killed
    try:
        wait_for(lambda: v.steps_logged() > 1500)
        mark = v.dir / "device" / "sim_restart_at"
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "host.cli",
                "--store",
                str(tmp_path / "s.sqlite"),
                "pull",
                "--port",
                v.port,
                "--no-restart",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(mark.exists, timeout=60)  # the pull has stopped the run and called the insole
        proc.send_signal(signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL  # it died mid-pull (a finished --no-restart pull stays stopped)
        device = str(v.dir / "device")
        before = len(sessionlog.session_ids(device))
        wait_for(lambda: len(sessionlog.session_ids(device)) > before, timeout=20)  # reset, a new run
        assert not mark.exists()
    finally:
        v.stop()


def test_a_pull_ends_with_a_hard_restart_and_the_insole_records_again(insole: Virtual, tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """sync.restart() ends the pull (issue 26): the firmware process exits, the bridge boots it
    afresh as a board's reset does, and the next run is recorded."""
    before = insole.firmware_pid()
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "pull", "--port", insole.port]) == 0
    assert "battery 3.90 V" in capsys.readouterr().out
    device = str(insole.dir / "device")
    wait_for(lambda: len(sessionlog.session_ids(device)) == 2 and insole.firmware_pid() != before)
    wait_for(lambda: os.path.getsize(sessionlog.path(device, SID + "2")) > 500)  # it records steps
    # seconds after that restart: a hard reset (the virtual insole's pty has no DTR/RTS to reset it by)
    assert archcue(["--store", str(tmp_path / "s.sqlite"), "pull", "--port", insole.port, "--no-restart"]) == 0
    assert "restarted when the port opened" not in capsys.readouterr().out
