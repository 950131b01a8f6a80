"""The buzz vocabulary (firmware/core/cue.py: PATTERNS): one motor, patterns told apart by count and rhythm."""
from __future__ import annotations

from itertools import combinations

from firmware.core import cue as buzz


def pulses(name: str) -> list[tuple[int, int]]:
    """(on ms, off ms) of each pulse of a pattern, as the HALs play it."""
    codes = buzz.PATTERNS[name]
    return [(buzz.on_ms(c), buzz.GAP_MS if i < len(codes) - 1 else 0) for i, c in enumerate(codes)]


def duration_ms(name: str) -> int:
    return sum(on + off for on, off in pulses(name))


def test_every_pattern_is_a_different_rhythm() -> None:
    for a, b in combinations(buzz.PATTERNS, 2):
        assert buzz.PATTERNS[a] != buzz.PATTERNS[b], (a, b)
    assert all(set(codes) <= set(b"SL") for codes in buzz.PATTERNS.values())


def test_pulses_are_short_or_long_with_room_between() -> None:
    assert buzz.LONG_MS >= 1.5 * 200  # a Long is told from the longest Short (Weber fraction ~0.2-0.3)
    for name in buzz.PATTERNS:
        for i, (on, off) in enumerate(pulses(name)):
            assert on in (buzz.SHORT_MS, buzz.LONG_MS), (name, on)
            assert off >= 100 or i == len(buzz.PATTERNS[name]) - 1, (name, off)  # a gap the skin resolves


def test_the_run_cues_are_the_field_tests_arms() -> None:
    arms = [buzz.PATTERNS[name] for name in ("cue_feet", "cue_hips", "cue_sham")]
    assert arms == [b"S", b"SS", b"SSS"]  # feet, hips, sham: 1, 2, 3 pulses
    assert duration_ms("cue_sham") < 600  # over within one swing and the next stance
