"""A lab run's ratings file imported with its recording (`archcue import REC --ratings R.json`),
stored as the insole stores a pain-mode run it recorded itself: the ratings' protocol in the
session's config (as host/plan/protocol.py writes it), each answer an EV_ANSWER event record
packed by the firmware's own record.pack_event_into, among the step records in time order.

The recording's time 0 (its first sample, the firmware's time 0) is the start of the warm-up.
Each answer is placed where the insole would have taken it: the expectation before the run
(time 0), the familiarisation and the warm-up's pain in the warm-up's last 30 s, each block's
pain in the middle of its last 30 s (its rating window, as ratings.from_events reads it), with
`stopped` set on the rating that hit the safety stop (core/arms.py). Block and warm-up lengths
are the config's, the firmware's defaults where it is silent.
"""
from __future__ import annotations

from firmware.core import arms, record
from firmware.core import config as fw_config
from host.command import UserError
from host.hips_or_feet.answer import ARMS
from host.hips_or_feet.ratings import RATED_MS, Run
from host.plan.protocol import run_keys
from host.sync.answers import answer_bytes
from host.text import clock

Answer = tuple[int, bytes]  # (t_ms, the 24-byte event record)
TYPING_GAP_MS = 5000  # between two answers typed in a row


def protocol_config(run: Run) -> dict:
    """The ratings' protocol as a pain-mode run's config holds it."""
    return run_keys("pain", " ".join("".join(arms.ARM_LETTERS[ARMS.index(arm)] for arm in o) for o in run.orders))


def with_protocol(run: Run, config: dict, where: str) -> dict:
    """The config (the coach's --config) with the ratings' protocol; a setting that says
    otherwise is refused, and so is a run without a warm-up (its pain is rated there)."""
    own = protocol_config(run)
    for key, value in own.items():
        given = config.get(key, value)
        if str(given).replace(" ", "") != str(value).replace(" ", ""):  # arm_order: spaces are ignored
            raise UserError(f"{where}: {key} {given!r} contradicts the ratings file's protocol ({key} {value!r}): "
                            "leave it out of the config; nothing imported")
    config = config | own
    if fw_config.validate(config)[0]["warmup_s"] == 0:
        raise UserError(f"{where}: warmup_s 0: a pain-mode run rates the warm-up's pain in its warm-up (give its "
                        f"length; default {fw_config.defaults()['warmup_s']} s); nothing imported")
    return config


Said = tuple[int, str, list[int], int, int, int]  # t_ms, command, numbers, block, stopped, ms into the block


def _schedule(run: Run, config: dict, length_ms: float, where: str) -> list[Said]:
    """Each answer where the insole takes it (module doc), in time order. A rating the insole
    could not have stored (not a whole number), or for a block whose rating window the
    recording does not reach, is refused with one line."""
    cfg = fw_config.validate(config)[0]
    warmup_ms, block_ms = cfg["warmup_s"] * 1000, cfg["block_s"] * 1000
    out: list[Said] = []
    for command, numbers, block, what in _said(run, where):
        start, end = (warmup_ms + (block - 1) * block_ms if block else 0), warmup_ms + block * block_ms
        t = 0 if command == "X" else _rated_at(start, end, length_ms, f"{where}: {what}")
        out.append((t, command, [_whole(where, what, v) for v in numbers], block, int(block == run.stopped_at),
                    t - start if block else 0))
    return out


def answers(run: Run, config: dict, length_ms: float, where: str) -> list[Answer]:
    """The ratings as the insole's answer records, in time order (refusals: _schedule)."""
    out: list[Answer] = []
    for t, command, numbers, block, stopped, into in _schedule(run, config, length_ms, where):
        buf = bytearray(record.SIZE)
        record.pack_event_into(buf, 0, record.EV_ANSWER, t, ord(command), *numbers, *[0] * (3 - len(numbers)),
                               block, stopped, into)
        out.append((t, bytes(buf)))
    return out


def typed(run: Run, config: dict, length_ms: float, where: str) -> list[tuple[int, bytes]]:
    """The ratings as a coach types them into archcue live during the run: (t_ms, the live
    wire's bytes), each at least TYPING_GAP_MS after the one before (the insole holds one
    answer until a toe-off writes it: a second one sooner would be dropped)."""
    out: list[tuple[int, bytes]] = []
    for t, command, numbers, *_ in _schedule(run, config, length_ms, where):
        t = max(t, out[-1][0] + TYPING_GAP_MS) if out else t
        out.append((t, answer_bytes(" ".join([command.lower()] * (command != "P") + [str(v) for v in numbers]))))
    return out


def _said(run: Run, where: str) -> list[tuple[str, tuple[float, ...], int, str]]:
    """(command, numbers, block, what) of each answer, in the order the insole takes them."""
    if run.expectation and set(run.expectation) != set(ARMS[1:]):
        raise UserError(f"{where}: 'expectation' names {', '.join(run.expectation)}: the insole stores it whole "
                        "(feet, hips and sham, as `x 7 5 4`); give all three or none; nothing imported")
    out = [("X", tuple(run.expectation[arm] for arm in ARMS[1:]), 0, "the expectation")] if run.expectation else []
    out += [("F", run.familiarisation, 0, "the familiarisation")] if run.familiarisation else []
    out.append(("P", (run.warmup_pain,), 0, "the warm-up's pain"))
    return out + [("P", (p,), b, f"block {b}") for b, p in enumerate(run.pain, 1) if p is not None]


def _rated_at(start: int, end: int, length_ms: float, what: str) -> int:
    """When a rating of the block (or warm-up) from start to end is taken: the middle of its
    last 30 s, or the recording's end inside them; refused when the recording ends before."""
    window = end - min(RATED_MS, end - start)
    if length_ms < window:
        raise UserError(f"{what} is rated, but the recording ends at {clock(length_ms)}, before that rating's window "
                        f"({clock(window)} to {clock(end)}; the recording's time 0 is the start of the warm-up); "
                        "nothing imported")
    return int(min(length_ms, (window + end) // 2))


def _whole(where: str, what: str, value: float) -> int:
    if value != int(value):
        raise UserError(f"{where}: {what}: {value:g} is not a whole number, and the insole stores its answers as "
                        "whole numbers 0-10; nothing imported")
    return int(value)


def merged(records: bytes, answers: list[Answer]) -> bytes:
    """A session's records with the answers among them in time order: each after every step
    whose toe-off came before it (and that step's own events), where the insole writes an
    answer (at a toe-off, in swing)."""
    if not answers:
        return records
    out, k = bytearray(), 0
    for off in range(0, len(records), record.SIZE):
        if not record.is_event(records, off):
            values = record.unpack(records, off)
            to_ms = values[record.I_IC_MS] + values[record.I_STANCE_MS]
            while k < len(answers) and answers[k][0] < to_ms:
                out += answers[k][1]
                k += 1
        out += records[off:off + record.SIZE]
    for _, rec in answers[k:]:
        out += rec
    return bytes(out)


def content(run: Run) -> list:
    """What the ratings say (not the file's name): part of an import's identity."""
    return [run.warmup_pain, run.orders, run.pain, run.expectation, run.familiarisation]
