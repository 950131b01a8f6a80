"""Bad input answers with one line `prog: what: why` and exit 1 or 2, never a traceback.
Cases owned by the report/export work (unwritable --out, --out extension, CSV formulas)
are marked for it and not run here."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from host.store.db import Store


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


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
    return [
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


CASE_NAMES = ["runners on a missing store", "sessions on a missing store", "report on a missing store",
              "export on a missing store", "a store that is not SQLite", "a truncated store", "a bit-rotted store",
              "a missing port", "NaN in a config", "deeply nested config", "a config that is a list",
              "a config that is not UTF-8", "a missing config", "a control character in a runner name",
              "a runner name too long", "simulator: unknown scenario",
              "simulator: missing replay input", "simulator: deeply nested config", "simulator: heap too small"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_input_is_one_line(name: str, cases: dict[str, list[str]], tmp_path: Path) -> None:
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
