"""Recordings on disk: the replay input (CSV: t_ms plus any of the six channel columns,
in newtons or raw ADC counts) and the steps output (one CSV row per detected step).

Input errors name the file, line and column, because researchers feed this their own data.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.core import fsr, record
from hardware.board_data import CHANNELS

UNITS = ("newton", "adc")
STEP_COLUMNS = ("ic_ms", "to_ms", "collapse", "toe_engaged", "cued", "stance_ms", "peak_total",
                "arch_share", "toe_share", "toe_load", "ml_index", "loading_rate", "block",
                "cue_block", "calibrated", "sensor_fault", "faults", "saturated", "dropped")


class RecordingError(ValueError):
    pass


@dataclass
class Recording:
    t_ms: np.ndarray  # (n,) float, strictly increasing
    values: np.ndarray  # (n, 6) float in the file's units; absent channels are 0
    present: tuple[str, ...]  # channel columns the file had

    def rate_hz(self) -> float:
        """Sample rate implied by the median time step."""
        return 1000.0 / float(np.median(np.diff(self.t_ms))) if len(self.t_ms) > 1 else 0.0


def read_recording(path: Path, units: str) -> Recording:
    path = Path(path)
    if units not in UNITS:
        raise RecordingError(f"--units must be one of {', '.join(UNITS)}, not {units!r}")
    try:
        text = path.read_text()
    except OSError as e:
        raise RecordingError(f"{path}: cannot read ({e.strerror})") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(c.strip() for c in rows[0]):
        raise RecordingError(f"{path}: empty file (expected a header line with t_ms and channel names)")
    header = [c.strip() for c in rows[0]]
    _check_header(path, header)
    cols = {name: header.index(name) for name in header}
    present = tuple(c for c in CHANNELS if c in cols)
    data = rows[1:]
    if not data:
        raise RecordingError(f"{path}: no data lines after the header")
    t = np.empty(len(data))
    values = np.zeros((len(data), 6))
    for k, row in enumerate(data):
        line = k + 2
        if len(row) != len(header):
            raise RecordingError(f"{path}:{line}: {len(row)} cells, the header has {len(header)}")
        t[k] = _number(path, line, "t_ms", row[cols["t_ms"]])
        if k and t[k] <= t[k - 1]:
            what = "repeats" if t[k] == t[k - 1] else "goes backwards"
            raise RecordingError(f"{path}:{line}: time {what} (t_ms {row[cols['t_ms']]} after {t[k - 1]:g})")
        for ch in present:
            values[k, CHANNELS.index(ch)] = _value(path, line, ch, row[cols[ch]], units)
    return Recording(t, values, present)


def _check_header(path: Path, header: list[str]) -> None:
    if "t_ms" not in header:
        if all(_is_number(c) for c in header):
            raise RecordingError(f"{path}:1: no header line (expected t_ms and channel names, found numbers)")
        raise RecordingError(f"{path}:1: no t_ms column in the header ({', '.join(header)})")
    unknown = [c for c in header if c != "t_ms" and c not in CHANNELS]
    if unknown:
        raise RecordingError(f"{path}:1: unknown column(s) {', '.join(unknown)}; channels are {', '.join(CHANNELS)}")
    dup = {c for c in header if header.count(c) > 1}
    if dup:
        raise RecordingError(f"{path}:1: repeated column(s) {', '.join(sorted(dup))}")
    if len(header) < 2:
        raise RecordingError(f"{path}:1: no channel columns; give at least one of {', '.join(CHANNELS)}")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _number(path: Path, line: int, col: str, cell: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        raise RecordingError(f"{path}:{line}: column {col}: {cell.strip()!r} is not a number") from None
    if not np.isfinite(v):
        raise RecordingError(f"{path}:{line}: column {col}: {cell.strip()!r} is not a finite number")
    return v


def _value(path: Path, line: int, col: str, cell: str, units: str) -> float:
    v = _number(path, line, col, cell)
    if units == "newton" and v < 0:
        raise RecordingError(f"{path}:{line}: column {col}: negative force {v:g} N")
    if units == "adc" and (v != int(v) or not 0 <= v <= fsr.ADC_MAX):
        raise RecordingError(f"{path}:{line}: column {col}: {cell.strip()!r} is not an ADC count 0..{fsr.ADC_MAX}")
    return v


def to_frames(rec: Recording, units: str, rate_hz: int, board: dict) -> tuple[np.ndarray, bool]:
    """Raw counts on the firmware's fixed sample grid. Returns (frames, resampled)."""
    grid = np.arange(rec.t_ms[0], rec.t_ms[-1] + 1e-9, 1000.0 / rate_hz)
    regular = len(grid) == len(rec.t_ms) and np.allclose(grid, rec.t_ms, atol=0.5)
    values = rec.values if regular else np.column_stack([np.interp(grid, rec.t_ms, rec.values[:, c]) for c in range(6)])
    if units == "newton":
        table_f, table_c = fsr.forward_table(board, board["fsr"]["max_force_n"], 0.05)
        values = np.interp(values, table_f, table_c)
    return np.clip(np.round(values), 0, fsr.ADC_MAX).astype(np.uint16), not regular


def write_recording(path: Path, t_ms: np.ndarray, values: np.ndarray, units: str) -> None:
    fmt = "%.3f" if units == "newton" else "%d"
    with open(path, "w", newline="") as f:
        f.write("t_ms," + ",".join(CHANNELS) + "\n")
        np.savetxt(f, np.column_stack([t_ms, values]), fmt=["%d"] + [fmt] * 6, delimiter=",")


def write_steps(path: Path, records: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(STEP_COLUMNS)
        for r in records:
            w.writerow([r[c] for c in STEP_COLUMNS])


assert set(STEP_COLUMNS) <= set(record.FIELDS) | set(record.FLAG_NAMES) | {"to_ms"}
