"""The hips-or-feet answer for the coach: text lines and a JSON document."""
from __future__ import annotations

import math
from typing import Any

from host.hips_or_feet.answer import CANNOT_TELL, CUES, MIN_DROP, Answer, Contrast, analyse
from host.hips_or_feet.loading import ArmLoading
from host.hips_or_feet.ratings import MIN_WARMUP_PAIN, Run
from host.text import plural

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


def answer_of(runs: list[Run]) -> tuple[Answer | None, list[Run]]:
    """The answer over every run that counts (None when none does), and the runs left out."""
    kept = [r for r in runs if not r.left_out]
    rounds = [x for r in kept for x in r.rounds()]
    return (analyse(rounds) if kept else None), [r for r in runs if r.left_out]


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


def loading_lines(loading: list[ArmLoading] | None) -> list[str]:
    if loading is None:
        return []
    if not loading:
        return ["loading per arm: no stored run of this runner ran the hips-or-feet protocol"]
    rows = [f"  {x.arm:<5} {x.blocks:>3} blocks {x.landings:>6} landings  collapses {100 * x.collapse_rate:5.1f}%  "
            f"sway (SD of the medial-lateral index) {x.sway:.3f}" for x in loading]
    return ["loading per arm (context: " + INSOLE_CAVEAT + "):"] + rows + [
        "  the feet arm against no cue is what `archcue report` judges on these runs (the toe-curl verdict)"]


def text_lines(runs: list[Run], loading: list[ArmLoading] | None = None) -> list[str]:
    if not runs:
        return loading_lines(loading)
    return _pain_lines(runs) + ([""] + loading_lines(loading) if loading is not None else [])


def _pain_lines(runs: list[Run]) -> list[str]:
    a, left_out = answer_of(runs)
    lines = [f"{r.source}: {r.left_out}; left out" for r in left_out]
    if a is None:
        return lines + ["no run counts: the hips-or-feet answer needs a warm-up pain of at least "
                        f"{MIN_WARMUP_PAIN}/10 and the cue patterns named in the warm-up"]
    lines += [f"hips or feet: {headline(a)}", ""]
    for arm, r in a.arms.items():
        vs = [_contrast(r.vs_none)] + ([_contrast(r.vs_sham)] if r.vs_sham else [])
        word = "eases" if r.eases else ("helped" if r.helped else "ruled out" if r.ruled_out else "open")
        lines.append(f"  {arm:<5} {word:<10} " + "; ".join(vs))
    lines += [f"  {r.source}: stopped at block {r.stopped_at} (safety stop)" for r in runs if r.stopped_at]
    lines += [f"  {r.source}: {plural(r.ignored, 'answer')} outside a block's last 30 s, not counted"
              for r in runs if r.ignored]
    beliefs = [f"{r.source}: " + ", ".join(f"{k} {v:g}" for k, v in r.expectation.items())
               for r in runs if r.expectation]
    lines += [f"  expected before the run (0-10): {b}" for b in beliefs]
    return lines + ["", "the rule:"] + [f"  {rule}" for rule in a.rule] + [f"  {INSOLE_CAVEAT}"]


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
