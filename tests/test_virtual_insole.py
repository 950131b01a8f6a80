"""The virtual insole end to end, driven by the plain mpremote command line over a real
pseudo-terminal, as a developer would with a board."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from firmware.core import sessionlog
from tests.helpers import wait_for

MPREMOTE = Path(sys.executable).parent / "mpremote"


@pytest.fixture()
def insole(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen]]:
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--scenario", "rearfoot_easy",
                             "--speed", "10", "--dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    link = tmp_path / "port"
    wait_for(lambda: link.is_symlink() and (tmp_path / "device" / sessionlog.DIR).exists())
    time.sleep(1.5)  # let it log a few steps
    yield tmp_path, proc
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _mpremote(link: Path, *args: str) -> str:
    out = subprocess.run([str(MPREMOTE), "connect", str(link), "resume", *args],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _sealed(device: Path) -> list[tuple[int, dict | None]]:
    scans = [sessionlog.scan_path(sessionlog.path(str(device), s)) for s in sessionlog.session_ids(str(device))]
    return [(s.records, s.trailer) for s in scans]


def test_mpremote_lists_copies_and_runs_code(insole: tuple[Path, subprocess.Popen], tmp_path: Path) -> None:
    work, _ = insole
    link = work / "port"
    listing = _mpremote(link, "fs", "ls")
    assert "sessions/" in listing and "board.json" in listing and "main.py" in listing
    # the first command's Ctrl-C stopped the firmware loop: its session is sealed, not recovered
    [(n, trailer)] = _sealed(work / "device")
    assert trailer is not None and not trailer.get("recovered") and trailer["steps"] == n > 0
    _mpremote(link, "fs", "cp", ":board.json", str(tmp_path / "copy.json"))
    assert json.loads((tmp_path / "copy.json").read_text()) == json.loads((work / "device" / "board.json").read_text())
    assert _mpremote(link, "exec", "print(6 * 7)").strip() == "42"
    sid = sessionlog.session_ids(str(work / "device"))[0]
    assert sid in _mpremote(link, "exec", "import os; print(os.listdir('sessions'))")


def test_soft_reset_boots_the_firmware_again(insole: tuple[Path, subprocess.Popen]) -> None:
    work, proc = insole
    _mpremote(work / "port", "exec", "pass")  # stop the loop, leave the friendly REPL
    with serial.Serial(str(work / "port"), timeout=1) as port:
        port.write(b"\r\x04")  # Ctrl-D at the REPL
    wait_for(lambda: len(sessionlog.session_ids(str(work / "device"))) == 2)


def test_killed_bridge_takes_the_firmware_with_it(insole: tuple[Path, subprocess.Popen]) -> None:
    work, proc = insole
    proc.kill()
    proc.wait(timeout=5)
    wait_for(lambda: subprocess.run(["pgrep", "-f", str(work / "device")], capture_output=True).returncode == 1)


def test_sigterm_leaves_no_process_behind(insole: tuple[Path, subprocess.Popen]) -> None:
    work, proc = insole
    os.kill(proc.pid, signal.SIGTERM)
    proc.wait(timeout=15)
    assert proc.returncode == 0
    assert not (work / "port").exists()
    left = subprocess.run(["pgrep", "-f", str(work / "device")], capture_output=True, text=True).stdout
    assert left == "", f"processes left behind: {left}"


def test_a_relative_dir_serves_a_live_insole(tmp_path: Path) -> None:
    """--dir relative to the caller's folder (the firmware process runs with another cwd)."""
    proc = subprocess.Popen([sys.executable, "-m", "simulator", "serve", "--scenario", "rearfoot_easy",
                             "--speed", "20", "--dir", "rel/insole"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    device = tmp_path / "rel" / "insole" / "device"
    try:
        wait_for(lambda: any(os.path.getsize(sessionlog.path(str(device), s)) > 2000
                             for s in sessionlog.session_ids(str(device))))  # it logs steps
        assert _mpremote(tmp_path / "rel" / "insole" / "port", "exec", "print(6 * 7)").strip().endswith("42")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_the_handshake_and_a_hard_restart(insole: tuple[Path, subprocess.Popen]) -> None:
    """sync.version(): what the host reads first at a pull; sync.restart(): the pull's end,
    a hard reset (the virtual insole's bridge boots the firmware afresh)."""
    from firmware.core import record

    work, _ = insole
    link = work / "port"
    version = json.loads(_mpremote(link, "exec", "import sync; sync.version()").strip().splitlines()[-1])
    app = (Path(__file__).resolve().parents[1] / "firmware" / "app.py").read_text()
    assert f'FIRMWARE_VERSION = "{version["firmware"]}"' in app
    assert (version["format"], version["record"]) == (sessionlog.FORMAT_VERSION, record.RECORD_VERSION)
    assert version["reset_cause"] == "power-on" and version["uptime_ms"] > 0
    info = json.loads(_mpremote(link, "exec", "import sync; sync.info()").strip().splitlines()[-1])
    assert info["battery_mv"] == 3900 and info["usb_power"] is True
    before = len(sessionlog.session_ids(str(work / "device")))
    subprocess.run([str(MPREMOTE), "connect", str(link), "resume", "exec", "--no-follow",
                    "import sync; sync.restart()"], capture_output=True, timeout=30)
    wait_for(lambda: len(sessionlog.session_ids(str(work / "device"))) > before)  # booted, recording again
