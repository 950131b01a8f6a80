"""Recordings on disk: the replay input, also `archcue import --format csv` (CSV: t_ms plus any
of the six channel columns, in newtons or raw ADC counts), and the steps output (one CSV row
per detected step).

Input errors name the file, line and column, because researchers feed this their own data.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

import numpy as np

from firmware.core import fsr, record
from firmware.core.channels import NAMES as CHANNELS
from host.command import UserError

UNITS = ("newton", "adc")
STEP_COLUMNS = ("ic_ms", "to_ms", "collapse", "toe_engaged", "cued", "stance_ms", "peak_total",
                "arch_share", "toe_share", "toe_load", "ml_index", "loading_rate", "block",
                "cue_block", "calibrated", "sensor_fault", "faults", "saturated", "dropped") + record.STEP_NAMES


class RecordingError(UserError):
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
    """Parse and check a recording; the first problem raises RecordingError naming the file,
    line and column. Blank lines are skipped; a UTF-8 byte-order mark is fine."""
    path = Path(path)
    if units not in UNITS:
        raise RecordingError(f"--units must be one of {', '.join(UNITS)}, not {units!r}")
    header, header_line, rows, lines = _rows(path, read_text(path))
    _check_header(path, header, header_line)
    present = tuple(c for c in CHANNELS if c in header)
    for row, line in zip(rows, lines):
        if len(row) != len(header):
            raise RecordingError(f"{path}:{line}: {len(row)} cells, the header has {len(header)}")
    try:  # numpy converts the whole table at C speed; a bad cell is then found row by row
        table = np.array(rows, dtype=float).reshape(len(rows), len(header))
    except ValueError:
        k, message = _find_bad_cell(header, rows)
        # an earlier line may have another problem: that one is named first
        good = np.array(rows[:k], dtype=float).reshape(k, len(header))
        _check_values(path, header, good, rows, lines, units)
        raise RecordingError(f"{path}:{lines[k]}: {message}") from None
    _check_values(path, header, table, rows, lines, units)
    values = np.zeros((len(rows), 6))
    for ch in present:
        values[:, CHANNELS.index(ch)] = table[:, header.index(ch)]
    return Recording(table[:, header.index("t_ms")].copy(), values, present)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RecordingError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise RecordingError(f"{path}:{line}: not a text CSV (byte 0x{data[e.start]:02x} is not UTF-8)") from None


def _rows(path: Path, text: str) -> tuple[list[str], int, list[list[str]], list[int]]:
    """(header, its line, data rows, their line numbers); blank lines skipped."""
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    reader = csv.reader(text.splitlines())
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if header is None:
            header, header_line = [c.strip() for c in row], reader.line_num
        else:
            rows.append(row)
            lines.append(reader.line_num)
    if header is None:
        raise RecordingError(f"{path}: empty file (expected a header line with t_ms and channel names)")
    if not rows:
        raise RecordingError(f"{path}: no data lines after the header")
    return header, header_line, rows, lines


def _check_header(path: Path, header: list[str], line: int) -> None:
    where = f"{path}:{line}"
    if "t_ms" not in header:
        if all(is_number(c) for c in header):
            raise RecordingError(f"{where}: no header line (expected t_ms and channel names, found numbers)")
        sep = next((s for s in (";", "\t", "|") if s in ",".join(header)), None)
        hint = f"; cells must be separated by commas, not {sep!r}" if sep else ""
        raise RecordingError(f"{where}: no t_ms column in the header ({', '.join(header)}){hint}")
    unknown = [c for c in header if c != "t_ms" and c not in CHANNELS]
    if unknown:
        near = [c.lower() for c in unknown if c.lower() in CHANNELS + ("t_ms",)]
        hint = f" (names are lower case: {', '.join(near)})" if near else ""
        raise RecordingError(f"{where}: unknown column(s) {', '.join(unknown)}; channels are "
                             f"{', '.join(CHANNELS)}{hint}")
    dup = {c for c in header if header.count(c) > 1}
    if dup:
        raise RecordingError(f"{where}: repeated column(s) {', '.join(sorted(dup))}")
    if len(header) < 2:
        raise RecordingError(f"{where}: no channel columns; give at least one of {', '.join(CHANNELS)}")


def is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _find_bad_cell(header: list[str], rows: list[list[str]]) -> tuple[int, str]:
    """(row index, message) of the first cell that is not a number."""
    for k, row in enumerate(rows):
        for col, cell in zip(header, row):
            if not is_number(cell):
                return k, f"column {col}: {cell.strip()!r} is not a number"
    raise AssertionError("numpy rejected a table whose cells all parse")


def _check_values(path: Path, header: list[str], table: np.ndarray, rows: list[list[str]],
                  lines: list[int], units: str) -> None:
    """Vectorised checks. The earliest bad line wins; within a line, time comes first, then
    the columns left to right (what a row-by-row reader would have said)."""
    problems: list[tuple[int, int, str]] = []  # (row, rank in line, message)

    def first(mask: np.ndarray, rank: int, message: Callable[[int], str]) -> None:
        if mask.any():
            k = int(np.argmax(mask))
            problems.append((k, rank, message(k)))

    ti = header.index("t_ms")
    t = table[:, ti]
    first(~np.isfinite(t), -2, lambda k: f"column t_ms: {rows[k][ti].strip()!r} is not a finite number")
    back = np.concatenate([[False], ~(np.diff(t) > 0)]) & np.isfinite(t)
    first(back, -1, lambda k: f"time {'repeats' if t[k] == t[k - 1] else 'goes backwards'} "
                              f"(t_ms {rows[k][ti].strip()} after {t[k - 1]:g})")
    for ci, col in enumerate(header):
        if col == "t_ms":
            continue
        v = table[:, ci]

        def cell(k: int, ci: int = ci) -> str:
            return repr(rows[k][ci].strip())

        first(~np.isfinite(v), ci, lambda k, col=col, cell=cell: f"column {col}: {cell(k)} is not a finite number")
        if units == "newton":
            first(v < 0, ci, lambda k, col=col, v=v: f"column {col}: negative force {v[k]:g} N")
        else:
            bad = np.isfinite(v) & ((v != np.round(v)) | (v < 0) | (v > fsr.ADC_MAX))
            first(bad, ci, lambda k, col=col, cell=cell: f"column {col}: {cell(k)} is not an ADC count "
                                                         f"0..{fsr.ADC_MAX}")
    if problems:
        k, _, message = min(problems, key=lambda p: (p[0], p[1]))
        raise RecordingError(f"{path}:{lines[k]}: {message}")


def long_gaps(rec: Recording, rate_hz: int, periods: float = 4.0) -> tuple[int, float]:
    """(count, longest ms) of gaps in the recording longer than `periods` firmware sample
    periods: resampling bridges them with straight lines, which is worth a note."""
    gaps = np.diff(rec.t_ms)
    long = gaps > periods * 1000.0 / rate_hz
    return int(long.sum()), float(gaps.max()) if len(gaps) else 0.0


def to_frames(rec: Recording, units: str, rate_hz: int, board: dict) -> tuple[np.ndarray, bool]:
    """Raw counts on the firmware's fixed sample grid. Returns (frames, resampled)."""
    grid = np.arange(rec.t_ms[0], rec.t_ms[-1] + 1e-9, 1000.0 / rate_hz)
    regular = len(grid) == len(rec.t_ms) and np.allclose(grid, rec.t_ms, atol=0.5)
    values = (
        rec.values
        if regular
        else np.column_stack([np.interp(grid, rec.t_ms, rec.values[:, c]) for c in range(len(CHANNELS))])
    )
    if units == "newton":
        table_f, table_c = fsr.forward_table(board, board["fsr"]["max_force_n"], 0.05)
        values = np.interp(values, table_f, table_c)
    return np.clip(np.round(values), 0, fsr.ADC_MAX).astype(np.uint16), not regular


def write_recording(path: Path, t_ms: np.ndarray, values: np.ndarray, units: str) -> None:
    fmt = "%.3f" if units == "newton" else "%d"
    with _open_out(path) as f:
        f.write("t_ms," + ",".join(CHANNELS) + "\n")
        np.savetxt(f, np.column_stack([t_ms, values]), fmt=["%d"] + [fmt] * 6, delimiter=",")


def write_steps(path: Path, records: list[dict]) -> None:
    with _open_out(path) as f:
        w = csv.writer(f)
        w.writerow(STEP_COLUMNS)
        for r in records:
            w.writerow([r[c] for c in STEP_COLUMNS])


def _open_out(path: Path) -> TextIO:
    """An output file, or a RecordingError saying why it cannot be written."""
    try:
        return open(path, "w", newline="")
    except OSError as e:
        raise RecordingError(f"{path}: cannot write ({e.strerror})") from None


assert set(STEP_COLUMNS) <= set(record.FIELDS) | set(record.FLAG_NAMES) | set(record.STEP_NAMES) | {"to_ms"}
