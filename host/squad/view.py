"""`archcue squad`: the whole squad on one page, the runners who need the coach first.

One row per runner: the verdict of their report (all runs pooled) and the date of the latest
run, runs and minutes, curling's effect in the report's words, the knee-pain trend from the
coach's notes, and what is due. What is due, most pressing first:
  1. pain rising: the latest noted run's pain at least 2 points above the one before (on the
     0-10 scale, 2 points is the smallest change patients call meaningful: Farrar et al., Pain
     2001;94:149)
  2. unsettles: stop the cue, rehearse a gentle curl, retest
  3. not decided: a second run of about the minutes the report names; not enough data: a run of
     the block protocol (or first make the buzz felt and the curl rehearsed)
  4. steadies: the report's retest, 4 weeks after the latest run
  5. not seen for N weeks (default 6)
and then the rest (no difference that matters: retest only if something changes). Runners
equally pressed: the one waiting longest first.

Columns are data (COLUMNS): a column no runner has a value for is left out of the table, so
a column that only some squads have costs the others nothing: the foot drills' days this week
against the target, for runners who do them, and the hips-or-feet answer of runners with a
pain-mode protocol run (host/squad/beside.py gathers such cells)."""
from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from host.reports.report import CSS, SHORT, Table, effect_words, text_table
from host.squad.beside import DRILLS, HIPS_OR_FEET
from host.squad.summaries import Summary
from host.store.db import SessionRow
from host.store.notes import Note
from host.text import shown

RETEST_WEEKS = 4  # the report's "retest in 4 to 6 weeks" after a runner steadies
STALE_WEEKS = 6
PAIN_STEP = 2  # points on the 0-10 scale that count as a change (module doc)


@dataclass
class Due:
    what: str  # pain_rising | stop_cue | second_run | protocol_run | retest | not_seen
    words: str
    rank: int  # 1 first (module doc)


@dataclass
class Pain:
    trend: str  # rising | easing | steady | one_run
    when: str  # "during" or "after" the run: the score compared
    first: int  # the previous noted run's score (the only one, for one_run)
    last: int


@dataclass
class Row:
    runner: str
    summary: Summary
    weeks_since: float | None  # since the latest dated run
    pain: Pain | None
    due: list[Due] = field(default_factory=list)
    beside: dict[str, str] = field(default_factory=dict)  # column head -> words (host/squad/beside.py)

    @property
    def rank(self) -> int:
        return min((d.rank for d in self.due), default=9)


def _weeks(since: str | None, today: date) -> float | None:
    if not since:
        return None
    try:
        return (today - datetime.fromisoformat(since).date()).days / 7
    except ValueError:
        return None


def pain_trend(notes: list[Note], started: dict[str, str | None]) -> Pain | None:
    """The knee-pain trend over the noted runs (one note per run: Store.run_notes), in run
    order: pain after the run where the last two noted runs both have it, else pain during."""
    noted = sorted(notes, key=lambda n: (started.get(n.session) or n.at, n.entry))
    for when in ("after", "during"):
        scores = [getattr(n, f"pain_{when}") for n in noted]
        scores = [s for s in scores if s is not None]
        if len(scores) >= 2:
            a, b = scores[-2], scores[-1]
            trend = "rising" if b - a >= PAIN_STEP else "easing" if a - b >= PAIN_STEP else "steady"
            return Pain(trend, when, a, b)
    for when in ("after", "during"):
        scores = [s for n in noted if (s := getattr(n, f"pain_{when}")) is not None]
        if scores:
            return Pain("one_run", when, scores[-1], scores[-1])
    return None


def _due(s: Summary, weeks: float | None, pain: Pain | None, stale_weeks: float) -> list[Due]:
    out = []
    if pain and pain.trend == "rising":
        out.append(Due("pain_rising", f"ask about the knee: pain {pain.when} the run rose from {pain.first} to "
                                      f"{pain.last}", 1))
    if s.verdict == "destabilizes":
        out.append(Due("stop_cue", "stop coaching the toe curl; if the cue was misunderstood, rehearse a gentle "
                                   "curl and retest", 2))
    elif s.verdict == "inconclusive":
        more = (f"about {s.more_minutes} more minutes of blocks" if s.more_minutes else
                "a long run (over 120 more minutes of blocks: the effect sits near the margin)")
        out.append(Due("second_run", f"a second run to settle it: {more}", 3))
    elif s.verdict == "insufficient_data":
        out.append(Due("protocol_run", "check the buzz is felt and rehearse the curl, then run the protocol again"
                       if "engagement" in s.short else "a run of the block protocol (30 minutes, both insoles)", 3))
    elif s.verdict == "stabilizes" and weeks is not None and weeks >= RETEST_WEEKS:
        out.append(Due("retest", f"retest with the protocol ({RETEST_WEEKS} weeks have passed)", 4))
    if weeks is not None and weeks >= stale_weeks:
        out.append(Due("not_seen", f"not seen for {math.floor(weeks)} weeks", 5))
    return out


def squad_rows(summaries: dict[str, Summary], sessions: list[SessionRow], notes: dict[str, Note], today: date,
               stale_weeks: float = STALE_WEEKS, beside: dict[str, dict[str, str]] | None = None) -> list[Row]:
    """beside: column head -> {runner: words} (host/squad/beside.py)."""
    started = {r.id: r.started_at for r in sessions}
    by_runner: dict[str, list[Note]] = {}
    runner_of = {r.id: r.runner for r in sessions}
    for sid, n in notes.items():
        if sid in runner_of:
            by_runner.setdefault(runner_of[sid], []).append(n)
    rows = []
    for runner, s in summaries.items():
        weeks = _weeks(s.latest_run, today)
        pain = pain_trend(by_runner.get(runner, []), started)
        extra = {head: cells[runner] for head, cells in (beside or {}).items() if runner in cells}
        rows.append(Row(runner, s, weeks, pain, _due(s, weeks, pain, stale_weeks), extra))
    return sorted(rows, key=lambda r: (r.rank, -(r.weeks_since if r.weeks_since is not None else math.inf),
                                       r.runner))


# ----------------------------------------------------------------------------------------- words


def _pain_words(p: Pain | None) -> str:
    if p is None:
        return ""
    if p.trend == "one_run":
        return f"{p.last} {p.when} (one run)"
    return f"{p.trend} {p.first} -> {p.last} {p.when}"


def _effect(s: Summary) -> str:
    if s.verdict == "insufficient_data" or s.curling is None:
        return ""
    return ("curling: " if s.basis == "blocks" else "curled landings: ") + effect_words(s.curling)


@dataclass
class Column:
    head: str
    cell: Callable[[Row], str]  # "" when the runner has nothing to show: a column empty for all is left out


COLUMNS = [
    Column("runner", lambda r: shown(r.runner)),
    Column("verdict", lambda r: SHORT[r.summary.verdict]),
    Column("last run", lambda r: (r.summary.latest_run or "")[:10] or "date unknown"),
    Column("runs", lambda r: str(r.summary.runs)),
    Column("minutes", lambda r: f"{r.summary.minutes:.0f}"),
    Column("effect (95% interval)", lambda r: _effect(r.summary)),
    Column("knee pain", lambda r: _pain_words(r.pain)),
    Column(DRILLS, lambda r: r.beside.get(DRILLS, "")),
    Column(HIPS_OR_FEET, lambda r: r.beside.get(HIPS_OR_FEET, "")),
    Column("due", lambda r: "; ".join(d.words for d in r.due) or "-"),
]


def table(rows: list[Row]) -> Table:
    cols = [c for c in COLUMNS if any(c.cell(r) for r in rows)] or COLUMNS[:1]
    return Table([c.head for c in cols], [[c.cell(r) or "-" for c in cols] for r in rows])


def _title(rows: list[Row], today: date) -> str:
    return f"archcue squad: {len(rows)} runner{'s' if len(rows) != 1 else ''} on {today.isoformat()}"


NOTE = ("Most pressing first: pain rising, then a verdict that asks for action (unsettles; not decided or not "
        "enough data: another run), a retest due, runners not seen for a while. The verdict is each runner's report "
        "with every run pooled (`archcue report RUNNER` for the evidence).")


def text(rows: list[Row], today: date) -> str:
    if not rows:
        return "no runners in the store yet: `archcue pull` an insole first\n"
    title = _title(rows, today)
    return "\n".join([title, "=" * len(title), "", NOTE, "", *text_table(table(rows))]) + "\n"


def to_json(rows: list[Row], today: date) -> str:
    def one(r: Row) -> dict:
        s = r.summary
        return {"runner": r.runner, "verdict": s.verdict, "latest_run": s.latest_run,
                "weeks_since": None if r.weeks_since is None else round(r.weeks_since, 1), "runs": s.runs,
                "minutes": round(s.minutes, 1), "sessions": s.sessions, "basis": s.basis,
                "curling_ratio": s.curling.__dict__ if s.curling else None,
                "buzz_ratio": s.buzz.__dict__ if s.buzz else None, "effect_words": _effect(s) or None,
                "more_minutes": s.more_minutes, "short": s.short, "pain": r.pain.__dict__ if r.pain else None,
                "beside": r.beside,
                "due": [{"what": d.what, "words": d.words} for d in r.due]}
    def clean(o: object) -> object:
        if isinstance(o, float):
            return o if math.isfinite(o) else None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list):
            return [clean(v) for v in o]
        return o
    return json.dumps(clean({"date": today.isoformat(), "runners": [one(r) for r in rows]}), indent=2,
                      ensure_ascii=False) + "\n"


def to_html(rows: list[Row], today: date) -> str:
    e = html.escape
    t = table(rows)  # each row coloured as the report colours its verdict
    body = (f"<table><tr>{''.join(f'<th>{e(h)}</th>' for h in t.head)}</tr>" + "".join(
        f"<tr class='{e(r.summary.verdict)}'>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>"
        for r, cells in zip(rows, t.rows)) + "</table>")
    title = e(_title(rows, today))
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{CSS}td,th{{text-align:left}}</style></head><body><h1>{title}</h1><p>{e(NOTE)}</p>{body}"
            "</body></html>\n")
