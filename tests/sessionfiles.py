"""Session files as the firmware writes them, for tests that put them on an insole or a store."""
from __future__ import annotations

import numpy as np

from firmware.core import record, sessionlog


def sealed_session(n: int, sid: str = "dev1-000001", runner: str = "ana", fmt: int = 1, device: str = "dev1",
                   extra: dict | None = None, recovered: bool = False, steps: np.ndarray | None = None) -> bytes:
    """A sealed session of n records; the trailer repeats the header's identity, as the firmware's.
    extra: more header fields (started_at, foot, config, imported, ...); recovered: sealed by recovery
    after a power cut; steps: decoded steps (tests/block_steps.py) to write instead of n plain records,
    their block clamped to the record's 7 bits as the firmware clamps it."""
    header = {"session": sid, "device": device, "runner": runner, "foot": "left", "rate_hz": 200, "format": fmt,
              **(extra or {})}
    head = sessionlog._header_block(header)
    summary = sessionlog.Summary()
    body = bytearray()
    buf = bytearray(record.SIZE)
    rows = ([(0, 1000 + 700 * i, 250, 1500, 2000, 300, 40, 0, 3000, 0, 0, 0) for i in range(n)] if steps is None else
            zip(*(steps[k].tolist() for k in ("flags", "ic_ms", "stance_ms", "peak_total", "arch_share", "toe_share",
                                               "toe_load", "ml_index", "loading_rate")),
                np.minimum(steps["block"], record.BLOCK_MASK).tolist(), steps["faults"].tolist(),
                steps["step"].tolist()))
    for values in rows:
        record.pack_into(buf, 0, *values)
        body += buf
        summary.add(record.unpack(buf))
    info = sessionlog._seal_info(summary, header, len(head))
    if recovered:
        info["recovered"] = True
    return head + bytes(body) + sessionlog._trailer_block(info)


def flip(data: bytes, at: int) -> bytes:
    """One bit flipped at byte `at`."""
    out = bytearray(data)
    out[at] ^= 0x10
    return bytes(out)


def record_offset(data: bytes, slot: int) -> int:
    """Where record `slot` starts in a session file."""
    return 10 + int.from_bytes(data[4:6], "little") + slot * record.SIZE
