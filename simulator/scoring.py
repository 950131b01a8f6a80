"""Scoring detected steps against the synthetic runner's ground truth, and the scenarios
run through the firmware and scored (python -m simulator score, tests, bench)."""
from __future__ import annotations

import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from firmware.core import config as fw_config
from hardware.board_data import load_board
from simulator.device import run_synth
from simulator.flashstall import StallEffect, stall_effect
from simulator.scenario import load_scenario
from simulator.synth import generate

MATCH_TOLERANCE_MS = 60  # a detection within this of a true contact is that step
# scenarios whose faults hide what the firmware is asked to see (a dead heel hides a heel
# striker's contact); they are held to "no false cues", not to every bar
SENSOR_TROUBLE = {"dead_heel", "shorted_toes", "intermittent_met5", "noise_spikes"}
COLUMNS = (("F1", "f1", "{:.3f}"), ("IC med", "ic_err_median_ms", "{:.0f}"), ("IC p95", "ic_err_p95_ms", "{:.0f}"),
           ("TO med", "to_err_median_ms", "{:.0f}"), ("TO p95", "to_err_p95_ms", "{:.0f}"),
           ("collapse bacc", "collapse_bacc", "{:.3f}"), ("toe bacc", "toe_bacc", "{:.3f}"),
           ("arch judged", "arch_coverage", "{:.0%}"), ("toes judged", "toe_coverage", "{:.0%}"),
           ("walk bacc", "walk_bacc", "{:.3f}"),
           ("cue-IC p95", "cue_after_ic_p95_ms", "{:.0f}"), ("cue-decision max", "cue_after_decision_max_ms", "{:.0f}"),
           ("cues/min", "cues_per_min", "{:.1f}"), ("steps", "true_steps", "{}"))


@dataclass
class Score:
    true_steps: int
    detected: int
    matched: int
    precision: float
    recall: float
    f1: float
    ic_err_median_ms: float
    ic_err_p95_ms: float
    to_err_median_ms: float
    to_err_p95_ms: float
    collapse_bacc: float  # over the running landings judged (calibrated, running, not uncertain)
    toe_bacc: float
    judged: int  # matched running landings with a calibrated, certain collapse judgment
    arch_coverage: float  # judged / matched running landings: the share not left uncertain
    toe_coverage: float
    walk_bacc: float  # the walking bit against the truth (NaN without walking or running steps)
    cues: int
    cues_per_min: float
    cue_after_ic_p95_ms: float  # haptic call minus true contact
    cue_after_decision_max_ms: float  # haptic call minus the end of the detected landing window


def match_steps(true_ic: np.ndarray, det_ic: np.ndarray, tol: int = MATCH_TOLERANCE_MS) -> list[tuple[int, int]]:
    """One-to-one pairs (true index, detected index), nearest first, within tol ms."""
    if len(true_ic) == 0 or len(det_ic) == 0:
        return []
    j = np.searchsorted(det_ic, true_ic)
    cand: list[tuple[int, int, int]] = []
    for i, k in enumerate(j):
        for d in (k - 1, k):
            if 0 <= d < len(det_ic) and abs(int(det_ic[d]) - int(true_ic[i])) <= tol:
                cand.append((abs(int(det_ic[d]) - int(true_ic[i])), i, d))
    pairs, used_t, used_d = [], set(), set()
    for _, i, d in sorted(cand):
        if i not in used_t and d not in used_d:
            pairs.append((i, d))
            used_t.add(i)
            used_d.add(d)
    return sorted(pairs)


def balanced_accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    """Mean of sensitivity and specificity; NaN when a class is absent."""
    truth = truth.astype(bool)
    pred = pred.astype(bool)
    if truth.all() or not truth.any():
        return float("nan")
    sens = (pred & truth).sum() / truth.sum()
    spec = (~pred & ~truth).sum() / (~truth).sum()
    return float((sens + spec) / 2)


def _p(values: list[int] | np.ndarray, q: float) -> float:
    return float(np.percentile(np.abs(values), q)) if len(values) else float("nan")


def score(truth: list[dict], records: list[dict], haptics: list[tuple[int, int]],
          duration_s: float, window_ms: int) -> Score:
    """truth: the runner's steps (ic_ms, to_ms, kind run/walk, collapse, toe_engaged; stands:
    a walk's last landing, the foot staying down); every step counts, walking ones too;
    records: decoded step records; haptics: (t_ms, pulse_ms) calls the firmware made.
    Collapse / toe accuracy is over running landings the firmware judged (calibrated, not
    marked walking or uncertain); coverage says how many that was."""
    t_ic = np.array([t["ic_ms"] for t in truth], dtype=np.int64)
    d_ic = np.array([r["ic_ms"] for r in records], dtype=np.int64)
    pairs = match_steps(t_ic, d_ic)
    tp = len(pairs)
    precision = tp / len(records) if records else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    ic_err = [records[d]["ic_ms"] - truth[i]["ic_ms"] for i, d in pairs]
    # a walk's last landing (truth `stands`) has no toe-off: the foot stays down
    to_err = [records[d]["to_ms"] - truth[i]["to_ms"] for i, d in pairs if not truth[i].get("stands")]
    running = [(i, d) for i, d in pairs if truth[i]["kind"] == "run"]
    calibrated = [(i, d) for i, d in running if records[d]["calibrated"] and not records[d].get("walking", 0)]
    flags, coverage = {}, {}
    for name, unsure in (("collapse", "arch_uncertain"), ("toe_engaged", "toe_uncertain")):
        judged = [(i, d) for i, d in calibrated if not records[d].get(unsure, 0)]
        flags[name] = (np.array([truth[i][name] for i, _ in judged]), np.array([records[d][name] for _, d in judged]))
        coverage[name] = len(judged) / len(running) if running else float("nan")
    walk_truth = np.array([truth[i]["kind"] == "walk" for i, _ in pairs])
    walk_pred = np.array([records[d].get("walking", 0) for _, d in pairs])
    after_ic, after_decision = [], []
    for t_cue, _ in haptics:
        k = np.searchsorted(t_ic, t_cue, side="right") - 1
        if k >= 0:
            after_ic.append(t_cue - int(t_ic[k]))
        k = np.searchsorted(d_ic, t_cue, side="right") - 1  # the landing the firmware judged
        # (a run that ends mid-stance leaves that landing without a record: nothing to compare)
        if k >= 0 and t_cue <= records[-1]["to_ms"]:
            after_decision.append(t_cue - int(d_ic[k]) - window_ms)
    return Score(
        true_steps=len(truth),
        detected=len(records),
        matched=tp,
        precision=precision,
        recall=recall,
        f1=f1,
        ic_err_median_ms=float(np.median(np.abs(ic_err))) if ic_err else float("nan"),
        ic_err_p95_ms=_p(ic_err, 95),
        to_err_median_ms=float(np.median(np.abs(to_err))) if to_err else float("nan"),
        to_err_p95_ms=_p(to_err, 95),
        collapse_bacc=balanced_accuracy(*flags["collapse"]),
        toe_bacc=balanced_accuracy(*flags["toe_engaged"]),
        judged=len(flags["collapse"][0]),
        arch_coverage=coverage["collapse"],
        toe_coverage=coverage["toe_engaged"],
        walk_bacc=balanced_accuracy(walk_truth, walk_pred),
        cues=len(haptics),
        cues_per_min=len(haptics) / (duration_s / 60) if duration_s else 0.0,
        cue_after_ic_p95_ms=_p(after_ic, 95),
        cue_after_decision_max_ms=float(max(after_decision)) if after_decision else float("nan"),
    )


def score_scenario(name: str, seed: int = 1, seconds: float | None = None, flash_stall: str = "off") -> Score:
    return score_with_stalls(name, seed, seconds, flash_stall)[0]


def score_with_stalls(name: str, seed: int = 1, seconds: float | None = None,
                      flash_stall: str = "off") -> tuple[Score, StallEffect]:
    run_ = generate(load_scenario(name), seed=seed, seconds=seconds)
    cfg = {"cue_mode": "every"}
    with tempfile.TemporaryDirectory(prefix="archcue-score-") as tmp:
        result = run_synth(run_, load_board(), cfg, Path(tmp), None if flash_stall == "off" else flash_stall)
    window = fw_config.defaults()["landing_window_ms"]
    effect = stall_effect(result.stalls, result.truth, run_.rate_hz, len(run_.counts), window)
    return score(result.truth, result.records, result.haptics, run_.seconds, window), effect


def table(results: dict[str, Score]) -> str:
    lines = ["| scenario | " + " | ".join(c[0] for c in COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for name, s in results.items():
        d = asdict(s)
        mark = " (sensor trouble)" if name in SENSOR_TROUBLE else ""
        lines.append(f"| {name}{mark} | " + " | ".join(fmt.format(d[key]) for _, key, fmt in COLUMNS) + " |")
    return "\n".join(lines)


def score_all(names: list[str], seed: int, seconds: float | None, jobs: int, flash_stall: str = "off",
              effects: dict[str, StallEffect] | None = None) -> dict[str, Score]:
    """Scores per scenario; with the flash-stall model, each one's StallEffect into effects."""
    results: dict[str, Score] = {}
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {name: pool.submit(score_with_stalls, name, seed, seconds, flash_stall) for name in names}
        for i, (name, fut) in enumerate(futures.items(), 1):
            results[name], effect = fut.result()
            if effects is not None:
                effects[name] = effect
            print(f"[{i}/{len(names)}] {name} scored ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return results
