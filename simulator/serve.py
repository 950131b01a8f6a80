"""python -m simulator serve: a virtual insole behind a serial port.

The firmware (app + core + simulator HAL) runs in the MicroPython unix port on one
pseudo-terminal; a bridge copies bytes between it and a second pseudo-terminal, the
"USB port" a host opens (both raw, as a board's USB CDC is). The port path changes from
run to run, so a stable link to it is kept (default build/virtual-insole/port).

    mpremote connect build/virtual-insole/port resume fs ls
    mpremote connect build/virtual-insole/port resume exec "print(1 + 1)"

Ctrl-C from the host stops the firmware loop (the session is sealed) and leaves the REPL;
a soft reset (Ctrl-D at the REPL) boots the firmware again, as on a board. The unix port
exits on a soft reset, so the bridge restarts it. SIGINT/SIGTERM shut everything down.
"""
from __future__ import annotations

import argparse
import errno
import fcntl
import os
import pty
import select
import signal
import subprocess
import sys
import time
import tty
from pathlib import Path

from hardware.board_data import DEFAULT_BOARD, board_names, load_board
from simulator import device
from simulator.errors import ConfigError
from simulator.firmware_config import load_config
from simulator.scenario import load_scenario, scenario_names
from simulator.synth import generate

DEFAULT_DIR = device.ROOT / "build" / "virtual-insole"
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


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a virtual insole behind a serial port (mpremote and archcue pull work)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", default="responder", help=f"one of: {', '.join(scenario_names())}")
    p.add_argument("--speed", type=float, default=1.0, help="virtual time per wall-clock second (default 1: real time)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seconds", type=float, help="override the scenario's duration")
    p.add_argument("--board", default=DEFAULT_BOARD, choices=board_names())
    p.add_argument("--config", type=Path, help="config.json for the insole (default: the firmware defaults)")
    p.add_argument("--device-id", default="sim0001", help="the insole's id, e.g. to serve a left and a right one")
    p.add_argument("--baud", type=int, default=0,
                   help="throttle the port to this line rate, e.g. 115200 (default: unthrottled)")
    p.add_argument("--heap-kb", type=int, default=DEFAULT_HEAP_KB,
                   help=f"MicroPython heap in KB (default {DEFAULT_HEAP_KB}: stands for the board's ~110 KB)")
    p.add_argument("--pull-idle-s", type=float,
                   help="reboot after this long without a host call mid-pull (default: the firmware's own, 60 s)")
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"work folder (default {DEFAULT_DIR})")
    p.add_argument("--link", type=Path, help="stable link to the port (default DIR/port)")
    p.add_argument("--flash-stall", choices=("off", "typical", "worst"), default="off",
                   help="stall the sampler for the flash's erase/program times (SPI NOR datasheet figures), "
                        "as an ESP32 does; stalls logged to DIR/sim/stalls.csv")
    p.set_defaults(func=run)


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
                 pull_idle_s: float | None = None):
        self.flash_stall = None if flash_stall == "off" else (flash_stall, str(workdir / "sim" / "stalls.csv"))
        # the simulated runner's step schedule is the simulator's, not the board's: the heap grows by
        # what the sim HAL holds of it (read, then copied into an array), so the firmware keeps heap_kb
        self.heap_kb = heap_kb + (-(-2 * os.path.getsize(runner[1]) // 1024) if runner else 0)
        self.pull_idle_s = pull_idle_s
        self.baud = baud
        self.runner = runner
        self.workdir = workdir
        self.device = workdir / "device"
        self.sim = workdir / "sim"
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
        code = device.bootstrap(self.device, self.sim / "frames.bin", self.sim / "haptics.csv", self.speed,
                                interactive=True, runner=self.runner, flash_stall=self.flash_stall)
        self.proc = subprocess.Popen([str(device.MICROPYTHON), "-X", f"heapsize={self.heap_kb}K", "-i", "-c", code],
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
            while not self.stopping:
                ready, _, _ = select.select([fw, self.host_master], [], [], 0.2)
                if fw in ready and not _forward(fw, self.host_master, self.baud):
                    break  # the firmware process ended (soft reset at the REPL, or a crash)
                if self.host_master in ready:
                    _forward(self.host_master, fw, self.baud)
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


def run(args: argparse.Namespace) -> int:
    if not 32 <= args.heap_kb <= 65536:
        raise ConfigError(f"--heap-kb {args.heap_kb}: expected 32 to 65536")
    board = load_board(args.board)
    config = load_config(args.config)
    scenario = load_scenario(args.scenario)
    synth = generate(scenario, seed=args.seed, seconds=args.seconds)
    workdir = args.dir
    device.prepare(workdir / "device", board, {**config, "rate_hz": synth.rate_hz}, compiled=True)
    (workdir / "device" / "sim_id").write_text(args.device_id)
    device.write_frames(workdir / "sim" / "frames.bin", synth.counts)
    runner = device.write_runner(workdir / "sim", synth)  # the runner answers the insole's cues
    insole = VirtualInsole(workdir, args.link or workdir / "port", args.speed, args.baud, runner,
                           log=lambda m: print(f"[virtual insole] {m}", file=sys.stderr, flush=True),
                           flash_stall=args.flash_stall, heap_kb=args.heap_kb, pull_idle_s=args.pull_idle_s)

    def stop(signum: int, frame: object) -> None:
        insole.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    insole.publish()
    print(f"virtual insole: {scenario['name']}, {synth.seconds / 60:.1f} min at {args.speed:g}x on {insole.port}",
          flush=True)
    print(f"port link: {insole.link}  (try: mpremote connect {insole.link} resume fs ls)", flush=True)
    try:
        insole.run()
    finally:
        insole.close()
    print("virtual insole stopped", file=sys.stderr)
    return 0
