"""CSV export of a runner's data in labelled physical units (the firmware's integer units are
converted; the column name carries the unit), with a README.txt beside the CSVs that says
what each column means. Text cells a spreadsheet would read as a formula are neutralised.
Every file is written to a temporary name and renamed: a full disk or a kill leaves the old
file or none, never half of one; only regular files are written (write_atomic)."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from firmware.core import record
from host.command import UserError
from host.files import kind
from host.store.notes import NOTE_COLUMNS, standing
from host.store.records import flag

# (column, record field, scale to the unit, decimals, meaning): the step columns of both exports, CSV and
# Parquet (host/reports/export_parquet.py)
FIELDS = (
    ("ic_ms", "ic_ms", 1, 0, "initial contact, ms since the session started"),
    ("stance_ms", "stance_ms", 1, 0, "initial contact to toe-off, ms"),
    ("peak_load_n", "peak_total", 1, 0, "peak summed load over the stance, newtons"),
    ("arch_share_pct", "arch_share", 0.01, 2, "arch load / load behind the toes (all but hallux and toes) "
                                               "in the first 60 ms, percent"),
    ("toe_share_pct", "toe_share", 0.01, 2, "hallux + toes load / whole load in the first 60 ms, percent"),
    ("toe_load_n", "toe_load", 0.1, 1, "mean hallux + toes load in the first 60 ms, newtons"),
    ("medial_lateral_pct", "ml_index", 0.01, 2, "(met1 - met5) / (met1 + met5) over the stance, percent; "
                                                "positive = more load under the big-toe side"),
    ("loading_rate_n_per_s", "loading_rate", 10, 0, "steepest rise of the summed load, newtons per second"),
    ("block", "block", 1, 0, "block of the cue protocol (0 = warm-up or no protocol)"),
    ("fault_channels_mask", "faults", 1, 0, "bit i set: channel i (heel, arch, met1, met5, hallux, toes) "
                                            "flagged faulty during this step"),
)
TO_MS = "toe-off, ms since the session started (ic_ms + stance_ms)"
STEP_COLUMNS = (
    ("session", "foot", "ic_ms", "to_ms") + tuple(c for c, *_ in FIELDS[1:]) + record.FLAG_NAMES + record.STEP_NAMES
)
SESSION_COLUMNS = ("session", "runner", "device", "foot", "started_at", "steps", "recovered", "sealed",
                   "pain_during", "pain_after", "knee", "drill")
README = """archcue export for runner {runner}

steps.csv: one row per landing detected by the insole.
  session, foot           the session id and the foot the insole was on
  to_ms                   {to_ms}
{fields}
  {flags}  0/1 flags set by the insole (collapse: the arch took clearly more of the
                          load than this runner's usual; calibrated: the usual is learnt, flags
                          count; cue_block: the landing fell in a block with the buzz on)

sessions.csv: one row per session.
  started_at              insole clock at the start, or an import's start time (empty: the
                          insole's clock was not set, or an import without a start time)
  steps, recovered, sealed   landings; 1 if recovered after a power cut; 1 if the run ended cleanly
  pain_during, pain_after knee pain the runner reported, 0 (none) to 10 (worst); empty: not noted
  knee, drill             which knee (left, right, both); the drill tried (toe-curl, hips-core,
                          none, or the coach's own words): the session's note as it stands,
                          each field the latest value given with `archcue note`

notes.csv: every note as written (archcue note keeps them all), oldest first.
  session, entry, at      the session; the note's number (sessions noted in one command share
                          it: the two insoles of one run); when it was written (computer clock)
  pain_during ... drill   the values that note gave; empty: not given in that note

Text cells that begin with = + - @ are prefixed with ' so spreadsheets do not run them.
"""


def safe_cell(value: object) -> object:
    """A text cell a spreadsheet would evaluate (=, +, -, @, or a tab / CR first) gets a leading
    quote, as OWASP's CSV-injection advice says; numbers are left alone."""
    if isinstance(value, str) and value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


class OutputError(UserError):
    pass


def regular_target(path: Path) -> tuple[Path, os.stat_result | None]:
    """The regular file `path` names, and its stat (None: a new file). A symlink is followed, as
    a shell's `>` follows it: the link stays and the file it points to is replaced. A folder,
    device, FIFO or socket (or a link to one) is refused: replacing /dev/null with a report
    would break the machine, and writing into a FIFO can hang."""
    target = Path(os.path.realpath(path))
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    if stat.S_ISREG(st.st_mode):
        return target, st
    via = f" (a link to {target})" if target != Path(path).absolute() else ""
    raise OutputError(f"{path}{via} is {kind(st.st_mode)}: archcue writes regular files only; nothing was written")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Callable[[io.TextIOBase], None]) -> None:
    """write(f) into a temporary file beside the target (regular_target), then rename it over
    the target. A new file gets the user's umask (mkstemp's 0600 is for the temporary name
    only), a replaced one keeps its mode and, where allowed, its owner."""
    target, old = regular_target(Path(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, stat.S_IMODE(old.st_mode) if old else 0o666 & ~_umask())
        if old and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
            with contextlib.suppress(PermissionError):
                os.fchown(fd, old.st_uid, old.st_gid)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def step_table(steps: np.ndarray) -> list[np.ndarray]:
    """The columns of STEP_COLUMNS after session and foot, in their units (flags as 0/1 int8)."""
    cols = [steps["ic_ms"].astype(np.int64), steps["ic_ms"].astype(np.int64) + steps["stance_ms"]]
    for _, name, scale, decimals, _ in FIELDS[1:]:
        v = steps[name].astype(np.float64) * scale
        cols.append(np.round(v, decimals) if decimals else v.astype(np.int64))
    cols += [flag(steps, name).astype(np.int8) for name in record.FLAG_NAMES + record.STEP_NAMES]
    return cols


def _note_cells(values: tuple) -> list[object]:
    """A note's values as CSV cells: empty for not given, the drill's free text made safe."""
    return ["" if v is None else safe_cell(v) for v in values]


def export_csv(runner: str, sessions: list[tuple[object, np.ndarray]], folder: Path,
               note_rows: Sequence[tuple] = ()) -> tuple[Path, Path]:
    """note_rows: the exported sessions' notes as stored (host.store.notes.NOTE_COLUMNS), oldest first."""
    folder.mkdir(parents=True, exist_ok=True)
    notes = standing(note_rows)
    steps_path, sessions_path = folder / "steps.csv", folder / "sessions.csv"

    def steps_csv(f: io.TextIOBase) -> None:
        w = csv.writer(f)
        w.writerow(STEP_COLUMNS)
        for row, steps in sessions:
            head = [safe_cell(str(row.id)), safe_cell(str(row.foot))]
            for values in zip(*(c.tolist() for c in step_table(steps))):
                w.writerow(head + list(values))

    def sessions_csv(f: io.TextIOBase) -> None:
        w = csv.writer(f)
        w.writerow(SESSION_COLUMNS)
        for row, steps in sessions:
            n = notes.get(str(row.id))
            w.writerow([safe_cell(str(x)) for x in (row.id, row.runner, row.device, row.foot, row.started_at or "")]
                       + [len(steps), int(row.recovered), int(row.summary is not None)]
                       + _note_cells((n.pain_during, n.pain_after, n.knee, n.drill) if n else (None,) * 4))

    def notes_csv(f: io.TextIOBase) -> None:
        w = csv.writer(f)
        w.writerow(NOTE_COLUMNS)
        w.writerows(_note_cells(r) for r in note_rows)

    fields = "\n".join(f"  {c:<24}{meaning}" for c, _, _, _, meaning in FIELDS)
    for name in (steps_path, sessions_path, folder / "notes.csv", folder / "README.txt"):
        regular_target(name)  # all refused before any is written
    write_atomic(steps_path, steps_csv)
    write_atomic(sessions_path, sessions_csv)
    write_atomic(folder / "notes.csv", notes_csv)
    write_atomic(folder / "README.txt", lambda f: f.write(README.format(
        runner=runner, to_ms=TO_MS, fields=fields, flags=", ".join(record.FLAG_NAMES + record.STEP_NAMES))))
    return steps_path, sessions_path
