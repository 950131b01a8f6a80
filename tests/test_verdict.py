"""The verdict rule (issue 14) and its wording (issue 15) on block runs drawn directly: each
answer earned, the margin, the minutes still needed, pooling, and words that hold for every sign."""
from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pytest

from host.reports.report import DEFINITIONS, captions, effect_words, text, to_html, to_json
from host.verdict import analysis, rule
from host.verdict.analysis import analyse
from host.verdict.bootstrap import Interval
from host.verdict.rule import Rule, decide, inside, more_needed
from tests.block_steps import block_run
from tests.helpers import Row

COMPLIER = Rule(equivalence="complier")
BAD_WORDS = re.compile(r"nan|inf\b|-\d+(\.\d+)?%? (fewer|more|points)|\(-\)| - \||: -$", re.IGNORECASE | re.MULTILINE)


def _analysis(minutes: float = 30, seed: int = 1, **kw) -> analysis.Analysis:
    return analyse("ana", [(Row("dev-000001", "right"), block_run(minutes, seed, **kw))])


def _levels(est: float, lo: float, hi: float) -> tuple[Interval, Interval]:
    return Interval(est, lo, hi), Interval(est, lo + 0.2 * (est - lo), hi - 0.2 * (hi - est))


def _with_ratio(a: analysis.Analysis, est: float, lo: float, hi: float,
                curl: tuple[float, float, float] | None = None, at: tuple[float, float, float] | None = None,
                rule: Rule | None = None) -> analysis.Analysis:
    """The same analysis with the buzz's collapse ratio, curling's ratio and the as-treated
    ratio (both the buzz's own, unless given) replaced at both interval levels, and re-decided
    (under `rule` if given)."""
    rule = rule or a.rule
    (b95, b90), (c95, c90), (t95, t90) = (_levels(est, lo, hi), _levels(*(curl or (est, lo, hi))),
                                          _levels(*(at or (est, lo, hi))))
    c = dataclasses.replace(a.primary, collapse_ratio=b95, collapse_ratio_90=b90, curling_ratio=c95,
                            curling_ratio_90=c90)
    t = dataclasses.replace(a.as_treated, collapse_ratio=t95, collapse_ratio_90=t90)
    v = decide(c, rule, t)
    return dataclasses.replace(a, rule=rule, primary=c, as_treated=t, verdict=v,
                               more=more_needed(c, rule, t) if v == "inconclusive" else None)


@pytest.fixture(scope="module")
def base() -> analysis.Analysis:
    return _analysis()


@pytest.mark.parametrize("buzz, curl, verdict", [
    ((0.60, 0.50, 0.72), (0.30, 0.10, 0.50), "stabilizes"),
    ((0.81, 0.72, 0.92), (0.58, 0.40, 0.80), "stabilizes"),  # a 60% responder: the buzz alone cuts 19%
    ((1.45, 1.20, 1.80), (2.00, 1.40, 2.80), "destabilizes"),
    ((1.00, 0.96, 1.04), (1.00, 0.90, 1.10), "no_clear_effect"),
    # the buzz's own interval is inside the margin, but curling's is not: not ruled out
    ((1.00, 0.93, 1.07), (1.00, 0.82, 1.20), "inconclusive"),
    ((0.86, 0.70, 1.02), (0.70, 0.35, 1.05), "inconclusive"),  # issue 14's example: a 30% cut is possible
    ((0.95, 0.90, 0.99), (0.90, 0.78, 0.98), "inconclusive"),  # real, but maybe under the margin
    ((0.95, 0.90, 0.99), (0.90, 0.87, 0.93), "no_clear_effect"),  # real and small: the margin ruled out
    ((0.90, 0.82, 1.01), (0.75, 0.55, 1.02), "inconclusive"),  # large on the curling scale, buzz not shown
])
def test_the_complier_option_decides_on_curling_alone(base: analysis.Analysis, buzz: tuple, curl: tuple,
                                                      verdict: str) -> None:
    """equivalence="complier": the rule before the as-treated comparison (whatever it shows)."""
    for at in ((1.0, 0.98, 1.02), (0.5, 0.4, 0.6), (1.6, 1.4, 1.8)):
        assert _with_ratio(base, *buzz, curl=curl, at=at, rule=COMPLIER).verdict == verdict


@pytest.mark.parametrize("buzz, curl, at, verdict", [
    # a non-responder: both the buzz's and the as-treated 90% intervals inside the margin, though curling's
    # (the buzz's, divided by the engagement difference) is far wider
    ((1.00, 0.90, 1.10), (1.00, 0.70, 1.40), (1.00, 0.90, 1.10), "no_clear_effect"),
    # curled landings collapse 30% less often: never "no difference", however flat the buzz looks
    ((0.97, 0.91, 1.04), (0.93, 0.78, 1.10), (0.70, 0.60, 0.82), "inconclusive"),
    ((1.00, 0.96, 1.04), (1.00, 0.90, 1.10), (0.78, 0.70, 0.86), "inconclusive"),
    # the as-treated interval inside, the buzz's not: not ruled out either
    ((0.95, 0.80, 1.12), (0.88, 0.55, 1.30), (1.00, 0.93, 1.07), "inconclusive"),
    # both analyses agree on an effect
    ((0.81, 0.72, 0.92), (0.58, 0.40, 0.80), (0.60, 0.50, 0.72), "stabilizes"),
    ((1.45, 1.20, 1.80), (2.00, 1.40, 2.80), (1.50, 1.20, 1.90), "destabilizes"),
    # ... or do not: the buzz's effect alone is not enough
    ((0.81, 0.72, 0.92), (0.58, 0.40, 0.80), (0.95, 0.85, 1.06), "inconclusive"),
    ((1.45, 1.20, 1.80), (2.00, 1.40, 2.80), (1.10, 0.95, 1.30), "inconclusive"),
])
def test_no_difference_needs_the_buzz_and_the_as_treated_comparison(base: analysis.Analysis, buzz: tuple,
                                                                    curl: tuple, at: tuple, verdict: str) -> None:
    a = _with_ratio(base, *buzz, curl=curl, at=at)
    assert a.rule.equivalence == "itt+as-treated" and a.verdict == verdict
    if verdict == "inconclusive":
        assert a.more is not None


def test_an_unknown_equivalence_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="'itt': one of itt\\+as-treated, complier"):
        Rule(equivalence="itt")


def test_no_as_treated_comparison_rules_nothing_out(base: analysis.Analysis) -> None:
    a = _with_ratio(base, 1.00, 0.96, 1.04)
    assert a.verdict == "no_clear_effect"
    assert decide(a.primary, a.rule, None) == "inconclusive"
    assert more_needed(a.primary, a.rule, None).block_minutes is None


def test_the_margin_is_configurable(base: analysis.Analysis) -> None:
    def as_treated(c: rule.Comparison) -> rule.Comparison:  # here: curling's numbers
        return dataclasses.replace(c, collapse_ratio=c.curling_ratio, collapse_ratio_90=c.curling_ratio_90)
    c = dataclasses.replace(base.primary, collapse_ratio=Interval(0.90, 0.82, 0.98),
                            collapse_ratio_90=Interval(0.90, 0.84, 0.97),
                            curling_ratio=Interval(0.80, 0.70, 0.92), curling_ratio_90=Interval(0.80, 0.72, 0.90))
    flat = dataclasses.replace(c, collapse_ratio=Interval(0.99, 0.94, 1.05),
                               collapse_ratio_90=Interval(0.99, 0.95, 1.04), curling_ratio=Interval(0.97, 0.86, 1.1),
                               curling_ratio_90=Interval(0.97, 0.88, 1.08))
    for equivalence in rule.EQUIVALENCE:
        assert decide(c, Rule(margin=0.15, equivalence=equivalence), as_treated(c)) == "stabilizes"
        assert decide(c, Rule(margin=0.25, equivalence=equivalence), as_treated(c)) == "inconclusive"
        assert decide(flat, Rule(margin=0.15, equivalence=equivalence), as_treated(flat)) == "no_clear_effect"
        assert decide(flat, Rule(margin=0.10, equivalence=equivalence), as_treated(flat)) == "inconclusive"


def test_no_collapse_in_either_condition_is_not_enough_data() -> None:
    a = _analysis(collapse_off=0.0)
    assert a.verdict == "insufficient_data" and [s.what for s in a.shortfalls] == ["collapses"]
    out = text(a)
    assert "nan" not in out.lower() and "arch collapses in all the blocks" in out


def test_a_cue_the_toes_ignore_is_not_enough_data_with_its_own_advice() -> None:
    a = _analysis(engaged_on=0.15)
    assert a.verdict == "insufficient_data" and "engagement" in [s.what for s in a.shortfalls]
    out = text(a)
    assert "buzz is felt" in out and "Rehearse the curl" in out


def test_a_run_that_ends_in_the_warm_up_says_no_block_ran() -> None:
    """9 minutes of a 10-minute warm-up hold no block: no run, a short session left out."""
    a = _analysis(minutes=9)
    assert a.verdict == "insufficient_data" and not a.runs and [round(s.minutes) for s in a.leftovers] == [9]
    out = text(a)
    assert "No block ran" in out and "at least 20 minutes" in out and "9 minutes" in out
    assert "1 short session left out" in out and "--all` lists it" in out
    a = _analysis(minutes=12)  # a block ran: a run, however short
    assert [r.blocks_off + r.blocks_on for r in a.runs] == [2] and not a.leftovers


def test_the_truth_decides_on_clear_data() -> None:
    assert _analysis(45, ratio=0.35).verdict == "stabilizes"
    assert _analysis(45, ratio=1.8, collapse_off=0.25).verdict == "destabilizes"


def test_a_non_responder_is_no_difference_when_both_intervals_are_inside() -> None:
    runs = [analyse("ana", [(Row("s", "right"), block_run(45, seed))], seed=seed) for seed in range(8)]
    assert sum(a.verdict == "no_clear_effect" for a in runs) >= 5, [a.verdict for a in runs]
    for a in runs:
        m = Rule().margin
        both = inside(a.primary.collapse_ratio_90, m) and inside(a.as_treated.collapse_ratio_90, m)
        assert (a.verdict == "no_clear_effect") == both and a.verdict in ("no_clear_effect", "inconclusive")
    # each run's own verdict (history table) reads its share of both comparisons' replicates
    assert sum(a.sessions[0].verdict == "no_clear_effect" for a in runs) >= 4


def test_a_curling_effect_the_buzz_hides_is_never_no_difference() -> None:
    """Toes engaged on 30% vs 15% of landings, curled landings collapsing 30% less often: the
    buzz's effect (about 4%) is inside the margin in most runs, the as-treated one is not."""
    runs = [analyse("ana", [(Row("s", "right"), block_run(45, seed, ratio=0.7, engaged_on=0.3))], seed=seed)
            for seed in range(8)]
    assert sum(inside(a.primary.collapse_ratio_90, Rule().margin) for a in runs) >= 4
    assert all(a.as_treated.collapse_ratio.estimate < 0.8 for a in runs)
    assert "no_clear_effect" not in [a.verdict for a in runs]


def test_the_complier_option_rules_curling_out_only_on_long_runs() -> None:
    """The previous rule: ruling out a 15% curling effect when the buzz moves the toes on 45
    landings in 100 takes a 150-minute run (70 blocks a condition; two insoles halve it)."""
    short = [analyse("ana", [(Row("s", "right"), block_run(45, seed))], COMPLIER, seed=seed).verdict
             for seed in range(4)]
    assert "no_clear_effect" not in short, short
    verdicts = [analyse("ana", [(Row("s", "right"), block_run(150, seed))], COMPLIER, seed=seed).verdict
                for seed in range(6)]
    assert "stabilizes" not in verdicts and verdicts.count("no_clear_effect") >= 4, verdicts


def test_curling_not_the_buzz_is_measured() -> None:
    """Toes engaged on 60% vs 15% of landings: the buzz's effect is curling's, diluted."""
    a = _analysis(45, seed=2, ratio=0.6)
    assert 0.7 < a.primary.collapse_ratio.estimate < 0.9  # the buzz: about 19% fewer
    assert 0.45 < a.primary.curling_ratio.estimate < 0.75  # curling: about 40% fewer
    assert a.primary.curling_ratio.high - a.primary.curling_ratio.low > (
        a.primary.collapse_ratio.high - a.primary.collapse_ratio.low)  # and known less precisely


def test_the_interval_has_its_nominal_coverage_with_few_blocks() -> None:
    """The few-clusters stretch: on null runs of 20 minutes (5 blocks a condition) the 95%
    interval of the buzz's effect misses 1 in about 5% of runs (the bootstrap's own: ~12%)."""
    misses = sum(not (r.low <= 1 <= r.high) for r in
                 (analyse("ana", [(Row("s", "right"), block_run(20, seed, collapse_off=0.45))], seed=seed)
                  .primary.collapse_ratio for seed in range(120)))
    assert misses <= 10, misses


@pytest.mark.parametrize("ratio", [0.6, 1.0])  # toward stabilizes; toward no_clear_effect (both 90% intervals)
def test_inconclusive_names_minutes_that_settle_it_in_most_seeds(ratio: float) -> None:
    """Run each inconclusive 20-minute run on for the minutes it named: most settle."""
    named = settled = 0
    for seed in range(40):
        long = block_run(200, seed, ratio=ratio)
        short = long[long["ic_ms"] < 20 * 60_000]
        a = analyse("ana", [(Row("s", "right"), short)], seed=seed)
        if a.verdict != "inconclusive":
            continue
        assert a.more is not None
        if a.more.block_minutes is None:
            continue
        named += 1
        more = long[long["ic_ms"] < (20 + a.more.block_minutes) * 60_000]
        settled += analyse("ana", [(Row("s", "right"), more)], seed=seed).verdict != "inconclusive"
    assert named >= 5 and settled >= 0.6 * named, (named, settled)


def test_the_minutes_to_rule_out_follow_the_slower_interval(base: analysis.Analysis) -> None:
    both = _with_ratio(base, 1.02, 0.86, 1.20, at=(1.0, 0.82, 1.22))
    only_at = _with_ratio(base, 1.0, 0.95, 1.05, at=(1.0, 0.82, 1.22))  # the buzz's interval already inside
    only_b = _with_ratio(base, 1.02, 0.86, 1.20, at=(1.0, 0.97, 1.03))
    for a in (both, only_at, only_b):
        assert a.verdict == "inconclusive" and a.more.toward == "no_clear_effect" and a.more.block_minutes > 0
    assert both.more.block_minutes == max(only_at.more.block_minutes, only_b.more.block_minutes)
    assert only_at.more.block_minutes > only_b.more.block_minutes  # the wider interval needs longer


def test_sessions_pool_blocks_and_narrow_the_interval() -> None:
    one = [(Row("a", "right"), block_run(20, 1, ratio=0.6))]
    two = one + [(Row("b", "right"), block_run(20, 2, ratio=0.6))]
    a1, a2 = analyse("ana", one), analyse("ana", two)
    assert a2.primary.clusters_a == 2 * a1.primary.clusters_a
    w = lambda a: np.log(a.primary.collapse_ratio.high / a.primary.collapse_ratio.low)  # noqa: E731
    assert w(a2) < w(a1)
    assert [r.verdict for r in a2.sessions] and len(a2.sessions) == 2


@pytest.mark.parametrize("est, lo, hi", [
    (0.60, 0.50, 0.72), (1.45, 1.20, 1.80), (1.00, 0.90, 1.10), (0.86, 0.70, 1.02), (1.12, 0.95, 1.30),
    (0.97, 0.40, 2.5), (1.0, 0.0, float("inf")), (0.3, 0.0, 0.9),
])
def test_every_verdict_is_worded_right_for_both_signs(base: analysis.Analysis, est: float, lo: float,
                                                      hi: float) -> None:
    a = _with_ratio(base, est, lo, hi)
    for out in (text(a), html.unescape(re.sub("<[^>]+>", " ", to_html(a, _steps(a))))):
        assert not BAD_WORDS.search(out), BAD_WORDS.search(out)
        assert ("knee pain" not in out) or "if the runner has knee pain" in out.lower()
    words = effect_words(Interval(est, lo, hi))
    if est < 0.995:
        assert words.startswith(f"{round(100 * (1 - est))}% fewer")
    elif est > 1.005:
        assert words.startswith(f"{round(100 * (est - 1))}% more")
    if a.verdict == "inconclusive":
        assert "more minutes of blocks" in text(a)


def test_insufficient_and_no_date_wording(base: analysis.Analysis) -> None:
    for a in (_analysis(2), _analysis(collapse_off=0.0), _analysis(engaged_on=0.1), base):
        out = text(a, all_sessions=True)  # a 2-minute session is no run: listed with --all
        assert not BAD_WORDS.search(out), BAD_WORDS.search(out)
        assert ("date unknown (insole clock not set before its first run)" in out if a.runs else
                re.search(r"^  date unknown  +dev-000001 ", out, re.MULTILINE))


def test_json_carries_the_five_verdicts_and_the_numbers(base: analysis.Analysis) -> None:
    import json

    a = _with_ratio(base, 0.80, 0.62, 1.03)
    out = json.loads(to_json(a))
    assert out["verdict"] == "inconclusive" and out["more"]["block_minutes"] > 0
    assert set(out["verdicts"]) == set(rule.VERDICTS) and out["rule"]["margin"] == 0.15
    assert out["primary"]["collapse_ratio_90"]["low"] is not None
    assert out["rule"]["equivalence"] == "itt+as-treated"
    t = out["as_treated"]  # curled vs not curled landings in the same minutes, the numbers it decides on
    assert t["basis"] == "engagement" and t["clusters_a"] > 0
    assert t["collapse_ratio_90"]["low"] < t["collapse_ratio_90"]["high"] < t["collapse_ratio"]["high"]


def test_no_difference_names_its_assumption_in_a_coachs_words(base: analysis.Analysis) -> None:
    a = _with_ratio(base, 1.00, 0.90, 1.10, curl=(1.00, 0.70, 1.40), at=(1.02, 0.92, 1.12))
    assert a.verdict == "no_clear_effect"
    out = text(a)
    assert ("This leans on one assumption: that the runner did not curl the toes mostly on landings that were going "
            "to collapse anyway") in out
    assert ("a change of 15% or more is ruled out both ways. For the runner: on curled against uncurled landings in "
            "the same minutes, 2% more collapses (90% interval: between 6% fewer and 10% more); the buzz's own effect "
            "rules such a change out too") in out
    complier = _with_ratio(base, 1.00, 0.90, 1.10, curl=(1.00, 0.88, 1.12), rule=COMPLIER)
    assert complier.verdict == "no_clear_effect" and "leans on one assumption" not in text(complier)
    for v in (_with_ratio(base, 0.81, 0.72, 0.92, curl=(0.58, 0.40, 0.80)), _with_ratio(base, 1.0, 0.8, 1.2)):
        assert v.verdict != "no_clear_effect" and "leans on one assumption" not in text(v)
    hidden = _with_ratio(base, 1.00, 0.96, 1.04, curl=(1.00, 0.90, 1.10), at=(0.78, 0.70, 0.86))
    assert hidden.verdict == "inconclusive" and ("made no difference that matters (a change of 15% from the buzz is "
                                                 "ruled out), but on curled against uncurled landings in the same "
                                                 "minutes a change of 15% is not ruled out yet") in text(hidden)


def _steps(a: analysis.Analysis) -> analysis.Steps:
    return analysis.Steps.from_sessions([(Row("dev-000001", "right"), block_run(30, 1))])


def test_html_has_every_text_line_captions_and_definitions(base: analysis.Analysis) -> None:
    page = to_html(base, _steps(base))
    flat = html.unescape(re.sub(r"\s+", " ", re.sub("<[^>]+>", " ", page)))
    for line in text(base).splitlines():
        core = line.strip(" *>-=").strip()
        if core and not set(core) <= set("-= "):
            for cell in re.split(r"\s{2,}|: ", core):  # table rows: each cell; definitions: term, meaning
                assert cell in flat, cell
    figures = re.findall(r"<figcaption><b>(.*?)\.</b> (.*?)</figcaption>", page)
    assert len(figures) == page.count("<img") >= 3
    for title, caption in figures:
        assert caption and caption != title and title not in caption
    for term in ("arch collapsed", "toes engaged", "arch share", "arch share variability",
                 "loading-rate variability", "inside-outside sway", "landings judged", "blocks"):
        assert f"<dt>{term}</dt>" in page and DEFINITIONS[term]
    assert "class=decides" in page
    assert set(captions(base)) >= {"compare", "blocks", "insole"} and "trend" not in captions(base)


def test_observational_report_says_so_and_drops_the_engaged_row() -> None:
    a = analyse("ana", [(Row("s", "right"), block_run(30, 1, ratio=0.5, blocks=False))])
    assert a.basis == "engagement"
    out = text(a)
    assert "No block ran" in out and "not on a controlled comparison" in out
    assert "toes engaged  100%" not in out and "> arch collapsed" in out


def _pair(minutes: float = 30, ratio: float = 0.6, left_ratio: float | None = None, collapse_left: float = 0.4,
          start_left: str | None = "2026-11-24T07:00:04") -> list:
    """A two-insole run: right and left sessions of the same minutes (independent landings)."""
    return [(Row("r-000001", "right", "2026-11-24T07:00:00"), block_run(minutes, 1, ratio=ratio)),
            (Row("l-000001", "left", start_left),
             block_run(minutes, 2, ratio=ratio if left_ratio is None else left_ratio, collapse_off=collapse_left))]


def test_two_insoles_of_one_run_count_each_minute_once() -> None:
    paired = analyse("ana", _pair())
    assert paired.primary.clusters_a == 10  # 10 cue-on minutes, both feet in each
    assert paired.primary.steps_a == 2 * 850
    apart = analyse("ana", _pair(start_left="2026-11-24T09:00:00"))  # two runs on one day
    assert apart.primary.clusters_a == 20
    undated = analyse("ana", _pair(start_left=None))  # no clock: cannot be paired
    assert undated.primary.clusters_a == 20


def test_a_late_insole_is_matched_by_time_not_block_number() -> None:
    """The left insole switched on a minute later: its block k is the right's block k + 1 in
    time, so they share a cluster key (each in the condition its own insole ran)."""
    runs = [(Row("r", "right", "2026-11-24T07:00:00"), block_run(40, 1)),
            (Row("l", "left", "2026-11-24T07:01:00"), block_run(39, 2))]
    s = analysis.Steps.from_sessions(runs)
    assert s.shift_blocks.tolist() == [0, 1] and s.runs.tolist() == [0, 0] and s.shift_ms.tolist() == [0, 60_000]
    keys, left = s.block_keys(), s.foot == s.feet.index("left")
    assert set(keys[left & (s.block == 5)]) == set(keys[~left & (s.block == 6)])
    win = s.window_keys()
    assert set(win[left & (s.ic_ms < 60_000)]) == set(win[~left & (s.ic_ms >= 60_000) & (s.ic_ms < 120_000)])


def test_per_foot_verdicts_and_the_asymmetry_line() -> None:
    a = analyse("ana", _pair(45, ratio=0.5, left_ratio=1.0, collapse_left=0.6))
    assert a.per_foot_verdict["right"] == "stabilizes" and a.per_foot_verdict["left"] != "stabilizes"
    d = a.asymmetry
    assert d is not None and d.runs == 1 and d.windows == 45
    assert d.diff.low > 0 and d.left_rate > d.right_rate  # the left collapses more: shown, with an interval
    out = text(a)
    assert "left foot alone: " in out and "right foot alone: steadies" in out
    assert "r-000001 (right foot) and l-000001 (left foot): the two insoles of one run" in out
    assert "trend" not in captions(a) and {r.run for r in a.sessions} == {"r-000001"}  # one run, no trend
    assert re.search(r"Left against right, over 45 minutes .* the left \d+ points more often \(95% interval", out)
    page = to_html(a, analysis.Steps.from_sessions(_pair(45, ratio=0.5, left_ratio=1.0, collapse_left=0.6)))
    assert "<b>Left and right foot.</b>" in page
    import json

    out = json.loads(to_json(a))
    assert out["per_foot_verdict"]["right"] == "stabilizes" and out["asymmetry"]["diff"]["low"] > 0
    assert out["primary"]["curling_ratio_90"]["high"] is not None
    same = analyse("ana", _pair(45)).asymmetry
    assert same is not None and same.diff.low < 0 < same.diff.high
    assert analyse("ana", _pair(start_left=None)).asymmetry is None  # no shared minutes known


# --- every number estimable or absent; one effect; one next step (issue 20) ---------------

_SPANS_ALL = re.compile(r"between 100% fewer and (an unbounded increase|(\d+)% more)")


def _spans_everything(row: str) -> bool:
    """An interval worded from "100% fewer" to "100% more" or beyond: it tells nothing."""
    m = _SPANS_ALL.search(row)
    return bool(m) and (m.group(2) is None or int(m.group(2)) >= 100)


def _marked(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("> ")]


def test_the_issues_curling_row_is_not_estimable_and_decides_nothing(base: analysis.Analysis) -> None:
    """Issue 20: "curling's effect 89% fewer collapses (between 100% fewer and 336% more)" was
    marked deciding. Now it is no number, and no mark, in text, HTML and JSON."""
    import json

    assert effect_words(Interval(0.11, 0.0, 4.36)) == "89% fewer collapses (between 100% fewer and 336% more)"
    a = _with_ratio(base, 0.97, 0.80, 1.18, curl=(0.11, 0.0, 4.36), at=(0.97, 0.85, 1.10))
    assert a.verdict == "inconclusive"
    out = text(a)
    [row] = [line for line in out.splitlines() if "curling's effect  " in line]
    assert row.startswith("  ") and row.endswith("not estimable (too few blocks yet: anywhere from every collapse "
                                                  "gone to twice as many)")
    assert "336%" not in out and "89% fewer" not in out and _marked(out)
    page = to_html(a, _steps(a))
    assert "&gt; curling" not in page and "not estimable" in page
    j = json.loads(to_json(a))["primary"]
    assert j["curling_ratio"] is None and j["curling_ratio_90"] is None and "every collapse gone" in \
        j["curling_not_estimable"]


def test_a_buzz_that_did_not_change_the_toes_leaves_curling_not_estimable() -> None:
    a = _analysis(engaged_on=0.15)  # the buzz did not change the toes: engagement difference about 0
    assert a.verdict == "insufficient_data"
    assert rule.curling_unknown(a.primary, a.rule) == "toes"
    out = text(a)
    assert "not estimable (the buzz did not change the toes)" in out
    assert not _marked(out) and "no row decides the verdict: there is not enough data yet" in out


def test_curling_that_is_not_estimable_never_decides(base: analysis.Analysis) -> None:
    """A denominator whose interval reaches 0 (or an interval that tells nothing) cannot make
    a verdict that rests on curling's effect; the rest of the rule is unchanged."""
    clear = _with_ratio(base, 0.81, 0.72, 0.92, curl=(0.58, 0.40, 0.80), at=(0.60, 0.50, 0.72))
    assert clear.verdict == "stabilizes"
    near_zero = dataclasses.replace(clear.primary, curling_denominator=Interval(0.02, -0.01, 0.05))
    assert rule.curling_unknown(near_zero, clear.rule) == "few"
    assert decide(near_zero, clear.rule, clear.as_treated) == "inconclusive"
    rough = _with_ratio(base, 0.81, 0.72, 0.92, curl=(0.30, 0.001, 2.5), at=(0.60, 0.50, 0.72))
    assert rough.verdict == "inconclusive" and rule.curling_unknown(rough.primary, rough.rule) == "rough"
    up = _with_ratio(base, 1.45, 1.20, 1.80, curl=(2.0, 1.4, 2.8), at=(1.5, 1.2, 1.9))
    assert up.verdict == "destabilizes"
    assert decide(dataclasses.replace(up.primary, curling_denominator=Interval(0.0, -0.02, 0.02)), up.rule,
                  up.as_treated) == "inconclusive"
    flat = _with_ratio(base, 1.00, 0.96, 1.04, curl=(1.00, 0.90, 1.10), rule=COMPLIER)
    assert flat.verdict == "no_clear_effect"  # complier: curling's own 90% interval rules a change out ...
    assert decide(dataclasses.replace(flat.primary, curling_denominator=Interval(0.01, -0.01, 0.03)), COMPLIER,
                  flat.as_treated) == "inconclusive"  # ... only when curling's effect can be estimated
    default = _with_ratio(base, 1.00, 0.90, 1.10, curl=(1.00, 0.0, 9.0), at=(1.00, 0.92, 1.08))
    assert default.verdict == "no_clear_effect"  # the default rule never asks curling to rule a change out


@pytest.mark.parametrize("kw", [dict(), dict(engaged_on=0.15), dict(engaged_on=0.27, collapse_off=0.1),
                                dict(collapse_off=0.03), dict(collapse_off=0.05, ratio=0.3), dict(ratio=0.5),
                                dict(engaged_on=0.3, ratio=0.3), dict(collapse_off=0.08, engaged_on=0.35)])
@pytest.mark.parametrize("minutes", [16, 20, 30])
def test_no_marked_row_spans_100_fewer_to_100_more(kw: dict, minutes: float) -> None:
    """The bar: no evidence row whose interval spans from "100% fewer" to "100% more" (or
    beyond) is marked deciding, on short, rare-collapse and low-engagement runs alike."""
    for seed in range(3):
        a = _analysis(minutes, seed, **kw)
        out = text(a)
        assert not [row for row in _marked(out) if _spans_everything(row)], (kw, minutes, seed, out)
        if a.verdict == "insufficient_data":
            assert not _marked(out)


def _verdict_paragraph(out: str) -> str:
    lines = out.splitlines()
    return lines[lines.index(next(x for x in lines if x.startswith("VERDICT:"))) + 2]


_EFFECT = re.compile(r"\d+% (fewer|more) collapses|about as many collapses")


@pytest.mark.parametrize("buzz, curl, at, verdict", [
    ((0.68, 0.55, 0.80), (0.33, 0.20, 0.55), (0.34, 0.25, 0.45), "stabilizes"),  # issue 20: 32%, 67%, 66% fewer
    ((1.45, 1.20, 1.80), (2.00, 1.40, 2.80), (1.50, 1.20, 1.90), "destabilizes"),
    ((1.00, 0.90, 1.10), (1.00, 0.70, 1.40), (1.02, 0.92, 1.12), "no_clear_effect"),
    ((0.86, 0.70, 1.02), (0.70, 0.35, 1.05), (0.80, 0.70, 0.95), "inconclusive"),
])
def test_the_verdict_paragraph_names_one_effect_for_the_runner(base: analysis.Analysis, buzz: tuple, curl: tuple,
                                                               at: tuple, verdict: str) -> None:
    a = _with_ratio(base, *buzz, curl=curl, at=at)
    assert a.verdict == verdict
    out = text(a)
    paragraph = _verdict_paragraph(out)
    assert len(_EFFECT.findall(paragraph)) == 1 and "for the runner: " in paragraph.lower(), paragraph
    deciding = {"no_clear_effect": effect_words(a.as_treated.collapse_ratio_90, label="90% interval: ")}.get(
        verdict, effect_words(a.primary.curling_ratio, label="95% interval: "))
    assert deciding in paragraph
    for row in ("arch collapsed", "curling's effect", "curled vs not curled"):  # the others stay in the table
        assert re.search(rf"^[> ] {row}\s", out, re.MULTILINE)


def test_not_decided_yet_gives_one_next_step(base: analysis.Analysis) -> None:
    """Headline, body and next step name the same minutes, or all say one more run will not
    settle it and what will (both insoles, pooling runs)."""
    named = _with_ratio(base, 0.86, 0.70, 1.02, curl=(0.70, 0.35, 1.05), at=(0.80, 0.70, 0.95))
    n = named.more.block_minutes
    assert named.verdict == "inconclusive" and n is not None
    out = text(named)
    assert f"VERDICT: inconclusive  --  NOT DECIDED YET: about {n} more minutes of blocks should settle it" in out
    assert f"About {n} more minutes of blocks would likely" in out
    assert f"Run the block protocol again: another run of {n + 10} minutes" in out
    assert "minutes named above" not in out and "too short" not in out and "More than 120" not in out
    stuck = _with_ratio(base, 1.02, 0.86, 1.30, curl=(1.13, 0.60, 1.90), at=(1.01, 0.80, 1.30))
    assert stuck.verdict == "inconclusive" and stuck.more.block_minutes is None
    out = text(stuck)
    assert "VERDICT: inconclusive  --  NOT DECIDED YET: one more run will not settle it" in out
    assert "More than 120 more minutes of blocks would be needed" in out
    assert "One more run will not settle it. What can: record both feet (both insoles) on every run" in out
    assert "pool several runs over the coming weeks" in out
    assert "Run the block protocol again" not in out and "too short" not in out and "another run of" not in out
    pair = analyse("ana", _pair(30, ratio=1.0))  # both insoles already: not advised again
    assert "record both feet" not in text(dataclasses.replace(pair, verdict="inconclusive", more=stuck.more))


def test_imported_runs_get_no_insole_advice() -> None:
    """A lab recording: no button, buzz check or insole clock in the advice."""
    steps = block_run(30, 1, engaged_on=0.15)
    insole = analyse("ana", [(Row("dev-000001", "right"), steps)])
    lab = analyse("ana", [(dataclasses.replace(_ImportedRow("csv-0a1b2c3d-000001", "right"), imported="csv"), steps)])
    assert insole.verdict == lab.verdict == "insufficient_data"
    assert "tap the insole's button" in text(insole) and "insole clock not set" in text(insole)
    out = text(lab)
    for word in ("button", "insole clock", "`archcue pull`", "buzz is felt"):
        assert word not in out, word
    assert "date unknown (an imported recording: --started-at sets it)" in out
    assert "the import's --config has the block timing the runner followed" in out
    assert "`archcue import FILE --runner RUNNER --config C.json`" in out
    assert "\"the buzz\" in this report is the cue the runner followed" in out
    assert "imported recordings" not in text(insole)


@dataclasses.dataclass
class _ImportedRow(Row):
    imported: str | None = None


def test_run_labels_in_the_block_chart_never_overprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Short runs beside a long one take little of the chart's axis: their labels go on separate
    rows where they would overprint ("2026-12-062026-12-06 right" before)."""
    from host.reports import figures

    sessions = [(Row("r-000001", "right", "2026-12-05T07:00:00"), block_run(60, 1)),
                (Row("r-000002", "right", "2026-12-06T07:00:00"), block_run(12, 2)),
                (Row("l-000001", "left", "2026-12-06T07:00:00"), block_run(12, 3)),
                (Row("r-000003", "right", "2026-12-06T09:00:00"), block_run(12, 4))]
    a = analyse("ana", sessions)
    drawn: list = []
    monkeypatch.setattr(figures, "_png", lambda fig: drawn.append(fig) or b"")
    figures.blocks_over_time(a, analysis.Steps.from_sessions(sessions))
    [fig] = drawn
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if t.get_text().startswith("2026-12-0")]
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert len(boxes) == 3
    assert not any(b.overlaps(c) for i, b in enumerate(boxes) for c in boxes[i + 1:])
    title = fig.axes[0].title.get_window_extent(renderer)
    assert not any(b.overlaps(title) for b in boxes)
