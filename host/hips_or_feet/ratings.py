"""One run of the hips-or-feet protocol in pain mode, as a ratings file (a lab run, or ratings
written down beside a treadmill), checked whole: a mistake is one line and nothing is taken.

    {"warmup_pain": 4,                                   the pain after the warm-up, 0-10
     "expectation": {"feet": 7, "hips": 5, "sham": 4},   asked before the run, 0-10 (optional)
     "rounds": [["hips", "none", "sham", "feet"], ...],  each round's arm order, drawn before the run
     "pain": [4, 5, 4, 2, ...],                          one rating per block, in block order
     "familiarisation": [10, 10]}                        cue patterns named right, of those played

Fewer ratings than blocks: the run stopped early (the rounds rated whole count). The safety
stop: a rating of 7 or more, or 3 above the warm-up, ends the run; no block may be rated after it.
A run counts only when the runner named at least 9 of 10 cue patterns right in the warm-up.
A run recorded by the insole gives the same from its event records (`from_events`): the answers
typed into `archcue live`, each with its block and its time in the block.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from firmware.core import arms
from host.command import UserError
from host.hips_or_feet.answer import ARMS, Round

MIN_ROUNDS = arms.MIN_ROUNDS  # per run; the test needs 5 in all (two runs of 4 plan 8)
MIN_WARMUP_PAIN = 2  # below it there is nothing to ease
RATED_MS = 30_000  # pain mode: a block is rated in its last 30 s (its first 45 s never: carryover)
FAMILIAR_RIGHT, FAMILIAR_ASKED = 9, 10  # patterns named right, of at least this many played


@dataclass
class Run:
    source: str
    warmup_pain: float
    orders: list[tuple[str, ...]]
    pain: list[float | None]  # per block; None: not rated in its window
    expectation: dict[str, float] = field(default_factory=dict)
    stopped_at: int | None = None  # block (1-based) whose rating stopped the run
    familiarisation: tuple[int, int] | None = None  # (named right, played)
    ignored: int = 0  # answers outside a rating window (insole runs)

    def rounds(self) -> list[Round]:
        """The rounds rated whole (a stopped run's last round may be cut short)."""
        out = []
        for r, order in enumerate(self.orders):
            ratings = self.pain[4 * r:4 * r + 4]
            if len(ratings) == 4 and None not in ratings:
                out.append(Round({arm: float(p) for arm, p in zip(order, ratings) if p is not None}))
        return out

    @property
    def nothing_to_ease(self) -> bool:
        return self.warmup_pain < MIN_WARMUP_PAIN

    @property
    def left_out(self) -> str:
        """Why the run's blocks do not count ("" when they do)."""
        if self.nothing_to_ease:
            return f"warm-up pain {self.warmup_pain:g}/10, below {MIN_WARMUP_PAIN}: nothing to ease"
        f = self.familiarisation
        if f is None:
            return "no familiarisation recorded (the runner names the cue patterns in the warm-up)"
        if f[0] < FAMILIAR_RIGHT or f[1] < FAMILIAR_ASKED:
            return f"familiarisation {f[0]} of {f[1]} right: the cues need {FAMILIAR_RIGHT} of {FAMILIAR_ASKED}"
        return ""


def _score(where: str, value: object) -> float:
    if type(value) not in (int, float) or not 0 <= value <= 10:  # type: ignore[operator]
        raise UserError(f"{where}: {value!r} is not a pain score from 0 to 10")
    return float(value)  # type: ignore[arg-type]


def _orders(name: str, raw: object) -> list[tuple[str, ...]]:
    if raw is None:
        raise UserError(f"{name}: ratings without a protocol: give 'rounds', each round's arm order as the run used it")
    if not isinstance(raw, list) or len(raw) < MIN_ROUNDS:
        raise UserError(f"{name}: 'rounds' must list at least {MIN_ROUNDS} rounds (the protocol needs two or more "
                        "per run, and 5 in all for its test)")
    for k, order in enumerate(raw, 1):
        if not isinstance(order, list) or sorted(map(str, order)) != sorted(ARMS):
            raise UserError(f"{name}: round {k} must hold each arm once ({', '.join(ARMS)}), got {order!r}")
    return [tuple(order) for order in raw]


def _stop(pain: list[float], warmup: float, name: str) -> int | None:
    """The block whose rating stopped the run (1-based), refusing ratings after it."""
    for b, p in enumerate(pain, 1):
        if arms.safety_stop(p, warmup):
            if b < len(pain):
                raise UserError(f"{name}: block {b + 1} is rated, but the run stopped at block {b} (pain {p:g}: "
                                f"the safety stop is {arms.STOP_AT}/10 or {arms.STOP_RISE} above the warm-up)")
            return b
    return None


def parse(name: str, data: object) -> Run:
    if not isinstance(data, dict):
        raise UserError(f"{name}: expected a JSON object with warmup_pain, rounds and pain")
    orders = _orders(name, data.get("rounds"))
    if "warmup_pain" not in data:
        raise UserError(f"{name}: no 'warmup_pain' (the pain after the warm-up, 0-10)")
    warmup = _score(f"{name}: warmup_pain", data["warmup_pain"])
    raw = data.get("pain", [])
    if not isinstance(raw, list):
        raise UserError(f"{name}: 'pain' must be a list of ratings, one per block")
    if len(raw) > 4 * len(orders):
        raise UserError(f"{name}: a rating for block {4 * len(orders) + 1}, which has not run: the protocol has "
                        f"{len(orders)} rounds of 4 blocks")
    pain = [_score(f"{name}: pain of block {b}", p) for b, p in enumerate(raw, 1)]
    expect = data.get("expectation", {})
    if not isinstance(expect, dict) or set(expect) - set(ARMS[1:]):
        raise UserError(f"{name}: 'expectation' must map feet, hips and sham to 0-10")
    beliefs = {arm: _score(f"{name}: expectation of {arm}", v) for arm, v in expect.items()}
    return Run(name, warmup, orders, list(pain), beliefs, _stop(pain, warmup, name),
               _familiarisation(name, data.get("familiarisation")))


def _familiarisation(name: str, raw: object) -> tuple[int, int] | None:
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2 or not all(type(v) is int for v in raw)
            or not 0 <= raw[0] <= raw[1] <= 100):
        raise UserError(f"{name}: 'familiarisation' must be [named right, played], e.g. [9, 10]")
    return raw[0], raw[1]


def arm_rounds(arm_order: str) -> list[tuple[str, ...]]:
    """Each round's arms by name from a config's `arm_order` ([] when it holds no protocol)."""
    codes = arms.parse_arms(arm_order) or b""
    return [tuple(ARMS[c] for c in codes[r:r + 4]) for r in range(0, len(codes), 4)]


def from_events(source: str, config: dict, events: list[dict]) -> Run | None:
    """A pain-mode run recorded by the insole (its header's config, its event records), or None
    when it ran no hips-or-feet protocol in pain mode. A block's pain is its last answer in the
    block's rating window; answers elsewhere are counted as ignored."""
    rounds = arm_rounds(config.get("arm_order", ""))
    if not rounds or not config.get("pain_mode"):
        return None
    block_ms = config.get("block_s", 180) * 1000
    warmup: float = 0.0
    pain: list[float | None] = [None] * (4 * len(rounds))
    run = Run(source, 0.0, rounds, pain)
    for e in (e for e in events if e["kind"] == "answer"):
        command = chr(e["command"])
        if command == "P" and e["block"] == 0:
            warmup = float(e["a"])
        elif command == "P" and 1 <= e["block"] <= len(pain) and e["ms_in_block"] >= block_ms - RATED_MS:
            pain[e["block"] - 1] = float(e["a"])
            run.stopped_at = e["block"] if e["stopped"] else run.stopped_at
        elif command == "P":
            run.ignored += 1
        elif command == "X":
            run.expectation = {"feet": float(e["a"]), "hips": float(e["b"]), "sham": float(e["c"])}
        elif command == "F":
            run.familiarisation = (e["a"], e["b"])
    run.warmup_pain = warmup
    return run


def load(path: Path) -> Run:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not a JSON ratings file ({e})") from None
    return parse(str(path), data)
