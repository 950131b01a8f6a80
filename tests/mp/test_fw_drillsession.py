# A drill session on the insole (core/drillsession.py): a scripted runner through balance (eyes
# open, then closed), short foot and toe waver, guided by the buzz vocabulary, its results
# logged as event records; the per-frame path allocates nothing; on LittleFS a power cut at
# flash writes keeps every record flushed, none corrupt, as a run's steps.
from array import array

from littlefs import HEADER, MICROPYTHON, cut_sweep, needs_littlefs

from core import config, drills, drillsession, record, sessionlog

try:
    import micropython
except ImportError:  # CPython: same logic, no heap to lock
    micropython = None

if MICROPYTHON:
    import flashsim

RATE = 100
RELAXED = (400, 80, 250, 200, 60, 40)
SINGLE = tuple(2 * v for v in RELAXED)
REP = (420, 40, 300, 200, 60, 40)  # the arch unloaded, the toes as relaxed
BIG_TOE = (400, 80, 250, 200, 200, 0)
SMALL_TOES = (400, 80, 250, 200, 0, 160)
SCRIPT = ((4, RELAXED), (11, SINGLE), (5, RELAXED), (11, SINGLE), (6, RELAXED), (7, REP), (6, RELAXED),
          (1, BIG_TOE), (0.5, RELAXED), (1, SMALL_TOES), (3, RELAXED))
SERVICE = 5  # frames between services (50 ms at 100 Hz)
SIZES = (1, 10, 1)  # 1 trial of 10 s, 1 rep, 1 cycle a set: a short script


def _cfg():
    cfg, _ = config.validate({"rate_hz": RATE})
    return cfg


def _frames():
    for seconds, loads in SCRIPT:
        for _ in range(int(seconds * RATE)):
            yield loads


def _run(root, lock=False, cut_ok=False):
    """The scripted session; returns (patterns played [(ms, name)], session id)."""
    session = sessionlog.SessionLog(root, "aabbcc", HEADER, log=lambda m: None)
    ds = drillsession.DrillSession(_cfg(), session, *SIZES)
    loads = array("i", [0] * 6)
    played = []
    for i, f in enumerate(_frames()):
        for c in range(6):
            loads[c] = f[c]
        if lock and micropython and ds.meter is not None:
            micropython.heap_lock()
            try:
                ds.frame(loads)
            finally:
                micropython.heap_unlock()
        else:
            ds.frame(loads)
        if i % SERVICE == 0:
            ms = i * 1000 // RATE
            p = ds.service(ms)
            if p:
                played.append((ms, p))
            session.tick(ms)
        if ds.done:
            break
    session.close()
    return played, session.sid, ds


def _root():
    if MICROPYTHON:
        return flashsim.power_up(flashsim.Flash(block_count=64))
    import tempfile

    return tempfile.mkdtemp()


def _events(root, sid):
    got = []
    sessionlog.scan_path(sessionlog.path(root, sid), None, None, got.append)
    return got


def test_guided_session_logs_every_set():
    root = _root()
    played, sid, ds = _run(root, lock=True)
    names = [p for _, p in played]
    # a set's last trial ends with the set's drill_next (or drill_done), not a drill_stop before it
    assert names == ["drill_start", "drill_hold", "drill_next", "drill_hold", "drill_next", "drill_hold",
                     "drill_stop", "drill_next", "drill_hold", "drill_done"], played
    kinds = [e[0] for e in _events(root, sid)]
    s, b, t, r, c, end = (drills.EV_SET, drills.R_BASELINE, drills.R_TRIAL, drills.R_REP, drills.R_CYCLE,
                          drills.EV_SET_END)
    assert kinds == [s, b, t, end, s, b, t, end, s, b, r, end, s, b, c, end], kinds
    events = _events(root, sid)
    sets = [e[2] for e in events if e[0] == s]
    assert [x[:2] for x in sets] == [(drills.BALANCE, 1), (drills.BALANCE, 2), (drills.SHORT_FOOT, 0),
                                     (drills.TOE_WAVER, 0)]
    trial = [e for e in events if e[0] == t][0]
    assert 3500 <= trial[1] <= 4500 and trial[2][1] == 10000  # begun ~4 s into the session, the whole 10 s held
    assert [e for e in events if e[0] == r][0][2][2] == drills.OUT_REP


def test_the_plan_sets_from_the_config():
    cfg = _cfg()
    cfg["drills"] = "toe-waver,balance,hop"
    assert drillsession.plan(cfg) == [(drills.TOE_WAVER, 0), (drills.BALANCE, 1), (drills.BALANCE, 2)]


def test_power_cut_at_flash_writes_keeps_what_was_flushed():
    needs_littlefs()
    flash = flashsim.Flash(block_count=64)
    root = flashsim.power_up(flash)
    _, sid, _ = _run(root)
    whole = _events(root, sid)

    def setup(root):
        return None

    def action(root, state):
        _run(root)

    def check(root, state, done):
        for s in sessionlog.session_ids(root):
            try:
                got = _events(root, s)
            except sessionlog.LogError:  # cut before its header reached flash: it held nothing
                continue
            assert got == whole[:len(got)]  # what is there is the session's, in order, none corrupt
            if done:
                assert got == whole

    cuts = cut_sweep(flash, setup, action, check)
    assert cuts > 5
    print("power cuts tested:", cuts, "records", len(whole), record.SIZE)
