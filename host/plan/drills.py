"""The drills section of a runner's plan: which foot drills the insole guides in a drill session
(a double press of its button when idle) and how many days a week the coach asks for. The pull
writes the drill list to the insole's config; progress (days a week) is read from the drill
sessions in the store. The toe spreader has no sensor: it is noted (archcue note), not planned."""
from __future__ import annotations

import argparse
from datetime import date, datetime

from firmware.core import drills as fw_drills
from host.command import UserError
from host.plan.history import PlanRun
from host.plan.sections import REMOVE

DRILLS = fw_drills.DRILLS[1:]
PER_WEEK_MAX = 14


class DrillsSection:
    name = "drills"
    runs = False  # drill sessions are the insole's other kind of session: any run section may go with them

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--drills", metavar="LIST",
                            help=f"the drills the insole guides, in order, from {','.join(DRILLS)} "
                                 "(none: drop the drills from the plan)")
        parser.add_argument("--per-week", type=int, metavar="N",
                            help="days a week with drills the coach asks for (default 3, as in the foot-core trial)")

    def update(self, current: dict | None, args: argparse.Namespace, history: list[PlanRun]) -> object:
        given, per_week = getattr(args, "drills", None), getattr(args, "per_week", None)
        if given is None and per_week is None:
            return None
        if given is not None and given.strip().lower() == "none":
            return REMOVE
        if per_week is not None and not 1 <= per_week <= PER_WEEK_MAX:
            raise UserError(f"--per-week {per_week}: give 1 to {PER_WEEK_MAX} days a week")
        if given is None and current is None:
            raise UserError("--per-week needs --drills (which drills?) the first time; nothing was changed")
        value = dict(current or {"per_week": 3})
        if given is not None:
            value["drills"] = _parse(given)
        if per_week is not None:
            value["per_week"] = per_week
        return value

    def describe(self, value: dict, history: list[PlanRun]) -> list[str]:
        week = _week(date.today().isoformat())
        days = {r.started_at[:10] for r in history
                if r.kind == "drills" and r.started_at and _week(r.started_at) == week}
        return [f"drills: {', '.join(value['drills'])}, {value['per_week']} days a week; this week so far "
                f"{len(days)} (archcue drills RUNNER has the figures)"]

    def run_config(self, value: dict, history: list[PlanRun]) -> dict | None:
        return {"drills": ",".join(value["drills"])}


def _parse(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in DRILLS:
            hint = " (a toe spreader is noted: archcue note SESSION --drill-other toe-spreader)" * ("spread" in n)
            raise UserError(f"--drills: {n!r} is not a drill the insole guides ({', '.join(DRILLS)}){hint}; "
                            "nothing was changed")
    if not names or len(set(names)) != len(names):
        raise UserError(f"--drills {text!r}: name each drill once, comma-separated, e.g. {','.join(DRILLS)}")
    return names


def _week(iso: str) -> tuple[int, int]:
    y, w, _ = datetime.fromisoformat(iso).isocalendar()
    return y, w


SECTION = DrillsSection()
