# The live stream's insole end (core/live.py): credits, drops, the line layout, and a step
# path that allocates nothing (heap_lock under MicroPython).
from core import config, live, record

try:
    import micropython
except ImportError:  # CPython: same logic, no heap to lock
    micropython = None

_OUT = 8192


class Console:
    """A host on the other end of the USB console, in preallocated buffers: bytes it sent
    wait in `inbox`; what the insole wrote lands in `out` (copied byte by byte: no slice)."""

    def __init__(self, room=True):
        self.inbox = bytearray(64)
        self.n_in = 0
        self.pos_in = 0
        self.out = bytearray(_OUT)
        self.n_out = 0
        self.room = room
        self.writes = 0

    def send(self, data):
        for i in range(len(data)):  # by index: iterating bytes allocates an iterator
            self.inbox[self.n_in] = data[i]
            self.n_in += 1

    def console_byte(self):
        if self.pos_in == self.n_in:
            self.pos_in = self.n_in = 0
            return -1
        self.pos_in += 1
        return self.inbox[self.pos_in - 1]

    def console_write(self, buf):
        if not self.room:
            return False
        for i in range(len(buf)):
            self.out[self.n_out + i] = buf[i]
        self.n_out += len(buf)
        self.writes += 1
        return True

    def battery_mv(self):
        return 3876

    def lines(self):
        return bytes(self.out[:self.n_out]).split(b"\n")[:-1]


def _cfg():
    cfg, errors = config.validate({"runner_id": "ana"})
    assert not errors
    return cfg


def _records(n):
    """n step records, each different (contact time, flags, shares)."""
    recs = []
    for i in range(n):
        buf = bytearray(record.SIZE)
        record.pack_into(buf, 0, record.FLAG_CALIBRATED | (i & 3), 1000 + 370 * i, 240 + i % 7, 1800,
                         2500 + i, 900 + i, 40, -120, 3000, i % 9, 0)
        recs.append(buf)
    return recs


def _started(console):
    stream = live.Live(console, "sim0001-000007", _cfg())
    console.send(b"L")
    stream.poll()
    return stream


def _step_fields(line):
    """(record bytes, recorded, dropped, battery) of a step line, decoded by hand."""
    rec = bytearray(record.SIZE)
    for i in range(record.SIZE):
        rec[i] = int(line[live.REC_AT + 2 * i:live.REC_AT + 2 * i + 2], 16)
    return (bytes(rec), int(line[live.SEQ_AT:live.DROPPED_AT], 16), int(line[live.DROPPED_AT:live.BATTERY_AT], 16),
            int(line[live.BATTERY_AT:], 16))


def test_nothing_is_written_until_the_host_asks():
    console = Console()
    stream = live.Live(console, "sim0001-000007", _cfg())
    for rec in _records(5):
        stream.step(rec, 0)
        stream.poll()
    assert console.n_out == 0 and stream.recorded == 5 and stream.dropped == 0


def test_hello_then_one_line_per_step_with_the_record_byte_for_byte():
    console = Console()
    stream = _started(console)
    recs = _records(6)
    for rec in recs:
        console.send(b"+")  # the host read the previous line
        stream.poll()
        stream.step(rec, 1000)
    hello, *steps = console.lines()
    assert hello.startswith(b"#H ") and b"sim0001-000007" in hello and b"ana" in hello and b"3876" in hello
    assert len(steps) == 6 and all(len(s) == live.LINE - 1 and s.startswith(b"#S") for s in steps)
    for i, (rec, s) in enumerate(zip(recs, steps)):
        assert _step_fields(s) == (bytes(rec), i + 1, 0, 3876)


def test_a_host_that_stops_reading_gets_window_lines_then_drops_are_counted():
    console = Console()
    stream = _started(console)  # the hello took one credit
    recs = _records(10)
    for rec in recs[:6]:  # the host reads nothing: no credit comes back
        stream.step(rec, 2000)
    assert console.writes == live.WINDOW and stream.dropped == 6 - (live.WINDOW - 1)
    console.send(b"++")  # it reads again
    stream.poll()
    for rec in recs[6:]:
        stream.step(rec, 3000)
        console.send(b"+")
        stream.poll()
    last = _step_fields(console.lines()[-1])
    assert last[1] == 10 and last[2] == stream.dropped == 6 - (live.WINDOW - 1)


def test_a_transport_without_room_costs_a_counted_drop_not_a_wait():
    console = Console(room=False)
    stream = _started(console)
    for rec in _records(4):
        stream.step(rec, 0)
    assert console.n_out == 0 and stream.dropped == 4 and stream.credit == live.WINDOW


def test_stop_ends_the_stream_and_the_run_end_is_announced_only_to_a_listener():
    console = Console()
    stream = _started(console)
    console.send(b"+l")
    stream.poll()
    stream.step(_records(1)[0], 0)
    stream.end()
    assert console.writes == 1 and not stream.on  # the hello only
    console.send(b"L")
    stream.poll()
    stream.end()
    assert console.lines()[-1] == b"#E 0001"


def test_a_long_runner_name_is_left_out_of_the_hello():
    console = Console()
    cfg = _cfg()
    cfg["runner_id"] = "\u00f1" * 32
    stream = live.Live(console, "sim0001-000007", cfg)
    console.send(b"L")
    stream.poll()
    [hello] = console.lines()
    assert len(hello) + 1 <= live.HELLO_MAX and b"sim0001-000007" in hello and b'""' in hello


def test_the_step_path_allocates_nothing():
    console = Console()
    stream = _started(console)
    recs = _records(60)
    if micropython:
        micropython.heap_lock()
    try:
        for i in range(60):
            console.send(b"+")
            stream.poll()
            stream.step(recs[i], 1000 + i * 1500)  # past a minute: the battery is read again
    finally:
        if micropython:
            micropython.heap_unlock()
    assert console.writes == 61 and stream.dropped == 0 and stream.sent == 60


def test_a_flooding_host_is_read_a_few_bytes_a_poll():
    console = Console()
    stream = _started(console)
    console.send(b"x" * 40)
    stream.poll()
    assert console.pos_in == 8 and console.n_in == 40  # the rest waits for the next polls
    for _ in range(5):
        stream.poll()
    assert console.n_in == 0 and stream.on


def test_the_runners_answers_wait_whole_for_the_app():
    console = Console()
    stream = live.Live(console, "sim0001-000007", _cfg())
    console.send(b"P")
    stream.poll()
    assert stream.take_answer() is None  # its digit has not come yet
    console.send(b":")  # 10
    stream.poll()
    assert list(stream.take_answer()) == [live.PAIN, 10, 0, 0] and stream.take_answer() is None
    console.send(b"X759F9:")  # two answers at once: the second waits for the first to be taken
    stream.poll()
    assert list(stream.take_answer()[:4]) == [live.EXPECT, 7, 5, 9] and stream.bad == 1


def test_a_malformed_answer_is_dropped_and_counted():
    console = Console()
    stream = live.Live(console, "sim0001-000007", _cfg())
    console.send(b"P;L")  # ";" is no digit; the stream still starts
    stream.poll()
    assert stream.take_answer() is None and stream.bad == 1 and stream.on
    console.send(b"P4")
    stream.poll()
    assert list(stream.take_answer()[:2]) == [live.PAIN, 4]


def test_answers_allocate_nothing():
    console = Console()
    stream = live.Live(console, "sim0001-000007", _cfg())
    if micropython:
        micropython.heap_lock()
    try:
        for _ in range(10):
            console.send(b"P5")
            stream.poll()
            got = stream.take_answer()
            assert got is not None and got[1] == 5
    finally:
        if micropython:
            micropython.heap_unlock()
