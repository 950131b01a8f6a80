"""The independent runner model (tests/foreign_runner.py) is what it says it is."""
import numpy as np
import pytest

from tests.foreign_runner import CHANNELS, Protocol, generate


def _window_share(run, num, den, ms=60):
    """Mean regional share over the first `ms` of each running stance, from the raw forces."""
    out = []
    for row in run.truth[~run.truth["walking"]]:
        w = (run.t_ms >= row["ic_ms"]) & (run.t_ms < row["ic_ms"] + ms)
        f = run.forces[w].sum(axis=0)
        out.append(f[list(num)].sum() / max(f[list(den)].sum(), 1e-9))
    return np.array(out)


def test_steps_fit_the_run_and_stances_are_plausible():
    run = generate(seconds=60, seed=1)
    stance = run.truth["to_ms"] - run.truth["ic_ms"]
    assert 80 <= len(run.truth) <= 90  # 170 spm, one foot
    assert (stance > 180).all() and (stance < 400).all()
    assert (np.diff(run.truth["ic_ms"]) > stance[:-1]).all()  # a swing between stances
    assert run.truth["ic_ms"].max() < 60000


def test_collapse_and_engagement_move_the_regional_shares():
    run = generate(seconds=120, collapse_prob=0.5, toe_prob=0.5, noise_n=0, seed=2)
    truth = run.truth[~run.truth["walking"]]
    arch = _window_share(run, [1], [0, 1, 2, 3])
    toes = _window_share(run, [4, 5], range(6))
    assert arch[truth["collapse"]].min() > arch[~truth["collapse"]].max()
    assert toes[truth["toe_engaged"]].min() > toes[~truth["toe_engaged"]].max()


def test_non_step_activities_make_no_steps_but_load_the_foot():
    run = generate(seconds=40, segments=[("stand", 10), ("lean", 10), ("squat", 10), ("lift", 10)])
    assert len(run.truth) == 0
    assert run.forces.sum(axis=1).min() > 5


def test_walking_steps_are_longer_and_marked():
    run = generate(seconds=60, segments=[("walk", 60)], seed=3)
    stance = run.truth["to_ms"] - run.truth["ic_ms"]
    assert run.truth["walking"].all() and (stance > 550).all()


def test_protocol_blocks_follow_the_firmware_layout_and_its_probabilities():
    proto = Protocol(warmup_s=60, block_s=60, toe_prob_on=0.9, toe_prob_off=0.0)
    run = generate(seconds=300, protocol=proto, seed=4)
    on = run.truth["cue_on"]
    assert not on[run.truth["ic_ms"] < 120000].any()  # warm-up, then an off block
    assert on[(run.truth["ic_ms"] > 120000) & (run.truth["ic_ms"] < 180000)].all()
    assert run.truth["toe_engaged"][on].mean() > 0.75
    assert not run.truth["toe_engaged"][~on].any()


def test_noise_preload_dead_channels_and_rate():
    quiet = generate(seconds=20, noise_n=0, seed=5)
    run = generate(seconds=20, rate_hz=100, noise_n=1.0, preload_n=3, dead=("heel",), seed=5)
    assert np.diff(run.t_ms).tolist() == [10] * (len(run.t_ms) - 1)
    assert (run.forces[:, CHANNELS.index("heel")] == 0).all()
    swing = quiet.forces[::2].sum(axis=1) == 0  # same seed, same steps: swing samples
    assert 2.0 < run.forces[swing, 1].mean() < 4.5


def test_csv_is_the_replay_format(tmp_path):
    path = tmp_path / "run.csv"
    generate(seconds=2).write_csv(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "t_ms," + ",".join(CHANNELS)
    assert len(lines) == 401


def test_unknown_segment_kind_is_refused():
    with pytest.raises(ValueError, match="jog"):
        generate(seconds=10, segments=[("jog", 10)])
