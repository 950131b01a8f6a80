"""The plan's protocol section: `archcue plan RUNNER --protocol hips-or-feet [--pain] [--rounds N]
[--runs N]`. Each planned run is rounds of four blocks (none, feet, hips, sham, each once per round,
firmware/core/arms.py) in an order drawn for that run from the plan's own seed: random, fixed
before the run (the same on both insoles and at every pull until the run is stored), and
recorded in the session header's config (`arm_order`) with the run."""
from __future__ import annotations

import argparse
import random
import secrets

from firmware.core import arms
from host.command import UserError
from host.hips_or_feet.answer import ARMS
from host.plan.history import PlanRun, steps_done

PLAN = "hips-or-feet"
TEST_FLOOR = 5  # rounds in all before the randomization test can be clear (1 in 2^5 <= 0.05)
BLOCK_S = {"loading": 60, "pain": 180}  # pain: 45 s unrated, rated in the last 30 s (core/arms.py)


def arm_order(seed: int, step: int, rounds: int) -> str:
    """The run's order: each round a shuffle of n, f, h, s, drawn from the plan's seed and the step."""
    rng = random.Random(f"{seed}:{step}")
    return " ".join("".join(rng.sample(arms.ARM_LETTERS, 4)) for _ in range(rounds))


def run_keys(mode: str, order: str) -> dict:
    """A protocol run's config: blocks of the mode's length (BLOCK_S), each an arm of the order;
    also a lab run's, imported with its ratings (host/hips_or_feet/lab_run.py)."""
    return {"cue_mode": "blocks", "block_s": BLOCK_S[mode], "pain_mode": int(mode == "pain"), "arm_order": order}


def familiar_order(order: str) -> str:
    """The cue patterns the run's familiarisation plays, in order (firmware/core/cue.py)."""
    codes = arms.parse_arms(order) or b""
    return ", ".join(ARMS[arms.familiar_arm(codes, i)] for i in range(arms.FAMILIAR_PLAYS))


def _check(rounds: int, runs: int) -> None:
    if not arms.MIN_ROUNDS <= rounds <= arms.MAX_ROUNDS:
        raise UserError(f"--rounds {rounds}: a run holds {arms.MIN_ROUNDS} to {arms.MAX_ROUNDS} rounds "
                        "(nothing was planned)")
    if rounds * runs < TEST_FLOOR:
        raise UserError(f"a protocol without enough rounds: {runs} run(s) of {rounds} rounds are {rounds * runs}, and "
                        f"its test can be clear only from {TEST_FLOOR} (plan two runs of 4); nothing was planned")


class Protocol:
    name = "protocol"
    runs = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--protocol", choices=(PLAN, "end"),
                            help="hips or feet: rounds of no cue, feet, hips and sham cues in a random order; "
                                 "'end' drops it from the plan")
        parser.add_argument("--pain", action="store_true",
                            help="pain mode (a treadmill run with the coach beside it): 3 min blocks, the pain "
                                 "asked in the last 30 s of each; default: loading mode, 60 s blocks")
        parser.add_argument("--rounds", type=int, metavar="N", help="rounds per run (default 4)")
        parser.add_argument("--runs", type=int, metavar="N", help="runs of the protocol (default 2: 8 rounds)")

    def update(self, current: dict | None, args: argparse.Namespace, history: list[PlanRun]) -> object:
        from host.plan.sections import REMOVE  # here: sections imports this module (lab_run imports it first)

        if args.protocol == "end":
            return REMOVE
        given = {k: v for k, v in (("rounds", args.rounds), ("runs", args.runs)) if v is not None}
        if args.protocol is None and not (args.pain or given):
            return None
        if args.protocol is None and current is None:
            raise UserError("--pain, --rounds and --runs need --protocol hips-or-feet (nothing was planned)")
        value = dict(current or {"seed": secrets.randbits(30), "mode": "loading", "rounds": 4, "runs": 2})
        value.update(given, mode="pain" if args.pain else value["mode"])
        _check(value["rounds"], value["runs"])
        return value

    def _next(self, value: dict, history: list[PlanRun]) -> int:
        done = steps_done(history, PLAN)
        return max(done, default=0) + 1

    def describe(self, value: dict, history: list[PlanRun]) -> list[str]:
        step, block_s = self._next(value, history), BLOCK_S[value["mode"]]
        minutes = value["rounds"] * 4 * block_s // 60
        left = ("all runs done" if step > value["runs"] else f"run {step} of {value['runs']} next")
        lines = [f"protocol hips-or-feet, {value['mode']} mode: {value['rounds']} rounds per run ({block_s} s blocks, "
                 f"{minutes} minutes after the warm-up), {left}"]
        if step <= value["runs"]:
            lines.append(f"its familiarisation (the warm-up, from 2:00, one every 20 s; 9 of 10 named right to count): "
                         f"{familiar_order(arm_order(value['seed'], step, value['rounds']))}")
        return lines

    def run_config(self, value: dict, history: list[PlanRun]) -> dict | None:
        step = self._next(value, history)
        if step > value["runs"]:
            return None
        order = arm_order(value["seed"], step, value["rounds"])
        return {"plan": PLAN, "plan_step": step} | run_keys(value["mode"], order)


PROTOCOL = Protocol()
