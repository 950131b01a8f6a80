"""Runs, the coach's unit: what the runner ran, one insole's session or both insoles' sessions
of the same minutes. Every pull stops and restarts an insole, so a store also holds sessions
no one ran as a run (an insole pulled before the run, or pulled twice): leftovers.

- A session's shape (`shape()`): the span of its landings, its running landings and its blocks
  per condition, from its decoded steps and its config. The store keeps it beside the session
  (`sessions.shape_json`), so listings need no steps.
- A **leftover** has no running landing, or its landings span less than its warm-up plus one
  block (11 minutes with the insole's defaults): too short to hold a block. A leftover is never
  paired, pooled, charted or counted as a run; it stays in the store and is listed on request.
- **Pairing** (`group()`): a left and a right session whose landings overlap in time (insole
  clock at the start + the landings' own times) by at least half of the shorter one are one
  run; never by order or start time alone. One runner cannot run twice at once, and half the
  shorter session leaves room for clock error and an insole switched on late. A run may hold
  an insole's two sessions (restarted mid-run) beside the other's one. Undated sessions (clock
  not set) cannot be placed in time: each is a run of its own.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np

from firmware.core import config as fw_config
from host.store.records import flag

FEET = ("left", "right")
_DEFAULTS = fw_config.defaults()


@dataclass(frozen=True)
class Shape:
    steps: int
    running: int  # landings not walking
    first_ic_ms: int  # first and last landing, ms since the session started
    last_ic_ms: int
    blocks_on: int  # protocol blocks holding a landing, with the buzz and without
    blocks_off: int
    block_ms: int  # the config's block and warm-up length
    warmup_ms: int
    leftover: bool

    @property
    def minutes(self) -> float:
        return (self.last_ic_ms - self.first_ic_ms) / 60_000

    @property
    def run_ms(self) -> int:
        """The shortest span that holds a block: the warm-up plus one block."""
        return self.warmup_ms + self.block_ms

    def why_leftover(self) -> str:
        if not self.running:
            return "no running landing"
        return f"shorter than the warm-up plus one block ({self.run_ms / 60_000:g} min)"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Shape:
        return cls(**json.loads(text))


def shape(steps: np.ndarray, config: dict | None = None) -> Shape:
    """A session's shape from its decoded steps (block numbers unwrapped) and the config it ran
    with (the header's; the insole's defaults where it says nothing)."""
    cfg = {**_DEFAULTS, **(config if isinstance(config, dict) else {})}
    block_ms, warmup_ms = _ms(cfg, "block_s"), _ms(cfg, "warmup_s")
    running = int((~flag(steps, "walking")).sum())
    first, last = (int(steps["ic_ms"][0]), int(steps["ic_ms"][-1])) if len(steps) else (0, 0)
    block, on = steps["block"], flag(steps, "cue_block")
    on_n, off_n = (len(np.unique(block[(block > 0) & c])) for c in (on, ~on))
    return Shape(len(steps), running, first, last, on_n, off_n, block_ms, warmup_ms,
                 running == 0 or last - first < warmup_ms + block_ms)


def _ms(cfg: dict, key: str) -> int:
    value = cfg.get(key)
    return 1000 * (value if type(value) is int and value >= 0 else _DEFAULTS[key])


def start_ms(iso: str | None) -> int | None:
    """An insole clock time (ISO 8601, as the insole or --started-at writes it) in ms, or None."""
    try:
        return int(datetime.fromisoformat(str(iso)).timestamp() * 1000) if iso else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Placed:
    """A session's place in its run: the run's first session (its index), and when this session
    started after it, in ms and in blocks (an insole switched on a minute late has its block k in
    the other's block k + 1)."""
    run: int
    shift_ms: int
    shift_blocks: int


def group(items: Sequence[tuple[str, int | None, Shape]]) -> list[Placed]:
    """items: (foot, start_ms, shape) per session. Each session's place (see the module doc)."""
    spans = {i: (t + s.first_ic_ms, t + s.last_ic_ms) for i, (foot, t, s) in enumerate(items)
             if t is not None and not s.leftover and foot in FEET}
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(spans, key=lambda i: spans[i])
    for k, i in enumerate(order):  # a sweep in start order: each span against the later ones it meets
        a0, a1 = spans[i]
        for j in order[k + 1:]:
            b0, b1 = spans[j]
            if b0 >= a1:
                break
            if items[i][0] != items[j][0] and min(a1, b1) - b0 >= 0.5 * min(a1 - a0, b1 - b0):
                parent[root(j)] = root(i)
    heads: dict[int, int] = {}  # root -> the member that started first
    for i in sorted(range(len(items)), key=lambda i: (items[i][1] is None, items[i][1] or 0, i)):
        heads.setdefault(root(i), i)
    out = []
    for i, (_, t, s) in enumerate(items):
        head = heads[root(i)]
        shift = (t or 0) - (items[head][1] or 0)
        out.append(Placed(head, shift, round(shift / s.block_ms)))
    return out
