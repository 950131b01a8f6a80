"""The synthetic runner: reproducible, validated scenarios, statistics as configured."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from firmware.core.channels import HEEL, TOES
from simulator.errors import ScenarioError
from simulator.scenario import FIELDS, SENSOR_FIELDS, load_scenario, scenario_names, validate_scenario
from simulator.synth import STAND_LOAD, STILL, generate


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


# --- the runner's statistics against what the scenario configures --------------------------

def _early_shares(run) -> tuple[dict, dict]:
    """Per-landing shares of the early stance, split by the truth: toe (hallux + toes over
    5-40% of stance) by toe_engaged, arch (over the first 40%) by collapse."""
    toe: dict[int, list[float]] = {0: [], 1: []}
    arch: dict[int, list[float]] = {0: [], 1: []}
    f = run.forces.astype(float)
    for s in run.truth:
        seg = f[s["ic_ms"] * run.rate_hz // 1000:s["to_ms"] * run.rate_hz // 1000 + 1]
        n = len(seg)
        early, loading = seg[int(0.05 * n):int(0.4 * n)], seg[:int(0.4 * n)]
        toe[s["toe_engaged"]].append(early[:, 4:].sum() / early.sum())
        arch[s["collapse"]].append(loading[:, 1].sum() / loading[:, :4].sum())
    return toe, arch


def test_arrays_have_the_documented_shapes() -> None:
    run = generate(load_scenario("rearfoot_easy"), seed=1, seconds=5, rate_hz=250)
    assert run.t_ms.dtype == np.int64 and run.t_ms.shape == (1250,) and run.t_ms[1] == 4
    assert run.forces.shape == (1250, 6) and run.counts.shape == (1250, 6) and run.counts.dtype == np.uint16
    assert set(run.truth[0]) >= {"ic_ms", "to_ms", "kind", "strike", "collapse", "toe_engaged"}


@pytest.mark.parametrize("name,cadence,stance", [
    ("rearfoot_easy", 170, (240, 290)), ("rearfoot_tempo", 186, (215, 260)), ("forefoot_easy", 176, (230, 280)),
])
def test_cadence_and_stance(name: str, cadence: float, stance: tuple[int, int]) -> None:
    run = generate(load_scenario(name), seed=5, seconds=90)
    ic = np.array([t["ic_ms"] for t in run.truth])
    assert 120_000 / np.median(np.diff(ic)) == pytest.approx(cadence, rel=0.02)
    st = np.array([t["to_ms"] - t["ic_ms"] for t in run.truth])
    assert stance[0] <= np.median(st) <= stance[1] and st.std() > 2  # varies step to step


@pytest.mark.parametrize("name,p_collapse,p_toes", [
    ("rearfoot_easy", 0.25, 0.2), ("midfoot_easy", 0.25, 0.2), ("non_responder", 0.35, 0.1),
])
def test_collapse_and_toe_rates(name: str, p_collapse: float, p_toes: float) -> None:
    truth = generate(load_scenario(name), seed=11, seconds=400).truth
    assert len(truth) > 500
    assert np.mean([t["collapse"] for t in truth]) == pytest.approx(p_collapse, abs=0.06)
    assert np.mean([t["toe_engaged"] for t in truth]) == pytest.approx(p_toes, abs=0.05)


def test_fatigue_ramps_the_collapse_rate() -> None:
    truth = generate(load_scenario("fatigue"), seed=2, seconds=600).truth
    q = len(truth) // 4
    first = np.mean([t["collapse"] for t in truth[:q]])
    last = np.mean([t["collapse"] for t in truth[-q:]])
    assert first == pytest.approx(0.15, abs=0.07) and last == pytest.approx(0.45, abs=0.08)


@pytest.mark.parametrize("name", ["rearfoot_easy", "midfoot_easy", "forefoot_easy"])
def test_toe_engagement_and_collapse_show_in_the_early_loads(name: str) -> None:
    toe, arch = _early_shares(generate(load_scenario(name), seed=4, seconds=150))
    assert 0.008 <= np.mean(toe[0]) <= 0.03  # relaxed toes: ~1-3% of the early load
    assert 0.08 <= np.mean(toe[1]) <= 0.25  # curled: clearly raised
    assert 1.5 <= np.mean(arch[1]) / np.mean(arch[0]) <= 2.5  # collapse: the arch takes ~x2


def test_responder_steadies_the_arch_non_responder_does_not() -> None:
    def spread(name: str) -> tuple[float, float]:
        """Coefficient of variation of the early arch share on non-collapsing landings,
        toes curled vs relaxed."""
        run = generate(load_scenario(name), seed=6, seconds=600)
        _, arch = _early_shares(run)
        intact = [t["toe_engaged"] for t in run.truth if not t["collapse"]]
        eng = np.array([a for a, e in zip(arch[0], intact) if e])
        rel = np.array([a for a, e in zip(arch[0], intact) if not e])
        return float(eng.std() / eng.mean()), float(rel.std() / rel.mean())

    eng, rel = spread("responder")  # responder_spread_factor 0.5 on the arch's own variability
    assert eng < 0.85 * rel
    eng, rel = spread("non_responder")
    assert eng == pytest.approx(rel, rel=0.2)


def test_heel_strikers_load_heel_first_and_toes_last() -> None:
    run = generate(load_scenario("rearfoot_easy"), seed=3, seconds=60)
    f = run.forces.astype(float)
    relaxed = [t for t in run.truth if not t["toe_engaged"]]
    for t in relaxed[:20]:
        seg = f[t["ic_ms"] // 5:t["to_ms"] // 5 + 1]
        n = len(seg)
        assert np.argmax(seg[:, 0]) < np.argmax(seg[:, 2]) < np.argmax(seg[:, 4])  # heel, met1, hallux
        early = seg[:int(0.6 * n)]
        assert early[:, 4:].sum() < 0.06 * early.sum()  # toes carry little before push-off
        assert 10 <= seg.max() <= 150  # newtons on one small sensor
    assert not f[run.truth[0]["to_ms"] // 5 + 5:run.truth[1]["ic_ms"] // 5 - 1].any()  # swing: no load


def test_walking_is_longer_and_lighter_standing_loads_without_steps() -> None:
    run = generate(load_scenario("walk_break_and_standing"), seed=1)
    walk = [t for t in run.truth if t["kind"] == "walk" and not t.get("stands")]
    runs = [t for t in run.truth if t["kind"] == "run"]
    assert all(600 <= t["to_ms"] - t["ic_ms"] <= 800 for t in walk)
    f = run.forces.astype(float).sum(1)
    peak = lambda steps: np.median([f[t["ic_ms"] // 5:t["to_ms"] // 5].max() for t in steps])  # noqa: E731
    assert peak(walk) < 0.75 * peak(runs)
    stand = (100_000, 120_000)  # the scenario's standing phase (ms)
    landed = [t for t in run.truth if stand[0] - 1000 <= t["ic_ms"] < stand[1]]
    assert [t.get("stands") for t in landed] == [1], landed  # the walk's last landing stays down, no other
    assert (f[(stand[0] + 1000) // 5:(stand[1] - 1000) // 5] > 5).all()  # loaded throughout


@pytest.mark.parametrize("kind", STILL)
def test_standing_activities_load_the_foot_without_steps(kind: str) -> None:
    # each activity after a walk: the walk's last landing stays down (truth `stands`, its
    # load heel first), then no step, the foot loaded throughout (a shift keeps >= 5%)
    sc = validate_scenario({"segments": [{"kind": "walk", "seconds": 10}, {"kind": kind, "seconds": 60}]})
    run = generate(sc, seed=3)
    last = run.truth[-1]
    assert last["stands"] == 1 and not [t for t in run.truth if t["ic_ms"] > last["ic_ms"]]
    f = run.forces.astype(float)
    i = last["ic_ms"] // 5
    assert f[i + 6, HEEL] > f[i + 6, TOES]  # heel first
    total = f[(last["ic_ms"] + 1000) // 5:-int(0.5 * 200)].sum(axis=1)
    assert total.min() > 0.04 * sum(STAND_LOAD), total.min()
    assert total.max() < 3 * sum(STAND_LOAD), total.max()


def test_walk_loading_ms_slows_a_walking_heel() -> None:
    fast, slow = (generate(validate_scenario({"segments": [{"kind": "walk", "seconds": 10}], "walk_loading_ms": ms}),
                           seed=2) for ms in (0, 150))
    t = fast.truth[2]["ic_ms"] // 5  # same draws: the same landings
    assert slow.truth[2]["ic_ms"] // 5 == t
    early = slice(t, t + 10)  # 50 ms
    assert slow.forces[early].sum() < 0.3 * fast.forces[early].sum()


def test_sensor_trouble() -> None:
    sc = load_scenario("rearfoot_easy")
    clean = generate(sc, seed=8, seconds=60)
    stance = clean.forces[:, 3] > 10
    assert not (clean.counts[stance, 3] == 0).any()
    flaky = generate(load_scenario("intermittent_met5"), seed=8, seconds=60)
    drops = (flaky.counts[:, 3] == 0) & (flaky.forces[:, 3] > 10)
    assert drops.sum() > 10
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], drops.astype(int), [0]]))))[::2]
    assert runs.max() <= 4  # 5-20 ms at 200 Hz
    assert np.array_equal(flaky.counts[:, [0, 1, 2, 4, 5]], clean.counts[:, [0, 1, 2, 4, 5]])  # met5 only

    spiky = generate(load_scenario("noise_spikes"), seed=8, seconds=120)
    swing = spiky.forces.sum(1) == 0
    assert 60 <= (spiky.counts[swing] > 1000).sum() <= 400  # ~2/s, half of them upward

    drift = generate(load_scenario("preload_drift"), seed=8, seconds=300)
    swing = np.flatnonzero(drift.forces.sum(1) == 0)
    first, last = swing[swing < 60 * 200], swing[swing > 240 * 200]
    assert np.median(drift.counts[last, 0]) > np.median(drift.counts[first, 0]) + 100  # preload creeps up
    assert (drift.counts[first] > 0).all()  # a tight shoe loads every sensor


def test_adc_noise_and_extra_noise() -> None:
    def noise(extra: dict) -> np.ndarray:
        sc = validate_scenario({"sensors": {"preload_n": 8, "extra_noise_counts": extra}})
        run = generate(sc, seed=2, seconds=20)
        swing = run.forces.sum(1) == 0
        return run.counts[swing].astype(float).std(0)

    base = noise({})
    assert ((base > 3) & (base < 10)).all()  # the board's ~6 counts rms
    loud = noise({"arch": 40})
    assert loud[1] > 30 and np.allclose(loud[[0, 2, 3, 4, 5]], base[[0, 2, 3, 4, 5]], rtol=0.3)


def test_left_foot_lands_between_the_right_foot_landings() -> None:
    sc = load_scenario("walk_break_and_standing")
    right, left = generate(sc, seed=9), generate(sc, seed=9, foot="left")
    assert right.foot == "right" and left.foot == "left"
    r = np.array([t["ic_ms"] for t in right.truth])
    for t in left.truth:
        k = np.searchsorted(r, t["ic_ms"]) - 1
        assert 0 <= k < len(r) - 1
        assert (t["ic_ms"] - r[k]) / (r[k + 1] - r[k]) == pytest.approx(0.5, abs=0.01)
    assert abs(len(left.truth) - len(right.truth)) <= 4
    assert [t["collapse"] for t in left.truth[:40]] != [t["collapse"] for t in right.truth[:40]]
    assert right.truth == generate(sc, seed=9).truth  # the right foot is unchanged by feet
    with pytest.raises(ValueError, match="foot must be one of right, left"):
        generate(sc, seed=9, foot="middle")


@pytest.mark.parametrize("raw,message", [
    ([1, 2], "a scenario is a JSON object"),
    ({"seconds": "long"}, "seconds must be a number, not 'long'"),
    ({"seconds": True}, "seconds must be a number"),
    ({"p_collapse": 1.5}, "p_collapse = 1.5 is outside 0..1"),
    ({"cadence_spm": 0}, "cadence_spm = 0 is outside 60..260"),
    ({"segments": []}, "segments must be a non-empty list"),
    ({"segments": [{"kind": "run"}]}, "segments[0].seconds is missing"),
    ({"segments": [{"kind": "jog", "seconds": 5}]}, "segments[0].kind must be one of run, walk, stand"),
    ({"segments": [{"kind": "run", "seconds": 5, "pace": 4}]}, "segments[0]: unknown fields pace"),
    ({"cue_compliance": {"steps": 3}}, "cue_compliance.p is missing"),
    ({"cue_compliance": {"p": 0.5, "steps": 2.5}}, "cue_compliance.steps must be an integer"),
    ({"sensors": {"preload_n": [1, 2, 3]}}, "sensors.preload_n needs 6 values"),
    ({"sensors": {"drift_n_per_min": "up"}}, "sensors.drift_n_per_min must be a number"),
    ({"sensors": {"dead": "heel"}}, "sensors.dead must be a list of channel names"),
    ({"sensors": {"extra_noise_counts": {"knee": 3}}}, "'knee' is not a channel"),
    ({"sensors": {"wet": True}}, "sensors: unknown fields wet"),
])
def test_scenario_fields_are_checked(raw: object, message: str) -> None:
    with pytest.raises(ScenarioError) as e:
        validate_scenario(raw, "my.json")
    assert str(e.value).startswith("my.json: ") and message in str(e.value)


def test_every_shipped_scenario_is_documented() -> None:
    readme = (Path(__file__).resolve().parents[1] / "simulator" / "scenarios" / "README.md").read_text()
    for key in [*FIELDS, *SENSOR_FIELDS]:
        assert f"`{key}`" in readme, key


def test_too_short_a_run_is_refused() -> None:
    with pytest.raises(ScenarioError, match="at least 1 s"):
        generate(load_scenario("rearfoot_easy"), seed=1, seconds=0.2)


def test_force_noise_at_every_load_and_wandering_preload() -> None:
    base = {"seconds": 30, "strike": "midfoot"}
    quiet = generate(validate_scenario(base, "q", "q"), seed=3)
    noisy = generate(validate_scenario({**base, "sensors": {"noise_n": 1.0, "preload_n": 3,
                                                              "preload_wander_n": 2}}, "n", "n"), seed=3)
    swing = quiet.forces.sum(axis=1) == 0  # unloaded: only noise and preload remain
    assert (quiet.counts[swing] < 60).all()  # ADC noise only
    spread = noisy.counts[swing].astype(float).std(axis=0)
    assert (spread > 50).all()  # 1 N at ~3 N preload moves the FSR reading a lot
