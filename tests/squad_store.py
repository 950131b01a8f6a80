"""A synthetic squad in a store, fast: each runner's block-protocol runs drawn directly
(tests/block_steps.py, no firmware), packed into 24-byte records with their CRC (numpy, the
firmware's layout) and imported through the store's own import (Store.import_parsed), one
session per insole. 1,000 runners x 1 hour x both feet (about 10 million steps) take well
under a minute, where the firmware would take hours.

Each runner has its own truth: how often the arch collapses without curled toes, how often
the toes answer the buzz, and curling's effect (collapse rate of curled / uncurled landings):
0.35-0.7 for a responder, 0.92-1.08 for a non-responder (both clear of the 15% margin, so the
share of responders is known exactly)."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from firmware.core import record
from host.store.db import Store
from host.store.records import DTYPE, Parsed
from tests.block_steps import block_run

START = datetime(2026, 11, 2, 7, 0, 0)
_CRC = np.array(record._CRC_TABLE, dtype=np.uint16)


def encode(steps: np.ndarray) -> bytes:
    """Decoded steps (host.store.records.STEPS_DTYPE) back to the insole's 24-byte records,
    step bits in the top bits of block / faults and each record's CRC-16 over its first 22 bytes."""
    raw = np.zeros(len(steps), dtype=DTYPE)
    for name in DTYPE.names:
        if name != "crc":
            raw[name] = steps[name]
    step = steps["step"].astype(np.uint8)
    raw["block"] = (steps["block"] & record.BLOCK_MASK) | ((step & record.STEP_WALKING) << 7)
    raw["faults"] = (steps["faults"] & record.FAULT_MASK) | ((step >> 1) << 6)
    body = raw.view(np.uint8).reshape(-1, record.SIZE)
    crc = np.full(len(raw), 0xFFFF, dtype=np.uint16)
    for i in range(record.BODY):
        crc = ((crc << 8) & 0xFFFF) ^ _CRC[((crc >> 8) ^ body[:, i]) & 0xFF]
    raw["crc"] = crc
    return raw.tobytes()


def add_session(store: Store, sid: str, runner: str, foot: str, started_at: str | None, steps: np.ndarray,
                device: str = "squad", config: dict | None = None, events: bytes = b"") -> None:
    """One sealed session, as a pull would import it (config: the header's, as the insole echoes it;
    events: event records, packed, logged after the steps)."""
    header = {"session": sid, "device": device, "runner": runner, "foot": foot, "rate_hz": 200, "format": 2,
              "firmware": "synthetic", "board": "none", "started_at": started_at}
    if config is not None:
        header["config"] = config
    blob = encode(steps) + events
    trailer = {"records": len(blob) // record.SIZE, "steps": len(steps), "header": {"session": sid, "device": device},
               "data_start": 0}
    store.import_parsed(Parsed(header, blob, trailer, [], None), hashlib.sha256(blob).hexdigest())


@dataclass
class Truth:
    runner: str
    responder: bool
    ratio: float  # curling's effect: collapse rate of curled / uncurled landings
    collapse_off: float
    engaged_on: float
    engaged_off: float

    @property
    def buzz(self) -> float:
        """The buzz's effect this runner's parameters imply: collapse rate with / without it."""
        def rate(engaged: float) -> float:
            return engaged * self.ratio + 1 - engaged
        return rate(self.engaged_on) / rate(self.engaged_off)


def draw_runner(name: str, responder: bool, rng: np.random.Generator) -> Truth:
    ratio = rng.uniform(0.35, 0.7) if responder else rng.uniform(0.92, 1.08)
    return Truth(name, responder, float(ratio), float(rng.uniform(0.25, 0.5)), float(rng.uniform(0.5, 0.7)),
                 float(rng.uniform(0.1, 0.2)))


def add_runner(store: Store, t: Truth, minutes: float, seed: int, when: datetime = START, feet: int = 2) -> None:
    """One run of a runner: both insoles (the left switched on 40 s later: its block k is the
    run's block k + 1) or the right one alone."""
    for k, foot in enumerate(("right", "left")[:feet]):
        steps = block_run(minutes, seed * 2 + k, collapse_off=t.collapse_off, ratio=min(t.ratio, 1 / t.collapse_off),
                          engaged_on=t.engaged_on, engaged_off=t.engaged_off)
        add_session(store, f"{t.runner}-{foot}-{when:%Y%m%d%H%M}", t.runner, foot,
                    (when + timedelta(seconds=40 * k)).isoformat(timespec="seconds"), steps)


def build_squad(path: Path, runners: int, minutes: float = 60, share: float = 0.3, seed: int = 1,
                feet: int = 2) -> list[Truth]:
    """A store of `runners` runners, round(share x runners) of them responders, each with one run
    on a day of the two weeks before START."""
    rng = np.random.default_rng(seed)
    k = round(share * runners)
    responders = set(rng.permutation(runners)[:k].tolist())
    store = Store(path)
    truths = []
    for i in range(runners):
        t = draw_runner(f"runner{i:04d}", i in responders, rng)
        add_runner(store, t, minutes, seed * 100_000 + i, START - timedelta(days=int(i % 14)), feet)
        truths.append(t)
    store.close()
    return truths


def mean_log(truths: list[Truth], what: str) -> float:
    """The squad's mean log effect (curling's 'ratio' or the 'buzz'): what a pooled effect estimates."""
    return float(np.mean([math.log(getattr(t, what)) for t in truths]))
