"""The runner's side of the question: knee pain during and after a run (0-10, which knee) and
the drill tried, as the coach notes them per session (`archcue note`). Checking what the coach
typed, and the numbers the report puts beside the loading verdict; the words are in
host/reports/report.py.

A session's notes are a history (the store keeps every `archcue note`); what counts is, field by
field, the latest value given: pain after a run is often asked the next morning, so a later
note may add it without repeating the rest. Sessions noted in one command (the two insoles of
one run) count as one run when drills are compared."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from host.command import UserError
from host.text import check_name, shown

KNEES = ("left", "right", "both")
DRILLS = ("toe-curl", "hips-core", "none")  # the field test's two drills, and none; any other name is kept as typed
PAIN_MAX = 10


@dataclass(frozen=True)
class Note:
    """One session's note as it stands (each field the latest value given; None: never given)."""
    session: str
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


def drill(value: str | None) -> str | None:
    """A known drill by its name (case, spaces and underscores aside), else the coach's own
    words, checked as names are."""
    if value is None:
        return None
    name = check_name("--drill", value.strip())
    key = name.casefold().replace(" ", "-").replace("_", "-")
    return key if key in DRILLS else name


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


def standing(rows: Sequence[tuple]) -> dict[str, Note]:
    """Each session's note as it stands, from its stored rows (NOTE_COLUMNS) oldest first."""
    out: dict[str, Note] = {}
    for sid, entry, at, during, after, knee_, drill_ in rows:
        out[sid] = merged(out.get(sid), Note(sid, during, after, knee_, drill_, at, entry))
    return out


@dataclass
class DrillSummary:
    drill: str
    runs: int
    sessions: list[str]
    during_mean: float  # nan: no score given
    during_range: tuple[int, int] | None
    after_mean: float
    after_range: tuple[int, int] | None


def runs(notes: list[Note]) -> list[list[Note]]:
    """Notes grouped into runs: the sessions one command noted with the same values."""
    groups: dict[tuple, list[Note]] = {}
    for n in notes:
        groups.setdefault((n.entry, n.pain_during, n.pain_after, n.knee, n.drill), []).append(n)
    return list(groups.values())


def _spread(scores: list[int]) -> tuple[float, tuple[int, int] | None]:
    if not scores:
        return math.nan, None
    return sum(scores) / len(scores), (min(scores), max(scores))


def by_drill(notes: list[Note]) -> list[DrillSummary]:
    """Pain per drill over runs (one score per run, not per insole); only when more than one
    drill was noted, since a comparison needs two sides. Most runs first."""
    per: dict[str, list[list[Note]]] = {}
    for run in runs([n for n in notes if n.drill is not None]):
        per.setdefault(str(run[0].drill), []).append(run)
    if len(per) < 2:
        return []
    out = []
    for name, group in per.items():
        dm, dr = _spread([r[0].pain_during for r in group if r[0].pain_during is not None])
        am, ar = _spread([r[0].pain_after for r in group if r[0].pain_after is not None])
        out.append(DrillSummary(name, len(group), [n.session for r in group for n in r], dm, dr, am, ar))
    return sorted(out, key=lambda d: (-d.runs, d.drill))
