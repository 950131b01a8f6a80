"""Recordings on disk: the replay input, also `archcue import --format csv` (CSV: t_ms plus any
of the six channel columns, in newtons or raw ADC counts), and the steps output (one CSV row
per detected step).

Input errors name the file, line and column, because researchers feed this their own data.
A CSV is read in chunks (CsvRecording): checked in a first pass, turned into the firmware's
frames in a second (to_frame_chunks), so an import's memory does not grow with the file.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, TextIO, Union

import numpy as np

from firmware.core import config as fw_config
from firmware.core import fsr, record
from firmware.core.channels import NAMES as CHANNELS
from host.command import UserError
from host.files import open_regular

UNITS = ("newton", "adc")
STEP_COLUMNS = ("ic_ms", "to_ms", "collapse", "toe_engaged", "cued", "stance_ms", "peak_total",
                "arch_share", "toe_share", "toe_load", "ml_index", "loading_rate", "block",
                "cue_block", "calibrated", "sensor_fault", "faults", "saturated", "dropped") + record.STEP_NAMES


class RecordingError(UserError):
    pass


RATE_MIN_HZ, RATE_MAX_HZ = fw_config.SCHEMA["rate_hz"][1:3]  # the rates the firmware accepts
MAX_SPAN_MS = 24 * 3600 * 1000  # a run is hours: t_ms further than this from the first sample is a mistake
MAX_FORCE_N = 10_000  # ten times a runner's weight on one sensor: anything above is no force
CHUNK_ROWS = 1 << 14  # rows read, checked and converted at a time: memory is bounded by this, not the file
MAX_LINE = 1 << 16  # bytes; a line of seven numbers is under 100
SETTLE_S = 2.0  # a file written to less than this long ago is looked at again before it is imported


@dataclass
class Recording:
    """A recording in memory (a Moticon export's foot, a test's or a bench's run)."""
    t_ms: np.ndarray  # (n,) float, strictly increasing
    values: np.ndarray  # (n, 6) float in the file's units; absent channels are 0
    present: tuple[str, ...]  # channel columns the file had

    def rate_hz(self) -> float:
        """Sample rate implied by the median time step."""
        return 1000.0 / self.median_step() if len(self.t_ms) > 1 else 0.0

    def median_step(self) -> float:
        return float(np.median(np.diff(self.t_ms)))

    @property
    def rows(self) -> int:
        return len(self.t_ms)

    @property
    def t_first(self) -> float:
        return float(self.t_ms[0])

    @property
    def t_last(self) -> float:
        return float(self.t_ms[-1])

    def regular_at(self, rate_hz: int) -> bool:
        """The samples already lie on the firmware's grid at this rate (within half a millisecond)."""
        n = grid_length(self.t_first, self.t_last, rate_hz)
        return n == self.rows and bool(np.all(_on_grid(self.t_ms, self.t_first, 0, rate_hz)))

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield self.t_ms, self.values


def grid_length(t_first: float, t_last: float, rate_hz: int) -> int:
    """Frames on the firmware's grid from the first sample to the last (np.arange's count)."""
    return max(0, math.ceil((t_last + 1e-9 - t_first) / (1000.0 / rate_hz)))


def _grid(t_first: float, start: int, stop: int, rate_hz: int) -> np.ndarray:
    """Grid times start..stop-1, computed as np.arange(t_first, ..., period) computes them."""
    delta = (t_first + 1000.0 / rate_hz) - t_first
    return t_first + np.arange(start, stop) * delta


def _grid_upto(t_first: float, t: float, rate_hz: int) -> int:
    """How many grid times are at or before t (each computed as _grid computes it)."""
    delta = (t_first + 1000.0 / rate_hz) - t_first
    j = max(0, int((t - t_first) // delta) + 1)
    while j > 0 and t_first + (j - 1) * delta > t:
        j -= 1
    while t_first + j * delta <= t:
        j += 1
    return j


def _on_grid(t: np.ndarray, t_first: float, start: int, rate_hz: int) -> np.ndarray:
    """Which of the samples start.. lie on the grid (np.allclose's rule, atol 0.5 ms)."""
    return np.abs(_grid(t_first, start, start + len(t), rate_hz) - t) <= 0.5 + 1e-5 * np.abs(t)


def read_recording(path: Path, units: str) -> Recording:
    """A recording CSV read whole into memory (CsvRecording reads it in chunks)."""
    csv_rec = CsvRecording(path, units)
    parts = list(csv_rec.chunks())
    return Recording(np.concatenate([t for t, _ in parts]), np.concatenate([v for _, v in parts]), csv_rec.present)


class CsvRecording:
    """A recording CSV (t_ms and any of the six channel columns), read in chunks of CHUNK_ROWS,
    so memory does not grow with its length. Made, it has read the whole file once and checked
    it: the first problem raises RecordingError naming the file, line and column (blank lines are
    skipped, a UTF-8 byte-order mark is fine); it knows the file's SHA-256, size and stat, its
    rows, first and last time, median step and the rates it is regular at. chunks() reads it
    again, for the frames, and raises RecordingError if the file changed in between (still
    being written; settled() checks it once more). A file whose last line has no line end is
    refused: it was cut, or is being written. rate: a rate the caller may ask regular_at()
    about besides the file's own."""

    def __init__(self, path: Path, units: str, rate: int | None = None):
        if units not in UNITS:
            raise RecordingError(f"--units must be one of {', '.join(UNITS)}, not {units!r}")
        self.path, self.units = Path(path), units
        self.rows, self.t_first, self.t_last = 0, 0.0, 0.0
        self.steps = _StepHistogram()
        self.regular: set[int] | None = None if rate is None else {rate}  # None: not narrowed yet
        self.header: list[str] = []
        with open_regular(self.path, RecordingError) as (f, self.stat):
            sha = hashlib.sha256()
            for t, _ in self._read(f, sha, check=True):
                self._learn(t)
        if not self.rows:
            raise RecordingError(f"{self.path}: no data lines after the header")
        self.sha256, self.size = sha.hexdigest(), self.stat.st_size
        self.present = tuple(c for c in CHANNELS if c in self.header)

    def rate_hz(self) -> float:
        return 1000.0 / self.median_step() if self.rows > 1 else 0.0

    def median_step(self) -> float:
        return self.steps.median()

    def regular_at(self, rate_hz: int) -> bool:
        return rate_hz in (self.regular or ()) and grid_length(self.t_first, self.t_last, rate_hz) == self.rows

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(t_ms, values (k, 6)) chunk by chunk, the file read again; RecordingError if it changed."""
        with open_regular(self.path, RecordingError) as (f, st):
            sha = hashlib.sha256()
            if _identity(st) == _identity(self.stat):
                yield from self._read(f, sha, check=False)
        if sha.hexdigest() != self.sha256 or _identity(os.stat(self.path)) != _identity(self.stat):
            raise _changed(self.path, self.stat)

    def _read(self, f: BinaryIO, sha: hashlib._Hash, check: bool) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        rows: list[list[str]] = []
        lines: list[int] = []
        numbers = _LineNumbers()
        prev: float | None = None
        header_seen = False
        for row in csv.reader(_text_lines(self.path, f, sha, numbers)):
            if not any(c.strip() for c in row):
                continue
            if not header_seen:
                header_seen, self.header = True, [c.strip() for c in row]
                if check:
                    _check_header(self.path, self.header, numbers.now)
                continue
            rows.append(row)
            lines.append(numbers.now)
            if len(rows) == CHUNK_ROWS:
                t, values = self._chunk(rows, lines, prev, check)
                yield t, values
                prev, rows, lines = float(t[-1]), [], []
        if not header_seen:
            raise RecordingError(f"{self.path}: empty file (expected a header line with t_ms and channel names)")
        if rows:
            yield self._chunk(rows, lines, prev, check)

    def _chunk(self, rows: list[list[str]], lines: list[int], prev: float | None,
               check: bool) -> tuple[np.ndarray, np.ndarray]:
        """(t_ms, values (k, 6)) of some rows; check: every check first (prev: the last time before them)."""
        header = self.header
        if check:
            for row, line in zip(rows, lines):
                if len(row) != len(header):
                    raise RecordingError(f"{self.path}:{line}: {len(row)} cells, the header has {len(header)}")
        try:  # numpy converts the whole table at C speed; a bad cell is then found row by row
            table = np.array(rows, dtype=float).reshape(len(rows), len(header))
        except ValueError:
            k, message = _find_bad_cell(header, rows)
            # an earlier line may have another problem: that one is named first
            good = np.array(rows[:k], dtype=float).reshape(k, len(header))
            _check_values(self.path, header, good, rows, lines, self.units, self._first(good), prev)
            raise RecordingError(f"{self.path}:{lines[k]}: {message}") from None
        if check:
            _check_values(self.path, header, table, rows, lines, self.units, self._first(table), prev)
        values = np.zeros((len(rows), 6))
        for ch in CHANNELS:
            if ch in header:
                values[:, CHANNELS.index(ch)] = table[:, header.index(ch)]
        return table[:, header.index("t_ms")].copy(), values

    def _first(self, table: np.ndarray) -> float | None:
        """The file's first time (for the span check), from this table if it is the first."""
        if self.rows:
            return self.t_first
        return float(table[0, self.header.index("t_ms")]) if len(table) else None

    def _learn(self, t: np.ndarray) -> None:
        """What the first pass keeps of a checked chunk: counts, first and last time, the steps'
        median, and which rates the samples so far lie on the grid of."""
        start = self.rows
        if not start:
            self.t_first = float(t[0])
        self.steps.add(np.diff(np.concatenate([[self.t_last], t]) if start else t))
        if self.regular is None:
            self.regular = _rates_through(self.t_first, start + len(t) - 1, float(t[-1]))
        self.regular = {r for r in self.regular if _on_grid(t, self.t_first, start, r).all()}
        self.rows += len(t)
        self.t_last = float(t[-1])


def _rates_through(t_first: float, k: int, t: float) -> set[int]:
    """The firmware rates whose grid passes within half a millisecond of sample k at time t (the
    rates a regular file can have; every sample is then checked)."""
    if k == 0:
        return set(range(RATE_MIN_HZ, RATE_MAX_HZ + 1))
    tol = 0.5 + 1e-5 * abs(t) + 1e-9
    low, high = (t - t_first - tol) / k, (t - t_first + tol) / k  # the period's range, ms
    if high <= 0:
        return set()
    top = RATE_MAX_HZ if low <= 0 else min(RATE_MAX_HZ, math.floor(1000.0 / low))
    return set(range(max(RATE_MIN_HZ, math.ceil(1000.0 / high)), top + 1))


class _StepHistogram:
    """The time steps' counts by value, for their median in memory that does not grow with the
    file: exact while there are few distinct steps (the usual case, a fixed rate), rounded to
    fewer decimals of a millisecond when a jittery clock gives too many."""

    LIMIT = 1 << 16

    def __init__(self) -> None:
        self.counts: Counter[float] = Counter()
        self.decimals: int | None = None

    def add(self, steps: np.ndarray) -> None:
        if self.decimals is not None:
            steps = np.round(steps, self.decimals)
        values, counts = np.unique(steps, return_counts=True)
        self.counts.update(dict(zip(values.tolist(), counts.tolist())))
        while len(self.counts) > self.LIMIT:
            self.decimals = 6 if self.decimals is None else self.decimals - 1
            coarse: Counter[float] = Counter()
            for value, n in self.counts.items():
                coarse[round(value, self.decimals)] += n
            self.counts = coarse

    def median(self) -> float:
        """np.median's value: the middle step, or the mean of the two middle ones."""
        total = sum(self.counts.values())
        want = [(total - 1) // 2, total // 2]
        found: list[float] = []
        seen = 0
        for value in sorted(self.counts):
            seen += self.counts[value]
            while want and want[0] < seen:
                found.append(value)
                want.pop(0)
        return (found[0] + found[1]) / 2


class _LineNumbers:
    """The physical line the CSV reader is on (it reads one line per row: numbers have no quoted
    line breaks)."""
    now = 0


def _text_lines(path: Path, f: BinaryIO, sha: hashlib._Hash, numbers: _LineNumbers) -> Iterator[str]:
    """The file's lines as text, each hashed as read; RecordingError for a line that is not
    UTF-8, one longer than MAX_LINE (not a CSV: /dev/zero, a binary file) and a last line
    without its line end (the file was cut, or is still being written)."""
    while True:
        raw = f.readline(MAX_LINE + 1)
        if not raw:
            return
        numbers.now += 1
        sha.update(raw)
        if len(raw) > MAX_LINE:
            raise RecordingError(f"{path}:{numbers.now}: a line longer than {MAX_LINE // 1024} KB: not a "
                                 "recording CSV")
        if numbers.now == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise RecordingError(f"{path}:{numbers.now}: not a text CSV (byte 0x{raw[e.start]:02x} is not "
                                 "UTF-8)") from None
        if not line.endswith("\n") and line.strip():
            raise RecordingError(f"{path}:{numbers.now}: the last line has no line end: the file was cut short "
                                 "or is still being written; nothing imported (a complete file ends its last "
                                 "line with a newline)")
        yield line


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _changed(path: Path, before: os.stat_result) -> RecordingError:
    try:
        now = f" (it was {before.st_size:,} bytes, now {os.stat(path).st_size:,})"
    except OSError:
        now = " (it is gone)"
    return RecordingError(f"{path} changed while it was read{now}: is it still being written? Import it once the "
                          "recording has finished; nothing imported")


def settled(path: Path, before: os.stat_result) -> None:
    """RecordingError if the file is not as it was (`before`: its stat when reading began). One
    written to in the last SETTLE_S seconds is looked at again after them: a recorder still
    writing it (a line a second, say) is caught even when the reading was quick."""
    age = time.time() - before.st_mtime
    if 0 <= age < SETTLE_S:
        time.sleep(SETTLE_S - age)
    try:
        now = os.stat(path)
    except OSError:
        raise _changed(path, before) from None
    if _identity(now) != _identity(before):
        raise _changed(path, before)


def read_text(path: Path) -> str:
    """A whole text file (a Moticon export), from a saved regular file."""
    with open_regular(path, RecordingError) as (f, _):
        data = f.read()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise RecordingError(f"{path}:{line}: not a text CSV (byte 0x{data[e.start]:02x} is not UTF-8)") from None


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
                  lines: list[int], units: str, t_first: float | None, prev: float | None) -> None:
    """Vectorised checks. The earliest bad line wins; within a line, time comes first, then
    the columns left to right (what a row-by-row reader would have said). prev: the time of
    the row before these (None: they are the first)."""
    problems: list[tuple[int, int, str]] = []  # (row, rank in line, message)

    def first(mask: np.ndarray, rank: int, message: Callable[[int], str]) -> None:
        if mask.any():
            k = int(np.argmax(mask))
            problems.append((k, rank, message(k)))

    ti = header.index("t_ms")
    t = table[:, ti]
    before = np.concatenate([[np.nan if prev is None else prev], t[:-1]])
    first(~np.isfinite(t), -3, lambda k: f"column t_ms: {rows[k][ti].strip()!r} is not a finite number")
    back = ~(t > before) & np.isfinite(t) & ~np.isnan(before)
    first(back, -2, lambda k: f"time {'repeats' if t[k] == before[k] else 'goes backwards'} "
                              f"(t_ms {rows[k][ti].strip()} after {before[k]:g})")
    if t_first is not None:
        far = np.isfinite(t) & (t - t_first > MAX_SPAN_MS)
        first(far, -1, lambda k: f"t_ms {rows[k][ti].strip()} is more than {MAX_SPAN_MS // 3_600_000} h after the "
                                 f"first sample ({t_first:g}): a run is hours long; is t_ms in milliseconds?")
    for ci, col in enumerate(header):
        if col == "t_ms":
            continue
        v = table[:, ci]

        def cell(k: int, ci: int = ci) -> str:
            return repr(rows[k][ci].strip())

        first(~np.isfinite(v), ci, lambda k, col=col, cell=cell: f"column {col}: {cell(k)} is not a finite number")
        if units == "newton":
            first(v < 0, ci, lambda k, col=col, v=v: f"column {col}: negative force {v[k]:g} N")
            first(v > MAX_FORCE_N, ci, lambda k, col=col, v=v: f"column {col}: {v[k]:g} N is no force a foot "
                                                                f"puts on a sensor (over {MAX_FORCE_N:,} N)")
        else:
            bad = np.isfinite(v) & ((v != np.round(v)) | (v < 0) | (v > fsr.ADC_MAX))
            first(bad, ci, lambda k, col=col, cell=cell: f"column {col}: {cell(k)} is not an ADC count "
                                                         f"0..{fsr.ADC_MAX}")
    if problems:
        k, _, message = min(problems, key=lambda p: (p[0], p[1]))
        raise RecordingError(f"{path}:{lines[k]}: {message}")


Samples = Union[Recording, CsvRecording]  # what engine.replay runs: a recording in memory or read in chunks


@dataclass
class Frames:
    """What to_frame_chunks did: frames made, resampled or not, gaps bridged (count, longest ms)."""
    count: int = 0
    resampled: bool = False
    gaps: int = 0
    longest_gap: float = 0.0


def to_frame_chunks(rec: Samples, units: str, rate_hz: int, board: dict, made: Frames) -> Iterator[np.ndarray]:
    """Raw counts on the firmware's fixed sample grid, chunk by chunk: the samples as they are if
    they lie on the grid, else linearly interpolated onto it. `made` is filled in as it goes (its
    gaps: steps longer than 4 sample periods, which the interpolation bridges with straight lines)."""
    made.resampled = not rec.regular_at(rate_hz)
    period = 1000.0 / rate_hz
    n_grid = grid_length(rec.t_first, rec.t_last, rate_hz)
    table_f, table_c = fsr.forward_table(board, board["fsr"]["max_force_n"], 0.05) if units == "newton" else ([], [])
    last: tuple[float, np.ndarray] | None = None  # the previous chunk's last sample: interpolation spans chunks
    done = 0
    for t, values in rec.chunks():
        steps = np.diff(t if last is None else np.concatenate([[last[0]], t]))
        long = steps[steps > 4 * period]
        made.gaps += len(long)
        made.longest_gap = max(made.longest_gap, float(steps.max()) if len(steps) else 0.0)
        if made.resampled:
            tt, vv = (t, values) if last is None else (np.concatenate([[last[0]], t]), np.vstack([last[1], values]))
            last = (float(t[-1]), values[-1])
            stop = n_grid if t[-1] >= rec.t_last else min(n_grid, _grid_upto(rec.t_first, float(t[-1]), rate_hz))
            grid = _grid(rec.t_first, done, stop, rate_hz)
            values = np.column_stack([np.interp(grid, tt, vv[:, c]) for c in range(len(CHANNELS))])
            done = stop
        if units == "newton":
            values = np.interp(values, table_f, table_c)
        out = np.clip(np.round(values), 0, fsr.ADC_MAX).astype(np.uint16)
        made.count += len(out)
        yield out


def to_frames(rec: Samples, units: str, rate_hz: int, board: dict) -> tuple[np.ndarray, bool]:
    """Raw counts on the firmware's fixed sample grid, all at once. Returns (frames, resampled)."""
    made = Frames()
    frames = np.concatenate(list(to_frame_chunks(rec, units, rate_hz, board, made)))
    return frames, made.resampled


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
