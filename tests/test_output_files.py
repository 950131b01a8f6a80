"""`report --out` and `export --csv` write regular files only and never replace anything
else: a symlink is followed (the link stays, the file it names is written), a device, FIFO or
folder is refused with one line. New files get the user's umask."""
from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from host.cli import main as archcue
from host.reports import export
from host.store.db import Store
from tests.sessionfiles import sealed_session


@pytest.fixture()
def store(tmp_path: Path) -> str:
    data = sealed_session(20)
    Store(tmp_path / "s.sqlite").import_session(data, hashlib.sha256(data).hexdigest())
    return str(tmp_path / "s.sqlite")


def _report(store: str, out: Path | str, cwd: Path, umask: int = 0o022) -> subprocess.CompletedProcess:
    code = f"import os, sys; os.umask({umask}); from host.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, "--store", store, "report", "ana", "--out", str(out)],
                          capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def test_a_symlink_is_followed_and_stays_a_link(store: str, tmp_path: Path) -> None:
    target = tmp_path / "kept" / "ana.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    link = tmp_path / "ana.txt"
    link.symlink_to(target)
    out = _report(store, link, tmp_path)
    assert out.returncode == 0, out.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert "VERDICT" in target.read_text() and stat.S_IMODE(target.stat().st_mode) == 0o640  # its mode kept
    assert sorted(p.name for p in target.parent.iterdir()) == ["ana.txt"]  # no temporary left


@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "link to a device"])
def test_a_node_that_is_not_a_regular_file_is_refused_and_left_as_it_is(kind: str, store: str,
                                                                         tmp_path: Path) -> None:
    node = tmp_path / "node.txt"
    if kind == "fifo":
        os.mkfifo(node)
    elif kind == "folder":
        node.mkdir()
    else:
        dev = node if kind == "device" else tmp_path / "null"
        try:
            os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
        except PermissionError:
            pytest.skip("creating a device node needs root")
        if kind != "device":
            node.symlink_to(dev)
    before = os.lstat(node)
    out = _report(store, node, tmp_path)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("archcue: ") and "writes regular files only" in line
    after = os.lstat(node)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino
    if kind == "link to a device":
        assert stat.S_ISCHR(os.stat(node).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_dev_null_is_refused_untouched(store: str, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """In process, with os.replace guarded: a regression must fail this test, not replace the
    machine's /dev/null (tests may run as root)."""
    replaced: list[str] = []
    real_replace = os.replace

    def guarded(src: str, dst: str | Path) -> None:
        if str(dst).startswith("/dev/"):
            replaced.append(str(dst))
            os.unlink(src)
            return
        real_replace(src, dst)

    monkeypatch.setattr(export.os, "replace", guarded)
    for out in ("/dev/null", "/dev/full"):
        assert archcue(["--store", store, "report", "ana", "--out", out]) == 1
        assert "is a character device: archcue writes regular files only" in capsys.readouterr().err
        assert stat.S_ISCHR(os.stat(out).st_mode)
    assert not replaced


def test_new_files_get_the_users_umask(store: str, tmp_path: Path) -> None:
    for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        out = tmp_path / f"r{umask:o}.html"
        assert _report(store, out, tmp_path, umask).returncode == 0
        assert stat.S_IMODE(out.stat().st_mode) == mode, (umask, oct(out.stat().st_mode))
    old = os.umask(0o027)
    try:
        assert archcue(["--store", store, "export", "ana", "--csv", str(tmp_path / "csv")]) == 0
    finally:
        os.umask(old)
    assert {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "csv").iterdir()} == {0o640}


def test_export_refuses_before_writing_any_file(store: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    os.mkfifo(folder / "notes.csv")
    assert archcue(["--store", store, "export", "ana", "--csv", str(folder)]) == 1
    assert "notes.csv is a FIFO" in capsys.readouterr().err
    assert sorted(p.name for p in folder.iterdir()) == ["notes.csv"]


def test_a_headers_strings_reach_no_output_raw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header's started_at and foot with terminal escape codes: text, HTML and JSON reports and
    the sessions listing show them escaped (the report printed them raw)."""
    evil = "\x1b[2J\x1b]0;owned\x07"
    data = sealed_session(20, extra={"started_at": f"2026{evil}-11-01T07:00", "board": evil, "foot": "l\x1bft"})
    db = str(tmp_path / "s.sqlite")
    Store(db).import_session(data, hashlib.sha256(data).hexdigest())
    for args in (["report", "ana", "--all"], ["report", "ana", "--all", "--format", "html"],
                 ["report", "ana", "--all", "--format", "json"], ["sessions", "--all"], ["runners"]):
        assert archcue(["--store", db, *args]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x07" not in out, args
    assert archcue(["--store", db, "report", "ana", "--all"]) == 0  # a short session: listed with --all
    assert r"2026\x1b[2J" in capsys.readouterr().out  # shown, escaped
