"""python -m simulator realdata: recordings no one here made, through the firmware.

Each dataset (../shared/data/real, with its README) is mapped onto the six insole
channels and replayed like `simulator replay`; detected contacts are compared with the
dataset's own events. None is a running insole, so each mapping is an assumption:

  fukuchi_running  treadmill running on one force plate (both feet, 300 Hz). The vertical
                   force is spread evenly over the six sensors (each sees 1/12 of it, inside
                   the FSR's range). Events: the README's 50 N / 30 N thresholds on the
                   filtered force, so a contact back-dated to zero load reads a few ms
                   early. Flight is as short as 71 ms (two feet on one plate).
  moticon_insole   a 16-sensor pressure insole, walking (100 Hz), mapped as `archcue import
                   --format moticon` maps it (host/sources/moticon.py: the README's inferred layout).
                   Events: the vendor software's heel strikes and toe-offs.
  gaitpdb_controls an 8-sensor force insole, walking (100 Hz): heel = L1, arch = L2, met1 = L6,
                   met5 = L7, hallux = L8 (no lesser-toes sensor). No events: reference
                   contacts from the insole's total force crossing 10% of its 95th percentile.
Every recording runs with the firmware's default config (walking included: no overrides).

walking() scores the walks again against where each landing's load begins (load_onsets: the
mapped channels' summed force, as a force plate would see it): every landing counts, the
first of a walk from standing and the last one, after which the foot stays down, included.
"""
from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firmware.core import config as fw_config
from hardware.board_data import load_board
from host.sources.engine import run_firmware
from host.sources.moticon import read_export, recording, side_rows
from host.sources.recording import Recording, to_frames
from simulator.device import ROOT
from simulator.scoring import match_steps

# beside the repository; $ARCHCUE_REAL_DATA for a checkout elsewhere (a git worktree)
REAL = Path(os.environ.get("ARCHCUE_REAL_DATA", ROOT.parent / "shared" / "data" / "real"))
DEFAULT: dict = {}  # the firmware's default config, for every recording
MAX_STANCE_MS = fw_config.defaults()["max_stance_ms"]  # a stance longer is standing
WARM_MS = 1000  # the firmware's warm-up (64 frames) is over by then at any rate from 100 Hz


@dataclass
class Dataset:
    name: str
    t_ms: np.ndarray
    forces: np.ndarray  # (n, 6) newtons
    ic_ms: np.ndarray  # reference contacts
    to_ms: np.ndarray
    config: dict
    reference: str


def fukuchi(trial: str) -> Dataset:
    folder = REAL / "fukuchi_running"
    data = np.loadtxt(folder / trial, skiprows=1)
    t = (data[:, 0] - 1) * 1000 / 300
    fy = np.clip(data[:, 2], 0, None)
    with open(folder / "derived_step_events.csv") as f:
        ev = [r for r in csv.DictReader(f) if r["trial"] == trial]
    ic = np.array([(int(r["touchdown_sample"]) - 1) * 1000 / 300 for r in ev])
    to = np.array([(int(r["toeoff_sample"]) - 1) * 1000 / 300 for r in ev])
    return Dataset(f"fukuchi {trial.split('forces')[0]}", t, np.repeat(fy[:, None] / 12, 6, 1), ic, to,
                   DEFAULT, "force plate 50 N / 30 N events")


def moticon(file: str, side: str = "right") -> Dataset:
    export = read_export(REAL / "moticon_insole" / file)
    rec = recording(export, side)  # the mapping `archcue import --format moticon` uses
    codes = export.column(f"{side} steps[]")[side_rows(export, side)]
    strike, off = (11, 15) if side == "left" else (21, 25)
    return Dataset(f"moticon {file[:-4]} {side}", rec.t_ms, rec.values, rec.t_ms[codes == strike],
                   rec.t_ms[codes == off], DEFAULT, "vendor software events")


def gaitpdb(file: str) -> Dataset:
    data = np.loadtxt(REAL / "gaitpdb_controls" / file)
    t = data[:, 0] * 1000
    left = data[:, 1:9]
    forces = np.column_stack([left[:, 0], left[:, 1], left[:, 5], left[:, 6], left[:, 7], np.zeros(len(t))])
    total = data[:, 17]
    on = total > 0.1 * np.percentile(total, 95)
    edges = np.diff(on.astype(int))
    ic = t[1:][edges == 1]
    to = t[1:][edges == -1]
    return Dataset(f"gaitpdb {file[:-4]} left", t, np.clip(forces, 0, None), ic, to, DEFAULT,
                   "total force over 10% of its 95th percentile")


def walks() -> list[Dataset]:
    """The walking recordings: Moticon's three (both feet), gaitpdb's controls."""
    return ([moticon(f, side) for f in ("230927_102114.txt", "230927_102137.txt", "230927_102231.txt")
             for side in ("left", "right")]
            + [gaitpdb(p.name) for p in sorted((REAL / "gaitpdb_controls").glob("GaCo*.txt"))])


def all_datasets() -> list[Dataset]:
    return ([fukuchi(t) for t in ("RBDS001runT25forces.txt", "RBDS001runT35forces_fromc3d.txt",
                                  "RBDS0041runT252forces.txt")]
            + [moticon(f, side) for f in ("230927_102114.txt", "230927_102137.txt", "230927_102231.txt")
               for side in ("left", "right")]
            + [gaitpdb(f) for f in ("GaCo01_01.txt", "GaCo03_01.txt", "GaCo05_01.txt")])


def replay(ds: Dataset) -> dict:
    rate = int(round(1000 / np.median(np.diff(ds.t_ms))))
    board = load_board()
    frames, _ = to_frames(Recording(ds.t_ms, ds.forces, ()), "newton", rate, board)
    with tempfile.TemporaryDirectory(prefix="archcue-real-") as tmp:
        result = run_firmware(frames, rate, board, ds.config, Path(tmp))
    t0 = ds.t_ms[0]
    det_ic = np.array([r["ic_ms"] + t0 for r in result.records])
    det_to = np.array([r["to_ms"] + t0 for r in result.records])
    inside = (ds.ic_ms >= t0 + 1000) & (ds.ic_ms <= ds.t_ms[-1] - 1000)  # whole steps, after warm-up
    ref_ic, ref_to = ds.ic_ms[inside], ds.to_ms[: len(ds.ic_ms)][inside] if len(ds.to_ms) >= len(ds.ic_ms) else None
    keep = (det_ic >= t0 + 1000) & (det_ic <= ds.t_ms[-1] - 1000)
    if len(ref_ic):  # the vendor marks steps inside a span only: steps outside it are not false
        keep &= (det_ic >= ref_ic.min() - 500) & (det_ic <= ref_ic.max() + 500)
    pairs = match_steps(ref_ic.astype(np.int64), det_ic[keep].astype(np.int64), tol=100)
    tp = len(pairs)
    precision = tp / max(keep.sum(), 1)
    recall = tp / max(len(ref_ic), 1)
    ic_err = np.array([det_ic[keep][d] - ref_ic[i] for i, d in pairs])
    to_err = np.array([])
    if ref_to is not None and len(ds.to_ms):
        # the reference toe-off nearest after each matched detected toe-off
        to_err = np.array([det_to[keep][d] - ds.to_ms[np.argmin(np.abs(ds.to_ms - det_to[keep][d]))] for _, d in pairs])
    return {"dataset": ds.name, "rate_hz": rate, "reference": ds.reference, "ref_steps": int(len(ref_ic)),
            "detected": int(keep.sum()),
            "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
            "ic_err_median": float(np.median(ic_err)) if tp else float("nan"),
            "ic_abs_p95": float(np.percentile(np.abs(ic_err), 95)) if tp else float("nan"),
            "to_err_median": float(np.median(to_err)) if len(to_err) else float("nan"),
            "to_abs_p95": float(np.percentile(np.abs(to_err), 95)) if len(to_err) else float("nan")}


def load_onsets(t_ms: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Where each landing's load begins, from a summed force (N) sampled at t_ms: the load
    rises past 10% of its 95th percentile from below 5% (the foot was off the ground: a
    standing foot that takes more load is no landing); the onset is the last sample before
    it at most 2% of that percentile above the lowest load of the 300 ms before."""
    total = np.asarray(total, float) - np.min(total)
    top = np.percentile(total, 95)
    high, add = 0.10 * top, 0.02 * top
    back = max(1, int(round(300 / np.median(np.diff(t_ms)))))
    out: list[float] = []
    off = False
    for i in range(1, len(total)):
        if total[i] <= high / 2:
            off = True
        elif off and total[i] > high:
            off = False
            lo = max(0, i - back)
            floor = total[lo:i].min()
            j = i
            while j > lo and total[j] > floor + add:
                j -= 1
            out.append(float(t_ms[j]))
    return np.array(out)


def walking(ds: Dataset) -> dict:
    """A walk through the firmware, scored against load_onsets (60 ms to match): every
    landing, the first of a walk from standing and the last (the foot then stays down)
    included. Landings in the first second (the firmware's warm-up) and the last
    MAX_STANCE_MS (it can tell them from standing only later) are left out, as are
    detections there."""
    rate = int(round(1000 / np.median(np.diff(ds.t_ms))))
    board = load_board()
    frames, _ = to_frames(Recording(ds.t_ms, ds.forces, ()), "newton", rate, board)
    with tempfile.TemporaryDirectory(prefix="archcue-real-") as tmp:
        records = run_firmware(frames, rate, board, ds.config, Path(tmp)).records
    grid = np.arange(ds.t_ms[0], ds.t_ms[-1] + 1e-9, 1000 / rate)
    total = np.interp(grid, ds.t_ms, ds.forces.sum(axis=1))
    start, end = ds.t_ms[0] + WARM_MS, ds.t_ms[-1] - MAX_STANCE_MS
    ref = load_onsets(grid, total)
    ref = ref[(ref >= start) & (ref < end)]
    det = np.array([r["ic_ms"] + ds.t_ms[0] for r in records])
    det = det[(det >= start) & (det < end)]
    pairs = match_steps(ref.astype(np.int64), det.astype(np.int64))
    err = np.array([det[d] - ref[i] for i, d in pairs])
    tp = len(pairs)
    precision, recall = tp / max(len(det), 1), tp / max(len(ref), 1)
    first = np.r_[True, np.diff(ref) > 2500]  # a landing 2.5 s after the last one starts a walk
    return {"dataset": ds.name, "rate_hz": rate, "landings": len(ref), "detected": len(det), "matched": tp,
            "f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
            "ic_err_median": float(np.median(err)) if tp else float("nan"),
            "ic_abs_p95": float(np.percentile(np.abs(err), 95)) if tp else float("nan"),
            "first_err": [int(det[d] - ref[i]) for i, d in pairs if first[i]], "firsts": int(first.sum())}


def walking_table(rows: list[dict]) -> str:
    out = ["| recording | Hz | landings | detected | matched (60 ms) | F1 | IC error median / abs p95 (ms) "
           "| first landing of each walk (ms) |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        firsts = ", ".join(f"{e:+d}" for e in r["first_err"]) + f" ({len(r['first_err'])} of {r['firsts']})"
        out.append(f"| {r['dataset']} | {r['rate_hz']} | {r['landings']} | {r['detected']} | {r['matched']} | "
                   f"{r['f1']:.3f} | {r['ic_err_median']:+.0f} / {r['ic_abs_p95']:.0f} | {firsts} |")
    return "\n".join(out)


def pooled(rows: list[dict]) -> dict:
    """F1 over all landings of rows, and the worst recording's IC abs p95."""
    n, d, tp = (sum(r[k] for r in rows) for k in ("landings", "detected", "matched"))
    precision, recall = tp / max(d, 1), tp / max(n, 1)
    return {"landings": n, "detected": d, "matched": tp, "f1": 2 * precision * recall / (precision + recall),
            "ic_abs_p95": max(r["ic_abs_p95"] for r in rows)}


def table(rows: list[dict]) -> str:
    out = [
        "| recording | Hz | reference | ref steps | detected | F1 | IC error median / abs p95 (ms) "
        "| TO error median / abs p95 (ms) |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(f"| {r['dataset']} | {r['rate_hz']} | {r['reference']} | {r['ref_steps']} | {r['detected']} | "
                   f"{r['f1']:.3f} | {r['ic_err_median']:+.0f} / {r['ic_abs_p95']:.0f} | "
                   f"{r['to_err_median']:+.0f} / {r['to_abs_p95']:.0f} |")
    return "\n".join(out)
