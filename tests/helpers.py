"""Small helpers shared by the end-to-end tests."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.core import sessionlog
from host.sources import moticon


@dataclass
class Row:
    """What analysis reads of a stored session, for steps made up by a test or bench."""
    id: str
    foot: str
    started_at: str | None = None


def store_rows(store: Path) -> dict[str, list]:
    """Every row of every table of a store: what "unchanged" means."""
    db = sqlite3.connect(store)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    finally:
        db.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    """Poll until predicate() is true; TimeoutError after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise TimeoutError("condition not reached")


class Virtual:
    """`python -m simulator serve` in the background: a virtual insole behind a pty at .port."""

    def __init__(self, tmp: Path, scenario: str = "rearfoot_easy", speed: float = 40, baud: int = 0,
                 name: str = "insole", config: dict | None = None, heap_kb: int = 0, pull_idle_s: float = 0,
                 resting: bool = False, extra: tuple[str, ...] = ()):
        self.dir = tmp / name
        args = [sys.executable, "-m", "simulator", "serve", "--scenario", scenario, "--speed", str(speed),
                "--dir", str(self.dir), "--device-id", name] + (["--baud", str(baud)] if baud else [])
        args += ["--heap-kb", str(heap_kb)] if heap_kb else []
        args += ["--pull-idle-s", str(pull_idle_s)] if pull_idle_s else []
        args += ["--resting"] if resting else []
        args += list(extra)  # more serve options, e.g. ("--seconds", "20", "--drills", "toe-waver")
        if config:
            (tmp / f"{name}.json").write_text(json.dumps(config))
            args += ["--config", str(tmp / f"{name}.json")]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = str(self.dir / "port")
        wait_for(lambda: Path(self.port).is_symlink() and (self.dir / "device" / sessionlog.DIR).exists())

    def wear(self, state: str) -> None:
        """The simulated runner: "run" or "rest" (the insole lies unloaded)."""
        (self.dir / "sim" / "wearer").write_text(state)

    def steps_logged(self) -> int:
        device = str(self.dir / "device")
        return sum(os.stat(sessionlog.path(device, sid)).st_size for sid in sessionlog.session_ids(device))

    def firmware_pid(self) -> int:
        out = subprocess.run(["pgrep", "-f", f"VfsPosix\\('{self.dir}/device'"], capture_output=True, text=True)
        return int(out.stdout.split()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


def write_moticon_export(path: Path, feet: dict[str, tuple[np.ndarray, np.ndarray]], start: str) -> None:
    """A Moticon OpenGo text export of newton recordings {foot: (t_ms, forces (n, 6))} on one
    100 Hz clock: each region's force / 1.27 cm2 in its cells (host/sources/moticon.py), the
    other cells 0; a foot's cells blank where it has no sample."""
    t = np.arange(0, max(ft[-1] for ft, _ in feet.values()), 10.0)
    columns = ["time"] + [moticon.pressure_column(s, c) for s in moticon.SIDES for c in range(1, 17)]
    lines = [f"# Start time: {start}", "# Sensor insoles: Left SN1, Right SN2", "# " + "\t".join(columns)]
    cells = {}
    for side in moticon.SIDES:
        table = np.full((len(t), 16), np.nan)
        if side in feet:
            ft, forces = feet[side]
            for region, where in enumerate(moticon.REGIONS.values()):
                for c in where:
                    table[:, c - 1] = np.interp(t, ft, forces[:, region]) / moticon.FSR_AREA_CM2
            table[:, [4, 5, 7, 9, 10, 11]] = 0  # cells no region reads
        cells[side] = table
    for k in range(len(t)):
        row = [f"{t[k] / 1000:.2f}"] + ["" if np.isnan(v) else f"{v:.2f}" for side in moticon.SIDES
                                        for v in cells[side][k]]
        lines.append("\t".join(row))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def drill_session(store_path: Path, tmp: Path, runner: str, started_at: str | None = None) -> str:
    """A foot-drill session stored as a pull stores one: the firmware's SessionLog with a balance
    set's first and last event records (no drill code run: for tests of what lists or reads it)."""
    import hashlib

    from firmware.core import drills, record
    from host.store.db import Store

    device = tmp / f"drill-device-{runner}"
    device.mkdir(exist_ok=True)
    header = {"kind": "drills", "foot": "right", "runner": runner, "rate_hz": 100, "started_at": started_at}
    log = sessionlog.SessionLog(str(device), "dd0011", header, log=lambda _: None)
    rec = bytearray(record.SIZE)
    for t_ms, kind, fields in ((0, drills.EV_SET, (1, 1, 30, 5)), (40_000, drills.EV_SET_END, (1, 0, 0, 0))):
        record.pack_event_into(rec, 0, kind, t_ms, *fields)
        log.append(rec)
    log.close()
    data = Path(log.path).read_bytes()
    store = Store(store_path)
    sid, _ = store.import_session(data, hashlib.sha256(data).hexdigest(), log.sid)
    store.close()
    return sid
