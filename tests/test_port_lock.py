"""The port is one user's at a time: a pull or a second live view on a port a live view holds
says it is busy and who holds it, and touches nothing; the lock goes with its holder,
however it ends."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import serial

from host import cli
from host.sync import live as host_live
from host.sync.port_lock import PortBusy, PortLock

ROOT = Path(__file__).resolve().parents[1]


def _archcue(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "host.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=ROOT)


def _sent(master: int) -> bytes:
    import select

    out = b""
    while select.select([master], [], [], 0.2)[0]:
        out += os.read(master, 4096)
    return out


def test_a_pull_or_a_second_view_while_live_runs_is_told_who_holds_the_port(pty_port: tuple[int, str],
                                                                            tmp_path: Path) -> None:
    master, path = pty_port
    link = host_live.LiveLink(path)  # `archcue live` in this process
    try:
        _sent(master)
        for args in (["pull", "--port", path], ["live", "--port", path]):
            out = _archcue("--store", str(tmp_path / "s.sqlite"), *args)
            [line] = out.stderr.strip().splitlines()[-1:]
            assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
            assert line.startswith(f"archcue: {path} is busy: `archcue live` (pid {os.getpid()}, user ")
            assert "deploy" not in out.stderr
        assert _sent(master) == b""  # neither wrote a byte to the insole: no Ctrl-C stopped its run
    finally:
        link.stop()
    again = PortLock(path, "archcue pull")  # free once the view closed
    again.release()


def test_a_killed_holder_leaves_no_stale_lock(pty_port: tuple[int, str]) -> None:
    _, path = pty_port
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from host.sync.port_lock import PortLock; "
                               f"PortLock({path!r}, 'archcue pull'); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with pytest.raises(PortBusy, match=rf"`archcue pull` \(pid {holder.pid},"):
            PortLock(path, "archcue live")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    PortLock(path, "archcue live").release()


def test_the_lock_follows_the_device_not_the_name(pty_port: tuple[int, str], tmp_path: Path) -> None:
    """A stable link (the virtual insole's, /dev/serial/by-id/...) and the device it names are one port."""
    _, path = pty_port
    link = tmp_path / "port"
    link.symlink_to(path)
    held = PortLock(path, "archcue live")
    try:
        with pytest.raises(PortBusy):
            PortLock(str(link), "archcue pull")
    finally:
        held.release()


def test_another_program_holding_the_port_is_named_as_such(pty_port: tuple[int, str],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """mpremote (and pyserial with exclusive=True) flock the device itself."""
    _, path = pty_port
    other = serial.Serial(path, exclusive=True)
    try:
        assert cli.main(["live", "--port", path]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is busy: another program (mpremote, a serial terminal?) holds it" in err
    finally:
        other.close()
