# The session log: one file per run under sessions/, on the insole's LittleFS.
#
#   header   b"ACS1" | u16 n | n bytes JSON (format, firmware, board, foot, runner, rate,
#            config, start time, session id) | u32 CRC-32 of the JSON
#   records  24-byte step records (record.py), each with its own CRC-16
#   trailer  n bytes JSON summary | u32 CRC-32 | u16 n | b"ACSE"   (clean close or recovery)
#            The summary repeats the header's identity ("header") and where the records
#            start ("data_start"), so a session whose header is damaged can be rebuilt.
#
# A SessionLog is prepared when a run starts (room made, id chosen) and its file is made
# at the first record: a run with no step (a pull's restart with nobody running) leaves no
# file. Records are buffered in RAM, written when the buffer fills and synced (LittleFS) at
# the end of each flash block or when flush_ms has passed, so a power cut loses at most that
# much (SessionLog says why block boundaries). The trailer is found
# from the end of the file, so recovery never rewrites data: on boot, recover() finds
# sessions without a trailer and appends one whose summary is recomputed from the valid
# records (a file cut before it held a record is removed). Records are fixed-size with their
# own CRC, so the reader skips a corrupt one
# and keeps every valid record after it (and says how many slots failed). Listing and
# recovery walk the folder one name at a time (constant memory with 1,000 sessions) and
# scan only unsealed files. When space runs short the oldest sessions the host verified
# are reclaimed (never an unverified one); logging stops while `reserve` bytes are still
# free, so sealing always fits, and a note (FULL_NOTE) says so until there is room again.
# The same reader serves the host after a pull.
import json
import os
import struct
from binascii import crc32
from collections import namedtuple

from . import record
from .channels import ARCH

FORMAT_VERSION = 1
HEADER_MAGIC = b"ACS1"
TRAILER_MAGIC = b"ACSE"
SUFFIX = ".acs"
SYNCED_SUFFIX = ".ok"  # written by the host once a session is verified in its store
DIR = "sessions"
COUNTER = DIR + "/counter"
FULL_NOTE = DIR + "/flash_full"  # JSON {"session", "steps"}: logging stopped for lack of space (sync.info reads it)
ENOSPC = 28
_CHUNK_RECORDS = 32  # records buffered in RAM between writes


class LogError(ValueError):
    pass


def _crc(payload):
    return struct.pack("<I", crc32(payload) & 0xFFFFFFFF)


def _header_block(info):
    payload = json.dumps(info).encode()
    return HEADER_MAGIC + struct.pack("<H", len(payload)) + payload + _crc(payload)


def _trailer_block(summary):
    payload = json.dumps(summary).encode()
    return payload + _crc(payload) + struct.pack("<H", len(payload)) + TRAILER_MAGIC


def _parse(payload, crc):
    if crc != _crc(payload):
        return None
    try:
        value = json.loads(payload)
    except ValueError:
        return None
    return value if type(value) is dict else None  # a header or trailer is an object


def _read_header(f):
    head = f.read(6)
    if len(head) < 6 or head[:4] != HEADER_MAGIC:
        return None
    n = struct.unpack("<H", head[4:])[0]
    payload = f.read(n)
    if len(payload) < n:
        return None
    return _parse(payload, f.read(4))


def _read_trailer(f, size, data_start):
    """(trailer, its first byte) at the end of the file, or (None, size) if unsealed or torn."""
    if size - data_start < 12:
        return None, size
    f.seek(size - 6)
    tail = f.read(6)
    if tail[2:] != TRAILER_MAGIC:
        return None, size
    n = struct.unpack("<H", tail[:2])[0]
    start = size - 10 - n
    if start < data_start:
        return None, size
    f.seek(start)
    payload = f.read(n)
    trailer = _parse(payload, f.read(4))
    return trailer, (start if trailer is not None else size)


# what a trailer repeats of its header, so a session whose header is damaged can be rebuilt
IDENTITY = ("format", "session", "device", "runner", "foot", "rate_hz", "started_at", "firmware", "board")


def _seal_info(summary, header, data_start):
    info = summary.as_dict()
    ident = {}
    for key in IDENTITY:
        if key in header:
            ident[key] = header[key]
    info["header"] = ident
    info["data_start"] = data_start
    return info


class Summary:
    """Running counts, means and variances of the arch share per comparison group, over the
    landings the host's analysis judges (host.verdict.analysis.judged / toe_judged): calibrated
    running landings with a certain collapse judgment and a healthy arch channel; the
    engagement groups also need a certain toe judgment. Walking and uncertain landings are
    counted in `steps` (every record: the host checks it against the records it reads)
    and `walking`, never in a group."""

    GROUPS = ("all", "engaged", "not_engaged", "cue_on", "cue_off")

    def __init__(self):
        self.groups = {}
        for g in self.GROUPS:
            self.groups[g] = [0, 0, 0, 0]  # n, collapses, sum, sum of squares
        self.steps = 0
        self.events = 0  # event records (record.py), counted apart from the steps
        self.walking = 0
        self.cued = 0
        self.faulty = 0
        self.first_ic = -1
        self.last_to = 0

    def _add(self, name, collapse, share):
        g = self.groups[name]
        g[0] += 1
        g[1] += collapse
        g[2] += share
        g[3] += share * share

    def add(self, values):
        """values: record.unpack() tuple of one step."""
        flags = values[record.I_FLAGS]
        step = values[record.I_STEP]
        self.steps += 1
        self.walking += step & record.STEP_WALKING
        self.cued += 1 if flags & record.FLAG_CUED else 0
        self.faulty += 1 if flags & record.FLAG_SENSOR_FAULT else 0
        if self.first_ic < 0:
            self.first_ic = values[record.I_IC_MS]
        self.last_to = values[record.I_IC_MS] + values[record.I_STANCE_MS]
        if (not flags & record.FLAG_CALIBRATED or step & (record.STEP_WALKING | record.STEP_ARCH_UNCERTAIN)
                or (values[record.I_FAULTS] >> ARCH) & 1):
            return  # not judged for collapse
        share = values[record.I_ARCH_SHARE]
        collapse = 1 if flags & record.FLAG_COLLAPSE else 0
        self._add("all", collapse, share)
        if not step & record.STEP_TOE_UNCERTAIN:
            self._add("engaged" if flags & record.FLAG_TOE_ENGAGED else "not_engaged", collapse, share)
        if values[record.I_BLOCK]:  # protocol block: on/off comparison only inside blocks
            self._add("cue_on" if flags & record.FLAG_CUE_BLOCK else "cue_off", collapse, share)

    def add_event(self, event):
        """event: record.unpack_event() tuple (counted only)."""
        self.events += 1

    def as_dict(self):
        out = {
            "records": self.steps + self.events,
            "steps": self.steps,
            "walking": self.walking,
            "cued": self.cued,
            "sensor_fault_steps": self.faulty,
            "first_ic_ms": self.first_ic,
            "last_to_ms": self.last_to,
        }
        for name, (n, collapses, s, ss) in self.groups.items():
            mean = s / n if n else 0.0
            var = (ss - s * s / n) / (n - 1) if n > 1 else 0.0
            out[name] = {"n": n, "collapses": collapses, "collapse_rate": collapses / n if n else 0.0,
                         "arch_share_mean": mean, "arch_share_var": var}
        if self.events:
            out["events"] = self.events
        return out


def _locate(f, size):
    """(header, data_start, trailer, data_end). A damaged header is rebuilt from the
    trailer's copy of it (header["rebuilt"] set); LogError if neither can be read."""
    header = _read_header(f)
    if header is not None:
        data_start = f.tell()
        trailer, end = _read_trailer(f, size, data_start)
        return header, data_start, trailer, end
    trailer, end = _read_trailer(f, size, 6)
    if trailer is None or type(trailer.get("header")) is not dict or type(trailer.get("data_start")) is not int:
        raise LogError("not a session file (damaged header, no trailer to rebuild it from)" if size else "empty file")
    header = dict(trailer["header"])
    header["rebuilt"] = True
    return header, trailer["data_start"], trailer, end


# What scan() finds: `records` CRC-valid records between data_start and the trailer (None
# if unsealed), `bad` slots that failed their CRC.
Scan = namedtuple("Scan", ("header", "data_start", "records", "trailer", "bad"))


def scan(f, size, on_record=None, on_bad=None, on_event=None):
    """Read a session file of `size` bytes into a Scan. Records are fixed-size with their
    own CRC, so a corrupt one costs only itself: on_record(values) is called for every
    valid step record, on_event(event) for every valid event record (record.unpack_event),
    on_bad(slot) for every 24-byte slot that fails its CRC. A partial record at the end (a
    torn write) is not a slot. LogError if the file is no session."""
    header, data_start, trailer, end = _locate(f, size)
    f.seek(data_start)
    buf = bytearray(record.SIZE)
    n = bad = 0
    for slot in range((end - data_start) // record.SIZE):
        if f.readinto(buf) != record.SIZE:
            break
        event = record.is_event(buf)
        try:
            values = record.unpack_event(buf) if event else record.unpack(buf)
        except record.RecordError:
            bad += 1
            if on_bad:
                on_bad(slot)
            continue
        n += 1
        if event:
            if on_event:
                on_event(values)
        elif on_record:
            on_record(values)
    return Scan(header, data_start, n, trailer, bad)


def scan_path(path, on_record=None, on_bad=None, on_event=None):
    with open(path, "rb") as f:
        return scan(f, os.stat(path)[6], on_record, on_bad, on_event)


def _names(folder):
    """File names in folder, one at a time: os.ilistdir on MicroPython keeps memory flat
    however many sessions the flash holds; CPython (host, tests) lists."""
    try:
        ilistdir = os.ilistdir  # pyright: ignore[reportAttributeAccessIssue]
    except AttributeError:
        return iter(os.listdir(folder))
    return (entry[0] for entry in ilistdir(folder))


def iter_ids(root):
    """Session ids on flash, unsorted, in constant memory."""
    folder = root + "/" + DIR
    if not exists(folder):
        return
    for name in _names(folder):
        if name.endswith(SUFFIX):
            yield name[: -len(SUFFIX)]


def session_ids(root):
    """Sorted ids (a list: for the host and tests, not for the insole's own loops)."""
    return sorted(iter_ids(root))


def path(root, sid, suffix=SUFFIX):
    """The one spelling of a session file's path (suffix: SUFFIX or SYNCED_SUFFIX)."""
    return "%s/%s/%s%s" % (root, DIR, sid, suffix)


def exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _counter_of(sid):
    try:
        return int(sid.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def next_counter(root):
    """The next session number: past the counter file and the highest id on flash, so ids
    never repeat, even after sessions were deleted. Reads only (the app prepares a session
    before it knows there will be one)."""
    last = 0
    try:
        with open(root + "/" + COUNTER) as f:
            last = int(f.read())
    except (OSError, ValueError):
        pass
    for sid in iter_ids(root):
        last = max(last, _counter_of(sid))
    return last + 1


def _save_counter(root, n):
    tmp = root + "/" + COUNTER + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(n))
    os.rename(tmp, root + "/" + COUNTER)  # atomic on LittleFS: never a half-written counter


def is_sealed(path):
    """True if the file ends with a valid trailer; reads the header length and the
    trailer only, so sealed sessions cost two small reads, not a pass over every record."""
    with open(path, "rb") as f:
        size = os.stat(path)[6]
        head = f.read(6)
        data_start = 6
        if len(head) == 6 and head[:4] == HEADER_MAGIC:
            data_start = 10 + struct.unpack("<H", head[4:])[0]
        return _read_trailer(f, size, min(data_start, size))[0] is not None


def _cut_in_header(fname):
    """True if the file ends inside its header: empty, or shorter than the header it starts
    (a power cut while the session was being opened). It holds no record."""
    size = os.stat(fname)[6]
    with open(fname, "rb") as f:
        head = f.read(6)
    if len(head) < 6:
        return HEADER_MAGIC.startswith(head)
    return head[:4] == HEADER_MAGIC and size < 10 + struct.unpack("<H", head[4:])[0]


def recover(root, log=print):
    """Seal every session left without a trailer (power cut, crash) with a summary of its
    valid records. Only unsealed files are scanned. A file cut before it held a record
    (empty, a torn header, a header alone) is removed: it holds no data, and no pull could
    import or clear it. Any other file that cannot be read as a session is left as it is,
    for the host to report. Returns the ids sealed."""
    open_ids = []  # a few at most (one per power cut): collected first, the folder is not changed while listed
    for sid in iter_ids(root):
        if not is_sealed(path(root, sid)):
            open_ids.append(sid)
    sealed = []
    for sid in open_ids:
        fname = path(root, sid)
        summary = Summary()
        try:
            header, data_start, n, _, bad = scan_path(fname, summary.add, None, summary.add_event)
        except LogError as e:
            header = None
            data_start = n = bad = 0
            if not _cut_in_header(fname):
                log("session %s unreadable (%s): kept for the host" % (sid, e))
                continue
        if n == 0 and bad == 0:
            remove(root, sid)
            log("session %s held no step (cut while it was opened): removed" % sid)
            continue
        info = _seal_info(summary, header, data_start)
        info["recovered"] = True
        info["bad_records"] = bad
        try:
            with open(fname, "ab") as f:  # after any torn tail: the reader stops before it
                f.write(_trailer_block(info))
        except OSError as e:  # the flash is full past its reserve: the host can still read it unsealed
            log("session %s not sealed (%s)" % (sid, e))
            continue
        log("session %s recovered: %d steps kept, %d corrupt records skipped" % (sid, n, bad))
        sealed.append(sid)
    return sealed


def reclaim(root, log=print):
    """Delete the oldest session the host has verified; False if none may go."""
    oldest = None
    for sid in iter_ids(root):
        if exists(path(root, sid, SYNCED_SUFFIX)) and (oldest is None or _counter_of(sid) < _counter_of(oldest)):
            oldest = sid
    if oldest is None:
        return False
    remove(root, oldest)
    log("reclaimed synced session %s" % oldest)
    return True


def remove(root, sid):
    """Delete a session: its synced marker first, so a cut in between leaves at worst an
    unmarked session (the host marks it again), never a marker without its session."""
    marker = path(root, sid, SYNCED_SUFFIX)
    if exists(marker):
        os.remove(marker)
    os.remove(path(root, sid))


def free_bytes(root):
    """Free bytes on the filesystem. LittleFS counts its used blocks by walking them and can
    count more than exist on a full flash: its statvfs then wraps (block_count - used as an
    unsigned number: ~17.6 TB free on the unix port, a negative count on a 32-bit board).
    Such a reading, or any outside 0..block_count, means full."""
    st = os.statvfs(root)
    bfree = st[3]
    return st[0] * bfree if 0 <= bfree <= st[2] else 0


def make_room(root, need, log=print):
    """Reclaim the oldest sessions the host verified while fewer than `need` bytes are free.
    Returns the free bytes."""
    free = free_bytes(root)
    while free < need and reclaim(root, log):
        free = free_bytes(root)
    return free


def full_note(root):
    """What the last session that stopped for lack of space left (FULL_NOTE), or None."""
    try:
        with open(root + "/" + FULL_NOTE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# What SessionLog tells its flash hook (the simulator's stall model): hook(op, nbytes).
OPEN = 0  # a new session file
WRITE = 1  # nbytes appended
SYNC = 2  # LittleFS sync (metadata commit)
BLOCK_SIZE = 4096  # LittleFS block = the SPI NOR flash's 4 KiB erase sector


def _ctz(i):
    n = 0
    while not i & 1:
        i >>= 1
        n += 1
    return n


def block_capacity(i, block_size=BLOCK_SIZE):
    """File bytes LittleFS stores in the i-th block of a file: each block after the first
    starts with its skip-list pointers (lfs2_ctz_extend)."""
    return block_size if i == 0 else block_size - 4 * (_ctz(i) + 1)


class SessionLog:
    """A session: append() step records, tick() regularly, close() at the end.

    Made when a run starts: it makes room (reclaims verified sessions while space is short)
    and chooses the id, but the file is made by the first append(), so a run without a step
    leaves nothing on flash. The app sets header["started_at"] whenever its clock restarts
    before that (the session's time 0).

    Flash work (each erase or program stalls an ESP32's CPU, code runs from flash) happens
    only inside append(), tick(), flush() and close(), so the app calls them at a moment
    when a stall costs no landing. LittleFS copies the partial last block of a file into a
    freshly erased one on the first append after each sync (45 ms typical, 400 ms worst for
    the erase alone), so syncs land on block boundaries where they can: when the buffered
    records reach the end of the file's current block, exactly that much is written and
    synced, and the next append starts a new block with nothing to copy. The flush_ms sync
    is the durability bound: a power cut loses at most that much, and nothing synced."""

    def __init__(self, root, device_id, header, flush_ms=1000, reserve=12288, log=print, flash=None,
                 block_size=BLOCK_SIZE):
        self.log = log
        self.root = root
        self.reserve = reserve
        self.full = False
        self.summary = Summary()
        self.flush_ms = flush_ms
        self.last_flush = 0
        self.synced_at_boundary = False  # since the last tick(): restarts the flush_ms interval
        self.buf = bytearray(record.SIZE * _CHUNK_RECORDS)
        self.used = 0
        self.dirty = False  # bytes written since the last sync
        self.flash = flash
        self.block_size = block_size
        self.size = 0  # bytes in the file
        self.block_i = 0  # LittleFS block holding the file's last byte ...
        self.block_end = block_size  # ... and the file offset where that block ends
        self.size_seen = 0  # the file size at the last statvfs (free_seen)
        self.f = None  # made by the first append()
        if not exists(root + "/" + DIR):
            os.mkdir(root + "/" + DIR)
        self.free_seen = make_room(root, 2 * reserve, log)
        self.counter = next_counter(root)
        self.sid = "%s-%06d" % (device_id, self.counter)
        self.path = path(root, self.sid)
        header = dict(header)
        header["format"] = FORMAT_VERSION
        header["session"] = self.sid
        header["device"] = device_id
        self.header = header
        if self.free_seen < reserve:
            self._stop()  # full from the start: nothing is made, cues go on
        elif exists(root + "/" + FULL_NOTE):
            os.remove(root + "/" + FULL_NOTE)  # there is room again

    def _open(self):
        """Make the file and write the header (at the first record: the foot is in swing)."""
        header = self.header
        block = _header_block(header)
        self.identity = ({k: header[k] for k in IDENTITY if k in header}, len(block))  # repeated in the trailer
        try:
            _save_counter(self.root, self.counter)
            self.f = open(self.path, "wb")
        except OSError as e:
            if e.args[0] != ENOSPC:
                raise
            self._stop()
            return
        self._tell(OPEN, 0)
        self._write(block)
        self._sync()
        self.synced_at_boundary = True  # the flush_ms interval starts here

    def _tell(self, op, nbytes):
        if self.flash:
            self.flash(op, nbytes)

    def _stop(self):
        """Out of space (nothing verified left to reclaim): stop logging, and leave a note
        for the next pull. What is written stays; the reserve keeps room to seal."""
        self.full = True
        self.log("flash full: step logging stopped, cues continue")
        note = self.root + "/" + FULL_NOTE
        if exists(note):
            return  # the first stop since there was room is the one to tell
        try:
            with open(note, "w") as f:
                f.write(json.dumps({"session": self.sid if self.f else None, "steps": self.summary.steps}))
        except OSError:
            pass  # too full even for the note: the trailer still says it

    def _room(self):
        """Bytes from the end of the file to the end of the LittleFS block it is filling."""
        if self.size == self.block_end:  # on a boundary: the next byte opens a new block
            return block_capacity(self.block_i + 1, self.block_size)
        return self.block_end - self.size

    def _write(self, data, sealing=False):
        f = self.f
        if f is None or (self.full and not sealing):
            return
        try:
            f.write(data)
        except OSError as e:
            if e.args[0] != ENOSPC:
                raise
            self._stop()
            return
        n = len(data)
        self.size += n
        self.dirty = True
        while self.size > self.block_end:
            self.block_i += 1
            self.block_end += block_capacity(self.block_i, self.block_size)
        self._tell(WRITE, n)

    def _sync(self):
        f = self.f
        if f is None or self.full:
            return
        try:
            f.flush()
        except OSError as e:
            if e.args[0] != ENOSPC:
                raise
            self._stop()
            return
        self.dirty = False
        self._tell(SYNC, 0)
        # statvfs walks every block of the filesystem (slow on a full one): only near the
        # reserve; the estimate counts a spare block for LittleFS's copy-on-write
        if self.free_seen - (self.size - self.size_seen) - self.block_size < 2 * self.reserve:
            self.free_seen = make_room(self.root, 2 * self.reserve, self.log)  # we are in swing: may delete
            self.size_seen = self.size
            if self.free_seen < self.reserve:
                self._stop()

    def append(self, rec):
        """Buffer one 24-byte record (already CRC'd). Writes (no sync) when the buffer is
        full; writes up to the block boundary and syncs when the buffer reaches it."""
        if self.full:
            return
        if self.f is None:
            self._open()
            if self.full:
                return
        if record.is_event(rec):
            self.summary.add_event(record.unpack_event(rec))
        else:
            self.summary.add(record.unpack(rec))
        buf = self.buf
        off = self.used
        for i in range(record.SIZE):
            buf[off + i] = rec[i]
        used = off + record.SIZE
        room = self._room()
        if used >= room:
            self._write(memoryview(buf)[:room])
            self._sync()
            self.synced_at_boundary = True
            for i in range(used - room):  # the record that straddles the boundary
                buf[i] = buf[room + i]
            used -= room
        elif used + record.SIZE > len(buf):  # the next record would not fit
            self._write(memoryview(buf)[:used])
            used = 0
        self.used = used

    def tick(self, now_ms):
        """Sync if flush_ms has passed since the last sync. Returns True if it synced."""
        if self.synced_at_boundary:
            self.synced_at_boundary = False
            self.last_flush = now_ms
        if (self.used or self.dirty) and now_ms - self.last_flush >= self.flush_ms:
            self.flush()
            self.last_flush = now_ms
            return True
        return False

    def flush(self):
        if self.f is None:
            return
        if self.used:
            self._write(memoryview(self.buf)[: self.used])
            self.used = 0
        self._sync()

    @property
    def opened(self):
        """True once the file exists (a step was recorded)."""
        return self.f is not None

    def close(self):
        """Flush and seal with the summary (recovery seals it if this fails). A session
        that never got a record has no file: nothing to do."""
        if self.f is None:
            return
        self.flush()
        info = _seal_info(self.summary, *self.identity)
        if self.full:
            info["flash_full"] = True  # logging stopped early for lack of space
        self._write(_trailer_block(info), sealing=True)  # the reserve is for this
        try:
            self.f.close()
        except OSError:
            pass
