# Session log on a real LittleFS (vfs.VfsLfs2 over an emulated flash device) under
# MicroPython; on CPython the same logic runs on a temporary folder.
import os
import sys

from core import record, sessionlog

MICROPYTHON = sys.implementation.name == "micropython"
if MICROPYTHON:
    import flashsim

HEADER = {"firmware": "test", "board": "esp32_devkitc", "foot": "left", "runner": "r1", "rate_hz": 200}


def _needs_littlefs():
    """Skip under CPython: the test needs LittleFS on an emulated flash device."""
    if not MICROPYTHON:
        import pytest

        pytest.skip("needs vfs.VfsLfs2 (MicroPython); runs in tests/test_firmware_mp.py")


def _fresh_root(blocks=512):
    if MICROPYTHON:
        flash = flashsim.Flash(block_count=blocks)
        return flashsim.power_up(flash), flash
    import tempfile

    return tempfile.mkdtemp(), None


def _rec(i):
    buf = bytearray(record.SIZE)
    flags = (record.FLAG_COLLAPSE if i % 3 == 0 else 0) | (record.FLAG_CUE_BLOCK if i % 2 else 0)
    record.pack_into(buf, 0, flags, 1000 + 700 * i, 250, 1500, 2000 + i % 50, 300, 40, 0, 3000, 1 + i // 40, 0)
    return buf


def _read(root, sid):
    got = []
    header, _, n, trailer, _ = sessionlog.scan_path("%s/sessions/%s.acs" % (root, sid), got.append)
    return header, got, trailer


def _log_session(root, n, t0=0, log=None):
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=log or (lambda m: None))
    for i in range(n):
        s.append(_rec(i))
        s.tick(t0 + 700 * (i + 1))
    return s


def test_round_trip_with_summary():
    root, _ = _fresh_root()
    s = _log_session(root, 50)
    s.close()
    header, got, trailer = _read(root, s.sid)
    assert header["runner"] == "r1" and header["session"] == s.sid and header["format"] == 1
    assert [record.unpack(_rec(i)) for i in range(50)] == got
    assert trailer["steps"] == 50 and trailer["all"]["collapses"] == 17
    assert trailer["cue_on"]["n"] == 25 and trailer["cue_off"]["n"] == 25


def test_torn_tail_is_dropped_and_session_sealed():
    root, _ = _fresh_root()
    s = _log_session(root, 20)
    s.flush()
    s.f.write(_rec(99)[:13])  # power died mid-record
    s.f.close()
    msgs = []
    assert sessionlog.recover(root, msgs.append) == [s.sid]
    header, got, trailer = _read(root, s.sid)
    assert len(got) == 20 and trailer["recovered"] and trailer["steps"] == 20
    assert sessionlog.recover(root, msgs.append) == []  # sealed once, then left alone


def test_a_corrupt_record_costs_only_itself():
    root, _ = _fresh_root()
    s = _log_session(root, 10)
    bad = _rec(10)
    bad[7] ^= 0xFF
    s.flush()
    s.f.write(bad)
    s.f.write(_rec(11))
    s.f.close()
    sessionlog.recover(root, lambda m: None)
    slots = []
    got = []
    _, _, n, trailer, n_bad = sessionlog.scan_path("%s/sessions/%s.acs" % (root, s.sid), got.append, slots.append)
    assert got == [record.unpack(_rec(i)) for i in list(range(10)) + [11]]
    assert (n, n_bad, slots) == (11, 1, [10]) and trailer["steps"] == 11 and trailer["bad_records"] == 1


def test_session_ids_never_repeat_even_without_counter_file():
    root, _ = _fresh_root()
    a = _log_session(root, 1)
    a.close()
    os.remove(root + "/sessions/counter")
    b = _log_session(root, 1)
    b.close()
    assert a.sid != b.sid and b.sid.endswith("000002")


def test_flash_full_stops_logging_without_crashing():
    _needs_littlefs()
    root, _ = _fresh_root(blocks=16)  # 64 KB of flash
    msgs = []
    s = _log_session(root, 4000, log=msgs.append)
    s.close()
    assert s.full and any("flash full" in m for m in msgs)
    sessionlog.recover(root, msgs.append)
    _, got, _ = _read(root, s.sid)
    assert 0 < len(got) < 4000
    assert got == [record.unpack(_rec(i)) for i in range(len(got))]


def test_reclaim_removes_only_synced_sessions():
    root, _ = _fresh_root()
    ids = []
    for _ in range(3):
        s = _log_session(root, 2)
        s.close()
        ids.append(s.sid)
    assert not sessionlog.reclaim(root, lambda m: None)  # nothing verified by the host yet
    with open("%s/sessions/%s.ok" % (root, ids[1]), "w") as f:
        f.write("")
    assert sessionlog.reclaim(root, lambda m: None)
    assert sessionlog.session_ids(root) == [ids[0], ids[2]]


def _power_cut_run(flash, root, cut_at, n):
    """Log a session of n records, close it, log a second one; power dies at op cut_at.
    Returns the records acknowledged as flushed per session before the cut."""
    acked = [0, 0]
    flash.cut_at = cut_at
    try:
        for k in (0, 1):
            s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
            for i in range(n):
                s.append(_rec(i))
                if i % 4 == 3:
                    s.flush()
                    acked[k] = i + 1
            s.close()
            acked[k] = n
    except flashsim.PowerCut:
        return acked, True
    finally:
        flash.cut_at = 0
    return acked, False


def test_power_cut_at_every_write_loses_nothing_flushed():
    _needs_littlefs()
    flash = flashsim.Flash()
    root = flashsim.power_up(flash)
    blank = bytearray(flash.data)
    n = 60
    flash.ops = 0
    _power_cut_run(flash, root, 0, n)
    total_ops = flash.ops
    cuts = 0
    for cut in range(1, total_ops + 1):
        flash.data[:] = blank
        root = flashsim.power_up(flash)
        acked, was_cut = _power_cut_run(flash, root, cut, n)
        assert was_cut, cut
        cuts += 1
        root = flashsim.power_up(flash)  # power back: mount what the flash holds
        sessionlog.recover(root, lambda m: None)
        ids = sessionlog.session_ids(root)
        for k, sid in enumerate(ids):
            try:
                _, got, trailer = _read(root, sid)
            except sessionlog.LogError:  # cut before its header reached flash: kept, and it held nothing
                assert acked[k] == 0, (cut, k, acked)
                continue
            assert trailer is not None, (cut, sid)
            assert got == [record.unpack(_rec(i)) for i in range(len(got))], cut  # no corrupt record
            assert len(got) >= acked[k], (cut, k, len(got), acked)  # nothing flushed is lost
        for k in range(len(ids), 2):
            assert acked[k] == 0, (cut, k, acked)  # a session that vanished had nothing flushed
        s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)  # logging resumes
        s.append(_rec(0))
        s.close()
        assert s.sid not in ids
    assert cuts == total_ops and cuts > 20, cuts
    print("power cuts tested:", cuts)
