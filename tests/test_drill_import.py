"""archcue import --drill: a drill recording measured by the firmware's drill code and stored as a
drill session (header kind "drills", event records); its bad input refused with one line and
nothing stored."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from host.command import UserError
from host.sources.importer import Options, import_recording
from host.store.db import Store
from tests import foreign_drills as fd


def _csv(tmp_path: Path, name: str, rec: fd.DrillRecording) -> Path:
    path = tmp_path / name
    rec.write_csv(path)
    return path


def _import(store: Path, path: Path, drill: str | None, foot: str | None = "left", eyes: str | None = None):
    opts = Options(path, "ana", foot, None, "newton", drill=drill, eyes=eyes)
    return import_recording(store, opts, note=lambda _: None)


@pytest.fixture(scope="module")
def performer() -> fd.Performer:
    return fd.performer("fair", "left", 1)


def test_balance_set_stored_as_drill_session(tmp_path: Path, performer: fd.Performer) -> None:
    rec = fd.balance(performer, seed=1)
    store_path = tmp_path / "s.sqlite"
    done = _import(store_path, _csv(tmp_path, "bal.csv", rec), "balance", eyes="closed")
    assert len(done) == 1 and done[0].new and done[0].steps == 0
    store = Store(store_path)
    header = store.headers([done[0].session])[done[0].session]
    assert header["kind"] == "drills" and header["foot"] == "left"
    events = store.events(done[0].session)
    assert events[0] == {"kind": "drill_set", "t_ms": 0, "drill": 1, "eyes": 2, "trial_s": 30, "hold_s": 5}
    trials = [e for e in events if e["kind"] == "drill_trial"]
    assert len(trials) == len(rec.truth["trials"])
    for got, truth in zip(trials, rec.truth["trials"]):
        assert abs(got["held_ms"] / 1000 - truth["held_s"]) <= 0.5
    assert events[-1]["kind"] == "drill_set_end" and events[-1]["count"] == len(trials)
    store.close()
    again = _import(store_path, _csv(tmp_path, "bal.csv", rec), "balance", eyes="closed")
    assert not again[0].new and again[0].session == done[0].session  # the same file again adds nothing


def test_short_foot_and_waver(tmp_path: Path, performer: fd.Performer) -> None:
    store_path = tmp_path / "s.sqlite"
    rec = fd.short_foot(performer, seed=1)
    sf = _import(store_path, _csv(tmp_path, "sf.csv", rec), "short-foot")[0]
    rec2 = fd.toe_waver(performer, seed=1)
    tw = _import(store_path, _csv(tmp_path, "tw.csv", rec2), "toe-waver")[0]
    store = Store(store_path)
    reps = [e for e in store.events(sf.session) if e["kind"] == "drill_rep" and e["outcome"] == 1]
    assert len(reps) == rec.truth["reps"]
    assert sum(e["kind"] == "drill_cycle" for e in store.events(tw.session)) == rec2.truth["cycles"]
    store.close()


@pytest.mark.parametrize("case,message", [
    ("no_stance", "no single-leg stance"),
    ("no_baseline", "no relaxed baseline"),
    ("unknown", "not a drill archcue measures"),
    ("eyes", "--eyes applies to the balance drill only"),
    ("foot", "--foot left|right"),
])
def test_bad_input_one_line_nothing_stored(tmp_path: Path, performer: fd.Performer, case: str, message: str) -> None:
    store_path = tmp_path / "s.sqlite"
    waver = _csv(tmp_path, "tw.csv", fd.toe_waver(performer, seed=2))
    rec = fd.short_foot(performer, seed=1)
    cut = int(4.5 * 200)  # the recording begins inside the first rep
    late = _csv(tmp_path, "late.csv", fd.DrillRecording(rec.t_ms[cut:], rec.forces[cut:]))
    args = {"no_stance": (waver, "balance", "left", None), "no_baseline": (late, "short-foot", "left", None),
            "unknown": (waver, "toe-spreader", "left", None), "eyes": (waver, "toe-waver", "left", "closed"),
            "foot": (waver, "toe-waver", None, None)}[case]
    with pytest.raises(UserError) as e:
        _import(store_path, args[0], args[1], foot=args[2], eyes=args[3])
    assert message in str(e.value) and "\n" not in str(e.value)
    assert not store_path.exists()


def test_cli_line(tmp_path: Path, performer: fd.Performer) -> None:
    path = _csv(tmp_path, "tw.csv", fd.toe_waver(performer, seed=3))
    out = subprocess.run([sys.executable, "-m", "host.cli", "--store", str(tmp_path / "s.sqlite"), "import",
                          str(path), "--runner", "ana", "--foot", "right", "--units", "newton", "--drill",
                          "toe-waver"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "drill session" in out.stdout and "toe-waver cycles" in out.stdout
    bad = subprocess.run([sys.executable, "-m", "host.cli", "--store", str(tmp_path / "s.sqlite"), "import",
                          str(path), "--runner", "ana", "--foot", "right", "--units", "newton", "--drill", "hop"],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and len(bad.stderr.strip().splitlines()) == 1


def test_an_insole_drill_session_is_stored_as_a_pull_stores_it(tmp_path: Path) -> None:
    """The firmware's drill session (core/drillsession.py over a scripted set, its own SessionLog),
    its file imported as a pull imports one: whole, then cut mid-record (a torn tail)."""
    import hashlib
    from array import array

    from firmware.core import config, drillsession, sessionlog

    cfg, _ = config.validate({"rate_hz": 100, "drills": "toe-waver"})
    device = tmp_path / "device"
    device.mkdir()
    log = sessionlog.SessionLog(str(device), "aabbcc", {"kind": "drills", "foot": "left", "runner": "ana",
                                                        "rate_hz": 100}, log=lambda _: None)
    ds = drillsession.DrillSession(cfg, log, reps=2)
    relaxed, a, b = (400, 80, 250, 200, 60, 40), (400, 80, 250, 200, 200, 0), (400, 80, 250, 200, 0, 160)
    script = [relaxed] * 400 + ([a] * 80 + [relaxed] * 40 + [b] * 80 + [relaxed] * 60) * 2 + [relaxed] * 200
    loads = array("i", [0] * 6)
    for i, f in enumerate(script):
        loads[:] = array("i", f)
        ds.frame(loads)
        if i % 5 == 0:
            ds.service(i * 10)
    log.close()
    data = Path(log.path).read_bytes()
    store = Store(tmp_path / "s.sqlite", create=True)
    sid, new = store.import_session(data, hashlib.sha256(data).hexdigest(), log.sid)
    events = store.events(sid)
    assert new and [e["kind"] for e in events].count("drill_cycle") == 2
    assert store.headers([sid])[sid]["kind"] == "drills" and store.runner_of(sid) == "ana"
    torn = data[: len(data) - 13]  # a pull of the file as a power cut left it: the trailer torn
    store2 = Store(tmp_path / "t.sqlite", create=True)
    sid2, _ = store2.import_session(torn, hashlib.sha256(torn).hexdigest(), log.sid)
    assert store2.events(sid2) == events  # every record kept
    store.close()
    store2.close()
