# The hips-or-feet protocol's arms: order parsing, the rating window, the safety stop.
from core import arms


def test_parse_gives_one_code_per_block():
    assert arms.parse("") == b""
    assert arms.parse("nfhs shfn") == bytes([0, 1, 2, 3, 3, 2, 1, 0])
    assert arms.parse("nfhs") is None  # one round: too few
    assert arms.parse("nfhs nfh") is None and arms.parse("nfhs nfhh") is None


def test_arm_past_the_rounds_is_none():
    order = arms.parse("hnsf fsnh")
    assert [arms.arm_at(order, k) for k in (0, 7, 8, -1)] == [arms.HIPS, arms.HIPS, arms.NONE, arms.NONE]


def test_pain_is_asked_in_the_last_30_s_of_a_3_min_block():
    block = 180000
    assert not arms.rating_open(44999, block) and not arms.rating_open(149999, block)
    assert arms.rating_open(150000, block) and arms.rating_open(179999, block)
    assert not arms.rating_open(180000, block)


def test_safety_stop_at_7_or_3_above_the_warmup():
    assert arms.safety_stop(7, 2) and arms.safety_stop(5, 2) and not arms.safety_stop(6, 4)


def test_familiarisation_cycles_the_runs_cue_arms():
    order = arms.parse("hnsf fsnh")
    assert [arms.familiar_arm(order, i) for i in range(8)] == [2, 3, 1, 1, 3, 2, 2, 3]  # h s f f s h, again


def test_familiarisation_plays_ten_in_the_warmup():
    warm = 600000
    due = [arms.familiar_play(t, warm) for t in range(0, warm, 1000)]
    plays = sorted(set(d for d in due if d >= 0))
    assert plays == list(range(10)) and due[119] == -1 and due[120] == 0 and due[320] == -1
    assert arms.familiar_play(200000, 300000) == -1  # a warm-up too short for ten: none
