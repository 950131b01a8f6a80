"""The buzz vocabulary (firmware/core/buzz.py): one motor, patterns told apart by count and rhythm."""
from __future__ import annotations

from itertools import combinations

from firmware.core import buzz


def test_every_pattern_is_a_different_rhythm() -> None:
    rhythms = {name: buzz.tokens(name) for name in buzz.PATTERNS}
    for a, b in combinations(rhythms, 2):
        assert rhythms[a] != rhythms[b], (a, b, rhythms[a])


def test_pulses_are_short_or_long_with_room_between() -> None:
    for name, pulses in buzz.PATTERNS.items():
        for i, (on, off) in enumerate(pulses):
            assert 100 <= on <= buzz.SHORT_MAX_MS or on >= buzz.LONG_MIN_MS, (name, on)  # felt, and classed
            assert off >= 100 or i == len(pulses) - 1, (name, off)  # a gap the skin resolves
        assert pulses[-1][1] == 0, name


def test_the_run_cues_are_the_field_tests_arms() -> None:
    assert [buzz.tokens(arm) for arm in buzz.ARMS] == ["S", "SS", "SSS"]  # feet, hips, sham: 1, 2, 3 pulses
    assert buzz.duration_ms("cue_sham") < 600  # over within one swing and the next stance
