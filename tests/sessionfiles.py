"""Session files as the firmware writes them, for tests that put them on an insole or a store."""
from __future__ import annotations

from firmware.core import record, sessionlog


def sealed_session(n: int, sid: str = "dev1-000001", runner: str = "ana", fmt: int = 1, device: str = "dev1",
                   extra: dict | None = None, recovered: bool = False) -> bytes:
    """A sealed session of n records; the trailer repeats the header's identity, as the firmware's.
    extra: more header fields (started_at, imported, ...); recovered: sealed by recovery after a power cut."""
    header = {"session": sid, "device": device, "runner": runner, "foot": "left", "rate_hz": 200, "format": fmt,
              **(extra or {})}
    head = sessionlog._header_block(header)
    summary = sessionlog.Summary()
    body = bytearray()
    buf = bytearray(record.SIZE)
    for i in range(n):
        record.pack_into(buf, 0, 0, 1000 + 700 * i, 250, 1500, 2000, 300, 40, 0, 3000, 0, 0)
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
