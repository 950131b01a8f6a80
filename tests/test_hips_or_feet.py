"""The hips-or-feet answer: its randomization test, its rule and its bars on simulated runners
(small samples here; tests/bench_pain.py measures the bars on 400 runners per cell)."""
from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

from host.cli import main
from host.command import UserError
from host.hips_or_feet import ratings
from host.hips_or_feet.answer import CANNOT_TELL, Round, analyse, contrast, flips, p_value, upper_bound
from host.sync.answers import answer_bytes
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


# -- ratings files and `archcue hips-or-feet` ------------------------------------------------------

ORDERS = [["hips", "none", "sham", "feet"], ["feet", "sham", "none", "hips"],
          ["none", "hips", "feet", "sham"], ["sham", "feet", "hips", "none"]]


def ratings_file(tmp_path, name="run.json", **change) -> str:
    data = {"warmup_pain": 4, "expectation": {"feet": 7, "hips": 5, "sham": 4}, "rounds": ORDERS,
            "pain": [4, 5, 4, 2, 2, 4, 5, 4, 5, 4, 3, 5, 4, 2, 4, 5], "familiarisation": [10, 10]} | change
    data = {k: v for k, v in data.items() if v is not None}
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def archcue(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("change, says", [
    ({"pain": [4, 5, 11]}, "pain of block 3: 11 is not a pain score from 0 to 10"),
    ({"pain": [4] * 17}, "a rating for block 17, which has not run: the protocol has 4 rounds of 4 blocks"),
    ({"rounds": ORDERS[:1]}, "'rounds' must list at least 2 rounds"),
    ({"rounds": None}, "ratings without a protocol"),
    ({"rounds": [ORDERS[0], ["feet", "feet", "none", "hips"]]}, "round 2 must hold each arm once"),
    ({"pain": [4, 7, 5]}, "block 3 is rated, but the run stopped at block 2"),
    ({"expectation": {"knees": 3}}, "'expectation' must map feet, hips and sham"),
    ({"warmup_pain": True}, "warmup_pain: True is not a pain score"),
    ({"familiarisation": [11, 10]}, "'familiarisation' must be [named right, played]"),
])
def test_bad_ratings_are_one_line_and_nothing_is_answered(tmp_path, change, says):
    good = ratings_file(tmp_path, "good.json")
    code, out, err = archcue("hips-or-feet", good, ratings_file(tmp_path, **change))
    assert code == 1 and out == "" and says in err and err.count("\n") == 1


def test_a_safety_stop_keeps_the_whole_rounds(tmp_path):
    stopped = ratings.load(Path(ratings_file(tmp_path, pain=[4, 5, 4, 2, 2, 4, 7])))  # 7/10 in block 7
    assert stopped.stopped_at == 7 and len(stopped.rounds()) == 1
    risen = ratings.load(Path(ratings_file(tmp_path, warmup_pain=2, pain=[2, 3, 5])))  # 3 above the warm-up
    assert risen.stopped_at == 3


def test_nothing_to_ease_below_two(tmp_path):
    code, out, _ = archcue("hips-or-feet", ratings_file(tmp_path, warmup_pain=1, pain=[1] * 16))
    assert code == 0 and "nothing to ease" in out and "hips or feet:" not in out


@pytest.mark.parametrize("familiar, says", [(None, "no familiarisation recorded"),
                                            ([8, 10], "familiarisation 8 of 10 right: the cues need 9 of 10")])
def test_a_run_counts_only_after_the_familiarisation(tmp_path, familiar, says):
    code, out, _ = archcue("hips-or-feet", ratings_file(tmp_path, familiarisation=familiar))
    assert code == 0 and says in out and "left out" in out and "hips or feet:" not in out


def test_insole_answers_make_a_run():
    cfg = {"arm_order": "hnsf fsnh", "pain_mode": 1, "block_s": 180}
    late = 160_000  # in the block's last 30 s

    def answer(command: str, a: int, b: int = 0, c: int = 0, block: int = 0, into: int = 0) -> dict:
        return {"kind": "answer", "t_ms": 0, "command": ord(command), "a": a, "b": b, "c": c, "block": block,
                "stopped": 0, "ms_in_block": into}
    events = ([answer("F", 9, 10), answer("X", 7, 5, 4), answer("P", 4), answer("P", 9, block=1, into=20_000)]
              + [answer("P", p, block=b, into=late) for b, p in enumerate([4, 5, 4, 2, 2, 4, 5], 1)])
    run = ratings.from_events("s1", cfg, events)
    assert run.warmup_pain == 4 and run.familiarisation == (9, 10) and run.expectation["feet"] == 7
    assert run.ignored == 1 and run.pain[:7] == [4, 5, 4, 2, 2, 4, 5] and run.pain[7] is None
    assert [r.pain for r in run.rounds()] == [{"hips": 4, "none": 5, "sham": 4, "feet": 2}]  # round 2 not whole
    assert ratings.from_events("s2", {"arm_order": "hnsf fsnh"}, events) is None  # loading mode: no pain


def test_two_runs_pool_and_print_the_rule(tmp_path):
    second = ratings_file(tmp_path, "second.json", expectation=None,
                          rounds=[["none", "feet", "hips", "sham"], ["hips", "sham", "feet", "none"],
                                  ["sham", "none", "hips", "feet"], ["feet", "hips", "none", "sham"]],
                          pain=[5, 3, 5, 4, 4, 4, 2, 5, 5, 6, 5, 3, 2, 4, 5, 5])
    code, out, _ = archcue("hips-or-feet", ratings_file(tmp_path), second)
    assert code == 0 and out.startswith("hips or feet: the feet cue (curl the toes) eased the knee pain")
    assert "the rule:" in out and "cannot see hip motion" in out
    code, out, _ = archcue("hips-or-feet", ratings_file(tmp_path), second, "--format", "json")
    doc = json.loads(out)
    assert doc["verdict"] == "feet" and doc["rounds"] == 8 and doc["arms"]["feet"]["vs_none"]["p"] <= 0.05


@pytest.mark.parametrize("typed, wire", [("7", b"P7"), ("10", b"P:"), ("x 7 5 4", b"X754"), ("F 9 10", b"F9:")])
def test_typed_answers_become_the_live_wire(typed, wire):
    assert answer_bytes(typed) == wire


@pytest.mark.parametrize("typed, says", [("11", "each a whole number from 0 to 10"), ("-1", "pain 0-10"),
                                         ("x 7 5", "give feet hips sham"), ("f 10 9", "more named right"),
                                         ("seven", "pain 0-10")])
def test_a_bad_typed_answer_is_one_line(typed, says):
    with pytest.raises(UserError, match=says):
        answer_bytes(typed)


def test_no_whole_round_yet_is_not_decided():
    a = analyse([])
    assert a.verdict == "not decided yet" and a.rounds_needed == 5 and a.arms == {}


def test_the_live_view_says_when_a_familiarisation_play_sounded():
    from firmware.core import record
    from host.store.records import decode
    from host.sync.live import Landing, LiveState, _protocol

    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, record.FLAG_CALIBRATED | record.FLAG_CUED, 161_000, 250, 1500, 2000, 300, 40, 0, 3000, 0,
                     0, 0)
    state = LiveState(hello=["s", 200, "blocks", 600, 180, "left", "ana", 3900])
    state.landings.appendleft(Landing(1, decode(bytes(buf))))
    assert _protocol(state) == "protocol: warm-up, familiarisation play 3 of 10: ask which cue it was"
