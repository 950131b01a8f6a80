"""`archcue import FILE --drill balance|short-foot|toe-waver`: a lab recording of one drill set
measured by the firmware's drill code (host/drills/measure.py) and sealed as a drill session
(header "kind": "drills", its results as event records) by the firmware's own SessionLog, as
host/sources/importer.py seals and stores a run. A recording holds one drill, any number of
trials or reps. What cannot be measured is refused with one line, and nothing is stored: an
unknown drill, a balance recording with no single-leg stance, a set with no relaxed standing
to measure against."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from firmware.core import drills
from hardware.deploy import firmware_version
from host.command import UserError
from host.drills.measure import Measured, measure_counts
from host.sources import engine
from host.sources.recording import Frames, Samples, to_frame_chunks

DRILLS = drills.DRILLS[1:]
KIND = "drills"  # the session header's kind


def check(drill: str | None, eyes: str | None, foot: str | None) -> None:
    """--drill, --eyes and --foot, before anything is read."""
    if drill not in DRILLS:
        raise UserError(f"--drill {drill!r}: not a drill archcue measures ({', '.join(DRILLS)}); "
                        "a toe spreader is noted: archcue note SESSION --drill-other toe-spreader")
    if eyes is not None and drill != "balance":
        raise UserError(f"--eyes applies to the balance drill only, not {drill}")
    if eyes not in (None, "open", "closed"):
        raise UserError(f"--eyes {eyes!r}: open or closed")
    if foot is None:
        raise UserError(f"--foot left|right: which foot did the {drill} set (a drill recording is one foot's)")


def drill_session(rec: Samples, source: Path, units: str, rate: int | None, board: dict, config: dict,
                  drill: str, eyes: str | None, note: Callable[[str], None]) -> tuple[dict, bytes]:
    """(header, event records) of the drill session the recording makes."""
    rate = engine.grid_rate(rec, source, rate)
    made = Frames()
    frames = np.concatenate(list(to_frame_chunks(rec, units, rate, board, made)))
    engine.note_frames(rec, rate, made, note)
    eyes = eyes or ("open" if drill == "balance" else "")
    measured = measure_counts(frames, rate, board, drill, eyes=eyes)
    _check_measured(measured, source, made.count / rate)
    header = {"kind": KIND, "firmware": firmware_version(), "board": board.get("name", ""),
              "foot": config["foot"], "runner": config.get("runner_id", ""), "rate_hz": rate, "config": config}
    return header, measured.records


def _check_measured(m: Measured, source: Path, seconds: float) -> None:
    if not m.of("baseline"):
        raise UserError(f"{source}: no relaxed standing on both feet in {seconds:.0f} s (the set is measured "
                        "against 2 s of it at the start); nothing imported")
    if not m.baseline:
        raise UserError(f"{source}: no relaxed baseline: the arch carried 25% more later than in the first 2 s "
                        "(the set began inside a rep?); record 2 s of relaxed standing first; nothing imported")
    if m.drill == "balance" and not m.of("trial"):
        raise UserError(f"{source}: no single-leg stance in {seconds:.0f} s (a trial begins when this foot takes "
                        "the whole load, the other lifted); nothing imported")


def summary(results: list[dict]) -> str:
    """One line on a set's figures, for the import's and the pull's messages."""
    trials = [r for r in results if r["kind"] == "drill_trial"]
    reps = [r for r in results if r["kind"] == "drill_rep"]
    if trials:
        held = " / ".join(f"{t['held_ms'] / 1000:.1f}" for t in trials)
        return (f"{len(trials)} trial{'s' if len(trials) != 1 else ''}, held {held} s, "
                f"{sum(t['touchdowns'] for t in trials)} touch-downs")
    if reps:
        counted = [r for r in reps if r["outcome"] == drills.OUT_REP]
        curls = sum(r["outcome"] == drills.OUT_CURL for r in reps)
        short = sum(r["outcome"] == drills.OUT_SHORT for r in reps)
        return f"{len(counted)} reps, {curls} toe curls (not counted), {short} held under the time (not counted)"
    return f"{sum(r['kind'] == 'drill_cycle' for r in results)} toe-waver cycles"
