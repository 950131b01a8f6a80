"""The hips-or-feet answer for the coach: document blocks (what `archcue hips-or-feet` prints and
`archcue report` shows in its "Hips or feet" section, host/reports/report.py renders them) and a
JSON document."""
from __future__ import annotations

import math
from typing import Any

from host.hips_or_feet.answer import (
    ALPHA,
    ARMS,
    CANNOT_TELL,
    CUES,
    MIN_DROP,
    MIN_OVER_SHAM,
    Answer,
    Contrast,
    Round,
    analyse,
)
from host.hips_or_feet.loading import ArmLoading
from host.hips_or_feet.ratings import MIN_WARMUP_PAIN, Run
from host.reports.report import Block, Table, pct, text_block
from host.text import plural, shown

INSOLE_CAVEAT = ("the insole measures the feet's loading only: six force sensors cannot see hip motion, pelvic "
                 "drop or step width, so the hips cue is judged by the pain alone")
HEADLINES = {
    "feet": "the feet cue (curl the toes) eased the knee pain while it was used",
    "hips": "the hips cue (tighten core and glute) eased the knee pain while it was used",
    "both": "both cues eased the knee pain while they were used",
    CANNOT_TELL: "any cue helped, the sham too: the runner's pain answers being cued, so the cues cannot be told apart",
    "neither": "neither cue eased the knee pain by a meaningful amount",
    "not decided yet": "not decided yet",
}
PAIN_MODE = ("no pain answer: these runs were not in pain mode, and the answer needs pain mode (`archcue plan "
             "RUNNER --protocol hips-or-feet --pain`, the runner's answers typed into `archcue live`) or a lab run's "
             "ratings file")
SHADE = {"feet": "stabilizes", "hips": "stabilizes", "both": "stabilizes",  # the report's verdict colours (its CSS):
         "neither": "no_clear_effect"}  # a cue eased green, neither yellow, otherwise grey
TITLE = "Hips or feet: which cue eased the knee pain"  # the report's section
GAP: Block = ("gap", None)


def kept_rounds(runs: list[Run]) -> list[Round]:
    """The rounds the answer pools: those rated whole in the runs that count."""
    return [x for r in runs if not r.left_out for x in r.rounds()]


def answer_of(runs: list[Run]) -> tuple[Answer | None, list[Run]]:
    """The answer over every run that counts (None when none does), and the runs left out."""
    kept = any(not r.left_out for r in runs)
    return (analyse(kept_rounds(runs)) if kept else None), [r for r in runs if r.left_out]


def _contrast(c: Contrast) -> str:
    """'2.8 points less than none (p = 0.004; at most 3.0)': the mean drop, its test and its 95% upper bound."""
    upper = "no bound yet" if math.isinf(c.upper) else f"at most {c.upper:.1f}"
    size = f"{abs(c.mean):.1f} points {'less' if c.mean >= 0 else 'more'}"
    return f"{size} than {c.against} (p = {c.p:.3f}; {upper})"


def headline(a: Answer) -> str:
    if a.verdict == "neither":
        return f"{HEADLINES['neither']} (after {plural(a.rounds, 'round')})"
    if a.verdict == "not decided yet":
        more = ("more rounds than a few runs hold: the estimates sit near the rule's bars" if a.rounds_needed is None
                else f"about {plural(a.rounds_needed, 'more round')} should settle it")
        return f"not decided yet after {plural(a.rounds, 'round')}: {more}"
    return HEADLINES[a.verdict]


def section(runs: list[Run], loading: list[ArmLoading] | None) -> list[Block]:
    """The report's section: its heading, then the answer as `archcue hips-or-feet` gives it."""
    return [("h2", TITLE)] + blocks(runs, loading)


def blocks(runs: list[Run], loading: list[ArmLoading] | None = None) -> list[Block]:
    """The answer as document blocks (host/reports/report.py renders them): the pain answer of the
    runs (none: a line saying it needs pain mode), the loading per arm (None: not asked), the rule;
    a blank line after each table and list on a terminal."""
    if not runs:
        return _loading_blocks(loading) + [("p", PAIN_MODE)]
    a, left_out = answer_of(runs)
    left = [f"{r.source}: {r.left_out}; left out" for r in left_out]
    if a is None:
        return [("list", left), GAP, ("p", "no run counts: the hips-or-feet answer needs a warm-up pain of at least "
                                           f"{MIN_WARMUP_PAIN}/10 and the cue patterns named in the warm-up")
                ] + _loading_blocks(loading)
    out: list[Block] = [("verdict", (SHADE.get(a.verdict, "inconclusive"), f"hips or feet: {headline(a)}"))]
    out += [("table", _arms_table(a)), GAP] if a.arms else []
    notes = left + _run_notes(runs)
    out += [("list", notes), GAP] if notes else []
    rounds = kept_rounds(runs)
    out += [("hof_figure", (rounds, figure_caption(a, rounds)))] if rounds else []
    caveat = [] if loading is not None else [INSOLE_CAVEAT]  # else the loading table carries it
    return out + _loading_blocks(loading) + [("p", "the rule:"), ("list", a.rule + caveat)]


def _arms_table(a: Answer) -> Table:
    rows = []
    for arm, r in a.arms.items():
        word = "eases" if r.eases else ("helped" if r.helped else "ruled out" if r.ruled_out else "open")
        rows.append([arm, word, _contrast(r.vs_none), _contrast(r.vs_sham) if r.vs_sham else ""])
    return Table(["cue", "answer", "pain against no cue", "against the sham"], rows,
                 notes=[f"over {plural(a.rounds, 'round')}; p: the randomization test over the rounds, one-sided, "
                        f"clear at {ALPHA:g} or below; at most: the test's 95% upper bound of the drop"])


def _run_notes(runs: list[Run]) -> list[str]:
    """Safety stops, answers not counted and the runner's expectations, run by run."""
    lines = [f"{r.source}: stopped at block {r.stopped_at} (safety stop)" for r in runs if r.stopped_at]
    lines += [f"{r.source}: {plural(r.ignored, 'answer')} outside a block's last 30 s, not counted"
              for r in runs if r.ignored]
    beliefs = [f"{r.source}: " + ", ".join(f"{k} {v:g}" for k, v in r.expectation.items())
               for r in runs if r.expectation]
    return lines + [f"expected before the run (0-10): {b}" for b in beliefs]


def _loading_blocks(loading: list[ArmLoading] | None) -> list[Block]:
    if loading is None:
        return []
    if not loading:
        return [("p", "loading per arm: no block of the hips-or-feet protocol in this runner's stored runs")]
    rows = [[x.arm, str(x.blocks), str(x.landings), pct(x.collapse_rate, 1),
             f"{x.sway:.3f}" if math.isfinite(x.sway) else "n/a"] for x in loading]
    return [("table", Table(["loading per arm", "blocks", "landings judged", "arch collapsed", "sway"], rows, notes=[
        "sway: how much the load's balance between the inner and outer forefoot changes from landing to landing "
        "(the SD of the medial-lateral index); lower is steadier",
        f"context: {INSOLE_CAVEAT}",
        "the feet arm against no cue is what `archcue report` judges on these runs (the toe-curl verdict)"])), GAP]


def figure_caption(a: Answer, rounds: list[Round]) -> str:
    """The figure's finding: the mean pain per arm, and what the right panel holds."""
    mean = {arm: sum(r.pain[arm] for r in rounds) / len(rounds) for arm in ARMS}
    return (f"Over {plural(a.rounds, 'round')} the pain averaged {mean['none']:.1f}/10 with no cue, "
            f"{mean['feet']:.1f} with the feet cue, {mean['hips']:.1f} with the hips cue and {mean['sham']:.1f} "
            f"with the sham; each line joins one round's four blocks. Right: each round's drop against no cue, "
            f"the bar its mean; a cue eases the pain from {MIN_DROP:g} points (dashed), with its test clear and "
            f"the sham beaten by at least {MIN_OVER_SHAM:g} point.")


def text_lines(runs: list[Run], loading: list[ArmLoading] | None = None) -> list[str]:
    """The command's text: the blocks as the report's text shows them."""
    lines = [shown(line) for kind, body in blocks(runs, loading) for line in text_block(kind, body)]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _contrast_json(c: Contrast | None) -> dict[str, Any] | None:
    if c is None:
        return None
    return {"against": c.against, "mean_drop": c.mean, "p": c.p, "clear": c.clear,
            "upper_95": None if math.isinf(c.upper) else c.upper, "per_round": c.diffs}


def document(runs: list[Run], loading: list[ArmLoading] | None = None) -> dict[str, Any]:
    out = _pain_document(runs) if runs else {"verdict": None, "caveat": INSOLE_CAVEAT}
    if loading is not None:
        out["loading_per_arm"] = [{"arm": x.arm, "blocks": x.blocks, "landings": x.landings,
                                   "collapse_rate": x.collapse_rate, "sway": x.sway} for x in loading]
    return out


def _pain_document(runs: list[Run]) -> dict[str, Any]:
    a, left_out = answer_of(runs)
    doc: dict[str, Any] = {"runs": [{"source": r.source, "warmup_pain": r.warmup_pain, "rounds": len(r.rounds()),
                                     "stopped_at_block": r.stopped_at, "expectation": r.expectation,
                                     "familiarisation": r.familiarisation, "left_out": r.left_out or None,
                                     "ignored_answers": r.ignored} for r in runs],
                           "left_out": [r.source for r in left_out], "caveat": INSOLE_CAVEAT}
    if a is None:
        return doc | {"verdict": None}
    arms = {arm: {"eases": r.eases, "helped": r.helped, "ruled_out": r.ruled_out,
                  "vs_none": _contrast_json(r.vs_none), "vs_sham": _contrast_json(r.vs_sham)}
            for arm, r in a.arms.items()}
    return doc | {"verdict": a.verdict, "headline": headline(a), "rounds": a.rounds,
                  "rounds_needed": a.rounds_needed, "arms": arms, "rule": a.rule,
                  "rule_numbers": {"min_drop": MIN_DROP, "cues": list(CUES)}}
