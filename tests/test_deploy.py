"""`make deploy` against a stand-in board (tests/fake_mpremote.py: a folder as its flash).
It never soft-resets a running board (every mpremote call resumes; a soft reset keeps a
started watchdog armed with nothing feeding it), it ends with a hard reset, and a deploy
cut before any of its filesystem operations leaves a board that boots the old firmware or
the new one, never a mix: after each cut the board's own boot.py runs in the MicroPython
unix port, as at the next power-on, and the tree is compared file by file."""
from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hardware import deploy
from host.sources.engine import MICROPYTHON
from simulator.device import ROOT

OLD_BOOT = b"# Runs at every boot, before main.py. Nothing here may fail.\n"  # the release before the journal
KEPT = {"config.json": b'{"runner_id": "ana"}', "sessions/aa-000001.bin": b"\x01" * 300, "notes.py": b"x = 1\n"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[Path]]:
    out = tmp_path_factory.mktemp("build") / "out"
    return out, deploy.build("esp32_devkitc", out)


def _tree(device: Path) -> dict[str, bytes]:
    return {p.relative_to(device).as_posix(): p.read_bytes() for p in sorted(device.rglob("*")) if p.is_file()}


def old_board(device: Path, new: dict[str, bytes]) -> dict[str, bytes]:
    """A board running the release before this one: today's modules with other bytes, the
    simulator's HAL and a .py shadowing a module (both shipped then), the old boot.py; the
    coach's config, a session and the user's own script. Returns its firmware files."""
    old = {p: b"old " + p.encode() for p in new if p not in ("boot.py", "config.json", "firmware.json", "fault.py")}
    old.update({"boot.py": OLD_BOOT, "hal/sim.mpy": b"old sim", "core/fsr.py": b"# old shadow\n"})
    for p, data in {**old, **KEPT}.items():
        (device / p).parent.mkdir(parents=True, exist_ok=True)
        (device / p).write_bytes(data)
    return old


def _fake(tmp_path: Path, monkeypatch, device: Path, cut: int = -1, interp: str = "cpython",
          mpy: int | None = None) -> Path:
    script = tmp_path / "mpremote"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                      "from tests.fake_mpremote import main\nmain(sys.argv[1:])\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "calls.jsonl"
    ops = tmp_path / "ops"
    for f in (log, ops):
        f.unlink(missing_ok=True)
    env = {"FAKE_DEVICE": str(device), "FAKE_LOG": str(log), "FAKE_CUT": str(cut), "FAKE_OPS": str(ops),
           "FAKE_INTERP": interp}
    if mpy is not None:
        env["FAKE_MPY"] = str(mpy)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(deploy, "MPREMOTE", str(script))
    return log


def _deploy(tmp_path: Path, built: tuple[Path, list[Path]], monkeypatch, frozen: bool = False) -> None:
    out, files = built
    monkeypatch.setattr(deploy, "build", lambda name, o, fr=False: files)  # built once for all the cuts
    port = tmp_path / "ttyUSB0"
    port.touch()
    deploy.deploy(str(port), "esp32_devkitc", out, log=lambda m: None, frozen=frozen)


def _boot(device: Path) -> None:
    """The board powers up: its boot.py, in MicroPython, finishes a committed switch."""
    r = subprocess.run([str(MICROPYTHON), "boot.py"], cwd=device, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "boot.py" not in r.stdout, r.stdout + r.stderr


def _mpy_native(files: list[Path]) -> int:
    """The sys.implementation._mpy of a board that loads this build (xtensawin native code)."""
    version, arch, sub = deploy.mpy_header(next(f for f in files if f.name == "pipeline.mpy"))
    return version | sub << 8 | arch << 10


def test_a_deploy_resumes_every_call_replaces_the_firmware_and_hard_resets(tmp_path, built, monkeypatch) -> None:
    out, files = built
    new = {f.relative_to(out).as_posix(): f.read_bytes() for f in files}
    device = tmp_path / "board"
    old_board(device, new)
    log = _fake(tmp_path, monkeypatch, device)
    _deploy(tmp_path, built, monkeypatch)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(c[2] == "resume" for c in calls), calls  # no call soft-resets the running firmware
    assert not any("soft-reset" in c for c in calls)
    assert calls[-1][3:] == ["reset"]  # mpremote's reset: machine.reset(), a hard reset
    tree = _tree(device)
    for p, data in new.items():
        assert tree[p] == (KEPT[p] if p in KEPT else data), p  # the coach's config.json is kept
    for p, data in KEPT.items():
        assert tree[p] == data
    assert "hal/sim.mpy" not in tree and "core/fsr.py" not in tree  # the simulator's HAL, a stale shadow
    assert not (device / deploy.STAGED).exists() and not (device / deploy.JOURNAL).exists()


def _classify(device: Path, old: dict[str, bytes], new: dict[str, bytes]) -> str:
    tree = _tree(device)
    for p, data in KEPT.items():
        assert tree.pop(p) == data, p
    assert deploy.JOURNAL not in tree  # the boot finished any committed switch
    staged = {p for p in tree if p.startswith(deploy.STAGED + "/")}
    firmware = {p: d for p, d in tree.items() if p not in staged and p != "boot.py"}
    want_new = {p: d for p, d in new.items() if p not in KEPT and p != "boot.py"}
    want_old = {p: d for p, d in old.items() if p != "boot.py"}
    if firmware == want_new:
        assert tree["boot.py"] == new["boot.py"] and not staged
        return "new"
    assert firmware == want_old, sorted(set(firmware.items()) ^ set(want_old.items()))[:3]
    assert tree["boot.py"] in (OLD_BOOT, new["boot.py"])  # boot.py goes first: it runs any firmware
    return "old"


def test_a_deploy_cut_anywhere_leaves_the_old_firmware_or_the_new(tmp_path, built, monkeypatch) -> None:
    out, files = built
    new = {f.relative_to(out).as_posix(): f.read_bytes() for f in files}
    device = tmp_path / "board"
    old = old_board(device, new)
    _fake(tmp_path, monkeypatch, device)
    _deploy(tmp_path, built, monkeypatch)
    total = int((tmp_path / "ops").read_text())
    outcomes = []
    for cut in range(total):
        shutil.rmtree(device)
        old_board(device, new)
        _fake(tmp_path, monkeypatch, device, cut=cut)
        with pytest.raises(deploy.DeployError):
            _deploy(tmp_path, built, monkeypatch)
        _boot(device)
        outcomes.append(_classify(device, old, new))
    # cuts while copying leave the old firmware; once the journal is committed, the new
    assert outcomes[0] == "old" and outcomes[-1] == "new" and total > 40, (total, outcomes)
    assert outcomes == sorted(outcomes, key=("old", "new").index), outcomes  # one switch point: the commit


def test_a_deploy_after_a_cut_starts_clean(tmp_path, built, monkeypatch) -> None:
    """Cut after the commit, never rebooted: the next deploy finishes the pending switch
    before it clears the staging folder, then installs again."""
    out, files = built
    new = {f.relative_to(out).as_posix(): f.read_bytes() for f in files}
    device = tmp_path / "board"
    old_board(device, new)
    _fake(tmp_path, monkeypatch, device)
    _deploy(tmp_path, built, monkeypatch)
    total = int((tmp_path / "ops").read_text())
    shutil.rmtree(device)
    old = old_board(device, new)
    log = _fake(tmp_path, monkeypatch, device, cut=total - 8)  # inside the switch's renames
    with pytest.raises(deploy.DeployError):
        _deploy(tmp_path, built, monkeypatch)
    assert (device / deploy.JOURNAL).exists()
    log = _fake(tmp_path, monkeypatch, device)
    _deploy(tmp_path, built, monkeypatch)
    assert _classify(device, old, new) == "new"
    assert all(c[2] == "resume" for c in (json.loads(line) for line in log.read_text().splitlines()))


def test_the_board_side_runs_in_micropython(tmp_path, built, monkeypatch) -> None:
    """The probe, staging and switch code runs on the board: here in the unix port."""
    out, files = built
    new = {f.relative_to(out).as_posix(): f.read_bytes() for f in files}
    device = tmp_path / "board"
    old = old_board(device, new)
    _fake(tmp_path, monkeypatch, device, interp=str(MICROPYTHON), mpy=_mpy_native(files))
    _deploy(tmp_path, built, monkeypatch)
    assert _classify(device, old, new) == "new"


@pytest.mark.parametrize("board_mpy, ok", [
    (None, True),  # the build itself: native sub-version and arch match
    (6 | 2 << 8 | 10 << 10, False),  # MicroPython 1.22 and older: .mpy 6.2 cannot load native 6.3 code
    (6 | 3 << 8 | 9 << 10, False),  # xtensa (an ESP8266), not xtensawin
    (5 | 0 << 8 | 10 << 10, False),
])
def test_the_mpy_check_reads_a_module_with_native_code(built, board_mpy, ok) -> None:
    mpys = [f for f in built[1] if f.suffix == ".mpy"]
    assert deploy.mpy_header(mpys[0])[1] == 0  # app.mpy: no native code, nothing to compare
    device_mpy = _mpy_native(built[1]) if board_mpy is None else board_mpy
    if ok:
        deploy.check_mpy(device_mpy, mpys)
    else:
        with pytest.raises(deploy.DeployError, match="loads .mpy version"):
            deploy.check_mpy(device_mpy, mpys)


def test_a_board_short_of_flash_for_the_staged_copy_is_refused(tmp_path, built, monkeypatch) -> None:
    out, files = built
    device = tmp_path / "board"
    device.mkdir()
    _fake(tmp_path, monkeypatch, device)
    monkeypatch.setattr(deploy, "FREE_MARGIN", 1 << 50)
    with pytest.raises(deploy.DeployError, match="free flash for its staged copy.*archcue pull --clear"):
        _deploy(tmp_path, built, monkeypatch)
    assert _tree(device) == {}  # nothing written
