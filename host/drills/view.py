"""`archcue drills RUNNER`: the runner's drill sets (sessions whose header kind is "drills", pulled
or imported), per drill and week: the figures with their trial-to-trial spread and the smallest
change that is more than noise for this runner; eyes open against closed; left against right;
adherence against the plan (sets per week, streak); the toe spreader as the coach noted it
(self-reported: no sensor sees it). Computation here, words in render.py.

Noise: a week's figure is the mean of its trials (balance: held_s per trial; short foot: reps
per set; toe waver: cycles per set). The runner's own spread is the SD of that figure between
trials done the same day, pooled over the days with two or more (balance), or between all the
runner's sets of the drill (short foot, toe waver: one set a day is usual); the smallest change
above noise for a mean of n is 1.96 x sqrt(2) x SD / sqrt(n) (the 95% minimal detectable
change of the difference of two such means), with n the runner's usual count a week.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from firmware.core import drills as fw_drills
from host.drills.importer import KIND
from host.store.db import Store

DEFAULT_PER_WEEK = 3  # foot-core training 3 times a week (Taddei et al. 2020): the target without a plan
FIGURE = {"balance": ("held_s", "s held"), "short-foot": ("reps", "reps a set"),  # the figure, its unit
          "toe-waver": ("cycles", "cycles a set")}


@dataclass
class DrillSet:
    session: str
    started_at: str | None
    foot: str
    drill: str
    eyes: str  # "" for short foot and toe waver
    number: int  # the set's number in its session (1, 2 ...)
    events: list[dict] = field(default_factory=list)

    @property
    def day(self) -> str:
        return (self.started_at or "")[:10] or "undated"

    @property
    def week(self) -> str:
        if not self.started_at:
            return "undated"
        y, w, _ = datetime.fromisoformat(self.started_at).isocalendar()
        return f"{y}-W{w:02d}"

    def of(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["kind"] == f"drill_{kind}"]


def sets_of(store: Store, runner: str) -> list[DrillSet]:
    """Every drill set of the runner, oldest first (a session may hold several)."""
    rows = store.sessions(runner)
    headers = store.headers([r.id for r in rows])
    out: list[DrillSet] = []
    for row in rows:
        if headers[row.id].get("kind") != KIND:
            continue
        current: DrillSet | None = None
        for e in store.events(row.id):
            if e["kind"] == "drill_set":
                current = DrillSet(row.id, row.started_at, row.foot, fw_drills.DRILLS[e["drill"]],
                                   fw_drills.EYES[e["eyes"]], 1 + sum(s.session == row.id for s in out))
                out.append(current)
            elif current is not None:
                current.events.append(e)
    return out


def trial_rows(sets: list[DrillSet]) -> list[dict]:
    """The JSON's trials: one row per balance trial, one per short-foot or toe-waver set; a field
    that does not apply to the drill is None."""
    rows = []
    for s in sets:
        base = {"session": s.session, "started_at": s.started_at, "drill": s.drill, "foot": s.foot,
                "eyes": s.eyes or None}
        if s.drill == "balance":
            for t in s.of("trial"):
                rows.append({**base, "trial": t["trial"], "held_s": t["held_ms"] / 1000, "touchdowns": t["touchdowns"],
                             "reps": None, "curls": None, "cycles": None})
        else:
            reps = s.of("rep")
            rows.append({**base, "trial": s.number, "held_s": None, "touchdowns": None,
                         "reps": _count(reps, fw_drills.OUT_REP) if s.drill == "short-foot" else None,
                         "curls": _count(reps, fw_drills.OUT_CURL) if s.drill == "short-foot" else None,
                         "cycles": len(s.of("cycle")) if s.drill == "toe-waver" else None})
    return rows


def _count(reps: list[dict], outcome: int) -> int:
    return sum(r["outcome"] == outcome for r in reps)


@dataclass
class Figures:
    """One drill's figure over some trials (or sets)."""
    values: list[float]
    days: list[str]  # the day of each value (the spread is taken within days)

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def mean(self) -> float:
        return sum(self.values) / self.n if self.values else math.nan

    @property
    def sd(self) -> float:
        """Trial-to-trial spread: SD within days, pooled (nan with no day of two or more)."""
        ss, df = 0.0, 0
        for day in set(self.days):
            v = [x for x, d in zip(self.values, self.days) if d == day]
            if len(v) > 1:
                m = sum(v) / len(v)
                ss += sum((x - m) ** 2 for x in v)
                df += len(v) - 1
        return math.sqrt(ss / df) if df else math.nan


def figures(sets: list[DrillSet]) -> Figures:
    """Balance: held_s per trial, the spread between trials of a day (a day's trials share its
    form); short foot and toe waver: a set's count, the spread between sets (one set a day is usual)."""
    rows = trial_rows(sets)
    key = FIGURE[sets[0].drill][0] if sets else "held_s"
    days = [(r["started_at"] or "undated")[:10] if key == "held_s" else "all" for r in rows]
    return Figures([float(r[key]) for r in rows], days)


def smallest_change(spread: float, n: float) -> float:
    """The 95% minimal detectable change between two means of n trials with this SD."""
    return 1.96 * math.sqrt(2) * spread / math.sqrt(n) if n > 0 and not math.isnan(spread) else math.nan


@dataclass
class Week:
    drill: str
    week: str
    foot: str
    eyes: str
    figures: Figures
    extra: dict[str, float]  # balance: touch-downs per trial, sway, toe share; short foot: curls, mean hold


def weeks(sets: list[DrillSet]) -> list[Week]:
    groups: dict[tuple[str, str, str, str], list[DrillSet]] = {}
    for s in sets:
        groups.setdefault((s.drill, s.week, s.foot, s.eyes), []).append(s)
    return [Week(d, w, f, e, figures(g), _extra(g)) for (d, w, f, e), g in sorted(groups.items())]


def _extra(sets: list[DrillSet]) -> dict[str, float]:
    if sets[0].drill == "balance":
        trials = [t for s in sets for t in s.of("trial")]
        n = max(1, len(trials))
        return {"touchdowns": sum(t["touchdowns"] for t in trials) / n,
                "sway_ml": sum(t["sway_ml"] for t in trials) / n / 10,
                "sway_ap": sum(t["sway_ap"] for t in trials) / n / 10,
                "toe_share": sum(t["toe_share"] for t in trials) / n / 100}
    if sets[0].drill == "short-foot":
        reps = [r for s in sets for r in s.of("rep")]
        held = [r["hold_ms"] / 1000 for r in reps if r["outcome"] == fw_drills.OUT_REP]
        return {"curls": float(_count(reps, fw_drills.OUT_CURL)), "short": float(_count(reps, fw_drills.OUT_SHORT)),
                "mean_hold": sum(held) / len(held) if held else math.nan}
    return {}


@dataclass
class Adherence:
    per_week: int  # the target
    planned: bool  # the target is the coach's plan's (else DEFAULT_PER_WEEK)
    days: dict[str, int]  # week -> days with a drill set
    streak: int  # weeks in a row up to this one (or the last) with the target met


def adherence(sets: list[DrillSet], plan: dict | None, today: date) -> Adherence:
    target = (plan or {}).get("drills", {}).get("per_week")
    days: dict[str, set[str]] = {}
    for s in sets:
        if s.started_at:
            days.setdefault(s.week, set()).add(s.day)
    counts = {w: len(d) for w, d in sorted(days.items())}
    per_week = target or DEFAULT_PER_WEEK
    y, w, _ = today.isocalendar()
    streak, week = 0, date.fromisocalendar(y, w, 1)
    if counts.get(_iso_week(week), 0) < per_week:  # this week may not be over: the streak may end last week
        week = date.fromordinal(week.toordinal() - 7)
    while counts.get(_iso_week(week), 0) >= per_week:
        streak += 1
        week = date.fromordinal(week.toordinal() - 7)
    return Adherence(per_week, bool(target), counts, streak)


def this_week(a: Adherence, today: date) -> int:
    """Days with a drill set in today's week."""
    return a.days.get(_iso_week(today), 0)


def _iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def spreader_notes(store: Store, runner: str) -> list[str]:
    """When the toe spreader was noted (`archcue note SESSION --drill-other toe-spreader`): days."""
    rows = store.sessions(runner)
    started = {r.id: r.started_at for r in rows}
    return sorted({(started.get(sid) or at or "")[:10] for sid, _, at, *_rest, drill in
                   store.note_history(list(started)) if drill == "toe-spreader"})


@dataclass
class DrillsView:
    runner: str
    sets: list[DrillSet]
    weeks: list[Week]
    adherence: Adherence
    spreader: list[str]
    plan_drills: list[str]


def build(store: Store, runner: str, today: date) -> DrillsView:
    sets = sets_of(store, runner)
    plan = store.plan(runner)
    return DrillsView(runner, sets, weeks(sets), adherence(sets, plan, today), spreader_notes(store, runner),
                      list((plan or {}).get("drills", {}).get("drills", [])))


def done_since(store: Store, runner: str, since: str | None) -> dict[str, int]:
    """Drill sets per drill stored since a moment (the run report's next steps)."""
    out: dict[str, int] = {}
    for s in sets_of(store, runner):
        if since is None or (s.started_at or "") >= since:
            out[s.drill] = out.get(s.drill, 0) + 1
    return out
