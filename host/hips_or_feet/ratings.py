"""One run of the hips-or-feet protocol in pain mode, as a ratings file (a lab run, or ratings
written down beside a treadmill), checked whole: a mistake is one line and nothing is taken.

    {"warmup_pain": 4,                                   the pain after the warm-up, 0-10
     "expectation": {"feet": 7, "hips": 5, "sham": 4},   asked before the run, 0-10 (optional)
     "rounds": [["hips", "none", "sham", "feet"], ...],  each round's arm order, drawn before the run
     "pain": [4, 5, 4, 2, ...]}                          one rating per block, in block order

Fewer ratings than blocks: the run stopped early (the rounds rated whole count). The safety
stop: a rating of 7 or more, or 3 above the warm-up, ends the run; no block may be rated after it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from host.command import UserError
from host.hips_or_feet.answer import ARMS, Round

MIN_ROUNDS = 2  # per run: a round alone is one difference per cue; the test needs 5 in all (two runs of 4 plan 8)
MIN_WARMUP_PAIN = 2  # below it there is nothing to ease
STOP_AT, STOP_RISE = 7, 3  # the safety stop: pain reaches 7/10, or 3 points above the warm-up


@dataclass
class Run:
    source: str
    warmup_pain: float
    orders: list[tuple[str, ...]]
    pain: list[float]
    expectation: dict[str, float] = field(default_factory=dict)
    stopped_at: int | None = None  # block (1-based) whose rating stopped the run

    def rounds(self) -> list[Round]:
        """The rounds rated whole (a stopped run's last round may be cut short)."""
        out = []
        for r, order in enumerate(self.orders):
            ratings = self.pain[4 * r:4 * r + 4]
            if len(ratings) == 4:
                out.append(Round(dict(zip(order, ratings))))
        return out

    @property
    def nothing_to_ease(self) -> bool:
        return self.warmup_pain < MIN_WARMUP_PAIN


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
        if p >= STOP_AT or p >= warmup + STOP_RISE:
            if b < len(pain):
                raise UserError(f"{name}: block {b + 1} is rated, but the run stopped at block {b} "
                                f"(pain {p:g}: the safety stop is {STOP_AT}/10 or {STOP_RISE} above the warm-up)")
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
    return Run(name, warmup, orders, pain, beliefs, _stop(pain, warmup, name))


def load(path: Path) -> Run:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"{path}: cannot read it ({e.strerror or e})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"{path}: not a JSON ratings file ({e})") from None
    return parse(str(path), data)
