"""Step records as numpy arrays, decoded with the firmware's own record definition."""
from __future__ import annotations

import io

import numpy as np

from firmware.core import record, sessionlog

_NUMPY_CODES = {"B": "u1", "H": "<u2", "h": "<i2", "I": "<u4"}

# the numpy twin of record.FORMAT, field for field
DTYPE = np.dtype([(name, _NUMPY_CODES[code]) for name, code in zip(record.FIELDS, record.FORMAT[1:])])
assert DTYPE.itemsize == record.SIZE


class SessionFileError(ValueError):
    pass


def decode(blob: bytes) -> np.ndarray:
    """Concatenated 24-byte records -> structured array (no CRC check: see parse_session)."""
    return np.frombuffer(blob, dtype=DTYPE)


def flag(steps: np.ndarray, name: str) -> np.ndarray:
    """One flag (record.FLAG_NAMES) as a boolean array."""
    return (steps["flags"] >> record.FLAG_NAMES.index(name)) & 1 == 1


def parse_session(data: bytes) -> tuple[dict, bytes, dict | None]:
    """A session file pulled from an insole -> (header, trusted record bytes, trailer).
    Every record's CRC is verified by the firmware's reader; a torn tail is left out."""
    try:
        header, start, n, trailer = sessionlog.scan(io.BytesIO(data), len(data))
    except sessionlog.LogError as e:
        raise SessionFileError(str(e)) from None
    return header, data[start:start + n * record.SIZE], trailer
