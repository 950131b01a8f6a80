"""Bad input answers with one line `prog: what: why` and exit 1 or 2, never a traceback.
Cases owned by the report/export work (unwritable --out, --out extension, CSV formulas)
are marked for it and not run here."""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest

from host.store.db import Store
from tests.foreign_runner import generate
from tests.sessionfiles import sealed_session

ROOT = Path(__file__).resolve().parents[1]


def _limited() -> None:
    """A case that regresses must not take the machine with it (`import /dev/zero` once ate
    memory until killed): 4 GB of address space at most."""
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    argv = args if args[0] == "unshare" else [sys.executable, *args]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120, preexec_fn=_limited,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _can_mount() -> bool:
    """A private mount namespace with a tmpfs (root, or a user namespace): for the full-disk and
    read-only cases."""
    try:
        return subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _on_small_disk(tmp: Path, store: Path, then: str, *args: str) -> list[str]:
    """archcue with the store copied onto a 256 KB tmpfs of its own, `then` done to that disk
    first ("full": filled up; "ro": mounted read-only). In a private mount namespace: nothing
    outside the test sees the mount."""
    mnt = tmp / f"disk-{then}-{args[0]}"
    mnt.mkdir(exist_ok=True)
    spoil = {"full": f"dd if=/dev/zero of={mnt}/fill bs=4k >/dev/null 2>&1", "ro": f"mount -o remount,ro {mnt}"}
    cli = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "host.cli", "--store", str(mnt / store.name), *args])
    return ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=256k tmpfs {mnt} && cp {store} {mnt}/ && "
                                         f"{{ {spoil[then]}; true; }} && exec {cli}"]


def _csv(path: Path, text: str) -> str:
    """A recording written a minute ago: SETTLE_S does not make the case wait."""
    path.write_text(text)
    past = time.time() - 60
    os.utime(path, (past, past))
    return str(path)


def _archcue(store: str, *args: str) -> list[str]:
    return ["-m", "host.cli", "--store", store, *args]


def _cases(tmp: Path) -> list[tuple[str, list[str]]]:
    (tmp / "text.sqlite").write_text("not a database\n" * 200)
    Store(tmp / "good.sqlite").close()
    good = (tmp / "good.sqlite").read_bytes()
    (tmp / "truncated.sqlite").write_bytes(good[:1500])
    rot = bytearray(good)
    for i in range(100, len(rot), 97):
        rot[i] ^= 0xFF
    (tmp / "rotted.sqlite").write_bytes(bytes(rot))
    (tmp / "nan.json").write_text('{"cue_every_steps": NaN}')
    (tmp / "deep.json").write_text("[" * 100000 + "]" * 100000)
    (tmp / "list.json").write_text(json.dumps([1, 2]))
    (tmp / "latin1.json").write_bytes(b'{"runner_id": "Zo\xeb"}')
    missing = str(tmp / "typo.sqlite")
    (tmp / "huge-int.json").write_text('{"cue_every_steps": ' + "9" * 5000 + "}")
    run = tmp / "run.csv"
    generate(seconds=60, rate_hz=200, seed=1).write_csv(run)
    past = time.time() - 60
    os.utime(run, (past, past))
    one = sealed_session(20)
    filled = tmp / "filled.sqlite"
    Store(filled).import_session(one, hashlib.sha256(one).hexdigest())
    os.mkfifo(tmp / "fifo.csv")
    head = "t_ms,heel,arch\n0,1,2\n5,1,2\n"
    imp = ("import", "--runner", "ana", "--units", "newton")
    new = str(tmp / "n.sqlite")
    return [
        ("import: a store on a full disk", _on_small_disk(tmp, filled, "full", *imp[:1], str(run), *imp[1:])),
        ("assign: a store on a full disk", _on_small_disk(tmp, filled, "full", "assign", "dev1-000001",
                                                          "--runner", "bo")),
        ("import: a store on a read-only mount", _on_small_disk(tmp, filled, "ro", *imp[:1], str(run), *imp[1:])),
        ("assign: a store on a read-only mount", _on_small_disk(tmp, filled, "ro", "assign", "dev1-000001",
                                                                "--runner", "bo")),
        ("import: a 5,000-digit integer in the config",
         _archcue(new, *imp, _csv(tmp / "ok.csv", head), "--config", str(tmp / "huge-int.json"))),
        ("pull: a 5,000-digit integer in the config",
         _archcue(new, "pull", "--config", str(tmp / "huge-int.json"), "--port", "/dev/null")),
        ("import: t_ms of 1e300", _archcue(new, *imp, _csv(tmp / "far.csv", head + "1e300,1,2\n"))),
        ("import: one sample of 1e308 N", _archcue(new, *imp, _csv(tmp / "huge.csv", head + "10,1e308,2\n"))),
        ("import /dev/zero", _archcue(new, *imp, "/dev/zero")),
        ("import /dev/zero as a Moticon export", _archcue(new, "import", "/dev/zero", "--format", "moticon",
                                                          "--foot", "left", "--runner", "ana")),
        ("import a FIFO", _archcue(new, *imp, str(tmp / "fifo.csv"))),
        ("import: a CSV cut inside its last line", _archcue(new, *imp, _csv(tmp / "cut.csv", head + "10,1"))),
        ("import: a folder", _archcue(new, *imp, str(tmp))),
        ("import: a line a megabyte long", _archcue(new, *imp, _csv(tmp / "long.csv", "t_ms," + "x" * 2**20 + "\n"))),
        ("pull --config a FIFO", _archcue(new, "pull", "--config", str(tmp / "fifo.csv"))),
        ("pull --config /dev/zero", _archcue(new, "pull", "--config", "/dev/zero")),
        ("runners on a missing store", _archcue(missing, "runners")),
        ("sessions on a missing store", _archcue(missing, "sessions")),
        ("report on a missing store", _archcue(missing, "report", "ana")),
        ("export on a missing store", _archcue(missing, "export", "ana", "--csv", str(tmp / "out"))),
        ("a store that is not SQLite", _archcue(str(tmp / "text.sqlite"), "runners")),
        ("a truncated store", _archcue(str(tmp / "truncated.sqlite"), "sessions")),
        ("a bit-rotted store", _archcue(str(tmp / "rotted.sqlite"), "sessions")),
        ("a missing port", _archcue(str(tmp / "p.sqlite"), "pull", "--port", "/dev/nonexistent")),
        (
            "NaN in a config",
            _archcue(str(tmp / "p.sqlite"), "pull", "--config", str(tmp / "nan.json"), "--port", "/dev/null"),
        ),
        ("deeply nested config", _archcue(str(tmp / "p.sqlite"), "pull", "--config", str(tmp / "deep.json"))),
        ("a config that is a list", _archcue(str(tmp / "p.sqlite"), "pull", "--config", str(tmp / "list.json"))),
        ("a config that is not UTF-8", _archcue(str(tmp / "p.sqlite"), "pull", "--config", str(tmp / "latin1.json"))),
        ("a missing config", _archcue(str(tmp / "p.sqlite"), "pull", "--config", str(tmp / "none.json"))),
        ("a control character in a runner name", _archcue(str(tmp / "p.sqlite"), "pull", "--runner", "a\x07b")),
        ("a runner name too long", _archcue(str(tmp / "p.sqlite"), "pull", "--runner", "🏃" * 33)),
        (
            "simulator: unknown scenario",
            ["-m", "simulator", "generate", "--scenario", "nope", "--out", str(tmp / "r.csv")],
        ),
        (
            "simulator: missing replay input",
            ["-m", "simulator", "replay", str(tmp / "none.csv"), "--units", "adc", "--out", str(tmp / "s.csv")],
        ),
        (
            "simulator: deeply nested config",
            ["-m", "simulator", "serve", "--config", str(tmp / "deep.json"), "--dir", str(tmp / "v")],
        ),
        ("simulator: heap too small", ["-m", "simulator", "serve", "--heap-kb", "1", "--dir", str(tmp / "v")]),
    ]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    tmp = tmp_path_factory.mktemp("bad")
    return dict(_cases(tmp))


NEEDS_MOUNT = ["import: a store on a full disk", "assign: a store on a full disk",
               "import: a store on a read-only mount", "assign: a store on a read-only mount"]
CASE_NAMES = NEEDS_MOUNT + [
    "import: a 5,000-digit integer in the config", "pull: a 5,000-digit integer in the config",
    "import: t_ms of 1e300", "import: one sample of 1e308 N", "import /dev/zero",
    "import /dev/zero as a Moticon export", "import a FIFO", "import: a CSV cut inside its last line",
    "import: a folder", "import: a line a megabyte long", "pull --config a FIFO", "pull --config /dev/zero",
    "runners on a missing store", "sessions on a missing store", "report on a missing store",
              "export on a missing store", "a store that is not SQLite", "a truncated store", "a bit-rotted store",
              "a missing port", "NaN in a config", "deeply nested config", "a config that is a list",
              "a config that is not UTF-8", "a missing config", "a control character in a runner name",
              "a runner name too long", "simulator: unknown scenario",
              "simulator: missing replay input", "simulator: deeply nested config", "simulator: heap too small"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_is_one_line(name: str, cases: dict[str, list[str]], tmp_path: Path) -> None:
    if name in NEEDS_MOUNT and not _can_mount():
        pytest.skip("no private mount namespace here (needs root or user namespaces)")
    out = _run(cases[name], tmp_path)
    lines = out.stderr.strip().splitlines()
    assert out.returncode in (1, 2), (name, out.returncode, out.stderr)
    assert "Traceback" not in out.stderr, (name, out.stderr)
    prog = "python -m simulator" if name.startswith("simulator") else "archcue"
    assert lines and lines[-1].startswith(prog + ": "), (name, out.stderr)
    assert not (tmp_path.parent / "typo.sqlite").exists()


def test_a_missing_store_is_named_not_created(tmp_path: Path) -> None:
    out = _run(_archcue(str(tmp_path / "typo.sqlite"), "runners"), tmp_path)
    assert out.returncode == 1 and "no store at" in out.stderr and not (tmp_path / "typo.sqlite").exists()


def test_a_bad_config_is_refused_before_looking_for_an_insole(tmp_path: Path) -> None:
    (tmp_path / "nan.json").write_text('{"cue_every_steps": NaN}')
    out = _run(_archcue(str(tmp_path / "s.sqlite"), "pull", "--config", str(tmp_path / "nan.json")), tmp_path)
    assert out.returncode == 1 and "cue_every_steps: expected int, got nan" in out.stderr
    assert "no insole found" not in out.stderr
