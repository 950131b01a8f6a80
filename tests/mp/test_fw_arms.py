# The hips-or-feet protocol's arms (core/arms.py): order parsing, the familiarisation, the safety stop.
from core import arms


def test_parse_gives_one_code_per_block():
    assert arms.parse_arms("") == b""
    assert arms.parse_arms("nfhs shfn") == bytes([0, 1, 2, 3, 3, 2, 1, 0])
    assert arms.parse_arms("nfhs") is None  # one round: too few
    assert arms.parse_arms("nfhs nfh") is None and arms.parse_arms("nfhs nfhh") is None


def test_safety_stop_at_7_or_3_above_the_warmup():
    assert arms.safety_stop(7, 2) and arms.safety_stop(5, 2) and not arms.safety_stop(6, 4)


def test_familiarisation_cycles_the_runs_cue_arms():
    order = arms.parse_arms("hnsf fsnh")
    assert [arms.familiar_arm(order, i) for i in range(8)] == [2, 3, 1, 1, 3, 2, 2, 3]  # h s f f s h, again


def test_familiarisation_plays_ten_in_the_warmup():
    warm = 600000
    due = [arms.familiar_play(t, warm) for t in range(0, warm, 1000)]
    plays = sorted(set(d for d in due if d >= 0))
    assert plays == list(range(10)) and due[119] == -1 and due[120] == 0 and due[320] == -1
    assert arms.familiar_play(200000, 300000) == -1  # a warm-up too short for ten: none
