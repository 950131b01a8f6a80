"""The drills view (host/drills/view.py) as text, JSON (the trials, for scripts) and an HTML page."""
from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

from host.drills.view import FIGURE, DrillsView, Figures, Week, figures, smallest_change, trial_rows
from host.reports.report import CSS, Table, text_table
from host.text import plural

NAMES = {"balance": "One-foot balance", "short-foot": "Short foot (arch creation)", "toe-waver": "Toe waver"}
RELIABILITY = {  # what each figure is worth: measured on two drill performers (README "The foot drills")
    "balance": "held_s within 0.5 s of the truth, touch-downs found within 100 ms (sensitivity 1.00, no false "
               "one in 360 trials); sway and the toes' share compare this runner with themself only",
    "short-foot": "reps exact in 95-100% of sets; a toe curl never counted; a rep whose arch hovers within "
                  "3 points of the 15% line can be split or missed",
    "toe-waver": "cycles exact in 98-100% of sets; half a cycle never counted",
}


@dataclass
class Section:
    title: str
    lines: list[str]
    table: Table | None = None


def _num(v: float, fmt: str = ".1f") -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, fmt)


def _spread(f: Figures) -> str:
    return f"{_num(f.mean)} +- {_num(f.sd)}" if not math.isnan(f.sd) else _num(f.mean)


def _drill_table(drill: str, weeks: list[Week]) -> Table:
    label = FIGURE[drill][1]
    head = ["week", "foot"] + (["eyes"] if drill == "balance" else []) + [
        "trials" if drill == "balance" else "sets", f"{label} (mean +- SD)"]
    if drill == "balance":
        head += ["touch-downs a trial", "sway ML / AP (units/s)", "toes' share"]
    elif drill == "short-foot":
        head += ["toe curls (not counted)", "held too short", "mean hold (s)"]
    rows = []
    for w in weeks:
        row = [w.week, w.foot] + ([w.eyes] if drill == "balance" else []) + [str(w.figures.n), _spread(w.figures)]
        x = w.extra
        if drill == "balance":
            row += [_num(x["touchdowns"]), f"{_num(x['sway_ml'])} / {_num(x['sway_ap'])}", f"{_num(x['toe_share'])}%"]
        elif drill == "short-foot":
            row += [f"{x['curls']:.0f}", f"{x['short']:.0f}", _num(x["mean_hold"])]
        rows.append(row)
    return Table(head, rows)


def _noise_lines(v: DrillsView, drill: str) -> list[str]:
    out = []
    for foot in ("left", "right"):
        for eyes in (["open", "closed"] if drill == "balance" else [""]):
            ws = [w for w in v.weeks if w.drill == drill and w.foot == foot and w.eyes == eyes]
            if not ws:
                continue
            sets = [s for s in v.sets if s.drill == drill and s.foot == foot and s.eyes == eyes]
            f = figures(sets)  # the spread over all this runner's trials of the kind
            n = sorted(w.figures.n for w in ws)[len(ws) // 2]
            what = f"{foot}{', eyes ' + eyes if eyes else ''}"
            unit, spread = ("trial", "trial-to-trial") if drill == "balance" else ("set", "set-to-set")
            mdc = smallest_change(f.sd, n)
            if math.isnan(mdc):
                out.append(f"{what}: not yet known what change is more than noise (needs two "
                           f"{'trials on one day' if drill == 'balance' else 'sets'})")
            else:
                out.append(f"{what}: a week's mean moving by more than {_num(mdc)} {FIGURE[drill][1]} is more than "
                           f"noise ({spread} SD {_num(f.sd)}, {plural(n, unit)} a week)")
    return out


def _compare(v: DrillsView) -> list[str]:
    out = []
    for foot in ("left", "right"):
        o = figures([s for s in v.sets if s.drill == "balance" and s.foot == foot and s.eyes == "open"])
        c = figures([s for s in v.sets if s.drill == "balance" and s.foot == foot and s.eyes == "closed"])
        if o.n and c.n:
            out.append(f"eyes open against closed, {foot} foot: {_num(o.mean)} s against {_num(c.mean)} s held "
                       f"({o.n} and {c.n} trials)")
    for drill in FIGURE:
        left = figures([s for s in v.sets if s.drill == drill and s.foot == "left" and s.eyes in ("", "open")])
        right = figures([s for s in v.sets if s.drill == drill and s.foot == "right" and s.eyes in ("", "open")])
        if left.n and right.n:
            out.append(f"left against right, {NAMES[drill].lower()}: {_num(left.mean)} against {_num(right.mean)} "
                       f"{FIGURE[drill][1]}{' (eyes open)' if drill == 'balance' else ''}")
    return out


def sections(v: DrillsView) -> list[Section]:
    a = v.adherence
    target = (f"the plan's {a.per_week} days a week" if a.planned else
              f"{a.per_week} days a week (no plan set: foot-core training 3 times a week, as in the trial)")
    out = [Section("Adherence", [f"target: {target}; streak: {plural(a.streak, 'week')} in a row met"]
                   + ([f"planned drills: {', '.join(v.plan_drills)}"] if v.plan_drills else []),
                   Table(["week", "days with drills"], [[w, str(n)] for w, n in a.days.items()]))]
    for drill, name in NAMES.items():
        ws = [w for w in v.weeks if w.drill == drill]
        if ws:
            out.append(Section(name, _noise_lines(v, drill) + [f"how reliable: {RELIABILITY[drill]}"],
                               _drill_table(drill, ws)))
    compare = _compare(v)
    if compare:
        out.append(Section("Comparisons", compare))
    spreader = (f"noted on {plural(len(v.spreader), 'day')}: {', '.join(v.spreader)}" if v.spreader
                else "not noted yet (archcue note SESSION --drill-other toe-spreader)")
    out.append(Section("Toe spreader", [f"self-reported, no sensor sees it: {spreader}"]))
    return out


def _title(v: DrillsView) -> str:
    return f"{v.runner}: foot drills, {plural(len(v.sets), 'set')}"


def text(v: DrillsView) -> str:
    lines = [_title(v), "=" * len(_title(v))]
    if not v.sets:
        return "\n".join(lines + ["", "no drill sets yet: a drill session on the insole (pulled), or "
                                      "`archcue import FILE --drill ...`"]) + "\n"
    for s in sections(v):
        lines += ["", s.title, "-" * len(s.title), *s.lines]
        if s.table is not None and s.table.rows:
            lines += text_table(s.table)
    return "\n".join(lines) + "\n"


def to_json(v: DrillsView) -> str:
    return json.dumps({"runner": v.runner, "trials": trial_rows(v.sets)}, indent=1, ensure_ascii=False) + "\n"


def to_html(v: DrillsView) -> str:
    e = html.escape
    body = []
    for s in sections(v) if v.sets else []:
        body.append(f"<h2>{e(s.title)}</h2>" + "".join(f"<p>{e(line)}</p>" for line in s.lines))
        if s.table is not None and s.table.rows:
            head = "".join(f"<th>{e(h)}</th>" for h in s.table.head)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in s.table.rows)
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
    if not v.sets:
        body.append("<p>no drill sets yet</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(_title(v))}</title><style>{CSS}</style>"
            f"</head><body><h1>{e(_title(v))}</h1>{''.join(body)}</body></html>\n")
