"""Step records as numpy arrays, decoded with the firmware's own record definition."""
from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from firmware.core import drills, record, sessionlog  # noqa: F401 (drills: its event kinds in record.EVENTS)
from host.command import UserError
from host.text import repair, shown

_NUMPY_CODES = {"B": "u1", "H": "<u2", "h": "<i2", "I": "<u4"}

# the numpy twin of record.FORMAT, field for field (the bytes as stored)
DTYPE = np.dtype([(name, _NUMPY_CODES[code]) for name, code in zip(record.FIELDS, record.FORMAT[1:])])
assert DTYPE.itemsize == record.SIZE
# decoded steps: the stored fields with block / faults freed of the step bits (block counted on
# past the record's 7 bits, so 16 here), plus `step`
STEPS_DTYPE = np.dtype([(n, "<u2" if n == "block" else t) for n, t in DTYPE.descr] + [("step", "u1")])
SATURATED = record.BLOCK_MASK  # the record's block field stops here (firmware/core/cue.py)


class SessionFileError(UserError):
    pass


class NewerFormat(SessionFileError):
    """A session of a format this archcue does not read: a newer archcue will."""


@dataclass
class Parsed:
    """A pulled session file as the reader found it."""
    header: dict
    records: bytes  # every CRC-valid record, in order
    trailer: dict | None  # None: unsealed
    gaps: list[int]  # 24-byte slots that failed their CRC
    damage: str | None  # why fewer records came back than the file says, or None
    seal_damaged: bool = False  # whole, but its trailer was damaged (rebuilt here, or resealed by the insole)

    def __iter__(self):
        """Unpacks as (header, records, trailer)."""
        return iter((self.header, self.records, self.trailer))


def decode(blob: bytes) -> np.ndarray:
    """One session's concatenated 24-byte records -> its step records (versions 1 and 2; the
    event records are decode_events') as a structured array STEPS_DTYPE (no CRC check: see
    parse_session). `block` is the protocol block (counted by time past the record's 127:
    unwrap_blocks), `faults` the excluded channels, `step` the STEP_* bits of version-2
    records (0 for version 1)."""
    raw = np.frombuffer(blob, dtype=DTYPE)
    raw = raw[raw["version"] != record.EVENT_VERSION]
    out = np.zeros(len(raw), dtype=STEPS_DTYPE)
    for name in DTYPE.names:
        out[name] = raw[name]
    v2 = raw["version"] >= 2
    block, faults = raw["block"][v2], raw["faults"][v2]
    out["block"][v2] = block & record.BLOCK_MASK
    out["faults"][v2] = faults & record.FAULT_MASK
    out["step"][v2] = record.step_bits(block, faults)
    out["block"] = unwrap_blocks(out["block"], out["ic_ms"], flag(out, "cue_block"))
    return out


def decode_events(blob: bytes) -> list[dict]:
    """One session's concatenated 24-byte records -> its event records in log order, each
    {"kind": name, "t_ms": ms since the session start, <its fields>}; a kind this archcue
    does not know reads {"kind": "unknown N", "t_ms": ..., "payload": hex}."""
    events = []
    for off in range(0, len(blob) - record.SIZE + 1, record.SIZE):
        if record.is_event(blob, off):
            kind, t_ms, fields = record.unpack_event(blob, off)
            name, _, names = record.EVENTS.get(kind, (f"unknown {kind}", "", ("payload",)))
            values = fields if kind in record.EVENTS else (fields[0].hex(),)
            events.append({"kind": name, "t_ms": t_ms, **dict(zip(names, values))})
    return events


def count_steps(blob: bytes) -> int:
    """Step records in a session's concatenated records (events not counted)."""
    return sum(not record.is_event(blob, off) for off in range(0, len(blob), record.SIZE))


def unwrap_blocks(block: np.ndarray, ic_ms: np.ndarray, cue_on: np.ndarray) -> np.ndarray:
    """Protocol block numbers past the record's 7 bits. Firmware 0.1 stops its counter at 127,
    firmware 0.2 wraps it through 1..126 (firmware/core/record.py); either way the cue_block
    flag goes on alternating block by block (off, on, ...), so the host counts on: from one
    landing in a block to the next, by the recorded difference while both numbers are below
    127 and rising (and it agrees with the flag's flip), else by the block boundaries their
    time apart crosses, floor(gap / block length) or one more, whichever matches the flip (a
    pause of minutes costs no block). The block length is the recorded blocks' own, first to
    last start. Counters below 127 that never fall come back unchanged."""
    idx = np.flatnonzero(block > 0)
    if len(idx) < 2 or (block[idx].max() < SATURATED and (np.diff(block[idx]) >= 0).all()):
        return block
    b, t, on = block[idx].astype(np.int64), ic_ms[idx].astype(np.int64), cue_on[idx]
    flip = (on[1:] != on[:-1]).astype(np.int64)
    recorded = np.diff(b)
    trusted = (b[:-1] < SATURATED) & (b[1:] < SATURATED) & (recorded >= 0) & ((recorded & 1) == flip)
    crossed = np.diff(t) // _block_ms(b, t)
    crossed += (crossed & 1) != flip
    out = block.astype(np.int64)
    out[idx] = b[0] + np.concatenate(([0], np.cumsum(np.where(trusted, recorded, crossed))))
    return np.minimum(out, np.iinfo(block.dtype).max).astype(block.dtype)


def _block_ms(b: np.ndarray, t: np.ndarray) -> int:
    """Block length from the recorded numbers below 127: (last start - first start) / blocks
    between (a block's first landing comes up to a step after its start: under 1 ms a block
    over 100 blocks). 60 s if fewer than two blocks were recorded."""
    below = b < SATURATED
    numbers, first = np.unique(b[below], return_index=True)
    if len(numbers) < 2:
        return 60_000
    return max(1, int(round((t[below][first[-1]] - t[below][first[0]]) / (numbers[-1] - numbers[0]))))


def flag(steps: np.ndarray, name: str) -> np.ndarray:
    """One flag (record.FLAG_NAMES or record.STEP_NAMES) as a boolean array."""
    if name in record.STEP_NAMES:
        return (steps["step"] >> record.STEP_NAMES.index(name)) & 1 == 1
    return (steps["flags"] >> record.FLAG_NAMES.index(name)) & 1 == 1


# header fields and the types they must have (format is checked on its own)
_TYPES = {"session": (str,), "device": (str,), "runner": (str,), "foot": (str, type(None)),
          "rate_hz": (int,), "started_at": (str, type(None)), "firmware": (str,), "board": (str,)}


def _check_header(header: dict, expect_id: str | None) -> dict:
    fmt = header.get("format")
    if type(fmt) is not int or not 1 <= fmt <= sessionlog.FORMAT_VERSION:
        raise NewerFormat(f"header format {fmt!r}: this archcue reads format {sessionlog.FORMAT_VERSION}; "
                               "left on the insole (update archcue)")
    for key, types in _TYPES.items():
        if key in header and type(header[key]) not in types:
            raise SessionFileError(f"header field {key!r} is {type(header[key]).__name__}, "
                                   f"expected {' or '.join(t.__name__ for t in types)}")
        if isinstance(header.get(key), str):
            try:
                header[key] = repair(header[key])
            except ValueError as e:
                raise SessionFileError(f"header field {key!r}: {e}") from None
    if not header.get("session"):
        raise SessionFileError("header has no session id")
    if expect_id is not None and header["session"] != expect_id:
        raise SessionFileError(f"header names session {shown(header['session'])!r}, the file is {expect_id!r}")
    return header


def parse_session(data: bytes, expect_id: str | None = None) -> Parsed:
    """A session file pulled from an insole, read by the firmware's own reader: every
    record that passes its CRC is kept, the failing slots are listed; a damaged header is
    rebuilt from the trailer, a damaged trailer from the records (_damaged_seal).
    SessionFileError (naming why) for a file that is no session, a future format, wrong
    header types, or a header whose id is not the file's."""
    gaps: list[int] = []
    summary = sessionlog.Summary()
    try:
        header, start, n, trailer, _ = sessionlog.scan(io.BytesIO(data), len(data), summary.add, gaps.append,
                                                       summary.add_event)
    except sessionlog.LogError as e:
        raise SessionFileError(str(e)) from None
    bad = set(gaps)  # the valid records, byte for byte as on the insole
    records = b"".join(data[start + i * record.SIZE:start + (i + 1) * record.SIZE]
                       for i in range(n + len(gaps)) if i not in bad)
    header = _check_header(header, expect_id)
    slots = n + len(gaps)
    tail = _tail_gaps(gaps, slots)
    junk = (trailer is None or trailer.get("recovered")) and _damaged_seal(
        data, start + (slots - tail) * record.SIZE, trailer is not None)
    if junk:  # a damaged seal, not damaged records: the session is whole
        gaps = gaps[:len(gaps) - tail]
        if trailer is None:
            trailer = {**sessionlog._seal_info(summary, header, start), "rebuilt": True}  # the insole's own
    problems = []
    if trailer is None:
        problems.append("not sealed (the insole could not seal it)")
    if header.get("rebuilt"):
        problems.append("header damaged (rebuilt from the trailer)")
    if gaps:
        problems.append(
            f"{len(gaps)} corrupt record(s) at {', '.join(map(str, gaps[:5]))}{' ...' if len(gaps) > 5 else ''}"
        )
    if (trailer is not None and not junk and type(trailer.get("records")) is int
            and n < trailer["records"] - len(gaps)):
        problems.append(f"{n} of the {trailer['records']} records its trailer counts")
    return Parsed(header, records, trailer, gaps, "; ".join(problems) or None, bool(junk))


def _tail_gaps(gaps: list[int], slots: int) -> int:
    """How many of the failing slots come after the last valid record."""
    tail = 0
    while tail < len(gaps) and gaps[len(gaps) - 1 - tail] == slots - 1 - tail:
        tail += 1
    return tail


def _damaged_seal(data: bytes, first: int, sealed: bool) -> bool:
    """The bytes after the last valid record (from `first` to the trailer, or to the end of an
    unsealed file) are a damaged trailer, not damaged records: a trailer is JSON (it starts
    with '{'), a record starts with its version byte (1 or 2, EVENT_VERSION for an event); a bit flip, a cut, an erased
    (0xFF) or zeroed trailer leaves the first byte no record version, or the trailer's magic
    in place. On the insole, recovery seals such a file again after the damaged trailer
    (sealed): the junk then lies between the last record and the new trailer. (A trailer
    written at a clean close follows its records directly: what fails before it is records.)"""
    end = len(data) - 10 - int.from_bytes(data[-6:-4], "little") if sealed else len(data)
    junk = data[first:end]
    if not junk:
        return False
    a_record = 1 <= junk[0] <= record.RECORD_VERSION or junk[0] == record.EVENT_VERSION
    return not a_record or sessionlog.TRAILER_MAGIC in junk
