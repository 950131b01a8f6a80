"""archcue plan RUNNER [options]: set the runner's plan, show it with its progress and the
config the next pull writes to the insole."""
from __future__ import annotations

import argparse
import json

from host.command import UserError
from host.plan.history import PlanRun, history
from host.plan.plan import describe, next_config, updated
from host.plan.sections import SECTIONS
from host.store.db import Store
from host.text import shown


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="a runner's plan (drills, a training program, a protocol) and what the next "
                                    "pull writes to the insole",
                       description="Set or show one runner's plan. Each pull writes the plan's next run to the "
                                   "insole (its cue, its protocol, the drills it guides); progress is read from "
                                   "the sessions in the store, so a pull cut short leaves the plan where it was. "
                                   "Without options: the plan as it stands.")
    p.add_argument("runner", help="a runner in the store (archcue runners lists them)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    for section in SECTIONS:
        section.add_arguments(p.add_argument_group(section.name))
    p.set_defaults(func=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    store = Store(args.store)
    runner = store.runner_name(args.runner)
    if runner is None:
        raise UserError(f"no runner {shown(args.runner)!r} in {args.store}: pull or import one of their runs first "
                        "(archcue runners lists them); nothing was planned")
    runs = history(store, runner)
    plan = store.plan(runner) or {}
    new = updated(plan, args, runs)
    if new != plan:
        store.save_plan(runner, new)
    revision = store.plan_revision(runner)
    if args.format == "json":
        print(json.dumps({"runner": runner, "revision": revision, "plan": new, "next_config": next_config(new, runs)},
                         indent=2, ensure_ascii=False))
    else:
        print(text(runner, new, runs, revision))
    return 0


def text(runner: str, plan: dict, runs: list[PlanRun], revision: int) -> str:
    if not plan:
        return f"{shown(runner)} has no plan: set one with the options of `archcue plan --help`"
    lines = [f"plan for {shown(runner)} (revision {revision})"] + [f"  {line}" for line in describe(plan, runs)]
    cfg = next_config(plan, runs)
    written = ", ".join(f"{key}={shown(str(value))}" for key, value in cfg.items())
    lines.append(f"the next pull writes: {written}" if cfg else "the next pull writes nothing of the plan")
    return "\n".join(lines)
