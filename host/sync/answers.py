"""The runner's answers as typed into `archcue live` (hips or feet, pain mode) and the live wire's
bytes that carry them to the insole (firmware/core/live.py), apart from the view so that what
types answers without a terminal (the simulator's coach, host/hips_or_feet/lab_run.py) needs
no terminal library."""
from __future__ import annotations

from firmware.core import live as wire
from host.command import UserError

ANSWERS = {"": (wire.PAIN, ("pain",)), "x": (wire.EXPECT, ("feet", "hips", "sham")),
           "f": (wire.FAMILIAR, ("right", "asked"))}
ANSWER_HELP = ("type the runner's pain 0-10 and Enter (hips or feet, pain mode: in a block's last 30 s); "
               "x FEET HIPS SHAM: their expectation of each cue; f RIGHT ASKED: the familiarisation")


def answer_bytes(line: str) -> bytes:
    """A typed answer -> the live wire's bytes (firmware/core/live.py): "7" the pain now, "x 7 5 4"
    the expectation of the feet, hips and sham cues, "f 9 10" the patterns named right of those
    played. Bad input: UserError, one line."""
    words = line.lower().split()
    key = words[0] if words and not words[0].isdigit() else ""
    if key not in ANSWERS:
        raise UserError(f"{line.strip()!r}: {ANSWER_HELP}")
    command, names = ANSWERS[key]
    values = words[1:] if key else words
    if len(values) != len(names) or not all(v.isdigit() and int(v) <= 10 for v in values):
        raise UserError(f"{line.strip()!r}: give {' '.join(names)}, each a whole number from 0 to 10")
    if key == "f" and int(values[0]) > int(values[1]):
        raise UserError(f"{line.strip()!r}: more named right than played")
    return bytes([command] + [48 + int(v) for v in values])
