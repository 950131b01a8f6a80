"""The report's program page: every word a coach reads about the training program, as text, JSON
or one self-contained HTML page with the collapses-per-run figure. The numbers are
host/program/evidence.py's; the report's own helpers word them (one voice for numbers)."""
from __future__ import annotations

import json
import math
import time
from dataclasses import asdict

from host.program.evidence import RETENTION_VERDICTS, ProgramEvidence, ProgramRun, Retention
from host.program.schedule import RETENTION_WEEKS
from host.reports.report import CSS, Table, _figure, effect_words, html_block, json_ready, pct, text_block
from host.text import escaped_html, plural, shown, shown_text
from host.verdict.bootstrap import Interval

HEADLINES = {
    "kept": "KEPT: without any buzz the arch collapses less often than before the program",
    "not_kept": "NOT KEPT: without the buzz the arch collapses about as often as before the program",
    "inconclusive": "NOT DECIDED YET: the retention run cannot tell kept from not kept",
    "insufficient_data": "NOT ENOUGH DATA to say whether the training was kept",
}
assert set(HEADLINES) == set(RETENTION_VERDICTS)
BUZZ_ONLY = ("This runner collapses less often in the minutes with the buzz, but not in the minutes without it: "
             "they have learnt to answer the buzz, not to land differently. Without the cue the landing is as "
             "before; practise the curl without the buzz (the fading runs) before relying on it.")
ROLE = {"baseline": "before", "training": "training", "retention": "retention"}
CUE = {"blocks": "blocks", "every": "every flagged", "faded": "faded", "off": "none", "": "?"}


def _rate(r: Interval) -> str:
    if not math.isfinite(r.estimate):
        return "n/a"
    if not (math.isfinite(r.low) and math.isfinite(r.high)):
        return pct(r.estimate)
    return f"{pct(r.estimate)} ({pct(r.low)}-{pct(r.high)})"


def _missing(ret: Retention) -> str:
    """Why there is no retention verdict, one sentence."""
    what = ret.shortfalls[0].what if ret.shortfalls else "no_comparison"
    if what == "baseline":
        return ("There is no run before the program to compare with: the retention effect needs the runner's "
                "cue-free baseline (run the block protocol once; a program started without one can show its runs "
                "but never a retention effect).")
    if what == "retention":
        return (f"No retention run yet: it is a run without any buzz, at least {RETENTION_WEEKS} weeks after the "
                f"last training run.")
    s = ret.shortfalls[0]
    unit = {"landings": "judged landing", "windows": "one-minute window", "collapses": "arch collapse"}.get(
        s.what, s.what)
    return (f"Only {plural(round(s.have), unit)} on one side; at least {s.need:g} are needed: run longer without "
            f"the buzz.")


def headline(ev: ProgramEvidence) -> str:
    ret = ev.retention
    if ret.verdict == "inconclusive" and ret.more_minutes:
        return (f"{HEADLINES['inconclusive']}: about {ret.more_minutes} more minutes without the buzz (a second "
                f"retention run) would likely settle it")
    return HEADLINES[ret.verdict]


def _explain(ev: ProgramEvidence) -> list[str]:
    ret, m = ev.retention, f"{100 * ev.rule.margin:.0f}%"
    c = ret.comparison
    if ret.verdict == "insufficient_data":
        return [_missing(ret)]
    out = [f"In the retention run the arch collapsed on {pct(c.collapse_rate_a)} of landings, before the program "
           f"(minutes without the buzz) on {pct(c.collapse_rate_b)}: {effect_words(c.collapse_ratio, label='95%: ')}."]
    if ret.verdict == "not_kept":
        out.append(f"A drop of {m} or more is ruled out (90% interval).")
    if ret.verdict == "inconclusive" and not ret.more_minutes:
        out.append(f"The estimate sits too close to the {m} margin to promise how many minutes would settle it.")
    if ret.weeks_after is not None and ret.weeks_after < RETENTION_WEEKS:
        out.append(f"The retention run came {ret.weeks_after:.1f} weeks after the last training run; the program "
                   f"asks for at least {RETENTION_WEEKS}: it may show what is still fresh, not what was kept.")
    return out


def _runs_table(ev: ProgramEvidence) -> Table:
    rows = [[f"{ROLE[r.role]} {r.step}" if r.step else ROLE[r.role], (r.when or "date unknown")[:10],
             CUE.get(r.cue_mode, r.cue_mode), f"{r.free_minutes:.0f}", _rate(r.free_rate),
             _rate(r.cued_rate) if r.cued_rate else "-"] for r in ev.runs]
    return Table(["run", "date", "cue", "cue-free min", "collapses without the buzz", "with the buzz"], rows,
                 notes=["collapses: share of judged landings, 95% interval; cue-free minutes: the baseline's warm-up "
                        "and cue-off blocks, each training run's first 10 minutes, runs without a cue"])


def _timing(ev: ProgramEvidence) -> str:
    t = ev.cue
    if t is None:
        return ("The cue's timing: no cue recorded in the training runs (firmware that predates the cue events "
                "records none).")
    return (f"The cue's timing: the motor started a median {t.median_ms:.0f} ms after the landing's contact (95% of "
            f"cues within {t.p95_ms:.0f} ms; {plural(t.cues, 'cue')}): within about 100 ms, as feedback that is "
            f"learnt best arrives." if t.p95_ms <= 100 else
            f"The cue's timing: the motor started a median {t.median_ms:.0f} ms after the landing's contact, 95% "
            f"within {t.p95_ms:.0f} ms ({plural(t.cues, 'cue')}): later than the 100 ms feedback is learnt best "
            f"within.")


def document(ev: ProgramEvidence, today: str | None = None) -> list[tuple[str, object]]:
    doc: list[tuple[str, object]] = [
        ("h1", f"archcue training program: {shown(ev.runner)}"),
        ("p", f"Report date {today or time.strftime('%Y-%m-%d')}; "
              f"{plural(sum(r.role == 'training' for r in ev.runs), 'training run')}, "
              f"{plural(sum(r.role == 'baseline' for r in ev.runs), 'run')} before the program."),
        ("verdict", (ev.retention.verdict, f"RETENTION: {ev.retention.verdict}  --  {headline(ev)}")),
    ]
    doc += [("p", line) for line in _explain(ev)]
    if ev.buzz_only:
        doc.append(("p", BUZZ_ONLY))
    doc += [("h2", "Run by run"), ("table", _runs_table(ev)), ("figure", None), ("p", _timing(ev)),
            ("h2", "How to read this"), ("p", rule_text(ev))]
    return doc


def rule_text(ev: ProgramEvidence) -> str:
    m = f"{100 * ev.rule.margin:.0f}%"
    return (f"Only minutes without the buzz count as learning: the buzz asks for the curl, so minutes with it show "
            f"how the runner answers it. Kept: in the retention run (no buzz, at least {RETENTION_WEEKS} weeks after "
            f"the training) the arch collapses clearly less often than in the minutes without the buzz before the "
            f"program (95% interval below no change) by at least {m}. Not kept: a drop of {m} or more is ruled out "
            f"(90% interval). Otherwise not decided yet. Intervals come from a bootstrap over one-minute windows, "
            f"as the verdict's.")


def text(ev: ProgramEvidence, today: str | None = None) -> str:
    lines: list[str] = []
    for kind, body in document(ev, today):
        lines += text_block(kind, body) + ([""] if kind == "table" else [])
    return shown_text("\n".join(lines).rstrip()) + "\n"


def to_json(ev: ProgramEvidence) -> str:
    out = json_ready(asdict(ev))
    out.update(headline=headline(ev), verdicts=list(RETENTION_VERDICTS), rule_text=rule_text(ev))  # type: ignore[union-attr]
    return json.dumps(out, indent=2)


def to_html(ev: ProgramEvidence, today: str | None = None) -> str:
    e = escaped_html
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>archcue program: {e(ev.runner)}"
             f"</title><style>{CSS}.kept{{background:#d8f3dc}}.not_kept{{background:#ffd6d6}}</style></head><body>"]
    for kind, body in document(ev, today):
        block = html_block(kind, body)
        if block is not None:
            parts.append(block)
        elif kind == "figure" and ev.runs:
            parts.append(_figure(figure(ev)))
    parts.append("</body></html>")
    return "\n".join(parts)


def figure(ev: ProgramEvidence):
    """Collapses per run: without the buzz (with its 95% interval) and with it, the baseline's level."""
    from matplotlib.ticker import PercentFormatter

    from host.reports.figures import OFF, ON, Figure, _png, plt

    fig, ax = plt.subplots(figsize=(6.8, 3.4))
    x = list(range(len(ev.runs)))
    free = [r.free_rate for r in ev.runs]
    y = [100 * f.estimate for f in free]
    err = [[100 * max(f.estimate - f.low, 0) for f in free], [100 * max(f.high - f.estimate, 0) for f in free]]
    ax.errorbar(x, y, yerr=err, fmt="o-", color=OFF, capsize=3, label="without the buzz")
    cued = [(i, 100 * r.cued_rate.estimate) for i, r in enumerate(ev.runs) if r.cued_rate is not None]
    if cued:
        ax.plot(*zip(*cued), "s", color=ON, label="with the buzz")
    base = [r for r in ev.runs if r.role == "baseline"]
    if base and ev.retention.comparison is not None:
        ax.axhline(100 * ev.retention.comparison.collapse_rate_b, color="0.6", ls="--", lw=1, label="before (level)")
    ax.set_xticks(x, [_label(r) for r in ev.runs], fontsize=7, rotation=30)
    ax.set_ylabel("arch collapsed, share of landings")
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, max([*y, 10]) * 1.4)
    ax.set_title("Collapses per run")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    caption = headline(ev) + (". " + BUZZ_ONLY.split(":")[0] + "." if ev.buzz_only else ".")
    return Figure("program", "Collapses per run", caption, _png(fig))


def _label(r: ProgramRun) -> str:
    return {"baseline": "before", "training": f"run {r.step}", "retention": "retention"}[r.role]


def render(runner: str, sessions: list, configs: dict[str, dict], fmt: str, rule, events: dict[str, list[dict]],
           program: dict | None = None, today: str | None = None) -> tuple[str, str]:
    """The program page of a runner's sessions ([(SessionRow, steps)]; configs and events: each
    session's header config and event records; program: the plan's program, if any) in `fmt`,
    and its retention verdict."""
    from host.program.evidence import evidence
    from host.program.schedule import SHARES, retention_step

    shares = tuple(program["shares"]) if program else SHARES
    ev = evidence(runner, sessions, configs, retention_step(shares), rule, events=events,
                  ignore=tuple(program.get("ignore", ())) if program else ())
    return {"text": text, "json": lambda e, _: to_json(e), "html": to_html}[fmt](ev, today), ev.retention.verdict
