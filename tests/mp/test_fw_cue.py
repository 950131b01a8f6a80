# Cue policy: modes, rate limit, block protocol and fading.
import fwsynth
from core.cue import CuePolicy


def _policy(**overrides):
    return CuePolicy(fwsynth.config(**overrides))


def _cues(policy, n, t_step_ms=700, eligible=True):
    out = []
    for k in range(n):
        policy.at_landing(k * t_step_ms)
        out.append(policy.decide(eligible, k, 50))
    return out


def test_off_never_cues():
    assert not any(_cues(_policy(cue_mode="off"), 100))


def test_every_respects_rate_limit():
    cues = _cues(_policy(cue_mode="every", cue_every_steps=4), 40)
    assert [i for i, c in enumerate(cues) if c] == list(range(0, 40, 4))


def test_not_eligible_never_cues():
    assert not any(_cues(_policy(cue_mode="every"), 50, eligible=False))


def test_pulse_scales_with_severity():
    p = _policy(cue_mode="every", cue_every_steps=1, cue_pulse_min_ms=100, cue_pulse_max_ms=200)
    p.at_landing(0)
    assert p.decide(True, 0, 0) == 100
    assert p.decide(True, 1, 100) == 200
    assert p.decide(True, 2, 50) == 150


def test_blocks_alternate_off_on_after_warmup():
    p = _policy(cue_mode="blocks", warmup_s=60, block_s=30, cue_every_steps=1)
    seen = {}
    for k in range(300):  # 210 s of landings every 700 ms
        t = k * 700
        p.at_landing(t)
        cued = p.decide(True, k, 0)
        seen.setdefault(p.block, set()).add((p.block_on, bool(cued)))
    assert seen[0] == {(False, False)}  # warm-up: never
    assert seen[1] == {(False, False)} and seen[3] == {(False, False)}
    assert seen[2] == {(True, True)} and seen[4] == {(True, True)}


def test_faded_schedule_falls_to_the_floor():
    p = _policy(cue_mode="faded", cue_every_steps=1, fade_start_pct=100, fade_end_pct=20,
                fade_steps=1000)
    cues = _cues(p, 2000)
    early = sum(1 for c in cues[:100] if c)
    late = sum(1 for c in cues[1500:] if c)
    assert early >= 90 and 90 <= late <= 110, (early, late)


def test_cue_after_keeps_a_training_runs_start_cue_free():
    for mode in ("every", "faded"):
        p = _policy(cue_mode=mode, cue_every_steps=1, fade_start_pct=50, fade_end_pct=50, cue_after_s=60)
        cues = _cues(p, 200)  # 140 s of landings every 700 ms
        first = 60_000 // 700 + 1  # the first landing at or after 60 s
        assert not any(cues[:first]) and any(cues[first:]), mode
        assert p.block_on
def test_arms_follow_the_order_and_cue_on_a_fixed_schedule():
    # two rounds of 30 s blocks after a 60 s warm-up; a landing every 700 ms, none of them collapsed
    p = _policy(cue_mode="blocks", warmup_s=60, block_s=30, cue_every_steps=4, arm_order="hnsf fsnh")
    seen = {}
    for k in range(500):  # 350 s: the warm-up, the two rounds (240 s) and 50 s past them
        p.at_landing(k * 700)
        cued = p.decide(False, k, 0, True)  # not eligible by collapse: the arms' schedule ignores it
        if p.block:
            arm, on, count = seen.get(p.block, (p.arm, p.block_on, 0))
            seen[p.block] = (arm, on, count + (1 if cued else 0))
    assert [seen[b][0] for b in range(1, 9)] == [2, 0, 3, 1, 1, 3, 0, 2]  # h n s f f s n h
    assert all(seen[b][1] == (seen[b][0] != 0) for b in range(1, 9))
    counts = [seen[b][2] for b in range(1, 9) if seen[b][0]]
    assert max(counts) - min(counts) <= 1 and min(counts) >= 9  # ~43 landings a block, every 4th cued
    assert seen[9][0] == 0 and seen[9][2] == 0  # past the last round: no cue


def test_arms_do_not_cue_walking_or_the_warmup():
    p = _policy(cue_mode="blocks", warmup_s=60, block_s=30, cue_every_steps=1, arm_order="fhsn hsnf")
    p.at_landing(1000)
    assert p.decide(True, 0, 50, True) == 0  # warm-up
    p.at_landing(61000)
    assert p.decide(True, 1, 50, False) == 0  # not running (walking, or no streak yet)
    assert p.decide(False, 2, 0, True) > 0 and p.arm == 1


def test_no_arm_order_keeps_the_off_on_blocks():
    p = _policy(cue_mode="blocks", warmup_s=0, block_s=30, cue_every_steps=1)
    p.at_landing(31000)
    assert p.block_on and p.decide(False, 0, 0, True) == 0  # eligible by collapse only, as before


def test_the_safety_stop_ends_the_cues():
    p = _policy(cue_mode="blocks", warmup_s=60, block_s=30, cue_every_steps=1, arm_order="fhsn hsnf")
    p.at_landing(1000)
    assert p.rated(3) == 0 and p.warmup_pain == 3  # the warm-up's answer
    p.at_landing(61000)
    assert p.rated(5) == 0 and p.block_on  # 2 above the warm-up: on
    assert p.rated(6) == 1 and not p.block_on  # 3 above: stopped
    for k in range(100):
        p.at_landing(61000 + 700 * k)
        assert p.decide(True, k, 50, True) == 0 and p.arm == 0


def test_seven_stops_without_a_warmup_answer():
    p = _policy(cue_mode="blocks", warmup_s=0, block_s=30, arm_order="fhsn hsnf")
    p.at_landing(1000)
    assert p.rated(6) == 0 and p.rated(7) == 1


def test_the_warmup_plays_each_familiarisation_once():
    p = _policy(cue_mode="blocks", warmup_s=600, block_s=180, arm_order="hnsf fsnh")
    played = []
    for k in range(900):  # 630 s of landings every 700 ms
        p.at_landing(k * 700)
        if p.decide(False, k, 0, True):
            played.append((k * 700 // 1000, p.arm))
    warm = [(t, a) for t, a in played if t < 600]
    assert [a for _, a in warm] == [2, 3, 1, 1, 3, 2, 2, 3, 1, 1]  # the order's cue arms, cycled
    assert [t // 20 for t, _ in warm] == list(range(6, 16))  # one every 20 s from 2 min
