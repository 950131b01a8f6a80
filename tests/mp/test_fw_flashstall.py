# The simulator's flash-stall model against a real LittleFS: the erases and programs
# FlashStall predicts for the session log's appends and syncs are those VfsLfs2 issues on
# an emulated 4 MB flash (MicroPython only: CPython has no VfsLfs2).

from littlefs import HEADER, MICROPYTHON, cut_sweep, needs_littlefs

from core import record, sessionlog

if MICROPYTHON:
    import flashsim
    from hal import sim


class _Counting(flashsim.BlockDevice if MICROPYTHON else object):
    erases = 0
    progs = 0

    def writeblocks(self, block, buf, off=0):
        _Counting.progs += 1
        super().writeblocks(block, buf, off)

    def ioctl(self, op, arg):
        if op == 6:
            _Counting.erases += 1
        return super().ioctl(op, arg)


def _mount():
    import vfs

    flash = flashsim.Flash()
    dev = _Counting(flash)
    vfs.VfsLfs2.mkfs(dev)
    try:
        vfs.umount("/flash")
    except OSError:
        pass
    vfs.mount(vfs.VfsLfs2(dev), "/flash")
    return "/flash"


def _rec(i):
    buf = bytearray(record.SIZE)
    record.pack_into(buf, 0, 0, 1000 + 700 * i, 250, 1500, 2000 + i % 50, 300, 40, 0, 3000, 1, 0)
    return buf


def _measure(n, flush_every, flush_ms):
    """(real erases, real programs, model erases, model programs) over a session of n
    records, synced every flush_every records and by the writer's own rules."""
    root = _mount()
    model = sim.FlashStall(45000, 400)
    start = []

    def hook(op, nbytes):
        if op == sessionlog.OPEN:
            start.append((_Counting.erases, _Counting.progs, model.erases, model.progs - 1))
        model.op(op, nbytes)

    s = sessionlog.SessionLog(root, "aabbcc", HEADER, flush_ms=flush_ms, log=lambda m: None, flash=hook)
    for i in range(n):
        s.append(_rec(i))
        s.tick(700 * (i + 1))
        if flush_every and (i + 1) % flush_every == 0:
            s.flush()
    s.flush()
    e0, p0, me0, mp0 = start[0]
    got = (_Counting.erases - e0, _Counting.progs - p0, model.erases - me0, model.progs - mp0)
    s.close()
    return got


def test_model_counts_match_littlefs_with_frequent_syncs():
    needs_littlefs()
    real_e, real_p, model_e, model_p = _measure(400, 10, 10**9)
    print("frequent syncs: real %d erases %d progs, model %d erases %d progs" % (real_e, real_p, model_e, model_p))
    assert real_e == model_e, (real_e, model_e)
    assert abs(real_p - model_p) <= real_p // 10 + 2, (real_p, model_p)


def test_model_counts_match_littlefs_with_block_aligned_syncs():
    needs_littlefs()
    real_e, real_p, model_e, model_p = _measure(1200, 0, 60000)
    print("block-aligned syncs: real %d erases %d progs, model %d erases %d progs" % (real_e, real_p, model_e, model_p))
    assert real_e == model_e, (real_e, model_e)
    assert abs(real_p - model_p) <= real_p // 10 + 2, (real_p, model_p)


def test_block_aligned_syncs_cost_no_extra_erase():
    """Syncs at block ends only: the file is durable block by block, and every erase is one
    a new block needs anyway (no copy of a partial block)."""
    needs_littlefs()
    root = _mount()
    syncs = []
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, flush_ms=10**9, log=lambda m: None,
                              flash=lambda op, n: syncs.append(op) if op == sessionlog.SYNC else None)
    e0 = _Counting.erases
    n = 1500
    for i in range(n):
        s.append(_rec(i))
        s.tick(700 * (i + 1))
    blocks = s.block_i + 1
    got = _Counting.erases - e0
    s.close()
    assert blocks >= 8 and len(syncs) >= blocks, (blocks, syncs)  # header + one per block end
    assert got <= blocks + 1, (got, blocks)  # + at most one metadata compaction


def _boundary_log(root, state):
    """Log n records with syncs only at block ends (a record straddles each).
    state["acked"]: records wholly on flash at the last completed sync; state["full"]: that
    count at the end of the run power never cut (the sweep's first)."""
    state["acked"] = 0

    def hook(op, nbytes):
        if op == sessionlog.SYNC and holder:
            s = holder[0]
            state["acked"] = (s.size - s.data_start) // record.SIZE

    holder = []
    s = sessionlog.SessionLog(root, "aabbcc", HEADER, flush_ms=10**9, log=lambda m: None, flash=hook)
    s.data_start = s.size
    holder.append(s)
    for i in range(state["n"]):
        s.append(_rec(i))
    state.setdefault("full", state["acked"])


def _nothing_synced_lost(root, state, done):
    assert not done  # every cut falls inside the run
    for sid in sessionlog.session_ids(root):
        got = []
        try:
            trailer = sessionlog.scan_path(sessionlog.path(root, sid), got.append).trailer
        except sessionlog.LogError:  # cut before the header was synced: kept, named, empty
            assert state["acked"] == 0
            continue
        assert trailer is not None
        assert got == [record.unpack(_rec(i)) for i in range(len(got))]
        assert len(got) >= state["acked"], (len(got), state)


def test_power_cut_around_a_block_boundary_sync_loses_nothing_synced():
    needs_littlefs()
    n = 190  # the first block boundary of the file falls inside record ~145
    state = {"n": n}
    cuts = cut_sweep(flashsim.Flash(block_count=32), lambda root: state, _boundary_log, _nothing_synced_lost)
    assert state["full"] > 100, state  # the run did sync at a block boundary
    print("block-boundary power cuts tested:", cuts)
