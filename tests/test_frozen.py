"""The frozen build: hardware/manifest.py freezes every firmware module the board runs,
and `make deploy FROZEN=1` copies no module, only drops copies that would shadow the
frozen ones (a board with the custom build cannot be attached here: mpremote is faked,
with a folder as the board's flash)."""
from __future__ import annotations

from pathlib import Path

from hardware import deploy
from tests.test_deploy import KEPT, _fake, _tree

MANIFEST = Path(deploy.ROOT) / "hardware" / "manifest.py"


def test_manifest_freezes_every_firmware_module() -> None:
    frozen: set[str] = set()
    base = MANIFEST.parent

    def module(name: str, base_path: str) -> None:
        frozen.add(name)

    def package(name: str, base_path: str, files: tuple[str, ...] | None = None) -> None:
        root = (base / base_path).resolve()
        found = {p.relative_to(root).as_posix() for p in (root / name).rglob("*.py")}
        frozen.update(found if files is None else {f"{name}/{f}" for f in files} & found)

    exec(MANIFEST.read_text(), {"include": lambda path: None, "module": module, "package": package})
    assert frozen == set(deploy.modules())  # every module the board imports, not the simulator's HAL


def test_frozen_deploy_copies_no_module_and_drops_shadows(tmp_path: Path, monkeypatch) -> None:
    device = tmp_path / "board"
    for p, data in {**KEPT, "core/fsr.mpy": b"old", "core/gait.py": b"old", "app.mpy": b"old",
                    "hal/sim.mpy": b"old"}.items():
        (device / p).parent.mkdir(parents=True, exist_ok=True)
        (device / p).write_bytes(data)
    _fake(tmp_path, monkeypatch, device)
    (tmp_path / "tty").touch()
    assert deploy.main(["--port", str(tmp_path / "tty"), "--out", str(tmp_path / "out"), "--frozen"]) == 0
    tree = _tree(device)
    assert sorted(p for p in tree if p not in KEPT) == ["board.json", "boot.py", "fault.py", "firmware.json",
                                                        "main.py"]
