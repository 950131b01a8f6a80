"""The virtual insole behind `python -m simulator serve` (see simulator/commands/serve.py):
the firmware in the MicroPython unix port on one pseudo-terminal, bridged to a second one."""
from __future__ import annotations

import errno
import fcntl
import os
import pty
import select
import signal
import subprocess
import time
import tty
from pathlib import Path

from host.sources import engine
from simulator.device import ROOT

DEFAULT_DIR = ROOT / "build" / "virtual-insole"
# The unix port's heap that stands for the ESP32's ~110 KB (shared/notes/esp32_numbers.md).
# The unix port is 64-bit: pointers and object headers are twice the board's, GC blocks
# 32 bytes instead of 16, while byte payloads (the LUT, buffers, bytecode, strings) keep
# their size. A heap map of the running firmware (micropython.mem_info(1) at the start of
# a run: 95 KB live) splits into 31 KB of small typed objects (tuples, lists, dicts,
# floats, functions: halve on 32 bits) and 64 KB of strings and larger raw blocks (that
# keep their size, or shrink by a quarter where they hold pointers: dict tables, code
# constants). The board needs 80 KB (all bytes) down to 64 KB (a quarter pointers) for the
# same objects: the unix heap is 1.19x to 1.50x larger, 1.33x central, and
# 110 KB x 1.33 = 146 KB, rounded down to 144 KB.
DEFAULT_HEAP_KB = 144
_LOOK_S = 0.2  # the pull deadline is looked at this often (a file read), not per chunk moved


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the bridge dies, even by SIGKILL (Linux)."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _raw_pair() -> tuple[int, int]:
    master, slave = pty.openpty()
    tty.setraw(slave)
    fcntl.fcntl(master, fcntl.F_SETFL, fcntl.fcntl(master, fcntl.F_GETFL) | os.O_NONBLOCK)
    return master, slave


def _forward(src: int, dst: int, baud: int = 0) -> bool:
    """Copy what src has to dst; False when src is gone. Bytes nobody reads are dropped,
    like a UART with no listener (after a short wait: a host may just be slow). With a baud
    rate, the copy takes as long as the line would (10 bits a byte)."""
    try:
        data = os.read(src, 256 if baud else 4096)
    except BlockingIOError:
        return True
    except OSError as e:
        if e.errno == errno.EIO:  # other side closed: a host unplugging is not an error
            return False
        raise
    if not data:
        return False
    _write_all(dst, data)
    if baud:
        time.sleep(len(data) * 10 / baud)
    return True


def _write_all(fd: int, data: bytes, patience: float = 0.5) -> None:
    """Write all of data while the other side reads (a large answer outruns the pty's
    buffer); drop the rest once nobody has read for `patience` seconds."""
    deadline = time.monotonic() + patience
    while data:
        try:
            n = os.write(fd, data)
        except BlockingIOError:
            n = 0
        except OSError:
            return
        if n:
            data = data[n:]
            deadline = time.monotonic() + patience
        elif time.monotonic() > deadline:
            return
        else:
            select.select([], [fd], [], 0.05)


class VirtualInsole:
    def __init__(self, workdir: Path, link: Path, speed: float, baud: int = 0, runner: tuple | None = None,
                 log=print, flash_stall: str = "off", heap_kb: int = DEFAULT_HEAP_KB,
                 pull_idle_s: float | None = None, resting: bool = False, button: bool | tuple = False):
        self.button = button  # hal/sim.py attach()'s button_held: ticks since each boot
        self.flash_stall = None if flash_stall == "off" else (flash_stall, str(workdir / "sim" / "stalls.csv"))
        # the simulated runner's step schedule is the simulator's, not the board's: the heap grows by
        # what the sim HAL holds of it (an array read in place), so the firmware keeps heap_kb
        self.heap_kb = heap_kb + (-(-os.path.getsize(runner[1]) // 1024) if runner else 0)
        self.pull_idle_s = pull_idle_s
        self.baud = baud
        self.runner = runner
        self.workdir = workdir
        self.device = workdir / "device"
        self.sim = workdir / "sim"
        self.wearer = self.sim / "wearer"  # "run" / "rest": the simulated runner, read by the sim HAL
        self.sim.mkdir(parents=True, exist_ok=True)
        self.wearer.write_text("rest" if resting else "run")
        self.link = link
        self.speed = speed
        self.log = log
        self.stopping = False
        self.proc: subprocess.Popen | None = None
        self.host_master, self.host_slave = _raw_pair()
        self.port = os.ttyname(self.host_slave)

    def publish(self) -> None:
        self.link.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.link.with_name(self.link.name + ".tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(self.port)
        tmp.replace(self.link)

    def _pull_abandoned(self) -> bool:
        """The firmware's pull deadline (hal/sim.py watch_pull) has passed: the host went
        silent mid-pull, and a board would reset now."""
        mark = self.device / "sim_restart_at"
        try:
            deadline = float(mark.read_text())
            if self.pull_idle_s is not None:
                deadline = mark.stat().st_mtime + self.pull_idle_s
        except (OSError, ValueError):
            return False
        return time.time() > deadline

    def _boot(self) -> int:
        (self.device / "sim_restart_at").unlink(missing_ok=True)
        fw_master, fw_slave = _raw_pair()
        code = engine.bootstrap(self.device, self.sim / "frames.bin", self.sim / "haptics.csv", self.speed,
                                interactive=True, button_held=self.button, runner=self.runner,
                                flash_stall=self.flash_stall, control=self.wearer)
        self.proc = subprocess.Popen([str(engine.MICROPYTHON), "-X", f"heapsize={self.heap_kb}K", "-i", "-c", code],
                                     stdin=fw_slave, stdout=fw_slave, stderr=fw_slave, cwd=self.workdir,
                                     start_new_session=True, preexec_fn=_die_with_parent,
                                     env={**os.environ, "MICROPYPATH": ""})
        os.close(fw_slave)
        return fw_master

    def run(self) -> None:
        boots = 0
        while not self.stopping:
            fw = self._boot()
            boots += 1
            self.log(f"firmware booted ({'soft reset' if boots > 1 else 'power on'}), pid {self.proc.pid}")
            look = 0.0  # when to look at the pull deadline next: not on every chunk a pull moves
            while not self.stopping:
                ready, _, _ = select.select([fw, self.host_master], [], [], 0.2)
                if fw in ready and not _forward(fw, self.host_master, self.baud):
                    break  # the firmware process ended (soft reset at the REPL, or a crash)
                if self.host_master in ready:
                    _forward(self.host_master, fw, self.baud)
                if time.monotonic() >= look:
                    look = time.monotonic() + _LOOK_S
                    if self._pull_abandoned():
                        self.log("the host went silent mid-pull: reset, as the board's timer does")
                        break
                if self.proc.poll() is not None:
                    while _forward(fw, self.host_master) and select.select([fw], [], [], 0)[0]:
                        pass
                    break
            os.close(fw)
            self._stop_firmware()

    def _stop_firmware(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def close(self) -> None:
        self.stopping = True
        self._stop_firmware()
        for fd in (self.host_master, self.host_slave):
            try:
                os.close(fd)
            except OSError:
                pass
        if self.link.is_symlink():
            self.link.unlink()
