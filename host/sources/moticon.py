"""Moticon OpenGo text exports (the OpenGo software's "text export" .txt): '#' lines first
(start time, insoles, notes), the last of them naming the tab-separated columns; then one
row per sample: time in seconds, 16 pressure cells per foot in N/cm2 ("left pressure
1[N/cm²]" ... "right pressure 16[N/cm²]"), IMU, total force, centre of pressure, events. A
cell left blank is missing (one insole often starts later than the other).

The 16 cells onto the insole's six regions (the layout inferred in
../shared/data/real/moticon_insole/README.txt from when and how hard each cell peaks in the
stance; tests/test_import.py checks it on those recordings: the heel peaks first, the arch
carries least, the hallux and toes peak last):

    heel = mean of cells 1-4    arch = cell 7 (medial midfoot)    met1 = cell 9
    met5 = cell 13              hallux = cell 14                  toes = mean of cells 15-16

A region's force is its pressure times 1.27 cm2, the area of one of our FSRs: the force one
of the insole's sensors would read under that pressure.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from firmware.core.channels import NAMES as CHANNELS
from host.sources.recording import Recording, RecordingError, is_number, read_text

SIDES = ("left", "right")
REGIONS = {"heel": (1, 2, 3, 4), "arch": (7,), "met1": (9,), "met5": (13,), "hallux": (14,), "toes": (15, 16)}
FSR_AREA_CM2 = 1.27
assert tuple(REGIONS) == CHANNELS


@dataclass
class Export:
    path: Path
    started_at: str | None  # the "# Start time:" line, ISO (seconds), or None
    columns: list[str]
    rows: list[list[str]]  # the cells as text: a column is read when it is used
    lines: np.ndarray  # each row's line number in the file

    def column(self, name: str) -> np.ndarray:
        """One column as numbers, NaN where blank; RecordingError naming the first cell that is not one."""
        k = self.columns.index(name)
        cells = [row[k].strip() if k < len(row) else "" for row in self.rows]
        try:
            return np.array([float(c) if c else np.nan for c in cells])
        except ValueError:
            i = next(i for i, c in enumerate(cells) if c and not is_number(c))
            raise RecordingError(f"{self.path}:{self.lines[i]}: column {name}: {cells[i]!r} is not a number") from None


def pressure_column(side: str, cell: int) -> str:
    return f"{side} pressure {cell}[N/cm²]"


def read_export(path: Path) -> Export:
    """The export's columns; RecordingError naming the file and line for a file that is not one."""
    path = Path(path)
    lines = read_text(path).splitlines()
    comments = _comments(lines)
    if not comments:
        raise RecordingError(f"{path}:1: not a Moticon OpenGo text export (it starts with '#' lines)")
    columns = _columns(lines[len(comments) - 1])
    if not _is_header(columns):
        raise RecordingError(f"{path}:{len(comments)}: not a Moticon OpenGo text export (no 'time' column and "
                             f"16 pressure columns of a foot, '{pressure_column('left', 1)}' ...)")
    numbers = [k + 1 for k in range(len(comments), len(lines)) if lines[k].strip()]
    rows = [lines[k - 1].split("\t") for k in numbers]
    for row, line in zip(rows, numbers):
        if len(row) > len(columns):
            raise RecordingError(f"{path}:{line}: {len(row)} cells, the header has {len(columns)}")
    if not rows:
        raise RecordingError(f"{path}: no data lines after the header")
    return Export(path, _start_time(comments), columns, rows, np.array(numbers))


def is_export(head: str) -> bool:
    """Whether a file's first lines (`head`, complete lines) are a Moticon OpenGo text export's header:
    how `archcue import` recognises one when --format is not given."""
    comments = _comments(head.splitlines())
    return bool(comments) and _is_header(_columns(comments[-1]))


def _comments(lines: list[str]) -> list[str]:
    """The '#' lines the export starts with (none: not an export)."""
    out = []
    for line in lines:
        if not line.startswith("#"):
            break
        out.append(line)
    return out


def _columns(line: str) -> list[str]:
    return [c.strip() for c in line.lstrip("#").split("\t")]


def _is_header(columns: list[str]) -> bool:
    return "time" in columns and any(_has_side(columns, side) for side in SIDES)


def _has_side(columns: list[str], side: str) -> bool:
    return all(pressure_column(side, c) in columns for c in range(1, 17))


def sides(export: Export) -> list[str]:
    """The feet whose insole recorded: all 16 pressure columns in the header and at least one
    line with every cell filled."""
    return [side for side in SIDES if _has_side(export.columns, side) and side_rows(export, side).any()]


def _start_time(comments: list[str]) -> str | None:
    for line in comments:
        key, _, value = line.lstrip("#").partition(":")
        if key.strip() == "Start time":
            try:
                return datetime.strptime(value.strip(), "%d.%m.%Y %H:%M:%S.%f").isoformat(timespec="seconds")
            except ValueError:
                return None
    return None


def _cells(export: Export, side: str) -> np.ndarray:
    """The side's 16 pressure cells (N/cm²), column c - 1 for cell c; NaN where blank."""
    return np.column_stack([export.column(pressure_column(side, c)) for c in range(1, 17)])


def side_rows(export: Export, side: str, cells: np.ndarray | None = None) -> np.ndarray:
    """The rows where every pressure cell of this side was recorded (blank rows are dropped:
    the replay bridges them as it does any gap)."""
    return ~np.isnan(_cells(export, side) if cells is None else cells).any(axis=1)


def recording(export: Export, side: str) -> Recording:
    """One foot's six regions in newtons, on the export's own clock (ms)."""
    if not _has_side(export.columns, side):
        raise RecordingError(f"{export.path}: the export has no {side} insole (no '{pressure_column(side, 1)}' "
                             f"... columns)")
    pressure = _cells(export, side)
    keep = side_rows(export, side, pressure)
    if not keep.any():
        raise RecordingError(f"{export.path}: the {side} foot's pressure cells are blank on every line "
                             f"(try --foot {SIDES[1 - SIDES.index(side)]})")
    t_ms = export.column("time")[keep] * 1000.0
    lines = export.lines[keep]
    bad = np.flatnonzero(~np.isfinite(t_ms) | np.concatenate([[False], np.diff(t_ms) <= 0]))
    if len(bad):
        raise RecordingError(f"{export.path}:{lines[bad[0]]}: column time: not after the line before it")
    pressure = pressure[keep]
    forces = np.column_stack([pressure[:, [c - 1 for c in cells]].mean(axis=1)
                              for cells in REGIONS.values()]) * FSR_AREA_CM2
    negative = np.flatnonzero((forces < 0).any(axis=1))
    if len(negative):
        raise RecordingError(f"{export.path}:{lines[negative[0]]}: a negative {side} pressure")
    return Recording(t_ms, forces, CHANNELS)
