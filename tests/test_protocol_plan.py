"""The plan's hips-or-feet protocol section (host/plan/protocol.py): set by `archcue plan`, its
next run's config (a random arm order fixed per run, valid on the insole), its bad input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from firmware.core import arms, config
from host.cli import main as archcue
from host.plan.history import PlanRun
from host.plan.protocol import PROTOCOL, arm_order
from host.store.db import Store
from host.store.records import parse_session
from tests.sessionfiles import sealed_session


def _store(tmp_path: Path) -> list[str]:
    path = tmp_path / "s.sqlite"
    store = Store(path, create=True)
    store.import_parsed(parse_session(sealed_session(5, runner="Ana")), "sha")
    store.close()
    return ["--store", str(path), "plan", "ana"]


def _done(step: int) -> PlanRun:
    cfg = {"plan": "hips-or-feet", "plan_step": step}
    return PlanRun(f"s{step}", "left", None, "run", cfg, False, 60.0)


def test_plan_writes_a_pain_mode_run_the_insole_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _store(tmp_path)
    assert archcue(base + ["--protocol", "hips-or-feet", "--pain", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    cfg = doc["next_config"]
    assert cfg["plan"] == "hips-or-feet" and cfg["plan_step"] == 1 and cfg["block_s"] == 180 and cfg["pain_mode"] == 1
    checked, errors = config.validate(cfg)
    assert errors == [] and len(arms.parse_arms(checked["arm_order"])) == 16  # 4 rounds of 4 blocks
    assert archcue(base) == 0
    out = capsys.readouterr().out
    assert "pain mode: 4 rounds per run (180 s blocks, 48 minutes after the warm-up), run 1 of 2 next" in out
    played = out.split("9 of 10 named right to count): ")[1].splitlines()[0].split(", ")
    assert len(played) == 10 and set(played) == {"feet", "hips", "sham"}


def test_the_order_is_fixed_per_run_and_drawn_anew_for_the_next() -> None:
    value = {"seed": 12345, "mode": "loading", "rounds": 4, "runs": 2}
    first = PROTOCOL.run_config(value, [])
    assert first == PROTOCOL.run_config(value, [])  # a pull cut short writes the same run again
    second = PROTOCOL.run_config(value, [_done(1)])
    assert second["plan_step"] == 2 and second["arm_order"] != first["arm_order"]
    assert PROTOCOL.run_config(value, [_done(1), _done(2)]) is None  # both runs stored: nothing more to write


def test_orders_are_random_over_seeds() -> None:
    firsts = {arm_order(seed, 1, 1) for seed in range(400)}
    assert len(firsts) == 24  # every order of the four arms is drawn


@pytest.mark.parametrize("args, says", [
    (["--protocol", "hips-or-feet", "--rounds", "1"], "--rounds 1: a run holds 2 to 24 rounds"),
    (["--protocol", "hips-or-feet", "--runs", "1"], "a protocol without enough rounds: 1 run(s) of 4 rounds are 4"),
    (["--pain"], "--pain, --rounds and --runs need --protocol hips-or-feet"),
])
def test_bad_protocol_is_one_line_and_plans_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    args: list[str], says: str) -> None:
    base = _store(tmp_path)
    assert archcue(base + args) == 1
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    assert Store(Path(base[1])).plan("ana") is None


def test_end_drops_the_protocol(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = _store(tmp_path)
    assert archcue(base + ["--protocol", "hips-or-feet"]) == 0
    assert archcue(base + ["--protocol", "end"]) == 0
    assert "has no plan" in capsys.readouterr().out
