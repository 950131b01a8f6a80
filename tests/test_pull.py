"""archcue pull end to end over the virtual insole: a real pty, the real firmware in
MicroPython, mpremote's transport, the SQLite store."""
from __future__ import annotations

import json
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

from tests.helpers import wait_for

from host import device_link
from host.cli import main as archcue
from host.device_link import LinkError
from host.pull import pull
from host.store import Store

SID = "insole-00000"  # the fixture insole's first session ids: device id + counter


class Virtual:
    def __init__(self, tmp: Path, scenario: str = "rearfoot_easy", speed: float = 40, baud: int = 0,
                 name: str = "insole", config: dict | None = None):
        self.dir = tmp / name
        args = [sys.executable, "-m", "simulator", "serve", "--scenario", scenario, "--speed", str(speed),
                "--dir", str(self.dir), "--device-id", name] + (["--baud", str(baud)] if baud else [])
        if config:
            (tmp / f"{name}.json").write_text(json.dumps(config))
            args += ["--config", str(tmp / f"{name}.json")]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = str(self.dir / "port")
        wait_for(lambda: Path(self.port).is_symlink() and (self.dir / "device" / "sessions").exists())

    def steps_logged(self) -> int:
        return sum(f.stat().st_size for f in (self.dir / "device" / "sessions").glob("*.acs"))

    def firmware_pid(self) -> int:
        out = subprocess.run(["pgrep", "-f", f"VfsPosix\\('{self.dir}/device'"], capture_output=True, text=True)
        return int(out.stdout.split()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


@pytest.fixture()
def insole(tmp_path: Path) -> Iterator[Virtual]:
    v = Virtual(tmp_path)
    wait_for(lambda: v.steps_logged() > 2000)
    yield v
    v.stop()


def _counts(store_path: Path) -> tuple[int, int, int]:
    db = sqlite3.connect(store_path)
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
    wait_for(lambda: len(list((insole.dir / "device" / "sessions").glob("*.acs"))) == 2)  # restarted: a new run
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
    wait_for(lambda: len(list((insole.dir / "device" / "sessions").glob("*.acs"))) == 2)  # rebooted
    time.sleep(0.5)
    store = Store(tmp_path / "s.sqlite")
    r = pull(store, insole.port, quiet=True)
    rows = {s.id: s for s in store.sessions()}
    assert r.imported and rows[SID + "1"].recovered and rows[SID + "1"].n_steps > 5


def test_clear_deletes_only_what_the_store_verified(insole: Virtual, tmp_path: Path) -> None:
    store = Store(tmp_path / "s.sqlite")
    r = pull(store, insole.port, clear=True, quiet=True, restart=False)
    assert r.cleared == len(r.imported) == 1
    assert not list((insole.dir / "device" / "sessions").glob("*.acs"))
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

    from host.device_link import find_port

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
