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
