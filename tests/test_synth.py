"""The synthetic runner: reproducible, validated scenarios, statistics as configured."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from simulator.synth import ScenarioError, generate, load_scenario, scenario_names


def test_same_seed_same_run_other_seed_other_run() -> None:
    sc = load_scenario("mixed")
    a, b, c = generate(sc, seed=4, seconds=30), generate(sc, seed=4, seconds=30), generate(sc, seed=5, seconds=30)
    assert np.array_equal(a.counts, b.counts) and a.truth == b.truth
    assert not np.array_equal(a.counts, c.counts)


@pytest.mark.parametrize("name", scenario_names())
def test_every_scenario_loads_and_generates(name: str) -> None:
    run = generate(load_scenario(name), seed=1, seconds=20)
    assert run.counts.shape == (20 * 200, 6) and run.counts.dtype == np.uint16
    assert all(t["to_ms"] > t["ic_ms"] for t in run.truth)


def test_rates_and_timing_match_the_scenario() -> None:
    run = generate(load_scenario("rearfoot_easy"), seed=2, seconds=120)
    ic = np.array([t["ic_ms"] for t in run.truth])
    stride = np.median(np.diff(ic)) / 1000
    assert 120 / stride == pytest.approx(170, rel=0.03)  # cadence counts both feet
    stance = np.median([t["to_ms"] - t["ic_ms"] for t in run.truth])
    assert 230 <= stance <= 290
    collapse = np.mean([t["collapse"] for t in run.truth])
    toes = np.mean([t["toe_engaged"] for t in run.truth])
    assert 0.15 <= collapse <= 0.35 and 0.12 <= toes <= 0.3


def test_forefoot_heel_barely_loads_and_faults_are_applied() -> None:
    fore = generate(load_scenario("forefoot_easy"), seed=1, seconds=20)
    rear = generate(load_scenario("rearfoot_easy"), seed=1, seconds=20)
    assert fore.forces[:, 0].max() < 0.1 * rear.forces[:, 0].max()
    assert not generate(load_scenario("dead_heel"), seed=1, seconds=10).counts[:, 0].any()
    assert (generate(load_scenario("shorted_toes"), seed=1, seconds=10).counts[:, 5] == 4095).all()


def test_responder_engaged_steps_collapse_less() -> None:
    run = generate(load_scenario("responder"), seed=3, seconds=600)
    eng = [t["collapse"] for t in run.truth if t["toe_engaged"]]
    rel = [t["collapse"] for t in run.truth if not t["toe_engaged"]]
    assert np.mean(eng) < 0.5 * np.mean(rel)


def test_walking_and_standing_phases() -> None:
    run = generate(load_scenario("walk_break_and_standing"), seed=1)
    kinds = {t["kind"] for t in run.truth}
    assert kinds == {"run", "walk"}
    walk = [t["to_ms"] - t["ic_ms"] for t in run.truth if t["kind"] == "walk"]
    assert min(walk) > 600  # longer than any running stance


def test_bad_scenarios_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'"):
        load_scenario("nope")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"strike": "tiptoe"}))
    with pytest.raises(ScenarioError, match="strike must be one of"):
        load_scenario(str(bad))
    bad.write_text(json.dumps({"sensors": {"dead": ["knee"]}}))
    with pytest.raises(ScenarioError, match="'knee' is not a channel"):
        load_scenario(str(bad))
    bad.write_text(json.dumps({"cadense": 170}))
    with pytest.raises(ScenarioError, match="unknown fields cadense"):
        load_scenario(str(bad))
