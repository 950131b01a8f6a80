"""The training program's bars (issue 24) on program runners through the firmware: the retention
verdict for learners (`kept`), non-learners (never `kept`) and buzz-only responders (never
`kept`), the retention interval's coverage of the true effect, and the buzz-only finding; and
the cue's latency from initial contact to motor on.

Each runner: a 30-minute block-protocol baseline run (20 cue-free minutes: warm-up and cue-off
blocks), the program's first training run (20 minutes: 10 cue-free, then a cue on every flagged
landing) and the retention run (30 minutes without a cue, 4 weeks after), from the foreign signal
model (tests/foreign_runner.py) and from the project's simulator, each run replayed through the
firmware with its config. The training runs between change no retention figure (the truth sets
the retention run's rate), so they are left out here; tests/test_program.py runs whole programs
of drawn records.
"""
from __future__ import annotations

import hashlib
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

from host.program.evidence import evidence
from host.store.db import Store
from simulator.device import ROOT
from simulator.program import KINDS, RETENTION_STEP, Truth, draw
from tests.bench_report import _sources_digest
from tests.program_runners import SOURCES, Run, add_program, layout

Row = tuple[str, str, str]
# a changed firmware, simulator or foreign model (or the program's runners) runs anew
CACHE = (ROOT / "build" / "bench" / "program-runs" /
         f"{_sources_digest()}-{hashlib.sha256((ROOT / 'tests' / 'program_runners.py').read_bytes()).hexdigest()[:8]}")
RUNNERS = {"foreign": 10, "own": 5}  # per kind (a runner's three runs take ~30 s through the firmware)
SEED = {"foreign": 24_000, "own": 24_500}


def _runs() -> list[Run]:
    base, *_ = layout()
    runs = [r for r in layout() if r.step in (1, RETENTION_STEP)]
    return [base, replace(runs[0], minutes=20), runs[1]]


def _truth(source: str, kind: str, i: int) -> tuple[Truth, int]:
    seed = SEED[source] + 100 * KINDS.index(kind) + i
    return draw(kind, np.random.default_rng(seed)), seed


def _steps(job: tuple[str, str, int, int]) -> np.ndarray:
    """One run's steps through the firmware, cached."""
    source, kind, i, k = job
    path = CACHE / _name(source, kind, i, k)
    if path.exists():
        return np.load(path)
    t, seed = _truth(source, kind, i)
    steps = SOURCES[source](t, _runs()[k], seed * 100 + k)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path.with_suffix(".tmp.npy"), steps)
    path.with_suffix(".tmp.npy").rename(path)
    return steps


def _name(source: str, kind: str, i: int, k: int) -> str:
    run = _runs()[k]
    return f"{source}-{kind}-{i}-{run.step}-{run.minutes:g}.npy"


def simulate_all(jobs: int = 2) -> None:
    todo = [(s, kind, i, k) for s, n in RUNNERS.items() for kind in KINDS for i in range(n)
            for k in range(len(_runs())) if not (CACHE / _name(s, kind, i, k)).exists()]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for j, _ in enumerate(pool.map(_steps, todo), 1):
            print(f"\r[bench] program runs {j}/{len(todo)}", end="", file=sys.stderr, flush=True)
    if todo:
        print(file=sys.stderr)


def _evidence(tmp: Path, source: str, kind: str, i: int):
    t, seed = _truth(source, kind, i)
    store = Store(tmp / f"{source}-{kind}-{i}.sqlite")
    runs = _runs()
    configs = add_program(store, "ana", t, runs, seed,
                          steps_of=lambda run, _: _steps((source, kind, i, runs.index(run))))
    ev = evidence("ana", store.runner_steps("ana"), configs, RETENTION_STEP)
    store.close()
    return t, ev


def rows(tmp: Path) -> list[Row]:
    simulate_all()
    out: list[Row] = []
    for source, n in RUNNERS.items():
        covered, total = 0, 0
        for kind in KINDS:
            found = [_evidence(tmp, source, kind, i) for i in range(n)]
            verdicts = [ev.retention.verdict for _, ev in found]
            counts = ", ".join(f"{v} {verdicts.count(v)}" for v in sorted(set(verdicts)))
            buzz = sum(ev.buzz_only for _, ev in found)
            right = verdicts.count("kept" if kind == "learner" else "not_kept")
            out.append((f"program, {source} model: {kind}, retention verdict right", f"{right}/{n}",
                        f"{counts}; told 'responds to the buzz only' {buzz}/{n}"))
            for t, ev in found:
                c = ev.retention.comparison
                total += 1
                covered += bool(c and c.collapse_ratio.low <= t.retention_effect <= c.collapse_ratio.high)
        out.append((f"program, {source} model: retention 95% interval covers the true effect", f"{covered}/{total}",
                    "retention run / baseline cue-free collapse rate; 30 min baseline (20 cue-free), 30 min retention"))
    return out


def main() -> list[Row]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="archcue-bench-program-") as tmp:
        return rows(Path(tmp)) + latency()



LATENCY_SCENARIOS = ("responder", "habitual_collapse", "midfoot_easy", "forefoot_easy")
STRIKES = ("rearfoot", "midfoot", "forefoot")
WINDOWS_MS = (60, 40)  # the insole's landing window, and a shorter decision measured against it


def _own_score(scenario: str, window_ms: int):
    import tempfile

    from hardware.board_data import load_board
    from simulator.device import run_synth
    from simulator.scenario import load_scenario
    from simulator.scoring import score
    from simulator.synth import generate

    synth = generate(load_scenario(scenario), seed=1, seconds=600)
    with tempfile.TemporaryDirectory(prefix="archcue-latency-") as tmp:
        result = run_synth(synth, load_board(), {"cue_mode": "every", "landing_window_ms": window_ms}, Path(tmp))
    return score(result.truth, result.records, result.haptics, synth.seconds, window_ms), result.haptics, result.truth


def _foreign_score(strike: str, window_ms: int):
    import tempfile

    from hardware.board_data import load_board
    from host.sources.engine import run_firmware
    from host.sources.recording import read_recording, to_frames
    from simulator.scoring import score
    from tests.foreign_runner import generate

    run = generate(seconds=600, rate_hz=200, strike=strike, collapse_prob=0.35, seed=2)
    truth = [{"ic_ms": int(t["ic_ms"]), "to_ms": int(t["to_ms"]), "kind": "walk" if t["walking"] else "run",
              "collapse": int(t["collapse"]), "toe_engaged": int(t["toe_engaged"])} for t in run.truth]
    board = load_board()
    with tempfile.TemporaryDirectory(prefix="archcue-latency-") as tmp:
        csv_path = Path(tmp) / "run.csv"
        run.write_csv(csv_path)
        frames, _ = to_frames(read_recording(csv_path, "newton"), "newton", 200, board)
        result = run_firmware(frames, 200, board, {"cue_mode": "every", "landing_window_ms": window_ms},
                              Path(tmp) / "keep")
    return score(truth, result.records, result.haptics, 600, window_ms), result.haptics, truth


def cue_latency(haptics: list, truth: list[dict]) -> np.ndarray:
    """Motor on (the haptic call) minus the true initial contact of the landing it cues, ms."""
    ic = np.array([t["ic_ms"] for t in truth], dtype=np.int64)
    t_on = np.array([t for t, ms in haptics if isinstance(ms, int)], dtype=np.int64)
    k = np.searchsorted(ic, t_on, side="right") - 1
    return (t_on - ic[k])[k >= 0]


def latency() -> list[Row]:
    """Initial contact to motor on, and the collapse judgment's accuracy, at each landing window."""
    out: list[Row] = []
    for window in WINDOWS_MS:
        for model, names, run in (("own", LATENCY_SCENARIOS, _own_score), ("foreign", STRIKES, _foreign_score)):
            lat, bacc, cov = [], [], []
            for name in names:
                s, haptics, truth = run(name, window)
                lat.append(cue_latency(haptics, truth))
                bacc.append(s.collapse_bacc)
                cov.append(s.arch_coverage)
            all_lat = np.concatenate(lat)
            out.append((f"cue latency, contact -> motor, {model} model, window {window} ms",
                        f"median {np.median(all_lat):.0f} ms, p95 {np.percentile(all_lat, 95):.0f} ms",
                        f"{len(all_lat)} cues, virtual insole, 10 min each of {', '.join(names)}; collapse balanced "
                        f"accuracy {min(bacc):.3f}-{max(bacc):.3f}, judged {min(cov):.0%}-{max(cov):.0%}"))
    return out


if __name__ == "__main__":
    for row in main():
        print(" | ".join(row))
