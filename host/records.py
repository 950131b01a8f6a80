"""Step records as numpy arrays, decoded with the firmware's own record definition."""
from __future__ import annotations

import io

import numpy as np

from firmware.core import record, sessionlog

_NUMPY_CODES = {"B": "u1", "H": "<u2", "h": "<i2", "I": "<u4"}

# the numpy twin of record.FORMAT, field for field (the bytes as stored)
DTYPE = np.dtype([(name, _NUMPY_CODES[code]) for name, code in zip(record.FIELDS, record.FORMAT[1:])])
assert DTYPE.itemsize == record.SIZE
# decoded steps: the stored fields with block / faults freed of the step bits, plus `step`
STEPS_DTYPE = np.dtype(DTYPE.descr + [("step", "u1")])


class SessionFileError(ValueError):
    pass


def decode(blob: bytes) -> np.ndarray:
    """Concatenated 24-byte records (versions 1 and 2) -> structured array STEPS_DTYPE (no
    CRC check: see parse_session). `block` is the protocol block, `faults` the excluded
    channels, `step` the STEP_* bits of version-2 records (0 for version 1)."""
    raw = np.frombuffer(blob, dtype=DTYPE)
    out = np.zeros(len(raw), dtype=STEPS_DTYPE)
    for name in DTYPE.names:
        out[name] = raw[name]
    v2 = raw["version"] >= 2
    block, faults = raw["block"][v2], raw["faults"][v2]
    out["block"][v2] = block & record.BLOCK_MASK
    out["faults"][v2] = faults & record.FAULT_MASK
    out["step"][v2] = record.step_bits(block, faults)
    return out


def flag(steps: np.ndarray, name: str) -> np.ndarray:
    """One flag (record.FLAG_NAMES or record.STEP_NAMES) as a boolean array."""
    if name in record.STEP_NAMES:
        return (steps["step"] >> record.STEP_NAMES.index(name)) & 1 == 1
    return (steps["flags"] >> record.FLAG_NAMES.index(name)) & 1 == 1


def parse_session(data: bytes) -> tuple[dict, bytes, dict | None]:
    """A session file pulled from an insole -> (header, trusted record bytes, trailer).
    Every record's CRC is verified by the firmware's reader; a torn tail is left out."""
    try:
        header, start, n, trailer = sessionlog.scan(io.BytesIO(data), len(data))
    except sessionlog.LogError as e:
        raise SessionFileError(str(e)) from None
    return header, data[start:start + n * record.SIZE], trailer
