"""A runner's plan: set by the coach section by section (archcue plan), shown with its progress,
and turned into the config of the insole's next run (written at pull)."""
from __future__ import annotations

import argparse

from host.command import UserError
from host.plan.history import PlanRun
from host.plan.sections import REMOVE, SECTIONS, Section


def _sections(plan: dict) -> list[tuple[Section, dict]]:
    return [(s, plan[s.name]) for s in SECTIONS if s.name in plan]


def updated(plan: dict, args: argparse.Namespace, history: list[PlanRun]) -> dict:
    """The plan with the options of `archcue plan` applied, every section checked (UserError:
    nothing changes). At most one section that decides the runs may be active."""
    new = dict(plan)
    for section in SECTIONS:
        value = section.update(plan.get(section.name), args, history)
        if value is REMOVE:
            new.pop(section.name, None)
        elif value is not None:
            new[section.name] = value
    # active: its next run is one of its own (a paused one may still write a reset without a plan)
    active = [s.name for s, value in _sections(new) if s.runs and (s.run_config(value, history) or {}).get("plan")]
    if len(active) > 1:
        raise UserError(f"the plan would run {' and '.join(active)} at once; an insole runs one: end one first "
                        "(nothing was changed)")
    return new


def next_config(plan: dict, history: list[PlanRun]) -> dict:
    """The config keys the plan gives the insole's next run ({}: nothing to write)."""
    out: dict = {}
    for section, value in _sections(plan):
        out.update(section.run_config(value, history) or {})
    return out


def describe(plan: dict, history: list[PlanRun]) -> list[str]:
    return [line for section, value in _sections(plan) for line in section.describe(value, history)]
