"""The host decodes version-1 and version-2 step records alike; flag() answers every name."""
from __future__ import annotations

import numpy as np

from firmware.core import record
from host.store.records import decode, flag


def _rec(step: int, version: int = 2, block: int = 5, faults: int = 0x02) -> bytes:
    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, record.FLAG_CALIBRATED | record.FLAG_COLLAPSE, 1000, 250, 900, 1500, 200, 30, 0, 400,
                     block, faults, step)
    buf[0] = version
    crc = record.crc16(buf, 0, record.BODY)
    buf[record.BODY:record.SIZE] = bytes((crc & 0xFF, crc >> 8))
    return bytes(buf)


def test_step_names_and_fields_from_version_2() -> None:
    steps = decode(b"".join(_rec(s) for s in range(8)))
    assert (steps["block"] == 5).all() and (steps["faults"] == 0x02).all()
    for bit, name in enumerate(record.STEP_NAMES):
        assert (flag(steps, name) == ((np.arange(8) >> bit) & 1 == 1)).all(), name
    for name in record.FLAG_NAMES:
        flag(steps, name)  # every flag answers
    assert flag(steps, "collapse").all() and flag(steps, "calibrated").all()


def test_version_1_records_in_a_store_keep_their_meaning() -> None:
    steps = decode(_rec(0, version=1, block=200, faults=0x3F))
    assert steps["block"][0] == 200 and steps["faults"][0] == 0x3F
    assert not flag(steps, "walking")[0] and not flag(steps, "arch_uncertain")[0]
