"""The runner's side of the question: knee pain during and after a run (0-10, which knee) and
the drill tried, as the coach notes them (`archcue note SESSION`). Checking what the coach
typed, and the numbers the report puts beside the loading verdict; the words are in
host/reports/report.py.

Notes are written per session and read per run (host/store/runs.py): a note on one insole's
session is the run's, both feet. A run's notes are a history (the store keeps every `archcue
note`); what counts is, field by field, the latest value given on any of its sessions: pain
after a run is often asked the next morning, so a later note may add it without repeating the
rest."""
from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from host.command import UserError
from host.text import check_name, shown

KNEES = ("left", "right", "both")
DRILLS = ("toe-curl", "hips-core", "none")  # the field test's two drills, and none; others by --drill-other
PAIN_MAX = 10


@dataclass(frozen=True)
class Note:
    """One session's or run's note as it stands (each field the latest value given; None: never given)."""
    session: str  # the session, or the run (its first session's id)
    pain_during: int | None
    pain_after: int | None
    knee: str | None
    drill: str | None
    at: str  # when the latest note on this session was written
    entry: int  # the command that wrote it: sessions noted together are one run


def pain(option: str, value: str | None) -> int | None:
    """A 0-10 pain score as typed (argparse hands strings on, so the error is ours: one line)."""
    if value is None:
        return None
    v = value.strip()
    if not (v.isascii() and v.isdigit() and len(v) <= 2) or int(v) > PAIN_MAX:  # int() of 5000 digits raises
        raise UserError(f"{option} {shown(value[:20])!r}: give a whole number from 0 (no pain) to {PAIN_MAX} (worst "
                        "imaginable)")
    return int(v)


def knee(value: str | None) -> str | None:
    if value is None:
        return None
    if value.strip().lower() not in KNEES:
        raise UserError(f"--knee {shown(value)!r}: give {', '.join(KNEES[:-1])} or {KNEES[-1]}")
    return value.strip().lower()


def drill(value: str | None, other: str | None = None) -> str | None:
    """--drill: a known drill by its name (case, spaces and underscores aside); a near miss gets
    "did you mean"; anything else must be given as --drill-other, the coach's own words (checked
    as names are; a known name given there is that drill)."""
    if other is not None:
        name = check_name("--drill-other", other.strip())
        return _known(name) or name
    if value is None:
        return None
    known = _known(value)
    if known:
        return known
    squeezed = {_squeezed(d): d for d in DRILLS}
    near = difflib.get_close_matches(_squeezed(value), list(squeezed), 1, 0.6)
    if near:
        raise UserError(f"--drill {shown(value)!r}: did you mean {squeezed[near[0]]}?")
    raise UserError(f"--drill {shown(value)!r}: give {', '.join(DRILLS[:-1])} or {DRILLS[-1]}, or your own drill "
                    "with --drill-other NAME")


def _known(value: str) -> str | None:
    key = value.strip().casefold().replace(" ", "-").replace("_", "-")
    return key if key in DRILLS else None


def _squeezed(value: str) -> str:
    """Letters and digits only, case-folded: what a near miss is measured on."""
    return "".join(ch for ch in value.casefold() if ch.isalnum())


def check_knee_named(pain_scores: list[int | None], known_knee: str | None) -> None:
    """Pain above 0 says nothing useful without the knee: refuse it until one is named."""
    if known_knee is None and any(p for p in pain_scores):
        raise UserError("a pain above 0 needs the knee: add --knee " + "|".join(KNEES))


def merged(older: Note | None, newer: Note) -> Note:
    """The note as it stands after `newer`: its fields where given, else the older ones."""
    if older is None:
        return newer
    pick = lambda a, b: a if a is not None else b  # noqa: E731
    return Note(newer.session, pick(newer.pain_during, older.pain_during), pick(newer.pain_after, older.pain_after),
                pick(newer.knee, older.knee), pick(newer.drill, older.drill), newer.at, newer.entry)


NOTE_COLUMNS = ("session", "entry", "at", "pain_during", "pain_after", "knee", "drill")  # a stored note row


def standing(rows: Sequence[tuple], run_of: Mapping[str, str] | None = None) -> dict[str, Note]:
    """Each session's note as it stands, from its stored rows (NOTE_COLUMNS) oldest first; with
    run_of (session -> its run's first session), each run's: its sessions' notes as one history
    (sessions in no run left out)."""
    out: dict[str, Note] = {}
    for sid, entry, at, during, after, knee_, drill_ in rows:
        key = sid if run_of is None else run_of.get(sid)
        if key is not None:
            out[key] = merged(out.get(key), Note(key, during, after, knee_, drill_, at, entry))
    return out


@dataclass
class DrillSummary:
    drill: str
    runs: int
    run_ids: list[str]  # each run's first session
    during_mean: float  # nan: no score given
    during_range: tuple[int, int] | None
    after_mean: float
    after_range: tuple[int, int] | None


def _spread(scores: list[int]) -> tuple[float, tuple[int, int] | None]:
    if not scores:
        return math.nan, None
    return sum(scores) / len(scores), (min(scores), max(scores))


def by_drill(notes: list[Note]) -> list[DrillSummary]:
    """Pain per drill over runs (notes: one per run, standing(rows, run_of)); only when more than
    one drill was noted, since a comparison needs two sides. Most runs first."""
    per: dict[str, list[Note]] = {}
    for n in notes:
        if n.drill is not None:
            per.setdefault(n.drill, []).append(n)
    if len(per) < 2:
        return []
    out = []
    for name, group in per.items():
        dm, dr = _spread([n.pain_during for n in group if n.pain_during is not None])
        am, ar = _spread([n.pain_after for n in group if n.pain_after is not None])
        out.append(DrillSummary(name, len(group), [n.session for n in group], dm, dr, am, ar))
    return sorted(out, key=lambda d: (-d.runs, d.drill))
