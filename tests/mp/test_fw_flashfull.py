# A full flash and a cut session open, on LittleFS (vfs.VfsLfs2 over the emulated flash
# device) under MicroPython; the plain-folder parts run under CPython too.
import os

from littlefs import HEADER, MICROPYTHON, cut_sweep, needs_littlefs

from core import record, sessionlog

if MICROPYTHON:
    import flashsim

RUN = 1500  # records in a run after the pull: 36 KB, more than the 24 KB a run starts with


def _rec(i):
    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, record.FLAG_CALIBRATED, 1000 + 700 * i, 250, 1500, 2000, 300, 40, 0, 3000, 1, 0)
    return buf


def _run(root, n, msgs=None):
    """A run of n steps as the app logs it: a record and a tick per step, a clean close."""
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=(msgs.append if msgs is not None else lambda m: None))
    for i in range(n):
        s.append(_rec(i))
        s.tick(700 * (i + 1))
    s.close()
    return s


def _fill_past_the_reserve(root):
    """What an older firmware left at every boot once the flash was full (it opened a session
    before any step and wrote on while the reading of free space had wrapped): a session
    file written up to the last byte, never closed. Returns the records written."""
    n = 0
    try:
        f = open(sessionlog.path(root, "aabbcc-%06d" % sessionlog.next_counter(root)), "wb")
        f.write(sessionlog._header_block(HEADER))
        f.flush()
        while n < 20000:
            f.write(_rec(n))
            n += 1
            if n % 32 == 0:
                f.flush()
    except OSError:
        pass
    return n


def _pull(root):
    """What a pull leaves: every session marked synced (verified in the host's store)."""
    import sync

    sync._watch = lambda: None  # the pull deadline belongs to the HAL, not to this flash
    sync.ROOT = root
    sync.mark_synced(sessionlog.session_ids(root))


def _records(root, sid):
    return sessionlog.scan_path(sessionlog.path(root, sid))


class _Statvfs:
    """os for free_bytes(), with a statvfs reading given."""

    def __init__(self, st):
        self.st = st

    def statvfs(self, root):
        return self.st


def test_free_space_never_wraps():
    real = sessionlog.os
    try:
        for st, free in (((4096, 4096, 32, 4294967294, 0, 0, 0, 0, 0, 255), 0),  # the unix port, full flash
                         ((4096, 4096, 32, -2, 0, 0, 0, 0, 0, 255), 0),  # the same on a 32-bit board
                         ((4096, 4096, 32, 33, 0, 0, 0, 0, 0, 255), 0),
                         ((4096, 4096, 32, 5, 0, 0, 0, 0, 0, 255), 5 * 4096)):
            sessionlog.os = _Statvfs(st)
            assert sessionlog.free_bytes("/flash") == free, st
    finally:
        sessionlog.os = real


def test_a_filled_and_power_cycled_flash_logs_every_record_after_a_pull():
    """The bar (issue 21.1): 32 and 128 blocks, filled and power-cycled 10 times, then pulled;
    every run after it logs all its records."""
    needs_littlefs()
    for blocks in (32, 128):
        flash = flashsim.Flash(block_count=blocks)
        root = flashsim.power_up(flash)
        wrapped = 0
        for _ in range(10):
            sessionlog.recover(root, lambda m: None)
            s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
            for i in range(20000):
                s.append(_rec(i))
                if s.full:
                    break
            _fill_past_the_reserve(root)
            st = os.statvfs(root)
            wrapped += not 0 <= st[3] <= st[2]
            root = flashsim.power_up(flash)  # the battery dies: nothing closed
        assert wrapped, blocks  # LittleFS's own reading of free space wrapped: the case this is for
        assert sessionlog.full_note(root) is not None  # the pull hears of it
        _pull(root)
        for k in range(3):
            root = flashsim.power_up(flash)
            sessionlog.recover(root, lambda m: None)
            msgs = []
            s = _run(root, RUN, msgs)
            found = _records(root, s.sid)
            assert not s.full and found.records == RUN and found.trailer["steps"] == RUN, (blocks, k, found, msgs)
            assert sessionlog.full_note(root) is None  # room again: the note is gone
            _pull(root)
        print("%d blocks: free space read as wrapped after %d of 10 power cycles; 3 runs of %d records logged whole"
              % (blocks, wrapped, RUN))


def test_a_run_that_outgrows_its_room_reclaims_verified_sessions_as_it_goes():
    needs_littlefs()
    flash = flashsim.Flash(block_count=32)
    root = flashsim.power_up(flash)
    old = [_run(root, 1200).sid for _ in range(3)]  # 3 x 29 KB of 128 KB
    _pull(root)
    msgs = []
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=msgs.append)
    at_start = len(msgs)
    for i in range(2800):  # 67 KB: fits once old ones go, oldest first, during the run
        s.append(_rec(i))
        s.tick(700 * (i + 1))
    s.close()
    assert not s.full and _records(root, s.sid).records == 2800 and len(msgs) > at_start, msgs
    gone = ["reclaimed synced session %s" % sid for sid in old]
    assert msgs == gone[:len(msgs)] and len(msgs) >= 2, msgs
    assert [sessionlog.exists(sessionlog.path(root, sid)) for sid in old[:len(msgs)]] == [False] * len(msgs)


def test_a_full_flash_with_nothing_verified_keeps_every_session_and_says_so():
    needs_littlefs()
    flash = flashsim.Flash(block_count=32)
    root = flashsim.power_up(flash)
    first = _run(root, 1000)
    s = _run(root, 20000)
    found = _records(root, s.sid)
    assert s.full and 0 < found.records < 20000 and found.trailer["flash_full"] is True
    assert sessionlog.full_note(root) == {"session": s.sid, "steps": found.records}
    assert _records(root, first.sid).records == 1000  # nothing unverified is ever deleted
    root = flashsim.power_up(flash)
    again = _run(root, 10)  # no room at the start: no file, the first note stays
    assert again.full and not sessionlog.exists(again.path)
    assert sessionlog.full_note(root) == {"session": s.sid, "steps": found.records}
    assert sessionlog.session_ids(root) == [first.sid, s.sid]


def test_a_run_without_a_step_leaves_no_file_and_takes_no_id():
    root = _fresh_root()
    a = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
    a.tick(70000)
    a.close()
    assert not a.opened and sessionlog.session_ids(root) == []
    b = _run(root, 3)
    assert b.sid == a.sid and sessionlog.session_ids(root) == [b.sid]  # the number was not used up
    assert _records(root, b.sid).records == 3


def _fresh_root():
    if MICROPYTHON:
        return flashsim.power_up(flashsim.Flash(block_count=64))
    import tempfile

    return tempfile.mkdtemp()


def test_files_cut_while_a_session_was_opened_are_removed_at_boot_and_data_is_kept():
    root = _fresh_root()
    good = _run(root, 5)
    header = sessionlog._header_block(dict(HEADER, session="x"))
    cut = {"aabbcc-000101": b"", "aabbcc-000102": header[:3], "aabbcc-000103": header[:-2],
           "aabbcc-000104": header, "aabbcc-000105": header + _rec(0)[:10]}
    damaged = bytearray(header + _rec(0) + _rec(1))
    damaged[8] ^= 0x01  # a bit of the header: records follow, no trailer to rebuild it from
    for sid, data in list(cut.items()) + [("aabbcc-000106", bytes(damaged))]:
        with open(sessionlog.path(root, sid), "wb") as f:
            f.write(data)
    msgs = []
    assert sessionlog.recover(root, msgs.append) == []
    assert sessionlog.session_ids(root) == [good.sid, "aabbcc-000106"], msgs  # data is never removed
    assert sum("held no step" in m for m in msgs) == len(cut), msgs


def test_a_cut_at_every_point_of_a_session_open_leaves_nothing_a_pull_cannot_clear():
    """Issue 21.2: power dies at every flash program/erase while a run's first step opens its
    session (counter, file, header, sync) and the next records are written; after the boot's
    recovery every file on flash is a sealed session the host can import."""
    needs_littlefs()
    flash = flashsim.Flash(block_count=64)

    def setup(root):
        return _run(root, 40).sid

    def first_steps(root, _):
        s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
        for i in range(3):
            s.append(_rec(i))
            s.flush()

    def check(root, first, done):
        for sid in sessionlog.session_ids(root):
            found = _records(root, sid)  # LogError here: a file no pull could import
            assert found.trailer is not None and found.records > 0, (sid, found)
        assert _records(root, first).records == 40
        assert len(sessionlog.session_ids(root)) == 2 or not done

    print("power cuts while a session was opened:", cut_sweep(flash, setup, first_steps, check))
