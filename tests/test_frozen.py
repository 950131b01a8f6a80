"""The frozen build: hardware/manifest.py freezes every firmware module, and
`make deploy FROZEN=1` copies no module, only removes copies that would shadow the
frozen ones (a board with the custom build cannot be attached here: mpremote is faked)."""
from __future__ import annotations

import json
from pathlib import Path

from hardware import deploy
from tests.test_hardware import _fake_mpremote, _probe

MANIFEST = Path(deploy.ROOT) / "hardware" / "manifest.py"


def test_manifest_freezes_every_firmware_module() -> None:
    frozen: set[str] = set()
    base = MANIFEST.parent

    def module(name: str, base_path: str) -> None:
        frozen.add(name)

    def package(name: str, base_path: str) -> None:
        root = (base / base_path).resolve()
        frozen.update(p.relative_to(root).as_posix() for p in (root / name).rglob("*.py"))

    exec(MANIFEST.read_text(), {"include": lambda path: None, "module": module, "package": package})
    assert frozen == set(deploy.modules())


def test_frozen_deploy_copies_no_module_and_removes_shadows(tmp_path: Path, monkeypatch) -> None:
    log = _fake_mpremote(tmp_path, _probe(6, False, ["core/fsr.mpy", "app.mpy"]))
    monkeypatch.setattr(deploy, "MPREMOTE", str(tmp_path / "mpremote"))
    (tmp_path / "tty").touch()
    assert deploy.main(["--port", str(tmp_path / "tty"), "--out", str(tmp_path / "out"), "--frozen"]) == 0
    probe, copy = [json.loads(line) for line in log.read_text().splitlines()]
    assert "'core/fsr.mpy'" in probe[3] and "'core/fsr.py'" in probe[3]  # both kinds of copy looked for
    assert "'core/fsr.mpy'" in copy[3] and "'app.mpy'" in copy[3]  # ... and removed
    targets = sorted(a for a in copy if a.startswith(":"))
    assert targets == [":board.json", ":boot.py", ":config.json", ":main.py"]
