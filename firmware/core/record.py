# The step record: one fixed-size little-endian struct per detected step, the single
# definition shared by firmware (packing on the insole) and host (decoding after a pull).
#
# Layout (24 bytes, version 2; version 1 is the same with no step bits, still decoded):
#   version      B   RECORD_VERSION
#   flags        B   FLAG_* bits below
#   ic_ms        I   initial contact, ms since session start (back-dated to the load onset)
#   stance_ms    H   initial contact to toe-off
#   peak_total   H   peak summed load over the stance, newtons
#   arch_share   H   arch / (total - hallux - toes) over the landing window, 1e-4 units
#   toe_share    H   (hallux + toes) / total load over the landing window, 1e-4 units
#   toe_load     H   mean hallux + toes load over the landing window, 0.1 N
#   ml_index     h   (met1 - met5) / (met1 + met5) over the stance, 1e-4 units
#   loading_rate H   steepest rise of the summed load in the loading phase, 10 N/s
#   block        B   bits 0-6: block number of the cue protocol, 0 = warm-up / no protocol
#                    (see "Block numbers" below: it wraps after 126 blocks); bit 7: STEP_WALKING
#   faults       B   bits 0-5: channel i excluded by sensor health during this step;
#                    bit 6: STEP_ARCH_UNCERTAIN, bit 7: STEP_TOE_UNCERTAIN
#   crc          H   CRC-16/CCITT-FALSE over the 22 bytes before it
#
# The three step bits live in the spare top bits of `block` and `faults` (all 8 flag bits
# are taken). unpack() separates them: it returns `block` and `faults` as before (number,
# channel mask) plus a 14th value, `step`, with bit i set for STEP_NAMES[i]:
#   walking         a walking step, not a running landing: collapse / toes not judged, no cue
#   arch_uncertain  the collapse judgment could not be made (one cluster of arch shares: the
#                   data cannot separate collapsed from normal landings); collapse is 0
#   toe_uncertain   the same for toe engagement; toe_engaged is 0
#
# Block numbers (cue_mode "blocks"). With the header's config, warmup_ms = warmup_s * 1000
# and block_ms = block_s * 1000, a landing at ic_ms >= warmup_ms is in block
#   n = 1 + (ic_ms - warmup_ms) // block_ms        (1, 2, 3 ...: odd cue-off, even cue-on)
# and its record stores 1 + (n - 1) % BLOCK_WRAP (BLOCK_WRAP = 126): 1..126, then 1 again
# (a run of 60 s blocks wraps after 2 h 6 min of blocks). The stored number is never 0 (0
# is the warm-up, or no protocol) nor 127, and keeps n's parity, so FLAG_CUE_BLOCK and
# "odd = off" agree. The firmware computes n from the very ic_ms in the record, so the host
# unwraps exactly: n = 1 + (ic_ms - warmup_ms) // block_ms for every record with block > 0,
# and checks 1 + (n - 1) % BLOCK_WRAP == block. Without the config: the n that is
# congruent to block (mod BLOCK_WRAP) and nearest to the time estimate, i.e.
#   n = block + BLOCK_WRAP * round((n_est - block) / BLOCK_WRAP),  n_est from ic_ms,
# right while the estimate is off by less than 63 blocks. Records of firmware before this
# wrap (session header "firmware" 0.1.0) saturate at 127 instead: there 127 means "127 or
# later", and only ic_ms tells which.
#
# Event records. The same log holds a second kind of 24-byte slot for what is not a step
# (a drill trial, a pain rating, the cue's latency...), so events get the steps' durability,
# CRC and recovery for free and the step layout stays as it is:
#   version B  EVENT_VERSION (never a step record version)
#   kind    B  a key of EVENTS
#   t_ms    I  ms since session start
#   payload 16s  the kind's fields, packed with EVENTS[kind]'s struct format (<= 16 bytes)
#   crc     H  CRC-16/CCITT-FALSE over the 22 bytes before it, as for steps
# Kinds are numbered by feature: drills 1-19, training program 20-29, hips-or-feet 30-39.
# A kind this code does not know (a newer firmware's) still passes its CRC: it is kept and
# read as raw payload bytes.
import struct
from array import array

from .mp import const, micropython

RECORD_VERSION = const(2)
_VERSIONS = (1, 2)  # versions unpack() reads
FORMAT = "<BBIHHHHHhHBBH"
SIZE = const(24)
BODY = const(22)  # bytes covered by the CRC
FIELDS = (
    "version",
    "flags",
    "ic_ms",
    "stance_ms",
    "peak_total",
    "arch_share",
    "toe_share",
    "toe_load",
    "ml_index",
    "loading_rate",
    "block",
    "faults",
    "crc",
    "step",  # decoded from the top bits of block / faults (see above), not a stored field
)
# Positions in FIELDS (and in an unpack() tuple) of the fields code reads by number: the one
# place those numbers are written (host code reads fields by name). Exported only where
# another module needs one: an exported const stays in the module's dict on the board heap,
# a private one compiles away (and the board check runs at that heap's edge).
_I_VERSION = const(0)
I_FLAGS = const(1)
I_IC_MS = const(2)
I_STANCE_MS = const(3)
I_ARCH_SHARE = const(5)
I_BLOCK = const(10)
I_FAULTS = const(11)
_I_CRC = const(12)
I_STEP = const(13)

FLAG_COLLAPSE = const(0x01)  # arch collapsed at landing
FLAG_TOE_ENGAGED = const(0x02)  # toes loaded early in stance
FLAG_CUED = const(0x04)  # a haptic cue was issued for this landing
FLAG_CUE_BLOCK = const(0x08)  # the step fell where cueing was on (a cue-on block)
FLAG_SENSOR_FAULT = const(0x10)  # at least one channel faulty (see `faults`)
FLAG_CALIBRATED = const(0x20)  # baseline ready: collapse / toe flags are meaningful
FLAG_SATURATED = const(0x40)  # some channel hit the ADC ceiling during stance
FLAG_DROPPED = const(0x80)  # the sampler missed frames during stance

STEP_WALKING = const(0x01)  # bits of unpack()'s `step` value
STEP_ARCH_UNCERTAIN = const(0x02)
STEP_TOE_UNCERTAIN = const(0x04)
STEP_NAMES = ("walking", "arch_uncertain", "toe_uncertain")
BLOCK_MASK = const(0x7F)
BLOCK_WRAP = const(126)  # protocol blocks stored before the number wraps (see above)
FAULT_MASK = const(0x3F)

FLAG_NAMES = (
    "collapse",
    "toe_engaged",
    "cued",
    "cue_block",
    "sensor_fault",
    "calibrated",
    "saturated",
    "dropped",
)


def _crc_table():
    # an array of 16-bit entries: 512 bytes, where a tuple of ints takes 1 KB on the board
    table = array("H", range(256))
    for i in range(256):
        crc = i << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table[i] = crc & 0xFFFF
    return table


_CRC_TABLE = _crc_table()


@micropython.native
def crc16(buf, start, end):
    """CRC-16/CCITT-FALSE of buf[start:end], without slicing (allocation-free)."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFFFF) ^ table[((crc >> 8) ^ buf[i]) & 0xFF]
    return crc


@micropython.native
def pack_into(buf, off, flags, ic_ms, stance_ms, peak_total, arch_share, toe_share,
              toe_load, ml_index, loading_rate, block, faults, step=0):
    """Write one record at buf[off:off+SIZE]. Values are clamped to their field ranges
    by the caller (block 0..127, faults 6 bits); step: STEP_* bits. Allocates nothing."""
    if step & STEP_WALKING:
        block |= 0x80
    if step & STEP_ARCH_UNCERTAIN:
        faults |= 0x40
    if step & STEP_TOE_UNCERTAIN:
        faults |= 0x80
    struct.pack_into(FORMAT, buf, off, RECORD_VERSION, flags, ic_ms, stance_ms, peak_total,
                     arch_share, toe_share, toe_load, ml_index, loading_rate, block, faults, 0)
    crc = crc16(buf, off, off + BODY)
    buf[off + BODY] = crc & 0xFF
    buf[off + BODY + 1] = crc >> 8


class RecordError(ValueError):
    pass


def step_bits(block, faults):
    """The STEP_* bits carried in a version-2 record's raw block and faults bytes."""
    return (block >> 7) | ((faults >> 5) & (STEP_ARCH_UNCERTAIN | STEP_TOE_UNCERTAIN))


def unpack(buf, off=0):
    """Decode and verify one record (versions 1 and 2); raises RecordError on a bad version
    or CRC. Returns the FIELDS: block and faults without the step bits, then `step`."""
    if len(buf) - off < SIZE:
        raise RecordError("truncated record: %d of %d bytes" % (len(buf) - off, SIZE))
    values = struct.unpack_from(FORMAT, buf, off)
    version = values[_I_VERSION]
    if version not in _VERSIONS:
        raise RecordError("unknown record version %d" % version)
    if crc16(buf, off, off + BODY) != values[_I_CRC]:
        raise RecordError("record CRC mismatch")
    block = values[I_BLOCK]
    faults = values[I_FAULTS]
    if version == 1:
        return values + (0,)
    return values[:I_BLOCK] + (block & BLOCK_MASK, faults & FAULT_MASK, values[_I_CRC], step_bits(block, faults))


def as_dict(values):
    """Record tuple -> dict of fields plus one boolean per flag, for host code."""
    out = {}  # type: dict
    for name, value in zip(FIELDS, values):
        out[name] = value
    flags = out["flags"]
    for bit, name in enumerate(FLAG_NAMES):
        out[name] = (flags >> bit) & 1
    for bit, name in enumerate(STEP_NAMES):
        out[name] = (out["step"] >> bit) & 1
    out["to_ms"] = out["ic_ms"] + out["stance_ms"]
    return out


EVENT_VERSION = const(0x45)  # "E"
EVENT_FORMAT = "<BBI16sH"
_EVENT_AT = const(6)  # where the payload starts
EVENTS = {}  # kind: (name, payload struct format, field names)
# training program (issue 24): a cued landing's motor start after its contact (the landing's
# ic_ms as t_ms), and the pulse's length
EVENT_CUE = const(20)
EVENTS[EVENT_CUE] = ("cue", "<HH", ("latency_ms", "pulse_ms"))
# hips or feet (issue 27, core/arms.py): a runner's answer typed into archcue live, as the live wire
# carried it (command "P" pain, "X" expectation of feet, hips, sham, "F" familiarisation right, played;
# a, b, c its numbers), with the block it came in, whether it stopped the run, and its time in the block
EV_ANSWER = const(0x27)
EVENTS[EV_ANSWER] = ("answer", "<BBBBBBI", ("command", "a", "b", "c", "block", "stopped", "ms_in_block"))


def is_event(buf, off=0):
    return buf[off] == EVENT_VERSION


def pack_event_into(buf, off, kind, t_ms, *fields):
    """Write one event record at buf[off:off+SIZE] (payload zero-padded to 16 bytes)."""
    for i in range(off, off + SIZE):
        buf[i] = 0
    struct.pack_into("<BBI", buf, off, EVENT_VERSION, kind, t_ms)
    struct.pack_into(EVENTS[kind][1], buf, off + _EVENT_AT, *fields)
    crc = crc16(buf, off, off + BODY)
    buf[off + BODY] = crc & 0xFF
    buf[off + BODY + 1] = crc >> 8


def unpack_event(buf, off=0):
    """Decode and verify one event record: (kind, t_ms, fields), fields as EVENTS[kind]
    packs them, or (payload bytes,) for a kind this code does not know. RecordError on a
    bad version or CRC."""
    if len(buf) - off < SIZE:
        raise RecordError("truncated record: %d of %d bytes" % (len(buf) - off, SIZE))
    version, kind, t_ms, payload, crc = struct.unpack_from(EVENT_FORMAT, buf, off)
    if version != EVENT_VERSION:
        raise RecordError("not an event record (version %d)" % version)
    if crc16(buf, off, off + BODY) != crc:
        raise RecordError("record CRC mismatch")
    spec = EVENTS.get(kind)
    fields = struct.unpack_from(spec[1], payload) if spec else (payload,)
    return kind, t_ms, fields
