"""`make bench`: the drill figures against the issue's bars on the foreign performer
(tests/foreign_drills.py) and the project's own (simulator/drills.py), and what the drill
meter costs per frame under MicroPython. Run alone: python -m tests.bench_drills."""
from __future__ import annotations

import json
import os
import subprocess

from host.sources.engine import MICROPYTHON
from simulator import drills as own_drills
from simulator.device import ROOT
from tests import drill_oracle
from tests import drill_scores as ds
from tests import foreign_drills as fd
from tests.bench_esp32 import RATIO_160, SPEEDUP_240

Row = tuple[str, str, str]
SEEDS = range(10)
FEET = ("left", "right")


def _foreign() -> tuple[ds.BalanceScore, ds.CountScore, ds.CountScore, list[Row]]:
    bal, sf, tw = ds.BalanceScore(), ds.CountScore(), ds.CountScore()
    oracle = {d: (ds.CountScore(), ds.CountScore()) for d in ("short-foot", "toe-waver")}
    for skill in fd.SKILLS:
        for foot in FEET:
            for seed in SEEDS:
                p = fd.performer(skill, foot, seed)
                rec = fd.balance(p, seed=seed)
                bal.add(rec.truth, ds.foreign(rec, "balance"))
                rec = fd.short_foot(p, seed=seed)
                ds.score_short_foot(sf, rec.truth, ds.foreign(rec, "short-foot"))
                _oracle(oracle["short-foot"], rec, "reps")
                rec = fd.toe_waver(p, seed=seed)
                tw.add(rec.truth["cycles"], len(ds.foreign(rec, "toe-waver").of("cycle")), rec.truth["ambiguous"])
                _oracle(oracle["toe-waver"], rec, "cycles")
    return bal, sf, tw, [_oracle_row(d, what, *oracle[d]) for d, what in (("short-foot", "reps"),
                                                                             ("toe-waver", "cycles"))]


def _oracle(scores: tuple[ds.CountScore, ds.CountScore], rec: fd.DrillRecording, what: str) -> None:
    insole, clean = drill_oracle.oracle(rec, rec.truth["drill"])
    scores[0].add(rec.truth[what], insole)
    scores[1].add(rec.truth[what], clean)


def _oracle_row(drill: str, what: str, insole: ds.CountScore, clean: ds.CountScore) -> Row:
    return (f"drills (foreign): {drill} oracle", f"{what} exact in {insole.exact}/{insole.sets} sets on the insole's "
            f"signal, {clean.exact}/{clean.sets} on the noise-free forces",
            "the drill meter's rules given the performer's true relaxed baseline (tests/drill_oracle.py): "
            "the best the issue's rule does with what the insole sees")


def _own() -> tuple[ds.BalanceScore, ds.CountScore, ds.CountScore]:
    bal, sf, tw = ds.BalanceScore(), ds.CountScore(), ds.CountScore()
    for skill in own_drills.SKILLS:
        for foot in FEET:
            for seed in SEEDS:
                d = own_drills.perform("balance", skill, foot, seed)
                bal.add(d.truth, ds.own(d))
                d = own_drills.perform("short-foot", skill, foot, seed)
                ds.score_short_foot(sf, d.truth, ds.own(d))
                d = own_drills.perform("toe-waver", skill, foot, seed)
                tw.add(d.truth["cycles"], len(ds.own(d).of("cycle")))
    return bal, sf, tw


def _cost() -> list[Row]:
    out = subprocess.run([str(MICROPYTHON), str(ROOT / "tests" / "mp" / "bench_drills.py")], capture_output=True,
                         text=True, check=True, env=dict(os.environ, MICROPYPATH=str(ROOT / "firmware"))).stdout
    rows = []
    for line in out.strip().splitlines():
        r = json.loads(line)
        esp32_us = r["us_per_frame"] * RATIO_160 / SPEEDUP_240
        rows.append((f"drill meter per frame: {r['drill']}", f"{r['us_per_frame']:.2f} us/frame (unix port), "
                     f"{r['bytes_per_frame']:.2f} B allocated/frame",
                     f"tests/mp/bench_drills.py, best of 5 x {r['frames']} frames at 200 Hz, {r['results']} results; "
                     f"ESP32 at 240 MHz about {esp32_us:.0f} us/frame (bytecode estimate, tests/bench_esp32.py)"))
    return rows


def drills() -> list[Row]:
    how = f"{len(SEEDS)} seeds x 3 skills x both feet"
    rows: list[Row] = []
    *foreign, oracle = _foreign()
    for name, (bal, sf, tw) in (("foreign", foreign), ("own", _own())):
        rows += [(f"drills ({name}): one-foot balance", bal.line(), f"{how}, 3 trials of 30 s each"),
                 (f"drills ({name}): short foot", sf.line("reps"), f"{how}, 8 efforts a set"),
                 (f"drills ({name}): toe waver", tw.line("cycles"), f"{how}, 8 attempts a set")]
        if name == "foreign":
            rows += oracle
    return rows + _cost()


if __name__ == "__main__":
    for row in drills():
        print(" | ".join(row))
