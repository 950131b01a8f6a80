# Session log on a real LittleFS (vfs.VfsLfs2 over an emulated flash device) under
# MicroPython; on CPython the same logic runs on a temporary folder.
import os

from littlefs import HEADER, MICROPYTHON, cut_sweep, needs_littlefs

from core import channels, record, sessionlog

if MICROPYTHON:
    import flashsim


def _fresh_root(blocks=512):
    if MICROPYTHON:
        flash = flashsim.Flash(block_count=blocks)
        return flashsim.power_up(flash), flash
    import tempfile

    return tempfile.mkdtemp(), None


def _rec(i, step=0, faults=0, calibrated=True):
    buf = bytearray(record.SIZE)
    flags = (record.FLAG_COLLAPSE if i % 3 == 0 else 0) | (record.FLAG_CUE_BLOCK if i % 2 else 0)
    flags |= (record.FLAG_TOE_ENGAGED if i % 5 == 0 else 0) | (record.FLAG_CALIBRATED if calibrated else 0)
    record.pack_into(buf, 0, flags, 1000 + 700 * i, 250, 1500, 2000 + i % 50, 300, 40, 0, 3000, 1 + i // 40, faults,
                     step)
    return buf


_TEST_EVENT = 99  # a kind of event for these tests only (features number theirs in record.py)
record.EVENTS[_TEST_EVENT] = ("test", "<HI", ("a", "b"))


def _event(i):
    buf = bytearray(record.SIZE)
    record.pack_event_into(buf, 0, _TEST_EVENT, 1000 + 700 * i, i, 70000 + i)
    return buf


def _mixed(i):
    """Steps with an event record after every third."""
    return _event(i) if i % 3 == 2 else _rec(i)


def _decoded(buf):
    return record.unpack_event(buf) if record.is_event(buf) else record.unpack(buf)


def _read(root, sid):
    got = []
    header, _, n, trailer, _ = sessionlog.scan_path(sessionlog.path(root, sid), got.append, None, got.append)
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
    assert trailer["engaged"]["n"] == 10 and trailer["not_engaged"]["n"] == 40


def test_summary_groups_hold_only_the_landings_the_host_judges():
    # as host.verdict.analysis.judged / toe_judged: walking, uncertain, uncalibrated landings and a
    # faulty arch count as steps (the host checks the record count), never in a group
    s = sessionlog.Summary()
    judged = [_rec(i) for i in range(12)]
    not_judged = [_rec(0, record.STEP_WALKING), _rec(3, record.STEP_ARCH_UNCERTAIN), _rec(6, calibrated=False),
                  _rec(9, faults=1 << channels.ARCH)]
    toe_unsure = _rec(12, record.STEP_TOE_UNCERTAIN)
    for buf in judged + not_judged + [toe_unsure]:
        s.add(record.unpack(buf))
    out = s.as_dict()
    assert out["steps"] == out["records"] == 17 and out["walking"] == 1
    assert out["all"]["n"] == 13 and out["all"]["collapses"] == 5  # i = 0, 3, 6, 9 and 12
    assert out["engaged"]["n"] + out["not_engaged"]["n"] == 12  # the toe-uncertain one is left out
    assert out["cue_on"]["n"] + out["cue_off"]["n"] == 13


def test_steps_and_events_round_trip_in_log_order():
    root, _ = _fresh_root()
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
    for i in range(30):
        s.append(_mixed(i))
    s.close()
    _, got, trailer = _read(root, s.sid)
    assert got == [_decoded(_mixed(i)) for i in range(30)]
    assert got[2] == (_TEST_EVENT, 1000 + 1400, (2, 70002))
    assert trailer["records"] == 30 and trailer["events"] == 10 and trailer["steps"] == 20


def test_an_event_with_a_bad_crc_costs_only_itself():
    buf = _event(4)
    buf[9] ^= 0x01
    try:
        record.unpack_event(buf)
        raise AssertionError("a flipped bit passed the CRC")
    except record.RecordError:
        pass
    unknown = _event(4)
    unknown[1] = 200  # a kind of a newer firmware: kept, its payload raw
    crc = record.crc16(unknown, 0, record.BODY)
    unknown[record.BODY] = crc & 0xFF
    unknown[record.BODY + 1] = crc >> 8
    kind, t_ms, fields = record.unpack_event(unknown)
    assert kind == 200 and t_ms == 1000 + 2800 and len(fields) == 1 and len(fields[0]) == 16


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
    _, _, n, trailer, n_bad = sessionlog.scan_path(sessionlog.path(root, s.sid), got.append, slots.append)
    assert got == [record.unpack(_rec(i)) for i in list(range(10)) + [11]]
    assert (n, n_bad, slots) == (11, 1, [10]) and trailer["steps"] == 11 and trailer["bad_records"] == 1


def test_session_ids_never_repeat_even_without_counter_file():
    root, _ = _fresh_root()
    a = _log_session(root, 1)
    a.close()
    os.remove(root + "/" + sessionlog.COUNTER)
    b = _log_session(root, 1)
    b.close()
    assert a.sid != b.sid and b.sid.endswith("000002")


def test_flash_full_stops_logging_without_crashing():
    needs_littlefs()
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
    with open(sessionlog.path(root, ids[1], sessionlog.SYNCED_SUFFIX), "w") as f:
        f.write("")
    assert sessionlog.reclaim(root, lambda m: None)
    assert sessionlog.session_ids(root) == [ids[0], ids[2]]


def _power_cut_run(flash, root, cut_at, n, rec):
    """Log a session of n records rec(i), close it, log a second one; power dies at op cut_at.
    Returns the records acknowledged as flushed per session before the cut."""
    acked = [0, 0]
    flash.cut_at = cut_at
    try:
        for k in (0, 1):
            s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
            for i in range(n):
                s.append(rec(i))
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
    _cut_everywhere(_rec)


def test_event_records_survive_power_cuts_as_steps_do():
    _cut_everywhere(_mixed)


def _answers(i):
    """A hips-or-feet pain-mode run's records: steps, and the runner's answers among them
    (familiarisation, expectation, pain of a block: record.py's own kind)."""
    if i % 5 != 4:
        return _rec(i)
    buf = bytearray(record.SIZE)
    answer = ((70, 9, 10, 0), (88, 7, 5, 4), (80, i % 11, 0, 0))[(i // 5) % 3]  # F, X, P
    record.pack_event_into(buf, 0, record.EV_ANSWER, 1000 + 700 * i, *answer, 1 + i // 20, 0, 150000 + i)
    return buf


def test_the_runners_answers_survive_power_cuts_as_steps_do():
    _cut_everywhere(_answers)


def _cut_everywhere(rec):
    needs_littlefs()
    flash = flashsim.Flash()
    root = flashsim.power_up(flash)
    blank = bytearray(flash.data)
    n = 60
    flash.ops = 0
    _power_cut_run(flash, root, 0, n, rec)
    total_ops = flash.ops
    cuts = 0
    for cut in range(1, total_ops + 1):
        flash.data[:] = blank
        root = flashsim.power_up(flash)
        acked, was_cut = _power_cut_run(flash, root, cut, n, rec)
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
            assert got == [_decoded(rec(i)) for i in range(len(got))], cut  # no corrupt record
            assert len(got) >= acked[k], (cut, k, len(got), acked)  # nothing flushed is lost
        for k in range(len(ids), 2):
            assert acked[k] == 0, (cut, k, acked)  # a session that vanished had nothing flushed
        s = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)  # logging resumes
        s.append(_rec(0))
        s.close()
        assert s.sid not in ids
    assert cuts == total_ops and cuts > 20, cuts
    print("power cuts tested:", cuts)


def _sealed(root, n):
    s = _log_session(root, n)
    s.close()
    return s.sid


def _whole(root, sid, n):
    _, got, trailer = _read(root, sid)
    assert trailer is not None and got == [record.unpack(_rec(i)) for i in range(n)], sid


def _three(root):
    return [_sealed(root, 30) for _ in range(3)]


def test_power_cut_while_marking_synced_or_deleting_or_reclaiming():
    needs_littlefs()
    import sync

    sync._watch = lambda: None  # the pull deadline belongs to the HAL, not to this flash
    flash = flashsim.Flash(block_count=64)

    def mark(root, ids):
        sync.ROOT = root
        sync.mark_synced(ids[:2])

    def mark_check(root, ids, done):
        for sid in ids:
            _whole(root, sid, 30)  # marking never touches a session
        marked = [sessionlog.exists(sessionlog.path(root, sid, sessionlog.SYNCED_SUFFIX)) for sid in ids]
        assert not marked[2] and (marked[:2] == [True, True] or not done)

    def remove(root, ids):
        sessionlog.remove(root, ids[1])

    def remove_check(root, ids, done):
        _whole(root, ids[0], 30)
        _whole(root, ids[2], 30)
        left = sessionlog.session_ids(root)
        assert (ids[1] not in left) if done else True
        if ids[1] in left:
            _whole(root, ids[1], 30)  # still there: still whole

    def reclaim_setup(root):
        ids = _three(root)
        with open(sessionlog.path(root, ids[0], sessionlog.SYNCED_SUFFIX), "w") as f:
            f.write("")
        return ids

    def reclaim(root, ids):
        assert sessionlog.reclaim(root, lambda m: None)

    def reclaim_check(root, ids, done):
        _whole(root, ids[1], 30)  # unverified sessions are never reclaimed
        _whole(root, ids[2], 30)
        assert sessionlog.exists(sessionlog.path(root, ids[0])) != done or not done

    cuts = cut_sweep(flash, _three, mark, mark_check)
    cuts += cut_sweep(flash, _three, remove, remove_check)
    cuts += cut_sweep(flash, reclaim_setup, reclaim, reclaim_check)
    print("power cuts while marking, deleting, reclaiming:", cuts)


def test_power_cut_while_writing_the_config_falls_back_to_the_last_good():
    needs_littlefs()
    from core import config

    flash = flashsim.Flash(block_count=64)
    old = '{"runner_id": "old", "cue_every_steps": 5}'
    new = '{"runner_id": "Zo\\u00eb new", "cue_every_steps": 7}'

    def setup(root):
        config.save(root + "/config.json", old)
        return None

    def write(root, _):
        config.save(root + "/config.json", new)

    def check(root, _, done):
        cfg, errors = config.load(root + "/config.json")
        assert cfg["cue_every_steps"] in (5, 7), (cfg, errors)
        assert cfg["cue_every_steps"] == 7 or not done

    print("power cuts while writing the config:", cut_sweep(flash, setup, write, check))


def test_a_torn_config_falls_back_to_the_last_good_one():
    root, _ = _fresh_root()
    from core import config

    config.save(root + "/config.json", '{"cue_every_steps": 5}')
    config.save(root + "/config.json", '{"cue_every_steps": 6}')
    with open(root + "/config.json", "w") as f:
        f.write('{"cue_every_steps": ')  # written by hand or by an older firmware, then cut
    cfg, errors = config.load(root + "/config.json")
    assert cfg["cue_every_steps"] == 5 and "last good" in errors[0]


def test_power_cut_with_the_flash_full_keeps_what_was_sealed():
    needs_littlefs()
    flash = flashsim.Flash(block_count=16)

    def setup(root):
        return _sealed(root, 200)

    def fill(root, first):
        s = _log_session(root, 4000)
        s.close()

    def check(root, first, done):
        _whole(root, first, 200)
        for sid in sessionlog.session_ids(root):
            if sid != first:
                try:
                    _, got, _ = _read(root, sid)
                except sessionlog.LogError:
                    continue  # cut before its header reached flash
                assert got == [record.unpack(_rec(i)) for i in range(len(got))]

    print("power cuts with the flash full:", cut_sweep(flash, setup, fill, check, samples=12))


def test_a_bit_flipped_on_flash_costs_one_record():
    needs_littlefs()
    flash = flashsim.Flash(block_count=64)
    root = flashsim.power_up(flash)
    sid = _sealed(root, 100)
    target = bytes(_rec(57))
    image = bytes(flash.data)
    at = image.find(target)
    assert at > 0
    while at >= 0:  # littlefs may hold stale copies of a block: rot them all, the live one included
        flash.data[at + 5] ^= 0x04  # record 57's stance time
        at = image.find(target, at + 1)
    root = flashsim.power_up(flash)
    sessionlog.recover(root, lambda m: None)
    slots = []
    got = []
    _, _, n, trailer, bad = sessionlog.scan_path(sessionlog.path(root, sid), got.append, slots.append)
    assert trailer is not None and (n, bad, slots) == (99, 1, [57])
    assert got == [record.unpack(_rec(i)) for i in range(100) if i != 57]
