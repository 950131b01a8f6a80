"""Scores the firmware's drill figures against a performer's truth (tests/foreign_drills.py or
simulator/drills.py): the issue's bars, for the tests and the bench."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hardware.board_data import load_board
from host.drills.measure import Measured, measure_counts, measure_loads
from host.sources.recording import Recording, to_frames

TD_WINDOW_S = 0.1  # a touch-down is found when reported within 100 ms of where it began
HELD_TOL_S = 0.5


@dataclass
class BalanceScore:
    trials: int = 0
    found: int = 0  # trials matched (start within 1 s)
    extra_trials: int = 0
    touchdowns: int = 0
    td_found: int = 0
    td_false: int = 0
    held_ok: int = 0
    held_err_max: float = 0.0

    def add(self, truth: dict, m: Measured) -> None:
        got = m.of("trial")
        tds = [r["t_ms"] / 1000 for r in m.of("touchdown")]
        self.trials += len(truth["trials"])
        self.extra_trials += max(0, len(got) - len(truth["trials"]))
        used: set[int] = set()
        for tr in truth["trials"]:
            match = [g for g in got if abs(g["t_ms"] / 1000 - tr["start_s"]) < 1.0]
            if not match:
                continue
            self.found += 1
            g = match[0]
            err = abs(g["held_ms"] / 1000 - tr["held_s"])
            self.held_err_max = max(self.held_err_max, err)
            self.held_ok += err <= HELD_TOL_S
            for u in tr["touchdowns"]:
                self.touchdowns += 1
                hit = [i for i, d in enumerate(tds) if i not in used and 0 <= d - u <= TD_WINDOW_S + 0.025 or
                       i not in used and abs(d - u) <= TD_WINDOW_S]
                if hit:
                    used.add(hit[0])
                    self.td_found += 1
        self.td_false += len(tds) - len(used)

    @property
    def sensitivity(self) -> float:
        return self.td_found / max(1, self.touchdowns)

    def line(self) -> str:
        return (f"trials {self.found}/{self.trials} found ({self.extra_trials} extra), touch-downs "
                f"{self.td_found}/{self.touchdowns} (sensitivity {self.sensitivity:.3f}), {self.td_false} false "
                f"({10 * self.td_false / max(1, self.trials):.2f} per 10 trials), held_s within 0.5 s "
                f"{self.held_ok}/{self.found} (worst {self.held_err_max:.2f} s)")


@dataclass
class CountScore:
    sets: int = 0
    exact: int = 0
    near: int = 0  # sets the performer's truth leaves ambiguous (foreign_drills: a rep near the 85% line,
    near_exact: int = 0  # two lone half cycles that read as one cycle)
    curls_counted: int = 0  # short foot: a toe curl counted as a rep (never allowed)
    curls: int = 0
    curls_seen: int = 0

    def add(self, truth: int, got: int, ambiguous: int = 0) -> None:
        self.sets += 1
        self.exact += truth == got
        if ambiguous:
            self.near += 1
            self.near_exact += truth == got

    @property
    def clear_ok(self) -> bool:
        """The bar: exact in 90% of the sets whose truth is clear."""
        return self.exact - self.near_exact >= 0.9 * (self.sets - self.near)

    def line(self, what: str) -> str:
        out = f"{what} exact in {self.exact}/{self.sets} sets ({self.exact / max(1, self.sets):.0%})"
        if self.near:
            clear = self.sets - self.near
            out += (f", in {self.exact - self.near_exact}/{clear} sets the truth leaves clear "
                    f"({(self.exact - self.near_exact) / max(1, clear):.0%}; {self.near} ambiguous sets apart)")
        if self.curls:
            out += f"; toe curls reported {self.curls_seen}/{self.curls}, counted as reps {self.curls_counted}"
        return out


def score_short_foot(score: CountScore, truth: dict, m: Measured) -> None:
    reps = [r for r in m.of("rep") if r["outcome"] == 1]
    score.add(truth["reps"], len(reps), truth.get("ambiguous", 0))
    score.curls += truth["curls"]
    score.curls_seen += sum(r["outcome"] == 2 for r in m.of("rep"))
    score.curls_counted += max(0, len(reps) - truth["reps"])


def foreign(rec, drill: str, rate: int = 200) -> Measured:
    """A foreign recording (newtons) through the FSR model and the LUT, as an import reads it."""
    board = load_board()
    frames, _ = to_frames(Recording(rec.t_ms.astype(float), rec.forces, ("heel", "arch", "met1", "met5", "hallux",
                                                                            "toes")), "newton", rate, board)
    return measure_counts(frames, rate, board, drill)


def own(drill, rate: int = 200) -> Measured:
    return measure_counts(drill.counts, rate, load_board(), drill.drill)


def raw(rec, drill: str, rate: int = 200) -> Measured:
    return measure_loads(np.round(rec.forces * 10), rate, drill)
