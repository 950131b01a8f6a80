# Pipeline behaviour on the tiny integer runner: steps, flags, cues, faults, and the
# allocation-free per-frame path (heap_lock under MicroPython).
from array import array

import fwsynth
from core import record
from core.channels import ARCH, COUNT, HEEL, MET5
from core.pipeline import Pipeline

try:
    import micropython
except ImportError:  # CPython: same logic, no heap to lock
    micropython = None


def run(frames, cfg, last=None):
    """Feed frames like the app does (draining records as they come); returns the
    pipeline, the cues [(t_ms, pulse_ms)] and the decoded step records."""
    pipe = Pipeline(cfg, fwsynth.IDENTITY_LUT)
    frame = array("H", [0] * COUNT)
    buf = bytearray(record.SIZE)
    pulses = []
    steps = []
    n = len(frames) // COUNT if last is None else last
    period = 1000 // fwsynth.RATE
    for i in range(n):
        fwsynth.frame_at(frames, i, frame)
        p = pipe.process(frame, i * period)
        if p:
            pulses.append((i * period, p))
        if pipe.pop_record(buf):
            steps.append(record.as_dict(record.unpack(buf)))
    return pipe, pulses, steps


def test_every_step_detected_with_contact_timing():
    frames, truth = fwsynth.generate(60)
    pipe, _, steps = run(frames, fwsynth.config())
    assert len(steps) == len(truth), (len(steps), len(truth))
    for s, t in zip(steps, truth):
        assert abs(s["ic_ms"] - t[0]) <= 10, (s["ic_ms"], t[0])
        assert abs(s["to_ms"] - t[1]) <= 15, (s["to_ms"], t[1])


def test_collapse_and_toe_flags_after_calibration():
    frames, truth = fwsynth.generate(90, collapse_every=3, toes_every=5)
    pipe, _, steps = run(frames, fwsynth.config(cue_mode="every", calib_steps=30))
    assert len(steps) == len(truth)
    for s, t in zip(steps[30:], truth[30:]):
        assert s["calibrated"] == 1
        assert s["collapse"] == t[2], (s, t)
        assert s["toe_engaged"] == t[3], (s, t)


def test_cues_only_for_collapse_without_toes_and_rate_limited():
    frames, truth = fwsynth.generate(120, collapse_every=3, toes_every=4)
    pipe, pulses, steps = run(frames, fwsynth.config(cue_mode="every", cue_every_steps=4))
    cued = [s for s in steps if s["cued"]]
    assert len(cued) == len(pulses) and len(cued) > 5
    last = -10
    for i, s in enumerate(steps):
        if s["cued"]:
            assert s["collapse"] and not s["toe_engaged"]
            assert i - last >= 4
            last = i


def test_cue_lands_within_80ms_of_contact():
    frames, truth = fwsynth.generate(80, collapse_every=4)
    pipe, pulses, _ = run(frames, fwsynth.config(cue_mode="every", cue_every_steps=1))
    assert pulses
    for t_cue, pulse in pulses:
        ic = max(t[0] for t in truth if t[0] <= t_cue)
        assert 0 <= t_cue - ic <= 80, (t_cue, ic)
        assert 100 <= pulse <= 200


def test_forefoot_strike_without_heel():
    frames, truth = fwsynth.generate(50, heel=False)
    _, _, steps = run(frames, fwsynth.config())
    assert len(steps) == len(truth)


def test_standing_is_not_a_step():
    frames = array("H", [900] * (COUNT * 200 * 10))  # 10 s of steady load
    _, pulses, steps = run(frames, fwsynth.config())
    assert steps == [] and pulses == []


def test_single_frame_spikes_are_not_steps():
    frames, truth = fwsynth.generate(40)
    for i in range(100, len(frames) // COUNT, 37):  # spikes everywhere, stance or swing
        frames[i * COUNT + (i % COUNT)] = 4095
    _, _, steps = run(frames, fwsynth.config())
    assert len(steps) == len(truth)


def test_dead_heel_is_flagged_and_steps_continue():
    frames, truth = fwsynth.generate(50)
    for i in range(len(frames) // COUNT):
        frames[i * COUNT + HEEL] = 0
    pipe, _, steps = run(frames, fwsynth.config())
    assert len(steps) == len(truth)
    assert steps[-1]["faults"] == 1 and steps[-1]["sensor_fault"]
    assert pipe.health.kind[0] == 1  # OPEN


def test_shorted_arch_is_flagged_and_never_cues():
    frames, truth = fwsynth.generate(80)
    for i in range(len(frames) // COUNT):
        frames[i * COUNT + ARCH] = 4095
    pipe, pulses, steps = run(frames, fwsynth.config(cue_mode="every"))
    assert len(steps) == len(truth)
    assert steps[-1]["faults"] == 2 and pipe.health.kind[1] == 2  # SHORTED
    assert pulses == [] and not any(s["collapse"] for s in steps)


def _locked_steady_state(frames):
    """Run the second half of frames under heap_lock; returns (pipeline, cues, records)."""
    cfg = fwsynth.config(cue_mode="every", cue_every_steps=1, calib_steps=20)
    n = len(frames) // COUNT
    warm = n // 2  # calibration done, thresholds adapted: steady state
    pipe, _, _ = run(frames, cfg, last=warm)
    frame = array("H", [0] * COUNT)
    buf = bytearray(record.SIZE)
    pulses = 0
    popped = 0
    if micropython:
        micropython.heap_lock()
    try:
        for i in range(warm, n):
            for c in range(COUNT):
                frame[c] = frames[i * COUNT + c]
            if pipe.process(frame, i * 5):
                pulses += 1
            if pipe.pop_record(buf):
                popped += 1
    finally:
        if micropython:
            micropython.heap_unlock()
    return pipe, pulses, popped


def test_per_frame_path_allocates_nothing():
    frames, truth = fwsynth.generate(100, collapse_every=4, toes_every=5)
    _, pulses, popped = _locked_steady_state(frames)
    assert pulses > 5 and popped > 40, (pulses, popped)  # cues and records happened locked


def test_per_frame_path_allocates_nothing_with_a_channel_excluded():
    # an excluded channel keeps a frame history and places the landing window on it
    frames, truth = fwsynth.generate(100, collapse_every=4, toes_every=5)
    for i in range(len(frames) // COUNT):
        frames[i * COUNT + HEEL] = 0
    pipe, _, popped = _locked_steady_state(frames)
    assert pipe.health.mask == 1 << HEEL and popped > 40, (pipe.health.mask, popped)


def test_intermittent_lead_is_marked_noisy_but_kept():
    frames, truth = fwsynth.generate(60)
    for t in truth:  # met5 drops out twice in every stance
        for at in (t[0] + 100, t[0] + 160):
            i = at // 5
            frames[i * COUNT + MET5] = 0
            frames[(i + 1) * COUNT + MET5] = 0
    pipe, _, steps = run(frames, fwsynth.config())
    assert len(steps) == len(truth)
    assert pipe.health.kind[3] == 3 and pipe.health.noisy == 1 << 3  # NOISY: marked ...
    assert steps[-1]["faults"] == 0 and steps[-1]["sensor_fault"]  # ... and still in the sums


def test_every_channel_excluded_keeps_detecting():
    frames, truth = fwsynth.generate(12, collapse_every=2)
    pipe = Pipeline(fwsynth.config(cue_mode="every", calib_steps=10), fwsynth.IDENTITY_LUT)
    pipe.health.mask = 0x3F  # every channel judged faulty (injected: a false verdict on all)
    pipe.health.end_step = lambda: False  # ... that sticks for this run
    frame = array("H", [0] * COUNT)
    buf = bytearray(record.SIZE)
    steps = []
    cued = 0
    for i in range(len(frames) // COUNT):
        fwsynth.frame_at(frames, i, frame)
        cued += pipe.process(frame, i * 5)
        if pipe.pop_record(buf):
            steps.append(record.as_dict(record.unpack(buf)))
    assert pipe.health.mask == 0x3F
    assert len(steps) == len(truth)  # the steps go on, summed over all channels
    assert cued == 0 and all(s["arch_uncertain"] and s["faults"] == 0x3F for s in steps)  # no cue, no judgment


def test_high_collapse_prevalence_from_the_first_step():
    frames, truth = fwsynth.generate(90, collapse_every=3, collapse_most=True)  # 2 of 3 collapse
    pipe, _, steps = run(frames, fwsynth.config(cue_mode="every", calib_steps=30))
    judged = [(s, t) for s, t in zip(steps, truth) if s["calibrated"] and not s["arch_uncertain"]]
    assert len(judged) >= 55
    assert all(s["collapse"] == t[2] for s, t in judged)
    assert sum(t[2] for t in truth) >= 55


def test_one_cluster_is_uncertain_not_guessed():
    frames, truth = fwsynth.generate(60, collapse_every=1)  # every landing alike
    pipe, pulses, steps = run(frames, fwsynth.config(cue_mode="every", calib_steps=20))
    late = steps[25:]
    assert late and all(s["arch_uncertain"] and not s["collapse"] for s in late)
    assert all(not s["toe_uncertain"] and not s["toe_engaged"] for s in late)  # relaxed toes: physical floor
    assert pulses == []


def test_walking_steps_are_marked_and_never_cued():
    frames, truth = fwsynth.generate(40, collapse_every=3, stance_ms=700, cycle_ms=1100)
    pipe, pulses, steps = run(frames, fwsynth.config(cue_mode="every", calib_steps=10))
    assert len(steps) == len(truth)
    assert all(s["walking"] and not s["collapse"] for s in steps) and pulses == []


def test_dropped_frames_flag_the_step():
    frames, truth = fwsynth.generate(5)
    pipe = Pipeline(fwsynth.config(), fwsynth.IDENTITY_LUT)
    frame = array("H", [0] * COUNT)
    buf = bytearray(record.SIZE)
    flagged = []
    for i in range(len(frames) // COUNT):
        fwsynth.frame_at(frames, i, frame)
        pipe.process(frame, i * 5)
        if i * 5 == truth[2][0] + 50:
            pipe.mark_dropped(3)
        if pipe.pop_record(buf):
            flagged.append(record.as_dict(record.unpack(buf))["dropped"])
    assert flagged == [0, 0, 1, 0, 0] and pipe.dropped == 3


def test_full_ring_keeps_the_older_records_and_counts_the_rest():
    frames, truth = fwsynth.generate(20)
    pipe = Pipeline(fwsynth.config(), fwsynth.IDENTITY_LUT, ring_records=4)
    frame = array("H", [0] * COUNT)
    n = len(frames) // COUNT
    if micropython:
        micropython.heap_lock()  # a full ring allocates nothing either
    try:
        for i in range(n):  # nobody drains
            fwsynth.frame_at(frames, i, frame)
            pipe.process(frame, i * (1000 // fwsynth.RATE))
    finally:
        if micropython:
            micropython.heap_unlock()
    assert pipe.records.lost == len(truth) - 4, (pipe.records.lost, len(truth))
    buf = bytearray(record.SIZE)
    kept = []
    while pipe.pop_record(buf):
        kept.append(record.as_dict(record.unpack(buf))["ic_ms"])
    assert len(kept) == 4
    for s, t in zip(kept, truth):  # the first four steps, in order
        assert abs(s - t[0]) <= 10, (s, t[0])


def test_gait_state_read_in_viper_stays_non_negative():
    # gait.step() is viper: on a 64-bit port its 32-bit loads are zero-extended, so a
    # negative value would read as ~2**32 there and the detector would part from CPython
    frames, _ = fwsynth.generate(40, collapse_every=3, toes_every=4)
    pipe = Pipeline(fwsynth.config(), fwsynth.IDENTITY_LUT)
    frame = array("H", [0] * COUNT)
    lowest = 0
    for i in range(len(frames) // COUNT):
        fwsynth.frame_at(frames, i, frame)
        pipe.process(frame, i * 5)
        for v in pipe.gait.s:
            if v < lowest:
                lowest = v
    assert lowest == 0 and pipe.steps > 30, (lowest, pipe.steps)
