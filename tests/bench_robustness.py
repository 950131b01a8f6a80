"""Robustness grid: runs from the foreign signal model (tests/foreign_runner.py, written apart
from simulator/synth.py) and from the project's own generator under hard conditions (high
collapse / engagement prevalence from the first landing, noise in newtons at every load,
wandering preload, walking, run/walk intervals, a dead heel, 100 Hz), each through the real
firmware with the default config (cue_mode every), scored against the truth: step F1
counting walking steps, IC |error| p95, collapse and toe-engagement balanced accuracy over
the landings the firmware judged (and how many it judged), walking-bit accuracy; false
steps per minute on standing, leaning, squatting and lifting (over STILL_SEEDS), and on the
own model's standing-type activities (standing, squats, leans, weight shifts, lifting,
sitting down and up); walking from standstill (BOUT_SEEDS); the share
of landings judged in 10-minute runs (LONG: the first 30 running landings are never judged,
which weighs on a 2-minute run, not on a session); and false
collapses at 0% prevalence (every strike, both models, noise and preload; and own-model
dead heels, ZERO_DEAD): flags among the landings judged, and how many were judged; and the
arch share's noise per landing (SHARE_NOISE: the same landings re-measured under fresh sensor noise) against the
collapsed / normal difference, with the heel healthy and dead."""
from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

from firmware.core import config as fw_config
from firmware.core.channels import ARCH
from hardware.board_data import load_board
from host.sources.engine import run_firmware
from host.sources.recording import Recording, to_frames
from simulator import synth
from simulator.device import run_synth
from simulator.realdata import load_onsets
from simulator.scenario import validate_scenario
from simulator.scoring import Score, match_steps, score
from simulator.synth import STILL as STILL_KINDS
from simulator.synth import generate as own_generate
from tests.foreign_runner import CHANNELS, generate

CONFIG = {"cue_mode": "every"}
WINDOW_MS = fw_config.defaults()["landing_window_ms"]  # the firmware's landing window, as scored
PACE_WALK = [("run", 40, 150), ("run", 40, 190), ("walk", 30), ("run", 40, 170)]
# name: generate() arguments (seconds 120 unless given)
FOREIGN = {
    "rearfoot collapse 45%": dict(strike="rearfoot", collapse_prob=0.45),
    "rearfoot collapse 70%, toes 30%": dict(strike="rearfoot", collapse_prob=0.7, toe_prob=0.3),
    "midfoot collapse 10%": dict(strike="midfoot", collapse_prob=0.1, toe_prob=0.1),
    "forefoot toes 50% (habit)": dict(strike="forefoot", collapse_prob=0.3, toe_prob=0.5),
    "forefoot toes 70%, collapse 70%": dict(strike="forefoot", collapse_prob=0.7, toe_prob=0.7),
    "midfoot 3 N preload, 0.8 N noise": dict(strike="midfoot", collapse_prob=0.3, toe_prob=0.3,
                                               preload_n=3, noise_n=0.8),
    "pace 150-190 + walk, 2 N wandering, 1 N noise": dict(strike="rearfoot", collapse_prob=0.3, toe_prob=0.2,
                                                          preload_n=2, preload_wander_n=2, noise_n=1.0,
                                                          segments=PACE_WALK, seconds=150),
    "run 60 s / walk 30 s": dict(strike="midfoot", collapse_prob=0.4, toe_prob=0.2,
                                 segments=[("run", 60), ("walk", 30)], seconds=180),
    "100 Hz rearfoot, 2 N preload, 1 N noise": dict(strike="rearfoot", collapse_prob=0.45, toe_prob=0.3,
                                                    preload_n=2, noise_n=1.0, rate_hz=100),
    "dead heel, 2.5 N noise, 4 N preload": dict(strike="rearfoot", collapse_prob=0.3, toe_prob=0.2,
                                                dead=("heel",), noise_n=2.5, preload_n=4),
}
STILL = {"stand / lean / squat / lift, 1 N noise, 2 N preload":
         dict(segments=[("stand", 60), ("lean", 60), ("squat", 60), ("lift", 60)], seconds=240,
              noise_n=1.0, preload_n=2, preload_wander_n=1)}
# sessions are long: the share of landings judged once the first minutes are past
LONG = ("rearfoot collapse 45%", "midfoot 3 N preload, 0.8 N noise", "run 60 s / walk 30 s")
LONG_SECONDS = 600
STILL_SEEDS = tuple(range(1, 13))  # 48 minutes: a rate of one false step per 4 minutes needs a long exposure
STRIKES = ("rearfoot", "midfoot", "forefoot")
ZERO_SEEDS = (1, 2, 3, 4)
# 0% collapse prevalence (toes 30%, 0.8 N noise, 2 N preload): every collapse flag is false
ZERO_FOREIGN = dict(collapse_prob=0.0, toe_prob=0.3, noise_n=0.8, preload_n=2)
ZERO_OWN = dict(p_collapse=0.0, p_toe_engaged=0.3, sensors={"noise_n": 0.8, "preload_n": 2})
# own model, dead heel, no collapse: where windows opened early split falsely before the
# arch's 1.6x floor (landing._ARCH_GAP_PCT); name: (strike, scenario fields)
ZERO_DEAD = {"rearfoot, 0 N": ("rearfoot", dict(sensors={"dead": ["heel"]})),
             "rearfoot, toes 50%, 2 N noise, 4 N preload": ("rearfoot", dict(
                 p_toe_engaged=0.5, sensors={"dead": ["heel"], "noise_n": 2.0, "preload_n": 4})),
             "midfoot, 2.5 N noise, 2 N preload": ("midfoot", dict(
                 sensors={"dead": ["heel"], "noise_n": 2.5, "preload_n": 2}))}
ZERO_DEAD_SEEDS = tuple(range(1, 9))
# the project's own generator under the same kinds of trouble: scenario fields
OWN = {
    "rearfoot collapse 70%, toes 30%": dict(strike="rearfoot", p_collapse=0.7, p_toe_engaged=0.3),
    "midfoot collapse 45%, toes 50%": dict(strike="midfoot", p_collapse=0.45, p_toe_engaged=0.5),
    "forefoot toes 70%, 1 N noise, 3 N wandering": dict(strike="forefoot", p_collapse=0.3, p_toe_engaged=0.7,
                                                        sensors={"noise_n": 1.0, "preload_n": 3,
                                                                 "preload_wander_n": 2}),
    "run 60 s / walk 30 s, 0.8 N noise": dict(strike="rearfoot", p_collapse=0.4, p_toe_engaged=0.2,
                                             segments=[{"kind": "run", "seconds": 60}, {"kind": "walk", "seconds": 30},
                                                       {"kind": "run", "seconds": 60}, {"kind": "walk", "seconds": 30}],
                                             sensors={"noise_n": 0.8, "preload_n": 2}),
    "dead heel, 2.5 N noise, 4 N preload": dict(strike="rearfoot", p_collapse=0.3,
                                                sensors={"dead": ["heel"], "noise_n": 2.5, "preload_n": 4}),
}
# the arch share's noise: one own-model runner (rearfoot, 30% collapse, 4 N preload), its
# landings re-measured under NOISE_SEEDS' sensor noise
SHARE_NOISE = {f"heel {heel}, {noise} N noise": dict(strike="rearfoot", p_collapse=0.3, sensors={
    "noise_n": noise, "preload_n": 4, **({"dead": ["heel"]} if heel == "dead" else {})})
    for heel in ("healthy", "dead") for noise in (0.4, 2.5)}
NOISE_SEEDS = (101, 102, 103, 104, 105, 106)
SKIP_LANDINGS = 12  # the first landings: a dead channel is excluded after a few steps


# Walking from standstill: walks of 2.5-6 s (3-7 steps, 90-120 steps/min) between 3-12 s of
# standing, starting standing, each ending with a landing that stays down; 1 N noise, 2 N
# preload; on the own model a slow heel (its load builds up over 100 ms, quadratic).
# Contacts against the truth (60 ms to match) and against where each landing's load begins
# as a force plate sees it (realdata.load_onsets on the noise-free forces).
BOUT_SEEDS = (1, 2, 3, 4)
BOUT_RATES = (200, 100)
BOUT_SENSORS = {"noise_n": 1.0, "preload_n": 2.0}
WALK_LOADING_MS = 100
# standing-type activities on the own model, each 4 minutes after a 20 s walk
STILL_OWN_SEEDS = tuple(range(1, 7))
STILL_OWN_SECONDS = 240


def _truth(run) -> list[dict]:
    return [{"ic_ms": float(r["ic_ms"]), "to_ms": float(r["to_ms"]), "kind": "walk" if r["walking"] else "run",
             "collapse": int(r["collapse"]), "toe_engaged": int(r["toe_engaged"]), "stands": int(r["stands"])}
            for r in run.truth]


def _bout_plan(seed: int) -> list[tuple[str, float, float | None]]:
    """(kind, seconds, cadence) of the walking-from-standstill runs."""
    rng = np.random.default_rng(seed + 1000)
    plan: list[tuple[str, float, float | None]] = [("stand", float(rng.uniform(3, 12)), None)]
    while sum(p[1] for p in plan) < 120:
        plan += [("walk", float(rng.uniform(2.5, 6)), float(rng.uniform(90, 120))),
                 ("stand", float(rng.uniform(3, 12)), None)]
    return plan


def bouts(model: str, seed: int, rate: int) -> dict:
    """Walking from standstill through the firmware: F1 and IC p95 against the truth, IC
    abs p95 against the load onsets (all landings, and each walk's first)."""
    plan = _bout_plan(seed)
    seconds = sum(p[1] for p in plan)
    if model == "foreign":
        kw = dict(seconds=seconds, rate_hz=rate, segments=[p[:2] if p[2] is None else p for p in plan], seed=seed,
                  **BOUT_SENSORS)
        run, clean = generate(**kw), generate(**{**kw, "noise_n": 0.0})
        frames, _ = to_frames(Recording(run.t_ms.astype(float), run.forces, CHANNELS), "newton", rate, load_board())
        with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
            records = run_firmware(frames, rate, load_board(), CONFIG, Path(tmp)).records
        truth, t_ms, total = _truth(run), clean.t_ms.astype(float), clean.forces.sum(axis=1)
    else:
        segs = [{"kind": k, "seconds": s, **({"cadence_spm": c} if c else {})} for k, s, c in plan]
        scenario = validate_scenario({"segments": segs, "walk_loading_ms": WALK_LOADING_MS, "sensors": BOUT_SENSORS},
                                     "bouts", "bouts")
        run = own_generate(scenario, seed=seed, rate_hz=rate)
        with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
            result = run_synth(run, load_board(), CONFIG, Path(tmp))
        records, truth, t_ms, total = result.records, result.truth, run.t_ms.astype(float), run.forces.sum(axis=1)
    s = score(truth, records, [], seconds, WINDOW_MS)
    ref = load_onsets(t_ms, total)
    det = np.array([r["ic_ms"] for r in records], dtype=np.int64)
    pairs = match_steps(ref.astype(np.int64), det)
    err = np.array([det[d] - ref[i] for i, d in pairs])
    first = np.r_[True, np.diff(ref) > 2500]
    firsts = np.array([det[d] - ref[i] for i, d in pairs if first[i]])
    return {"f1": s.f1, "truth_p95": s.ic_err_p95_ms, "onset_p95": float(np.percentile(np.abs(err), 95)),
            "first_p95": float(np.percentile(np.abs(firsts), 95)), "landings": len(truth), "firsts": int(first.sum())}


def own_still(kind: str, seed: int) -> int:
    """False steps in STILL_OWN_SECONDS of a standing-type activity after a 20 s walk (own
    model, BOUT_SENSORS): detections that match no landing of the walk, its last included."""
    scenario = validate_scenario({"segments": [{"kind": "walk", "seconds": 20},
                                               {"kind": kind, "seconds": STILL_OWN_SECONDS}],
                                  "sensors": BOUT_SENSORS}, "still", "still")
    run = own_generate(scenario, seed=seed)
    with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
        result = run_synth(run, load_board(), CONFIG, Path(tmp))
    s = score(result.truth, result.records, [], run.seconds, WINDOW_MS)
    return s.detected - s.matched


def foreign(name: str, seed: int, still: bool = False) -> tuple[Score, float]:
    """(score, false steps per minute) of one foreign-model case at one seed."""
    kw = dict((STILL if still else FOREIGN)[name])
    s, _ = _foreign_run(kw, seed)
    return s, (s.detected - s.matched) / (kw.get("seconds", 120) / 60)


def _foreign_run(kw: dict, seed: int) -> tuple[Score, list[dict]]:
    """(score, step records) of a foreign-model run with generate() arguments kw."""
    kw = dict(kw)
    seconds = kw.pop("seconds", 120)
    rate = int(kw.get("rate_hz", 200))
    run = generate(seconds=seconds, seed=seed, **kw)
    board = load_board()
    frames, _ = to_frames(Recording(run.t_ms.astype(float), run.forces, CHANNELS), "newton", rate, board)
    with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
        result = run_firmware(frames, rate, board, CONFIG, Path(tmp))
    t0 = float(run.t_ms[0])
    for r in result.records:
        r["ic_ms"] += t0
        r["to_ms"] += t0
    return score(_truth(run), result.records, result.haptics, seconds, WINDOW_MS), result.records


def _own_run(fields: dict, seed: int) -> tuple[Score, list[dict]]:
    scenario = validate_scenario({"seconds": 150, **fields}, "robustness", "robustness")
    run = own_generate(scenario, seed=seed)
    with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
        result = run_synth(run, load_board(), CONFIG, Path(tmp))
    return score(result.truth, result.records, result.haptics, run.seconds, WINDOW_MS), result.records


def _remeasured_shares(name: str, seed: int, noise_seed: int) -> dict[int, tuple[float, int]]:
    """truth landing index -> (log2 arch share, collapsed) of the running landings of a
    SHARE_NOISE runner whose forces are measured under the sensor noise of noise_seed."""
    scenario = validate_scenario({"seconds": 150, **SHARE_NOISE[name]}, "robustness", "robustness")
    run = own_generate(scenario, seed=seed)
    board = load_board()
    forces = run.forces.astype(float)
    counts, _ = synth._to_counts(np.stack([forces, forces]), scenario, board, run.rate_hz,
                                 np.random.default_rng(noise_seed))
    with tempfile.TemporaryDirectory(prefix="archcue-robust-") as tmp:
        records = run_firmware(counts, run.rate_hz, board, CONFIG, Path(tmp)).records
    ic = np.array([t["ic_ms"] for t in run.truth], float)
    out = {}
    for r in records[SKIP_LANDINGS:]:
        j = int(np.argmin(np.abs(ic - r["ic_ms"])))
        if abs(ic[j] - r["ic_ms"]) <= WINDOW_MS and run.truth[j]["kind"] == "run" and r["arch_share"]:
            out[j] = (float(np.log2(r["arch_share"] / 1e4)), int(run.truth[j]["collapse"]))
    return out


def share_noise(measured: list[dict[int, tuple[float, int]]]) -> dict[str, float]:
    """In octaves: the collapsed minus normal mean arch share (gap), the SD of a landing's
    share over the re-measurements (noise), the pooled within-class SD of one measurement
    (spread: noise and the runner's own variation), and gap / spread."""
    common = sorted(set.intersection(*(set(m) for m in measured)))
    shares = np.array([[m[j][0] for m in measured] for j in common])
    collapsed = np.array([measured[0][j][1] for j in common]) == 1
    mean = shares.mean(axis=1)
    one = shares[:, 0]
    gap = mean[collapsed].mean() - mean[~collapsed].mean()
    spread = np.sqrt((one[collapsed].var() * collapsed.sum() + one[~collapsed].var() * (~collapsed).sum()) / len(one))
    noise = np.sqrt(np.mean(shares.var(axis=1, ddof=1)))
    return {"gap": gap, "noise": noise, "spread": spread, "sds": gap / spread, "landings": len(common)}


def long_run(name: str, seed: int) -> Score:
    """A foreign-model case run for LONG_SECONDS."""
    return _foreign_run({**FOREIGN[name], "seconds": LONG_SECONDS}, seed)[0]


def own(name: str, seed: int) -> Score:
    return _own_run(OWN[name], seed)[0]


def false_collapses(model: str, strike: str, seed: int, **fields) -> tuple[int, int, int]:
    """(collapse flags, landings judged for collapse, running landings) of a run with no
    collapse at all: every flag is false. Judged as host.verdict.analysis.judged counts them.
    fields: more generate() arguments (foreign) or scenario fields (own)."""
    if model == "foreign":
        _, records = _foreign_run({**ZERO_FOREIGN, "strike": strike, **fields}, seed)
    else:
        _, records = _own_run({**ZERO_OWN, "strike": strike, **fields}, seed)
    running = [r for r in records if r["calibrated"] and not r["walking"]]
    judged = [r for r in running if not r["arch_uncertain"] and not (r["faults"] >> ARCH) & 1]
    return sum(r["collapse"] for r in judged), len(judged), len([r for r in records if not r["walking"]])


def _worst(scores: list[Score]) -> dict:
    d = [asdict(s) for s in scores]
    low = {k: float(np.nanmin([x[k] for x in d])) for k in ("f1", "collapse_bacc", "toe_bacc", "walk_bacc",
                                                            "arch_coverage", "toe_coverage")}
    low["ic_err_p95_ms"] = float(np.nanmax([x["ic_err_p95_ms"] for x in d]))
    return low


def _row(model: str, name: str, w: dict, seeds: tuple[int, ...]) -> tuple[str, str, str]:
    value = (f"F1 {w['f1']:.3f}, IC p95 {w['ic_err_p95_ms']:.0f} ms, collapse {w['collapse_bacc']:.2f} "
             f"({w['arch_coverage']:.0%} judged), toes {w['toe_bacc']:.2f} ({w['toe_coverage']:.0%} judged), "
             f"walk {w['walk_bacc']:.2f}")
    return (f"{model}: {name}", value, f"worst of seeds {', '.join(map(str, seeds))}")


def robustness(seeds: tuple[int, ...] = (1, 2, 3)) -> list[tuple[str, str, str]]:
    rows = []
    with ProcessPoolExecutor(max_workers=2) as pool:
        fut_f = {(n, s): pool.submit(foreign, n, s) for n in FOREIGN for s in seeds}
        fut_s = {(n, s): pool.submit(foreign, n, s, True) for n in STILL for s in STILL_SEEDS}
        fut_o = {(n, s): pool.submit(own, n, s) for n in OWN for s in seeds}
        fut_z = {(m, k, s): pool.submit(false_collapses, m, k, s) for m in ("foreign", "own") for k in STRIKES
                 for s in ZERO_SEEDS}
        fut_d = {(n, s): pool.submit(false_collapses, "own", ZERO_DEAD[n][0], s, **ZERO_DEAD[n][1])
                 for n in ZERO_DEAD for s in ZERO_DEAD_SEEDS}
        fut_l = {(n, s): pool.submit(long_run, n, s) for n in LONG for s in seeds[:2]}
        fut_n = {(n, k): pool.submit(_remeasured_shares, n, seeds[0], k) for n in SHARE_NOISE for k in NOISE_SEEDS}
        fut_b = {(m, r, s): pool.submit(bouts, m, s, r) for m in ("own", "foreign") for r in BOUT_RATES
                 for s in BOUT_SEEDS}
        fut_k = {(k, s): pool.submit(own_still, k, s) for k in STILL_KINDS for s in STILL_OWN_SEEDS}
        for n in FOREIGN:
            rows.append(_row("foreign", n, _worst([fut_f[n, s].result()[0] for s in seeds]), seeds))
        for n in STILL:
            per_min = [fut_s[n, s].result()[1] for s in STILL_SEEDS]
            each = STILL[n]["seconds"] / 60
            rows.append((f"foreign: {n}", f"{sum(per_min) * each:.0f} false steps in {len(per_min) * each:.0f} min "
                         f"({sum(per_min) / len(per_min):.3f} / min; worst seed {max(per_min):.2f} / min)",
                         f"seeds {STILL_SEEDS[0]}-{STILL_SEEDS[-1]}"))
        for k in STILL_KINDS:
            false = sum(fut_k[k, s].result() for s in STILL_OWN_SEEDS)
            minutes = len(STILL_OWN_SEEDS) * STILL_OWN_SECONDS / 60
            rows.append((f"own: {k}, 1 N noise, 2 N preload, after a walk",
                         f"{false} false steps in {minutes:.0f} min ({false / minutes:.2f} / min)",
                         f"seeds {STILL_OWN_SEEDS[0]}-{STILL_OWN_SEEDS[-1]}"))
        for m in ("own", "foreign"):
            for r in BOUT_RATES:
                got = [fut_b[m, r, s].result() for s in BOUT_SEEDS]
                heel = f", heel loading {WALK_LOADING_MS} ms" if m == "own" else ""
                rows.append((f"{m}: walking from standstill, {r} Hz{heel}, 1 N noise, 2 N preload",
                             f"F1 {min(g['f1'] for g in got):.3f} ({sum(g['landings'] for g in got)} landings), "
                             f"IC abs p95 {max(g['onset_p95'] for g in got):.0f} ms against the load onset "
                             f"(each walk's first landing {max(g['first_p95'] for g in got):.0f} ms), "
                             f"{max(g['truth_p95'] for g in got):.0f} ms against the truth",
                             f"worst of seeds {BOUT_SEEDS[0]}-{BOUT_SEEDS[-1]}"))
        for n in LONG:
            rows.append(_row(f"foreign {LONG_SECONDS // 60} min", n, _worst([fut_l[n, s].result() for s in seeds[:2]]),
                             seeds[:2]))
        for n in OWN:
            rows.append(_row("own", n, _worst([fut_o[n, s].result() for s in seeds]), seeds))
        for m in ("foreign", "own"):
            got = [fut_z[m, k, s].result() for k in STRIKES for s in ZERO_SEEDS]
            flagged, judged, running = (sum(x[i] for x in got) for i in range(3))
            rows.append((f"{m}: 0% collapse (toes 30%, 0.8 N noise, 2 N preload)",
                         f"{flagged} false collapses of {judged} landings judged ({judged / running:.0%} of {running})",
                         f"strikes {', '.join(STRIKES)} x seeds {ZERO_SEEDS[0]}-{ZERO_SEEDS[-1]}"))
        for n in ZERO_DEAD:
            got = [fut_d[n, s].result() for s in ZERO_DEAD_SEEDS]
            rows.append((f"own: 0% collapse, dead heel, {n}",
                         f"{sum(x[0] for x in got)} false collapses of {sum(x[1] for x in got)} landings judged "
                         f"({sum(1 for x in got if x[0])} runs with any)",
                         f"seeds {ZERO_DEAD_SEEDS[0]}-{ZERO_DEAD_SEEDS[-1]}"))
        for n in SHARE_NOISE:
            m = share_noise([fut_n[n, k].result() for k in NOISE_SEEDS])
            rows.append((f"own: arch share, {n}",
                         f"collapse gap {m['gap']:.2f} octave, per-landing noise SD {m['noise']:.2f}, "
                         f"within-class SD {m['spread']:.2f}: {m['sds']:.1f} SDs ({m['landings']} landings)",
                         f"seed {seeds[0]}, re-measured under noise seeds {NOISE_SEEDS[0]}-{NOISE_SEEDS[-1]}"))
    return rows


if __name__ == "__main__":
    for row in robustness():
        print(" | ".join(row))
