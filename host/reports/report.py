"""The runner's report: every word the coach reads. One document (headings, paragraphs,
tables, definitions) rendered as text for the terminal or as one self-contained HTML file
(figures inline); JSON carries the numbers for tools.

One voice for numbers: shares and rates in percent; effects as "N% fewer / more collapses
(between A% fewer and B% more)"; the ratio itself only in JSON."""
from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from host.store.notes import DrillSummary, Note, by_drill
from host.text import escaped_html, ljust, plural, shown, shown_text, width
from host.verdict.analysis import Analysis, Asymmetry, Leftover, RunResult, SessionResult, Steps
from host.verdict.bootstrap import Interval
from host.verdict.rule import (
    MAX_MORE_MIN,
    VERDICTS,
    Comparison,
    Rule,
    Shortfall,
    asks_as_treated,
    curling_unknown,
    inside,
    uninformative,
)

if TYPE_CHECKING:  # figures import matplotlib: only the HTML report pays for it
    from host.reports.figures import Figure

HEADLINES = {
    "stabilizes": "Curling the toes STEADIES this runner's arch: it collapses less often",
    "destabilizes": "Curling the toes UNSETTLES this runner's arch: it collapses more often",
    "no_clear_effect": "Curling the toes makes NO DIFFERENCE THAT MATTERS to this runner's arch",
    "inconclusive": "NOT DECIDED YET: more minutes of blocks are needed",  # headline() says how many, or what else
    "insufficient_data": "NOT ENOUGH DATA to say yet",
}
PROTOCOL_WORDS = ("fit the insoles, run steady and easy for at least 30 minutes: the first 10 without cues "
                  "(warm-up), then the insole alternates one-minute blocks without and with the buzz; tell the "
                  "runner \"curl your toes into the ground when it buzzes\"; afterwards `archcue pull`, then "
                  "`archcue report RUNNER`")
IMPORT_PROTOCOL_WORDS = ("record a steady, easy run of at least 30 minutes: the first 10 without cues (warm-up), then "
                         "one-minute blocks without and with a cue to curl the toes into the ground at landing; then "
                         "`archcue import FILE --runner RUNNER --config C.json` with that timing in C.json "
                         "(`cue_mode` blocks, `warmup_s`, `block_s`), and `archcue report RUNNER`")
IMPORTED_WORDS = ("These runs are imported recordings: \"the buzz\" in this report is the cue the runner followed "
                  "while the recording was made. The import replays the recording through the insole's firmware with "
                  "the --config's block timing; it cannot buzz the runner.")
CURLING_UNKNOWN = {  # why curling's effect is not estimable (host/verdict/rule.py: curling_unknown)
    "toes": "the buzz did not change the toes",
    "few": "too few collapses among the landings the buzz made curl",
    "rough": "too few blocks yet: anywhere from every collapse gone to twice as many",
}
DEFINITIONS = {
    "arch collapsed": "the share of landings on which the arch took clearly more of the load than is usual for "
                      "this runner (the insole learns the usual from the first 30 landings of each run). "
                      "Fewer is steadier. With the buzz against without, this row shows whether the buzz "
                      "changed anything; with curling's effect it decides the verdict.",
    "toes engaged": "the share of landings on which the toes pressed into the ground more than usual.",
    "curling's effect": "the change in collapses on the landings whose toes curled because of the buzz: the "
                        "buzz's change in collapses divided by its change in toe engagement (the buzz is the "
                        "only thing that differs between blocks, so this is cause, not coincidence). This row "
                        "decides whether the effect reaches the margin (with the equivalence option 'complier', "
                        "also whether one that large is ruled out).",
    "curled vs not curled": "the change in collapses on landings with the toes engaged against landings without, "
                            "inside the same one-minute windows (warm-up and blocks alike). It asks the runner's "
                            "question directly, but the runner, not the insole, chose which landings to curl on: "
                            "it holds only if the toes did not curl mostly on landings that were going to collapse "
                            "anyway (or mostly on ones that were not). By default it must agree with the buzz's "
                            "effect for every verdict but 'not decided yet'.",
    "landings judged": "landings counted in this comparison; the first 30 of each run set the runner's usual "
                       "pattern and are not judged.",
    "blocks": "the one-minute stretches after the warm-up, alternating without and with the buzz.",
    "one-minute windows": "minutes of running that held both landings with and without toe engagement.",
    "arch share": "how much of the load behind the toes sits on the arch sensor, in the first 60 ms of a "
                  "landing. Lower means less arch load.",
    "arch share variability": "how much the arch share changes from landing to landing (its coefficient of "
                              "variation, in percent of its mean). Lower is steadier.",
    "loading-rate variability": "how much the speed at which load builds up changes from landing to landing, "
                                "in percent of its mean. Lower is steadier.",
    "inside-outside sway": "how much the load's balance between the inner and outer forefoot changes from "
                           "landing to landing (standard deviation of the medial-lateral index). Lower is "
                           "steadier.",
}
UNKNOWN_DATE = "date unknown (insole clock not set before its first run)"


# ----------------------------------------------------------------------------------------- numbers


def pct(x: float | None, digits: int = 0) -> str:
    """A 0..1 share as a percent; never 'nan'."""
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100 * x:.{digits}f}%"


def _change(ratio: float) -> str:
    """One side of an effect: '23% fewer', '12% more', 'no change'; never a signed number."""
    if math.isnan(ratio):
        return "n/a"
    p = round(100 * abs(1 - ratio))
    if p == 0:
        return "no change"
    return f"{p}% {'fewer' if ratio < 1 else 'more'}"


def effect_words(r: Interval, what: str = "collapses", label: str = "") -> str:
    """'23% fewer collapses (between 10% fewer and 34% fewer)', worded for every sign; label
    (e.g. '95% interval: ') goes inside the brackets."""
    if math.isinf(r.estimate):
        return f"{what} only with the buzz, none without"
    if not math.isfinite(r.estimate):
        return f"no estimate of the change in {what}"
    head = _change(r.estimate)
    head = f"about as many {what}" if head == "no change" else f"{head} {what}"
    if math.isnan(r.low) or math.isnan(r.high):
        return f"{head} (no interval: too few {what})"
    if math.isinf(r.high):
        return f"{head} ({label}between {_change(r.low)} and an unbounded increase: too few {what} without the buzz)"
    return f"{head} ({label}between {_change(r.low)} and {_change(r.high)})"


def _points(x: float, same: str, more: str, less: str) -> str:
    """A difference of two rates in percentage points, its sign as words."""
    p = round(100 * abs(x))
    return same if p == 0 else f"{plural(p, 'point')} {more if x > 0 else less}"


def points_words(d: Interval, when: str) -> str:
    """An engaged-rate difference in percentage points, signs as words."""
    def one(x: float) -> str:
        return _points(x, "no difference", "more", "less")
    if not math.isfinite(d.estimate):
        return "n/a"
    if not (math.isfinite(d.low) and math.isfinite(d.high)):
        return f"{one(d.estimate)} often {when}"
    return f"{one(d.estimate)} often {when} (between {one(d.low)} and {one(d.high)})"


def _minutes(m: float) -> str:
    return "n/a" if not math.isfinite(m) else f"{m:.0f} min"


def run_date(r: RunResult | Leftover, imported: bool = False, short: bool = False) -> str:
    """When a run (or a leftover) ran; undated: when it was pulled or imported, which places it
    among the others (short: for a table cell)."""
    if r.started_at:
        return r.started_at.replace("T", " ")[:16]
    how = "imported" if imported else "pulled"
    if short:
        return f"date unknown ({how} {r.when[:10]})" if r.when else "date unknown"
    why = "date unknown (an imported recording: --started-at sets it)" if imported else UNKNOWN_DATE
    return why + (f", {how} {r.when.replace('T', ' ')[:16]}" if r.when else "")


def imported_only(a: Analysis) -> bool:
    """Every run (and short session) came from `archcue import` (a lab or Moticon recording): advice about the
    insole (its button, buzz and clock) does not apply."""
    sessions = [*a.runs, *a.leftovers]
    return bool(sessions) and all(r.imported for r in sessions)


def protocol_words(a: Analysis) -> str:
    return IMPORT_PROTOCOL_WORDS if imported_only(a) else PROTOCOL_WORDS


def curling_words(c: Comparison, rule: Rule, level: float = 0.95, label: str = "") -> str:
    """Curling's effect in words, or why it is not estimable (then no number at all)."""
    why = curling_unknown(c, rule)
    if why:
        return f"not estimable ({CURLING_UNKNOWN[why]})"
    return effect_words(c.curling_ratio if level == 0.95 else c.curling_ratio_90, label=label)


def headline(a: Analysis) -> str:
    """The verdict's headline; "not decided yet" says whether more minutes of the same will do."""
    if a.verdict != "inconclusive" or a.more is None:
        return HEADLINES[a.verdict]
    if a.more.block_minutes is None:
        return "NOT DECIDED YET: one more run will not settle it"
    return f"NOT DECIDED YET: about {a.more.block_minutes} more minutes of blocks should settle it"


# ----------------------------------------------------------------------------------------- document


@dataclass
class Table:
    head: list[str]
    rows: list[list[str]]
    marked: set[int] = field(default_factory=set)  # rows that decide the verdict
    notes: list[str] = field(default_factory=list)


Block = tuple[str, object]  # ("h1"|"h2"|"p"|"verdict"|"list"|"table"|"defs"|"gap"|"figures"|"pain_figure"|
#                              "hof_figure", payload)


def rule_text(rule: Rule) -> str:
    m = f"{100 * rule.margin:.0f}%"
    if rule.equivalence == "complier":
        decides = (f"'Steadies' when the buzz's 95% interval shows fewer collapses and curling cuts them by at least "
                   f"{m}; 'unsettles' the same the other way; 'no difference that matters' only when curling's 90% "
                   f"interval excludes a change of {m} either way (the margin, equivalence option 'complier')")
    else:
        decides = (f"A third comparison, curled against uncurled landings in the same minutes (as-treated), assumes "
                   f"the runner did not curl mostly on landings that would have collapsed anyway. 'Steadies' when the "
                   f"buzz's 95% interval shows fewer collapses, curling cuts them by at least {m}, and the as-treated "
                   f"95% interval agrees; 'unsettles' the same the other way; 'no difference that matters' only when "
                   f"both the buzz's and the as-treated 90% intervals exclude a change of {m} either way (the margin; "
                   f"as equivalence trials ask of both their intention-to-treat and as-treated analyses)")
    return (f"How the verdict is decided: at least {rule.min_steps} judged landings and {rule.min_blocks} blocks in "
            f"each condition, at least {rule.min_collapses} collapses in all, and the toes engaged at least "
            f"{100 * rule.min_engaged_diff:.0f} points more often with the buzz; otherwise 'not enough data'. Then, "
            f"two effects are measured on the same blocks (resampled 2000 times; with two insoles a minute of "
            f"both feet counts once): the buzz's effect on how often the arch collapsed, and curling's effect, "
            f"the buzz's effect divided among the landings the buzz made curl (an instrumental-variable "
            f"estimate: it assumes the buzz changes collapses only through the toes). When the buzz did not change the "
            f"toes, curling's effect is a ratio of two numbers near zero: it is then 'not estimable' and decides "
            f"nothing. {decides}; otherwise 'not decided yet', with the minutes of blocks likely to settle it.")


def _explain(a: Analysis) -> list[str]:
    """What the data show, in words, for each verdict: the verdict with ONE effect for the
    runner (the one that decided it); the others are in the evidence table."""
    c = a.primary
    no_block = [] if a.basis == "blocks" else [_no_block_words(a)]
    if a.verdict == "insufficient_data" or c is None:
        return no_block + [_shortfall_words(s, a) for s in a.shortfalls if s.what != "no_comparison"]
    m = f"{100 * a.rule.margin:.0f}%"
    t = a.as_treated  # only beside blocks
    both = asks_as_treated(c, a.rule) and t is not None
    out = no_block + [_verdict_words(a, c, t if both else None, m)]
    if a.verdict == "no_clear_effect" and both:
        out.append(assumption_words(c))
    if a.verdict == "inconclusive" and c.basis == "blocks" and inside(c.collapse_ratio_90, a.rule.margin):
        rest = (f"on curled against uncurled landings in the same minutes a change of {m} is not ruled out yet" if both
                else f"it moved the toes on only some landings, so a change of {m} from curling itself is not ruled "
                     f"out yet")
        out.append(f"The buzz as given made no difference that matters (a change of {m} from the buzz is ruled "
                   f"out), but {rest}: do not look elsewhere on this run alone.")
    if a.more is not None:
        out.append(_more_words(a, m, both))
    if c.basis != "blocks":
        out.append("This rests on landings the runner chose to engage, not on a controlled comparison: confirm "
                   "with the block protocol.")
    return out


def _verdict_words(a: Analysis, c: Comparison, t: Comparison | None, m: str) -> str:
    """The verdict and the one effect to tell the runner. t: the as-treated comparison when the rule asks it."""
    blocks = c.basis == "blocks"
    def runner(level: float) -> str:
        label = "95% interval: " if level == 0.95 else "90% interval: "
        if not blocks:
            return (f"on landings with the toes engaged, against other landings in the same minutes, "
                    f"{effect_words(c.curling_ratio if level == 0.95 else c.curling_ratio_90, label=label)}")
        why = curling_unknown(c, a.rule)
        if why:
            return f"curling's own effect is not estimable yet ({CURLING_UNKNOWN[why]})"
        return f"on the landings the buzz made curl, curling the toes meant {curling_words(c, a.rule, level, label)}"
    agree = ("" if not blocks else " The buzz's own effect and curled against uncurled landings in the same minutes "
             "point the same way (the evidence table)." if t is not None else
             " The buzz's own effect points the same way (the evidence table).")
    if a.verdict == "stabilizes":
        return f"Curling the toes at landing steadies this runner's arch. For the runner: {runner(0.95)}.{agree}"
    if a.verdict == "destabilizes":
        return (f"Curling the toes at landing makes this runner's arch collapse more often. For the runner: "
                f"{runner(0.95)}.{agree}")
    if a.verdict == "no_clear_effect":
        head = (f"Toe curling makes no difference that matters to this runner's arch: a change of {m} or more is "
                f"ruled out both ways.")
        if t is not None:
            return (f"{head} For the runner: on curled against uncurled landings in the same minutes, "
                    f"{effect_words(t.collapse_ratio_90, label='90% interval: ')}; the buzz's own effect rules such "
                    f"a change out too (the evidence table).")
        return f"{head} For the runner: {runner(0.90)}."
    return (f"Not decided yet: the evidence still allows both no change and a change of {m} or more from curling. "
            f"So far, for the runner: {runner(0.95)}.")


def assumption_words(c: Comparison) -> str:
    """What a no_clear_effect on curled against uncurled landings assumes, in a coach's words."""
    return (f"This leans on one assumption: that the runner did not curl the toes mostly on landings that were going "
            f"to collapse anyway (or mostly on ones that were not). The buzz decided the curl on only about "
            f"{round(100 * c.engaged_rate_diff.estimate)} landings in 100, so the run cannot check it. If the runner "
            f"says they curled mainly when the foot felt unsteady, treat this as 'not decided yet': `--equivalence "
            f"complier` asks the buzz alone, without this assumption, and needs many more minutes.")


def _more_words(a: Analysis, margin: str, both: bool) -> str:
    more, c = a.more, a.primary
    assert more is not None and c is not None
    goal = {"stabilizes": "show whether the arch really collapses less often with the buzz",
            "destabilizes": "show whether the arch really collapses more often with the buzz",
            "no_clear_effect": f"rule out a change of {margin} from curling"}[more.toward]
    method = ("(estimated from how the intervals narrow with more blocks, taking today's estimates as the truth; "
              "blocks from every run pool, so a second run adds to this one)")
    moved = ""
    if more.toward == "no_clear_effect" and c.basis == "blocks" and not both:  # curling's interval: the buzz's, divided
        moved = (f" Ruling an effect out takes long when the buzz moves the toes on few landings (here about "
                 f"{round(100 * c.engaged_rate_diff.estimate)} in 100): rehearsing the curl so that more buzzes are "
                 f"answered shortens it.")
    if more.block_minutes is None:
        return (f"More than {MAX_MORE_MIN} more minutes of blocks would be needed to {goal} {method}: the "
                f"estimate sits close to the {margin} margin, or is known only roughly (or the comparisons point "
                f"different ways), so one more run will not settle it: what can is under 'What to do next'.{moved}")
    return (f"About {more.block_minutes} more minutes of blocks would likely {goal} {method}: "
            f"{_plan(more.block_minutes)}.{moved}")


def _plan(block_minutes: int) -> str:
    """The runs that hold `block_minutes` more minutes of blocks (each run has its 10-minute warm-up)."""
    one = f"another run of {block_minutes + 10} minutes with the block protocol (10 of them warm-up)"
    if block_minutes <= 20:
        return one
    return f"{one}, or {math.ceil(block_minutes / 20)} runs of 30 minutes, which the report pools"


FEW_ANSWERED = 0.3  # the buzz changed the toes on fewer landings than this: rehearsing the curl helps (bench: 0.45)


def _two_feet(a: Analysis) -> bool:
    """Some run was recorded on both feet."""
    return any(len(set(r.feet)) > 1 for r in a.runs)


def _settles(a: Analysis) -> str:
    """What can settle a verdict that one more run will not."""
    c = a.primary
    ways = [] if _two_feet(a) else ["record both feet (both insoles) on every run: a minute of both feet holds "
                                    "twice the landings, and with both insoles the bench decided far more runs "
                                    "(README, 'How long to run')"]
    if c is not None and c.basis == "blocks" and c.engaged_rate_diff.estimate < FEW_ANSWERED:
        ways.append(f"rehearse the curl before each run so more buzzes are answered (the buzz changed the toes on "
                    f"about {round(100 * c.engaged_rate_diff.estimate)} landings in 100)")
    ways.append(f"pool several runs over the coming weeks (the report pools the blocks of every run; more than "
                f"{MAX_MORE_MIN} minutes of blocks are needed)")
    return "; ".join(ways)


def _no_block_words(a: Analysis) -> str:
    longest = max([r.minutes for r in a.runs] + [r.minutes for r in a.leftovers], default=0.0)
    what = "run" if a.runs else "session"
    mode = "the import's --config cue mode" if imported_only(a) else "the insole's cue mode"
    return (f"No block ran: the longest {what} lasted {plural(round(longest), 'minute')}, and the first 10 minutes "
            f"are the warm-up (or {mode} is not 'blocks'). Run at least 20 minutes with the block protocol (30 or "
            f"more to decide).")


def _shortfall_words(s: Shortfall, a: Analysis) -> str:
    need, have = f"{s.need:g}", round(s.have)
    if s.what == "landings":
        return f"Only {plural(have, 'judged landing')} in a condition; at least {need} are needed."
    if s.what in ("blocks", "windows"):
        unit = ("one-minute block", "one-minute blocks") if s.what == "blocks" else (
            "one-minute window with and without toe engagement", "one-minute windows with and without toe engagement")
        return (f"Only {plural(have, *unit)} in a condition; at least {need} are needed: run longer after the "
                f"warm-up.")
    if s.what == "collapses":
        return (f"Only {plural(have, 'arch collapse')} in all the blocks (at least {need} needed): with no collapses "
                f"to prevent, this test cannot show what toe curling does. The arch looks steady already.")
    return (f"The toes were not engaged clearly more often with the buzz ({pct(a.primary.engaged_rate_a)} versus "
            f"{pct(a.primary.engaged_rate_b)} of landings): the buzz did not change what the toes did, so the test "
            f"says nothing yet.")


def _drills_done(runner: str, drills: dict[str, int] | None) -> list[str]:
    """After "stabilizes": the drill sets done since the latest run (None: not looked up)."""
    if drills is None:
        return []
    if not drills:
        return ["No drill sets stored since the latest run: two presses of the insole's button when it is idle start "
                f"a drill session (`archcue plan {shown(runner)} --drills ...` chooses the drills)."]
    done = ", ".join(f"{name} {plural(n, 'set')}" for name, n in sorted(drills.items()))
    return [f"Done since the latest run: {done} (`archcue drills {shown(runner)}` has the figures)."]


def _next_steps(a: Analysis, drills: dict[str, int] | None = None) -> list[str]:
    retest = f"`archcue report {shown(a.runner)} --since DATE` (DATE: the day of the new run)"
    engaged_short = any(s.what == "engagement" for s in a.shortfalls)
    return {
        "stabilizes": [
            "Foot-core drills, 3 to 4 times a week: toe waver (lift the big toe alone, then the small toes alone), "
            "toe spreading, arch creation (short foot: shorten the foot without curling the toes), single-leg "
            "balance (30 s each side, then eyes closed).",
            *_drills_done(a.runner, drills),
            "If the runner has knee pain, an unsteady arch is a plausible contributor: note whether it eases.",
            f"Retest in 4 to 6 weeks with the same protocol and compare: {retest}.",
        ],
        "destabilizes": [
            "Do not coach toe curling for this runner; check the curl is a gentle press, not a clench.",
            "If the runner has knee pain, look at the hips and core (single-leg squat, hip strength).",
            f"If the cue was misunderstood, rehearse it and retest: {retest}.",
        ],
        "no_clear_effect": [
            "The feet are a less likely source of trouble: check the hips and core: a single-leg squat (does the "
            "knee drift inward?), hip abduction strength (side plank, side-lying leg raise), pelvic drop while "
            "running.",
            f"Retest only if something changes (new shoes, new pain): {retest}.",
        ],
        "inconclusive": ["Do not change the runner's training on this result yet.", _undecided_step(a)],
        "insufficient_data": (
            [_cue_check(a),
             "Rehearse the curl before the run: ten slow toe curls into the floor, then a few steps of running "
             "with a curl at each landing.",
             f"Then run the protocol again: {protocol_words(a)}."] if engaged_short else
            [f"Run the block protocol: {protocol_words(a)}."]),
    }[a.verdict]


def _undecided_step(a: Analysis) -> str:
    """The one next step of "not decided yet": the same protocol for the minutes the body named, or,
    when more of the same will not settle it, what will."""
    report = f"`archcue report {shown(a.runner)}`"
    if a.more is None or a.more.block_minutes is None:
        return f"One more run will not settle it. What can: {_settles(a)}; then {report}."
    return (f"Run the block protocol again: {_plan(a.more.block_minutes)}; then {report}: it pools the blocks of "
            f"every run.")


def _cue_check(a: Analysis) -> str:
    """When the toes did not answer the cue: check the runner felt it (an insole's buzz) or was
    cued at all (an import replays a recording: it cannot buzz the runner)."""
    if imported_only(a):
        return ("Check the runner was cued in the cue-on blocks and answered, and that the import's --config has the "
                "block timing the runner followed (`warmup_s`, `block_s`): the import replays the recording with it "
                "and cannot buzz the runner.")
    return ("Check the buzz is felt: the runner stands, you tap the insole's button or run `archcue pull` to restart "
            "it, and the runner says when it buzzes.")


def _evidence(a: Analysis) -> list[Block]:
    c = a.primary
    if c is None:
        return []
    blocks = c.basis == "blocks"
    t = a.as_treated  # only beside blocks
    asks = asks_as_treated(c, a.rule) and t is not None
    la, lb = ("with buzz", "without buzz") if blocks else ("toes engaged", "toes not engaged")
    unit = "blocks" if blocks else "one-minute windows"
    decided = a.verdict != "insufficient_data"  # otherwise a shortfall decided, not these rows
    rows: list[tuple[list[str], bool]] = [  # (row, whether it decides the verdict)
        (["arch collapsed", pct(c.collapse_rate_a), pct(c.collapse_rate_b), effect_words(c.collapse_ratio)],
         decided and not uninformative(c.collapse_ratio))]
    if blocks:  # else toes engaged is 100% vs 0% by definition, and curling's effect is the row above
        rows += [(["toes engaged", pct(c.engaged_rate_a), pct(c.engaged_rate_b),
                   points_words(c.engaged_rate_diff, "with the buzz")], False),
                 (["curling's effect", "", "", curling_words(c, a.rule)], decided and not curling_unknown(c, a.rule))]
    if t is not None:
        rows.append((["curled vs not curled", "", "", effect_words(t.collapse_ratio)],
                     decided and asks and not uninformative(t.collapse_ratio)))
    rows += [(["landings judged", str(c.steps_a), str(c.steps_b), ""], False),
             ([unit, str(c.clusters_a), str(c.clusters_b), ""], False)]
    marked = {i for i, (_, decides) in enumerate(rows) if decides}
    decide = Table(["measure", la, lb, "difference (95% interval)"], [r for r, _ in rows], marked=marked,
                   notes=["> marks the rows that decide the verdict." if marked else
                          "no row decides the verdict: there is not enough data yet, see above" if not decided else
                          "no row decides the verdict yet: every interval is too wide to tell"])
    other = Table(["measure", la, lb, "difference"], [
        ["arch share", pct(c.arch_mean_a), pct(c.arch_mean_b), ""],
        ["arch share variability", pct(c.arch_cv_a), pct(c.arch_cv_b), _steadier(c.arch_cv_ratio.estimate)],
        ["loading-rate variability", "", "", _steadier(c.loading_rate_cv_ratio)],
        ["inside-outside sway", "", "", _steadier(c.ml_sd_ratio)],
    ])
    basis = "controlled block protocol" if blocks else "observational: the runner chose when to engage"
    out: list[Block] = [("h2", f"Evidence: {la} vs {lb} ({basis})"), ("table", decide),
                        ("h2", "Other measures (they do not decide the verdict)"), ("table", other)]
    extra = [f"{foot} foot alone: {SHORT[a.per_foot_verdict.get(foot, 'insufficient_data')]}; curling's effect "
             f"{curling_words(fc, a.rule)}, over {plural(fc.steps_a + fc.steps_b, 'landing')}."
             for foot, fc in a.per_foot.items() if fc is not None and len(a.per_foot) > 1]
    if a.asymmetry is not None:
        extra.append(asymmetry_words(a.asymmetry))
    if extra:
        out.append(("list", extra))
    terms = ["arch collapsed", "toes engaged", *(["curling's effect"] if blocks else []),
             *(["curled vs not curled"] if t is not None else []), "landings judged", unit,
             "arch share", "arch share variability",
             "loading-rate variability", "inside-outside sway"]
    out.append(("defs", [(t, DEFINITIONS[t]) for t in terms]))
    return out


def asymmetry_words(s: Asymmetry) -> str:
    """Left against right, in points, with its interval and what it rests on."""
    d = s.diff
    def one(x: float) -> str:
        return _points(x, "as often", "more often", "less often")
    if not math.isfinite(d.estimate):
        return "Left against right: n/a."
    between = (f" (95% interval: between {one(d.low)} and {one(d.high)})" if math.isfinite(d.low)
               and math.isfinite(d.high) else "")
    return (f"Left against right, over {plural(s.windows, 'minute')} both insoles recorded: the left arch collapsed on "
            f"{pct(s.left_rate)} of landings, the right on {pct(s.right_rate)}: the left {one(d.estimate)}"
            f"{between}.")


def _steadier(ratio: float) -> str:
    if not math.isfinite(ratio):
        return "n/a"
    p = round(100 * abs(1 - ratio))
    if p == 0:
        return "as steady"
    return f"{p}% {'steadier' if ratio < 1 else 'less steady'} with the buzz"


def _run_lines(a: Analysis, all_sessions: bool) -> list[Block]:
    """Each run, oldest first, on one line; then the leftovers: counted, or listed (--all)."""
    by_id = {r.session: r for r in a.sessions}
    lines = []
    for r in a.runs:
        who = " and ".join(f"{_session_name(by_id[sid])} ({foot} foot)" for sid, foot in zip(r.sessions, r.feet))
        if len(r.sessions) > 1:
            who += ": the two insoles of one run, matched minute by minute (a minute of both feet counts once)"
        if r.blocks_on + r.blocks_off:
            what = (f"{plural(round(r.minutes), 'minute')}: {r.warmup_min:.0f} warm-up, then "
                    f"{plural(r.blocks_off, 'block')} without and {r.blocks_on} with the buzz")
        else:
            what = (f"{plural(round(r.minutes), 'minute')}, no block ran (the protocol needs the 10-minute warm-up, "
                    f"then at least 20 minutes of blocks)")
        lines.append(f"{run_date(r, r.imported)}, {who}: {what}.")
    if not a.runs:
        lines.append("No run yet: every session was too short to hold a block (the warm-up plus one block), or "
                     "held no running.")
    k = len(a.leftovers)
    if k and not all_sessions:
        lines.append(f"{plural(k, 'short session')} left out ({LEFTOVER_WORDS}): `archcue report {shown(a.runner)} "
                     f"--all` lists {'it' if k == 1 else 'them'}.")
    return [("h2", "The runs"), ("list", lines)] + (_leftover_table(a) if k and all_sessions else [])


def _leftover_table(a: Analysis) -> list[Block]:
    """--all: each leftover on a row."""
    rows = [[run_date(r, r.imported, short=True), shown(r.session), r.foot, f"{r.minutes:.1f}", str(r.blocks),
             str(r.steps), r.why] for r in a.leftovers]
    return [("h2", f"Short sessions, not counted ({len(a.leftovers)})"),
            ("p", f"Not runs ({LEFTOVER_WORDS}): no verdict, history row or figure counts them."),
            ("table", Table(["date", "session", "foot", "minutes", "blocks", "landings", "why"], rows))]


LEFTOVER_WORDS = "too short to hold a block, or no running, as a pull before a run or a second pull leaves"


def _history(a: Analysis) -> list[Block]:
    by_id = {r.session: r for r in a.sessions}
    t = Table(["date", "run", "feet", "minutes", "blocks", "toes engaged", "collapsed with buzz",
               "collapsed without", "verdict of this run"],
              [[run_date(r, r.imported, True), " + ".join(_session_name(by_id[sid]) for sid in r.sessions),
                "both" if len(set(r.feet)) > 1 else r.feet[0], f"{r.minutes:.0f}", str(r.blocks_on + r.blocks_off),
                pct(r.engaged_rate), pct(r.collapse_on), pct(r.collapse_off), SHORT[r.verdict]] for r in a.runs])
    out: list[Block] = [("h2", f"History ({plural(len(a.runs), 'run')}, oldest first; "
                               f"{plural(a.steps_used, 'landing')} judged, {a.steps_calibration} used to learn "
                               "the runner's usual pattern)"), ("table", t)]
    tr = a.trend
    if tr.get("collapse_per_run") is not None:
        out.append(("p", f"Trend per run: collapses {_pts(tr['collapse_per_run'])}, toes engaged "
                         f"{_pts(tr.get('engaged_per_run'))}."))
    return out


def _session_name(r: SessionResult) -> str:
    """The session id as stored (control characters escaped), and why it is damaged if it is."""
    return shown(r.session) + (f" (damaged: {shown(r.damage)}; every record that passed its CRC is here)"
                               if r.damage else "")


def _pts(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    p = abs(100 * x)
    return "steady" if p < 0.05 else f"{p:.1f} points {'up' if x > 0 else 'down'}"


SHORT = {"stabilizes": "steadies", "destabilizes": "unsettles", "no_clear_effect": "no difference",
         "inconclusive": "not decided", "insufficient_data": "not enough data"}


def _period(a: Analysis) -> str:
    """'2 runs (3 sessions), 70 minutes of running, from 2026-11-02 to 2026-11-24'"""
    dates = sorted(r.started_at[:10] for r in a.runs if r.started_at)
    unknown = sum(1 for r in a.runs if not r.started_at)
    sessions = sum(len(r.sessions) for r in a.runs)
    out = plural(len(a.runs), "run") + (f" ({plural(sessions, 'session')})" if sessions != len(a.runs) else "")
    if a.runs:
        out += f", {plural(round(a.minutes), 'minute')} of running"
    if dates:
        out += f", on {dates[0]}" if dates[0] == dates[-1] else f", from {dates[0]} to {dates[-1]}"
    if unknown:
        out += f", {unknown} of unknown date" if dates else (", date unknown" if unknown == 1 else ", dates unknown")
    if a.leftovers:
        out += f" ({plural(len(a.leftovers), 'short session')} left out)"
    return out


def document(a: Analysis, today: str | None = None, scope: str = "", notes: dict[str, Note] | None = None,
             all_sessions: bool = False, drills: dict[str, int] | None = None,
             hips_or_feet: list[Block] | None = None) -> list[Block]:
    """notes: each run's (by its first session's id); all_sessions: list the leftovers too; drills:
    the drill sets done since the latest run, per drill (named in the next steps); hips_or_feet: its
    section, when a run ran that protocol (host/hips_or_feet/words.py)."""
    doc: list[Block] = [
        ("h1", f"archcue report: {shown(a.runner)}"),
        ("p", f"Report date {today or time.strftime('%Y-%m-%d')}; {_period(a)}{scope}."),
        ("verdict", (a.verdict, f"VERDICT: {a.verdict}  --  {headline(a)}")),
    ]
    doc += [("p", line) for line in _explain(a)]
    doc += [("h2", "What to do next"), ("list", _next_steps(a, drills))]
    if a.runs or a.leftovers:
        doc += _run_lines(a, all_sessions)
    if imported_only(a):
        doc.append(("p", IMPORTED_WORDS))
    doc += _evidence(a)
    doc.append(("figures", None))
    doc += hips_or_feet or []
    if a.runs:
        doc += _history(a)
        doc += pain_section(a, notes or {})
    doc += [("h2", "How to read this"), ("p", rule_text(a.rule)),
            ("p", f"The protocol: {protocol_words(a)}.")]
    return doc


# ----------------------------------------------------------------------------------------- text


def text(a: Analysis, today: str | None = None, scope: str = "", notes: dict[str, Note] | None = None,
         all_sessions: bool = False, drills: dict[str, int] | None = None,
         hips_or_feet: list[Block] | None = None) -> str:
    lines: list[str] = []
    for kind, body in document(a, today, scope, notes, all_sessions, drills, hips_or_feet):
        lines += text_block(kind, body)
    return shown_text("\n".join(lines).rstrip()) + "\n"  # a header's strings never reach a terminal raw


def text_block(kind: str, body: object) -> list[str]:
    """A document block (the kinds every page of the coach's has) as terminal lines; [] for a
    kind a terminal does not show (figures)."""
    if kind == "h1":
        return [str(body), "=" * len(str(body)), ""]
    if kind == "h2":
        return ["", str(body), "-" * len(str(body))]
    if kind == "verdict":
        return [body[1], ""]  # type: ignore[index]
    if kind == "p":
        return [str(body), ""]
    if kind == "list":
        return [f"  * {x}" for x in body]  # type: ignore[attr-defined]
    if kind == "table":
        return text_table(body)  # type: ignore[arg-type]
    if kind == "defs":
        return ["What the measures mean:"] + [f"  {t}: {d}" for t, d in body]  # type: ignore[attr-defined]
    if kind == "gap":  # a blank line after a table or a list
        return [""]
    return []


def text_table(t: Table) -> list[str]:
    """Columns padded to the cells' width on a terminal (a CJK character or an emoji takes two)."""
    cells = [[shown(c) for c in row] for row in [t.head] + t.rows]
    widths = [max(width(r[i]) for r in cells) for i in range(len(t.head))]
    out = []
    for i, r in enumerate(cells):
        mark = "> " if i - 1 in t.marked else "  "
        out.append((mark + "  ".join(ljust(c, w) for c, w in zip(r, widths))).rstrip())
    return out + [f"  ({n})" for n in t.notes]


# ----------------------------------------------------------------------------------------- JSON


def json_ready(o: object) -> object:
    """o with every NaN or infinity (an estimate that does not exist) as None, which JSON holds."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: json_ready(v) for k, v in o.items()}
    if isinstance(o, list):
        return [json_ready(v) for v in o]
    return o


def to_json(a: Analysis, notes: dict[str, Note] | None = None, hips_or_feet: dict | None = None) -> str:
    """hips_or_feet: that answer's document (host/hips_or_feet/words.py), when a run ran the protocol."""
    out = json_ready(asdict(a))
    for c, d in [(a.primary, out["primary"]), *((a.per_foot[f], out["per_foot"][f]) for f in a.per_foot)]:  # type: ignore[index]
        why = curling_unknown(c, a.rule) if c is not None else ""
        if why:  # a number that cannot be estimated is absent, with the reason
            d.update(curling_ratio=None, curling_ratio_90=None, curling_not_estimable=CURLING_UNKNOWN[why])
    out["verdicts"] = list(VERDICTS)  # type: ignore[index]
    out["headline"] = headline(a)  # type: ignore[index]
    out["rule_text"] = rule_text(a.rule)  # type: ignore[index]
    out["landings"] = {"total": a.steps_total, "judged": a.steps_used}  # type: ignore[index]
    out["notes"] = json_ready(pain_json(a, notes or {}))  # type: ignore[index]
    if hips_or_feet is not None:
        out["hips_or_feet"] = json_ready(hips_or_feet)  # type: ignore[index]
    return json.dumps(out, indent=2)


# ----------------------------------------------------------------------------------------- HTML

CSS = """body{font-family:system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.6rem}.verdict{font-size:1.25rem;padding:.8rem 1rem;
border-radius:.4rem;background:#eef}.stabilizes{background:#d8f3dc}.destabilizes{background:#ffd6d6}
.insufficient_data,.inconclusive{background:#eee}.no_clear_effect{background:#fff3c4}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}tr.decides{font-weight:bold;background:#fffbe6}
figure{margin:1.2rem 0;break-inside:avoid}img{max-width:100%}figcaption{font-size:.95rem;color:#333}
dl{font-size:.9rem}dt{font-weight:bold}dd{margin:0 0 .4rem 1rem}.small{color:#555;font-size:.9rem}"""
_SCRIPT = """window.addEventListener('load',function(){var i=document.images,n=0;
for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)n++;}
document.body.setAttribute('data-figures-rendered',n+'/'+i.length);});"""


def html_block(kind: str, body: object) -> str | None:
    """A document block (the kinds every page of the coach's has) as HTML; None for a kind the
    page draws itself (its figures)."""
    e = escaped_html
    if kind in ("h1", "h2"):
        return f"<{kind}>{e(str(body))}</{kind}>"
    if kind == "verdict":
        return f"<p class='verdict {e(body[0])}'><b>{e(body[1])}</b></p>"  # type: ignore[index]
    if kind == "p":
        return f"<p>{e(str(body))}</p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{e(x)}</li>" for x in body) + "</ul>"  # type: ignore[attr-defined]
    if kind == "table":
        return _html_table(body)  # type: ignore[arg-type]
    if kind == "defs":
        return ("<p class='small'><b>What the measures mean:</b></p><dl class='small'>"
                + "".join(f"<dt>{e(t)}</dt><dd>{e(d)}</dd>" for t, d in body) + "</dl>")  # type: ignore[attr-defined]
    if kind == "gap":  # the page's margins space it
        return ""
    return None


def to_html(a: Analysis, steps: Steps, today: str | None = None, scope: str = "",
            notes: dict[str, Note] | None = None, all_sessions: bool = False,
            drills: dict[str, int] | None = None, hips_or_feet: list[Block] | None = None) -> str:
    from host.reports.figures import all_figures, pain_over_time, pain_per_round

    e = escaped_html
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>archcue: {e(a.runner)}</title>",
             f"<style>{CSS}</style><script>{_SCRIPT}</script></head><body>"]
    for kind, body in document(a, today, scope, notes, all_sessions, drills, hips_or_feet):
        block = html_block(kind, body)
        if block is not None:
            parts.append(block)
        elif kind == "figures":
            parts += [_figure(f) for f in all_figures(a, steps, captions(a))]
        elif kind == "pain_figure":
            parts.append(_figure(pain_over_time(*body)))  # type: ignore[misc]
        elif kind == "hof_figure":
            parts.append(_figure(pain_per_round(*body)))  # type: ignore[misc]
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(t: Table) -> str:
    e = escaped_html
    rows = "".join(f"<tr{' class=decides' if i in t.marked else ''}><td>{'&gt; ' if i in t.marked else ''}"
                   f"{e(r[0])}</td>" + "".join(f"<td>{e(c)}</td>" for c in r[1:]) + "</tr>"
                   for i, r in enumerate(t.rows))
    notes = "".join(f"<p class='small'>({e(n)})</p>" for n in t.notes)
    return f"<table><tr>{''.join(f'<th>{e(h)}</th>' for h in t.head)}</tr>{rows}</table>{notes}"


def _figure(f: Figure) -> str:
    e = escaped_html
    return (f"<figure><img alt='{e(f.title)}' src='data:image/png;base64,{base64.b64encode(f.png).decode()}'>"
            f"<figcaption><b>{e(f.title)}.</b> {e(f.caption)}</figcaption></figure>")


def captions(a: Analysis) -> dict[str, str]:
    """Each figure's finding for this runner, one sentence."""
    c = a.primary
    out = {}
    if c is not None and c.basis == "blocks":
        out["compare"] = (f"With the buzz the arch collapsed on {pct(c.collapse_rate_a)} of landings, without it on "
                          f"{pct(c.collapse_rate_b)}: {effect_words(c.collapse_ratio)}; each dot is one block.")
    elif c is not None:
        out["compare"] = (f"On landings with the toes engaged the arch collapsed on {pct(c.collapse_rate_a)}, "
                          f"otherwise on {pct(c.collapse_rate_b)}: {effect_words(c.collapse_ratio)}.")
    else:
        out["compare"] = "No comparison yet: no block ran and no landing had the toes engaged."
    last = a.runs[-1] if a.runs else None
    if last is not None and last.blocks_on + last.blocks_off:
        out["blocks"] = (f"Last run: collapses on {pct(last.collapse_on)} of landings in blocks with the buzz and "
                         f"{pct(last.collapse_off)} in blocks without, after a {last.warmup_min:.0f}-minute warm-up.")
    elif last is not None:
        out["blocks"] = "No block ran in the last run: the whole run counts as warm-up (grey)."
    else:
        out["blocks"] = "No run yet: no session held a block."
    if len(a.runs) >= 2:  # over runs, oldest first: the two insoles of one run are no trend
        first, last2 = a.runs[0], a.runs[-1]
        out["trend"] = (f"Collapses went from {pct(first.collapse_rate)} of landings in the first run to "
                        f"{pct(last2.collapse_rate)} in the last; toes engaged from {pct(first.engaged_rate)} to "
                        f"{pct(last2.engaged_rate)}.")
    if a.asymmetry is not None:
        out["feet"] = asymmetry_words(a.asymmetry) + " Bars: blocks with and without the buzz, each foot alone."
    out["insole"] = ("Too few landings to compare where the load sits." if c is None else
                     f"The arch carried {pct(c.arch_mean_a)} of the load behind the toes "
                     f"{'with the buzz' if c.basis == 'blocks' else 'with the toes engaged'} and "
                     f"{pct(c.arch_mean_b)} otherwise; the drawing shows each sensor's share of the whole landing "
                     f"load (the arch's share of the whole load is smaller than its share behind the toes).")
    return out


# ----------------------------------------------------------------------------------------- pain and drills
# The runner's side (archcue note): pain beside each run's loading verdict, pain over the runs,
# and drills side by side when more than one was tried. Numbers from host/store/notes.py.

NOTE_HINT = ("archcue note SESSION --pain-during N --pain-after N --knee left|right|both "
             "--drill toe-curl|hips-core|none (or --drill-other NAME)")


def _score(v: int | None) -> str:
    return "-" if v is None else f"{v}/10"


def _range(mean: float, span: tuple[int, int] | None) -> str:
    if span is None:
        return "not noted"
    return f"{mean:.1f}" + (f" ({span[0]} to {span[1]})" if span[0] != span[1] else "")


def drill_caveat(drills: list[DrillSummary]) -> str:
    few = [d.drill for d in drills if d.runs < 3]
    return ("A comparison, not a proof: one runner, pain as the runner reported it, drills chosen rather than "
            "assigned at random, and pain also moves with training load, sleep, shoes and time; so this cannot "
            "show that a drill caused a change. Use it to choose what to try next, and keep noting."
            + (f" Fewer than 3 runs with {', '.join(shown(f) for f in few)}: too few to compare yet." if few else ""))


def pain_section(a: Analysis, notes: dict[str, Note]) -> list[Block]:
    """notes: each run's, by its first session's id (a note on either insole's session is the run's)."""
    noted = [(r, notes[r.run]) for r in a.runs if r.run in notes]
    if not noted:
        return [("h2", "Knee pain and drills"),
                ("p", f"No pain or drill noted for these runs yet. After a run: `{NOTE_HINT}`.")]
    t = Table(["date", "run", "loading verdict of this run", "arch collapsed", "pain during", "pain after",
               "knee", "drill"],
              [[run_date(r, r.imported, True), " + ".join(shown(sid) for sid in r.sessions), SHORT[r.verdict],
                pct(r.collapse_rate), _score(n.pain_during), _score(n.pain_after), n.knee or "-",
                shown(n.drill) if n.drill is not None else "-"] for r, n in noted])
    out: list[Block] = [("h2", f"Knee pain and drills ({plural(len(noted), 'run')} noted by the coach)"),
                        ("p", "Pain as the runner reported it, 0 (none) to 10 (worst), beside what the insole "
                              "measured in the same run (a note on either insole's session is the run's)."),
                        ("table", t)]
    if len(noted) >= 2:  # every run on the axis, oldest first: gaps where nothing was noted
        by_run = [notes.get(r.run) for r in a.runs]
        out.append(("pain_figure", (a.runs,
                                    [n.pain_during if n else None for n in by_run],
                                    [n.pain_after if n else None for n in by_run],
                                    [n.drill if n else None for n in by_run], _pain_caption([n for _, n in noted]))))
    drills = by_drill([n for _, n in noted])
    if drills:
        out += [("h2", "Drills compared (pain per run; both insoles of a run count once)"),
                ("table", Table(["drill", "runs", "pain during", "pain after"],
                                [[shown(d.drill), str(d.runs), _range(d.during_mean, d.during_range),
                                  _range(d.after_mean, d.after_range)] for d in drills],
                                notes=["mean over runs, lowest to highest in brackets"])),
                ("p", drill_caveat(drills))]
    return out


def _pain_caption(noted: list[Note]) -> str:
    def first_last(scores: list[int | None], when: str) -> str:
        v = [x for x in scores if x is not None]
        return f"pain {when} went from {v[0]} to {v[-1]}" if len(v) >= 2 else ""
    said = [w for w in (first_last([n.pain_during for n in noted], "during"),
                        first_last([n.pain_after for n in noted], "after")) if w]
    return ("Over the noted runs, " + " and ".join(said) + " out of 10." if said else
            "Too few pain scores to draw a line yet.")


def pain_json(a: Analysis, notes: dict[str, Note]) -> dict:
    """Each reported run's note as it stands (`run`: its first session, `sessions`: all of its
    sessions) and the drill comparison, if any."""
    noted = [(r, notes[r.run]) for r in a.runs if r.run in notes]
    runs = [{"run": r.run, "sessions": r.sessions, **{k: v for k, v in asdict(n).items() if k != "session"}}
            for r, n in noted]
    drills = by_drill([n for _, n in noted])
    return {"runs": runs, "drills": [asdict(d) for d in drills], "caveat": drill_caveat(drills) if drills else None}
