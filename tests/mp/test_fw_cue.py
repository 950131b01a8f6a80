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
