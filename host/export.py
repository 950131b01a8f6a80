"""CSV export of a runner's data. Columns (documented in README.md):

steps.csv     session, foot, then every step-record field (firmware/core/record.py) with
              flags as 0/1 columns and to_ms = ic_ms + stance_ms
sessions.csv  session, runner, device, foot, started_at, steps, recovered, sealed
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from firmware.core import record
from host.records import flag

STEP_COLUMNS = ("session", "foot", "ic_ms", "to_ms", "stance_ms", "peak_total", "arch_share", "toe_share",
                "toe_load", "ml_index", "loading_rate", "block", "faults") + record.FLAG_NAMES
SESSION_COLUMNS = ("session", "runner", "device", "foot", "started_at", "steps", "recovered", "sealed")


def export_csv(runner: str, sessions: list[tuple[object, np.ndarray]], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    steps_path, sessions_path = folder / "steps.csv", folder / "sessions.csv"
    with open(steps_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(STEP_COLUMNS)
        for row, steps in sessions:
            cols = {name: steps[name] for name in ("ic_ms", "stance_ms", "peak_total", "arch_share", "toe_share",
                                                    "toe_load", "ml_index", "loading_rate", "block", "faults")}
            cols["to_ms"] = steps["ic_ms"].astype(np.int64) + steps["stance_ms"]
            cols.update({name: flag(steps, name).astype(int) for name in record.FLAG_NAMES})
            for i in range(len(steps)):
                w.writerow([row.id, row.foot] + [int(cols[c][i]) for c in STEP_COLUMNS[2:]])
    with open(sessions_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(SESSION_COLUMNS)
        for row, steps in sessions:
            w.writerow([row.id, row.runner, row.device, row.foot, row.started_at or "", len(steps),
                        int(row.recovered), int(row.summary is not None)])
    return steps_path, sessions_path
