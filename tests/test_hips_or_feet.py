"""The hips-or-feet answer: its randomization test, its rule and its bars on simulated runners
(small samples here; tests/bench_pain.py measures the bars on 400 runners per cell)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from host.hips_or_feet.answer import CANNOT_TELL, Round, analyse, contrast, flips, p_value, upper_bound
from simulator import pain as own
from tests import foreign_pain as foreign


def rounds(*rows: tuple[float, float, float, float]) -> list[Round]:
    """Rounds from (none, feet, hips, sham) ratings."""
    return [Round(dict(zip(("none", "feet", "hips", "sham"), row))) for row in rows]


def test_the_test_is_exact_over_sign_flips():
    signs = flips(5, np.random.default_rng(0))
    assert signs.shape == (32, 5)
    assert p_value(np.array([2.0, 1, 3, 2, 1]), signs) == 1 / 32  # all positive: only the drawn order reaches it
    # sum 7: reached by the drawn signs, by flipping the -1 (9), and by flipping the -1 and the 1 (7)
    assert p_value(np.array([2.0, -1, 3, 2, 1]), signs) == 3 / 32
    assert p_value(np.zeros(5), signs) == 1.0  # ties: every flip reaches no difference


def test_one_run_of_four_rounds_can_never_be_clear():
    r = rounds(*[(6, 1, 6, 6)] * 4)  # feet 5 points lower in every round
    c = contrast(r, "feet", "none", np.random.default_rng(0))
    assert c.p == 1 / 16 and not c.clear and math.isinf(c.upper)
    a = analyse(r)
    assert a.verdict == "not decided yet" and a.rounds_needed == 1  # the fifth round can clear it


def test_upper_bound_inverts_the_test():
    d = np.array([1.0, 0, 2, 1, 0, 1, 1, 2])
    signs = flips(8, np.random.default_rng(0))
    u = upper_bound(d, signs)
    assert d.mean() < u < d.max()
    x_in, x_out = d - (u - 0.01), d - (u + 0.01)  # just inside the bound: not rejected; just past: rejected
    assert np.mean(signs @ x_in <= x_in.sum() + 1e-9) > 0.05 >= np.mean(signs @ x_out <= x_out.sum() + 1e-9)


@pytest.mark.parametrize("feet, hips, sham, verdict", [
    (2, 5, 5, "feet"),
    (5, 2, 5, "hips"),
    (2, 2, 5, "both"),
    (2, 2, 2, CANNOT_TELL),  # the sham eased as much: no cue is named
    (3, 5, 3.5, CANNOT_TELL),  # feet helped but did not beat the sham by a point
])
def test_verdicts(feet, hips, sham, verdict):
    noise = [0, 1, -1, 0, 1, 0, -1, 0]
    r = rounds(*[(5 + e, feet + e, hips + e, sham + e) for e in noise])
    assert analyse(r).verdict == verdict


def test_a_cue_eases_only_by_the_rules_size():
    noise = [0, 1, -1, 0, 1, 0, -1, 0]
    small = analyse(rounds(*[(5 + e, 4 + e, 5 + e, 5 + e) for e in noise]))  # 1 point, clear, but < 1.2
    assert small.arms["feet"].vs_none.clear and not small.arms["feet"].eases
    assert small.verdict == "neither"  # 1 point in every round: an easing of 1.2 is ruled out


def test_neither_says_after_how_many_rounds():
    jitter = [(0, 1, 0, 1), (1, 0, 1, 0), (0, 0, 1, 1), (1, 1, 0, 0)] * 3
    a = analyse(rounds(*[(5 + n, 5 + f, 5 + h, 5 + s) for n, f, h, s in jitter]))
    assert a.verdict == "neither" and a.rounds == 12
    assert all(a.arms[c].vs_none.upper < 1.2 for c in ("feet", "hips"))


def test_not_decided_names_rounds_or_says_too_close():
    far = analyse(foreign.runner("nothing", runs=1, seed=1) + foreign.runner("nothing", runs=1, seed=2)[:1])
    assert far.verdict == "not decided yet" and (far.rounds_needed is None or far.rounds_needed >= 1)


def test_the_rule_is_printed_and_claims_no_cause():
    a = analyse(own.runner(own.KINDS["feet"], seed=1))
    text = " ".join(a.rule)
    assert "1.2 points" in text and "sham" in text and "not what causes the pain" in text


@pytest.mark.parametrize("model", ["foreign", "own"])
def test_bars_on_a_small_sample(model):
    """100 runners per kind, 8 rounds: a coarse guard on the bench's figures (which are 400 per cell)."""
    def run(kind: str, seed: int) -> list[Round]:
        return foreign.runner(kind, seed=seed) if model == "foreign" else own.runner(own.KINDS[kind], seed=seed)
    n = 100
    nothing = sum(any(analyse(run("nothing", s)).arms[c].eases for c in ("feet", "hips")) for s in range(n))
    found = sum(analyse(run("feet", s)).arms["feet"].eases for s in range(n))
    sham_named = sum(analyse(run("sham", s)).verdict in ("feet", "hips", "both") for s in range(n))
    assert nothing <= 0.05 * n
    assert found >= 0.6 * n  # the bench: 75% (foreign) and 94% (own) of 400
    assert sham_named <= 0.05 * n  # the bench: 1% of 1,000 (foreign)
