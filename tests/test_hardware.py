"""The board as data: pin rules on every board, the merged dict, generated files that
cannot drift, and the deploy tool's build and errors (no board needed)."""
from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from hardware import board_data, deploy
from hardware.board_data import CHANNELS, CHIPS, BoardError, board_names, check_board, load_board, on_insole, used_pins
from simulator.device import ROOT


def test_both_profiles_exist_default_first() -> None:
    assert board_names() == ["esp32_devkitc", "esp32s3_devkitc"]
    assert load_board()["name"] == board_data.DEFAULT_BOARD == "esp32_devkitc"


@pytest.mark.parametrize("name", board_names())
def test_fsrs_on_adc1_in_channel_order(name: str) -> None:
    b = load_board(name)
    chip = CHIPS[b["mcu"]]
    assert tuple(ch["name"] for ch in b["channels"]) == CHANNELS
    for ch in b["channels"]:
        assert ch["pin"] in chip["adc1"], ch
        assert (ch["adc_unit"], ch["adc_channel"]) == (1, chip["adc1"][ch["pin"]])
    adc1_gpios = set(range(32, 40)) if b["mcu"] == "esp32" else set(range(1, 11))
    assert {ch["pin"] for ch in b["channels"]} <= adc1_gpios


@pytest.mark.parametrize("name", board_names())
def test_no_pin_twice_and_outputs_can_drive(name: str) -> None:
    b = load_board(name)
    pins = [p for _, p in used_pins(b)]
    assert len(pins) == len(set(pins)) == 13
    chip = CHIPS[b["mcu"]]
    for pin in (b["haptic"]["pin"], b["led"]["pin"], b["drv2605l"]["sda"], b["drv2605l"]["scl"]):
        assert pin not in chip["input_only"] and pin not in chip["strapping"] and pin not in chip["reserved"]
    assert b["drv2605l"]["address"] == 0x5A
    assert b["button"]["active_low"] and b["button"]["pull"] == "up"
    assert b["adc"]["atten_db"] == 11
    assert {b["button"]["pin"], b["usb_sense"]["pin"]} <= chip["rtc"]  # both wake the chip from sleep


def test_devkitc_battery_sense_is_on_adc2_and_says_why() -> None:
    b = load_board("esp32_devkitc")
    assert (b["battery"]["adc_unit"], b["battery"]["pin"]) == (2, 4)
    assert "radio" in b["battery"]["note"]
    assert load_board("esp32s3_devkitc")["battery"]["adc_unit"] == 1


def test_merged_dict_is_self_contained_json() -> None:
    b = load_board()
    assert json.loads(json.dumps(b)) == b
    for key in ("fsr", "insole", "running_load", "adc", "channels", "divider_ohm", "supply_v"):
        assert key in b
    assert list(b["insole"]["sensors"]) == list(CHANNELS)
    for x, y in b["insole"]["sensors"].values():  # inside the outline's box, right-foot frame
        assert 0 < x < 105 and 0 < y < 275


def test_unknown_board_lists_the_known_ones() -> None:
    with pytest.raises(BoardError, match="unknown board 'arduino'; known boards: esp32_devkitc, esp32s3_devkitc"):
        load_board("arduino")


@pytest.mark.parametrize("change, message", [
    (lambda b: b["channels"][0].update(pin=25), "not an ADC1 pin"),
    (lambda b: b["channels"].reverse(), "in that order"),
    (lambda b: b["led"].update(pin=27), "used twice"),
    (lambda b: b["haptic"].update(pin=34), "input-only"),
    (lambda b: b["led"].update(pin=2), "strapping"),
    (lambda b: b["haptic"].update(pin=7), "flash"),
    (lambda b: b["channels"][1].update(adc_channel=5), "ADC1 channel 3"),
    (lambda b: b["adc"]["curve_v_counts"].reverse(), "curve"),
    (lambda b: b.update(supply_v=3.3), "over the ADC's linear limit"),  # the previous 3.3 V rail: 3.14 V at 300 N
    (lambda b: b["usb_sense"].update(pin=23), "not an ADC pin"),
    (lambda b: b["button"].update(pin=23), "cannot wake the chip"),
    (lambda b: b["adc"]["vref_curves"]["adc1"][0].pop(5), "count breakpoints"),
    (lambda b: b["adc"]["curve_v_counts"][2].__setitem__(0, 2.47), "mean of adc.vref_curves"),
    (lambda b: b.update(cpu_mhz=[[200, 160]]), "covering sampling.max_hz"),
])
def test_rule_breaking_profiles_are_refused(change, message: str) -> None:
    b = json.loads(json.dumps(load_board()))
    change(b)
    assert any(message in e for e in check_board(b)), check_board(b)


def test_generated_files_match_the_data() -> None:
    from hardware.generate import main

    assert main(["--check"]) == 0, "hardware files are stale: run `make hardware`"


def test_check_mode_spots_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hardware import generate

    for name in ("bom.csv", "wiring.md", "sensor_placement.svg", "README.md"):
        (tmp_path / name).write_text((board_data.HERE / name).read_text())
    (tmp_path / "wiring.md").write_text("edited by hand\n")
    monkeypatch.setattr(generate, "HERE", tmp_path)
    assert generate.main(["--check"]) == 1
    assert generate.main([]) == 0 and generate.main(["--check"]) == 0


def test_power_budget_meets_the_bars_on_the_listed_cell() -> None:
    """A day on one charge: >= 8 h recording, and a week stopped in a bag (light sleep)."""
    from hardware.generate import battery_life, power_budget

    for name, states in power_budget().items():
        hours, days = battery_life(load_board(name), states)
        assert hours >= 8 and days >= 7, (name, hours, days)
        assert 30 < sum(states["recording"].values()) < 60
        assert 0.5 < states["recording"]["six FSR dividers"] < 5
        assert sum(states["stopped"].values()) < 2


def test_the_budget_assumes_what_the_firmware_does() -> None:
    """The clock and the idle wake period the budget uses are the ones the board HAL reads
    from the same data (core.power.cpu_mhz, sleep)."""
    import re

    from firmware.core.power import cpu_mhz

    hal = (ROOT / "firmware" / "hal" / "esp32.py").read_text()
    assert 'machine.freq(cpu_mhz(board, rate_hz) * 1000000)' in hal
    assert 'self.sleep_ms = board["sleep"]["wake_ms"]' in hal
    assert re.search(r"machine\.lightsleep\(self\.sleep_ms\)", hal)
    for name in board_names():
        b = load_board(name)
        assert cpu_mhz(b, 200) == 160 and cpu_mhz(b, 1000) == 240


# ---------------------------------------------------------------- deploy (no board)


def test_deploy_builds_every_module_for_the_board(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = deploy.build("esp32_devkitc", out)
    names = {f.relative_to(out).as_posix() for f in files}
    sources = {p.relative_to(ROOT / "firmware").as_posix() for p in (ROOT / "firmware").rglob("*.py")
               if "__pycache__" not in p.parts}
    expected = {s if s in deploy.KEEP_SOURCE else s[:-3] + ".mpy" for s in sources - {"hal/sim.py"}}
    assert names == expected | {"board.json", "config.json", "firmware.json"}  # no simulator HAL on a board
    for f in files:
        assert f.exists() and f.stat().st_size > 0
        if f.suffix == ".mpy":
            assert f.read_bytes()[:1] == b"M"
    assert json.loads((out / "board.json").read_text()) == on_insole(load_board("esp32_devkitc"))
    from firmware.core import config, sessionlog
    assert json.loads((out / "config.json").read_text()) == config.defaults()
    manifest = json.loads((out / "firmware.json").read_text())
    assert manifest["format"] == sessionlog.FORMAT_VERSION and manifest["version"] == deploy.firmware_version()


def test_deploy_without_a_port_or_to_a_missing_one_is_a_clear_error(capsys: pytest.CaptureFixture) -> None:
    assert deploy.main([]) == 2
    assert "no port given" in capsys.readouterr().err
    assert deploy.main(["--port", "/dev/does-not-exist"]) == 2
    assert "no such port" in capsys.readouterr().err


def _fake_mpremote(tmp_path: Path, probe: str, fail: str = "") -> Path:
    """A stand-in for mpremote: logs its arguments, answers the probe, or fails."""
    script = tmp_path / "mpremote"
    log = tmp_path / "calls.jsonl"
    script.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"if {fail!r}:\n    print({fail!r}, file=sys.stderr); sys.exit(1)\n"
        f"if 'fs' not in sys.argv:\n    print({probe!r})\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


def _probe(mpy: int, config: bool, present: list[str]) -> str:
    return deploy.PROBE_TAG + json.dumps({"mpy": mpy, "config": config, "free": 1 << 21, "manifest": None,
                                          "present": present})


def test_deploy_refuses_a_board_with_another_mpy_version(tmp_path: Path, monkeypatch, capsys) -> None:
    _fake_mpremote(tmp_path, _probe(5, False, []))
    monkeypatch.setattr(deploy, "MPREMOTE", str(tmp_path / "mpremote"))
    (tmp_path / "tty").touch()
    assert deploy.main(["--port", str(tmp_path / "tty"), "--out", str(tmp_path / "out")]) == 2
    assert "loads .mpy version 5" in capsys.readouterr().err


def test_deploy_reports_mpremote_failing(tmp_path: Path, monkeypatch, capsys) -> None:
    _fake_mpremote(tmp_path, "", fail="mpremote: failed to access /dev/tty (it may be in use by another program)")
    monkeypatch.setattr(deploy, "MPREMOTE", str(tmp_path / "mpremote"))
    (tmp_path / "tty").touch()
    assert deploy.main(["--port", str(tmp_path / "tty"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "talking to the board" in err and "in use by another program" in err


def test_deploy_reports_a_port_that_is_not_micropython(tmp_path: Path, monkeypatch, capsys) -> None:
    _fake_mpremote(tmp_path, "garbage from a modem")
    monkeypatch.setattr(deploy, "MPREMOTE", str(tmp_path / "mpremote"))
    (tmp_path / "tty").touch()
    assert deploy.main(["--port", str(tmp_path / "tty"), "--out", str(tmp_path / "out")]) == 2
    assert "did not answer like MicroPython" in capsys.readouterr().err
