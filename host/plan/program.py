"""The training program as a section of the runner's plan: `archcue plan RUNNER --program
default|pause|resume|repeat|end`. The runs and their configs are host/program/schedule.py's; which
run is next is read from the stored sessions' header config (plan "program", plan_step k), so a
pull cut anywhere leaves the program where it was and the next pull continues it.

The value kept in the plan: the cue shares of the training runs, the retention run's wait, the
state (active, paused, ended), the runs the coach asked to repeat ({step: times}) and the program
sessions that were in the store when it started (an earlier program's runs count for nothing)."""
from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from host.command import UserError
from host.plan.history import PlanRun, steps_done
from host.program.schedule import CUE_FREE_S, PLAN, RETENTION_WEEKS, SHARES, retention_step, run_config

ACTIONS = ("default", "pause", "resume", "repeat", "end")
# what a paused or ended program leaves on the insole: no plan step, the insole's default protocol
RESET = {"plan": "", "plan_step": 0, "cue_mode": "blocks", "cue_after_s": 0}


def _today() -> date:
    return date.today()


def _runs(value: dict, history: list[PlanRun]) -> list[PlanRun]:
    """This program's runs (not leftovers, not an earlier program's), oldest first."""
    ignore = set(value.get("ignore", ()))
    return [r for r in history if r.plan == PLAN and r.plan_step > 0 and not r.leftover and r.sid not in ignore]


def _count(runs: list[PlanRun], step: int) -> int:
    """Runs of one step: both insoles of a run carry the same step, so the most of one foot."""
    feet = [r.foot for r in runs if r.plan_step == step]
    return max((feet.count(f) for f in set(feet)), default=0)


def next_step(value: dict, history: list[PlanRun]) -> int | None:
    """The program's next run (1.. training, then the retention run), None when all are done."""
    runs, repeats = _runs(value, history), value.get("repeats", {})
    for step in range(1, retention_step(tuple(value["shares"])) + 1):
        if _count(runs, step) < 1 + repeats.get(str(step), 0):
            return step
    return None


def _done_steps(value: dict, history: list[PlanRun]) -> list[int]:
    return steps_done(_runs(value, history), PLAN)  # this program's runs only


def retention_due(value: dict, history: list[PlanRun]) -> date | None:
    """The first day of the retention run: the wait after the last training run."""
    last = [r.started_at for r in _runs(value, history) if r.plan_step < retention_step(tuple(value["shares"]))]
    dated = [datetime.fromisoformat(t).date() for t in last if t]
    return max(dated) + timedelta(weeks=value.get("retention_weeks", RETENTION_WEEKS)) if dated else None


def _has_baseline(history: list[PlanRun]) -> bool:
    """A run before any program: the cue-free minutes a retention run is compared with."""
    return any(not r.leftover and r.plan != PLAN and r.kind == "run" for r in history)


class Program:
    name = PLAN
    runs = True

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--program", choices=ACTIONS,
                            help="a training program with a fading cue: default (8 runs over 2-3 weeks, a cue on "
                                 "every flagged landing in runs 1-4, then 50%%, 50%%, 25%% and none, then a "
                                 "retention run without cue 4 weeks later), pause, resume, repeat (the last run "
                                 "once more), end")

    def update(self, current: dict | None, args: argparse.Namespace, history: list[PlanRun]) -> object:
        action = getattr(args, "program", None)
        if action is None:
            return None
        if action == "default":
            return self._start(current, history)
        if current is None:
            raise UserError(f"no training program to {action}: start one with --program default (nothing changed)")
        state = current["state"]
        if state == "ended" or next_step(current, history) is None:
            raise UserError("the training program is over; --program default starts a new one (nothing changed)")
        if action == "pause":
            return {**current, "state": "paused"}
        if action == "resume":
            return {**current, "state": "active"}
        if action == "end":
            return {**current, "state": "ended"}
        return self._repeat(current, history)

    def _start(self, current: dict | None, history: list[PlanRun]) -> dict:
        if current is not None and current["state"] != "ended" and next_step(current, history) is not None:
            done = _done_steps(current, history)
            raise UserError(f"a training program is under way ({len(done)} of "
                            f"{retention_step(tuple(current['shares']))} runs done): --program end it first; "
                            f"a program edited half way would mix two programs' runs (nothing changed)")
        if not _has_baseline(history):
            raise UserError("no run before the program to compare the retention run with: record one run of the "
                            "block protocol first (nothing was planned)")
        return {"shares": list(SHARES), "cue_after_s": CUE_FREE_S, "retention_weeks": RETENTION_WEEKS,
                "state": "active", "repeats": {}, "ignore": sorted(r.sid for r in history if r.plan == PLAN)}

    def _repeat(self, current: dict, history: list[PlanRun]) -> dict:
        done = _done_steps(current, history)
        if not done:
            raise UserError("no run of the program to repeat yet (nothing changed)")
        last = str(done[-1])
        return {**current, "repeats": {**current.get("repeats", {}), last: current.get("repeats", {}).get(last, 0) + 1}}

    def describe(self, value: dict, history: list[PlanRun]) -> list[str]:
        total, step = retention_step(tuple(value["shares"])), next_step(value, history)
        done = f"{len(_done_steps(value, history))} of {total} runs done"
        if value["state"] == "ended":
            return [f"training program: ended by the coach ({done})"]
        if step is None:
            return [f"training program: complete ({done}); the report's --program page shows what was kept"]
        if value["state"] == "paused":
            return [f"training program: paused before run {step} ({done}); --program resume goes on"]
        if step == total:
            due = retention_due(value, history)
            when = f"from {due.isoformat()}" if due else "4 weeks after the last training run"
            return [f"training program: training done; the retention run (no cue) is due {when} ({done})"]
        share = value["shares"][step - 1]
        cue = "no cue" if share == 0 else "a cue on every flagged landing" if share == 100 else f"a cue on {share}%"
        return [f"training program: run {step} of {total} next, {cue} after {value['cue_after_s'] // 60} "
                f"cue-free minutes ({done})"]

    def run_config(self, value: dict, history: list[PlanRun]) -> dict | None:
        step = next_step(value, history)
        if value["state"] != "active" or step is None:
            return self._reset(value, history)
        shares = tuple(value["shares"])
        if step == retention_step(shares):
            due = retention_due(value, history)
            if due is not None and _today() < due:  # the wait: runs without any cue, no step of the program
                return {"plan": PLAN, "plan_step": 0, "cue_mode": "off", "cue_after_s": 0}
        return {**run_config(step, shares), "cue_after_s": value["cue_after_s"]}

    def _reset(self, value: dict, history: list[PlanRun]) -> dict | None:
        """A paused, ended or complete program takes its config back while the insole's last run
        was the program's (the insole keeps what the last pull wrote); then nothing."""
        runs = [r for r in history if not r.leftover]
        return RESET if runs and runs[-1].plan == PLAN else None


PROGRAM = Program()
