"""The hips-or-feet bars: simulated runners' pain ratings through the answer's rule
(host/hips_or_feet/answer.py), on the foreign model (tests/foreign_pain.py, the bars' model:
carryover, expectation, anchored whole-number ratings, SD 1) and the project's own
(simulator/pain.py, SD 0.8).

Per kind of runner and number of rounds: the share of runners given each verdict, and
  - "do-nothing cue called eases": runners of kind `nothing` with feet or hips `eases`
  - "true 2-point easing found": kinds feet / hips, that cue `eases`
  - "sham-responder told hips or feet": kind `sham` (every cue arm, the sham too, eases 2 points)
    given feet, hips or both
  - the oracle bound: runners whose point estimates alone pass the rule's bars (drop >= 1.2,
    beats the sham by >= 1): no test of those estimates can find more easers than that.

    PYTHONPATH=. .venv/bin/python -m tests.bench_pain [RUNNERS]    (default 400 per cell)
"""
from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable

from host.hips_or_feet.answer import CUES, MIN_DROP, MIN_OVER_SHAM, Answer, Round, analyse
from simulator import pain as own
from tests import foreign_pain as foreign

Row = tuple[str, str, str]
ROUNDS = (4, 8, 12)  # one run, two runs, three runs of 4 rounds
MODELS: dict[str, Callable[[str, int, int], list[Round]]] = {
    "foreign": lambda kind, runs, seed: foreign.runner(kind, runs=runs, seed=seed),
    "own": lambda kind, runs, seed: own.runner(own.KINDS[kind], runs=runs, seed=seed),
}


def _oracle(a: Answer, cue: str) -> bool:
    r = a.arms[cue]
    return r.vs_none.mean >= MIN_DROP and r.vs_sham is not None and r.vs_sham.mean >= MIN_OVER_SHAM


def cell(model: str, kind: str, rounds: int, n: int) -> tuple[Counter, int, int]:
    """Verdicts, runners with a cue that eases (the true one for feet/hips, any otherwise), oracle passes."""
    verdicts, eases, oracle = Counter(), 0, 0
    for seed in range(n):
        a = analyse(MODELS[model](kind, rounds // 4, seed))
        verdicts[a.verdict] += 1
        cues = (kind,) if kind in CUES else CUES
        eases += any(a.arms[c].eases for c in cues)
        oracle += any(_oracle(a, c) for c in cues)
    return verdicts, eases, oracle


def rows(n: int = 400) -> list[Row]:
    out: list[Row] = []
    for model in MODELS:
        for rounds in ROUNDS:
            how = f"{n} runners, {rounds} rounds ({rounds // 4} run(s) of 4), {model} model"
            for kind, bar in (("nothing", "do-nothing cue called eases (bar <= 5%)"),
                              ("feet", "true 2-point feet easing found (bar >= 80% at 8 rounds)"),
                              ("hips", "true 2-point hips easing found (bar >= 80% at 8 rounds)"),
                              ("sham", "sham-responder told hips, feet or both (bar: never)")):
                verdicts, eases, oracle = cell(model, kind, rounds, n)
                named = sum(verdicts[v] for v in ("feet", "hips", "both"))
                value = f"{100 * (named if kind == 'sham' else eases) / n:.1f}%"
                if kind in CUES:
                    value += f" (oracle bound {100 * oracle / n:.1f}%)"
                spread = ", ".join(f"{v} {100 * c / n:.0f}%" for v, c in verdicts.most_common())
                out.append((f"hips-or-feet {model}, {rounds} rounds: {bar}", value, f"{how}; verdicts: {spread}"))
    return out


if __name__ == "__main__":
    for row in rows(int(sys.argv[1]) if len(sys.argv) > 1 else 400):
        print(" | ".join(row), flush=True)
