"""The parts of a runner's plan. Each is a module-level object of its own module in host/plan/
(drills, the training program, the hips-or-feet protocol), listed once in SECTIONS.

A section has:
  name                  its key in the stored plan
  runs                  True if it decides the runs' cue (a program, a protocol): at most one
                        such section may be active at a time, as an insole runs one config
  add_arguments(parser) its options of `archcue plan`
  update(current, args, history) -> dict | None | REMOVE
                        the section's new value from the options given (None: none of its
                        options were given; REMOVE: drop it from the plan); bad input raises
                        host.command.UserError with one line
  describe(value, history) -> list[str]
                        its lines in `archcue plan RUNNER`, with its progress
  run_config(value, history) -> dict | None
                        the config keys for the insole's next run (a run section sets "plan"
                        and "plan_step"); None when it has nothing to write (ended, paused)
history is host.plan.history.history(): the runner's stored sessions with their configs.
"""
from __future__ import annotations

import argparse
from typing import Protocol

from host.plan.history import PlanRun


class Section(Protocol):
    name: str
    runs: bool

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def update(self, current: dict | None, args: argparse.Namespace, history: list[PlanRun]) -> object: ...

    def describe(self, value: dict, history: list[PlanRun]) -> list[str]: ...

    def run_config(self, value: dict, history: list[PlanRun]) -> dict | None: ...


REMOVE = object()  # update()'s answer that drops the section from the plan

# each feature's section, one line each (imported after REMOVE, which they use)
from host.plan import drills  # noqa: E402
from host.plan.program import PROGRAM  # noqa: E402
from host.plan.protocol import PROTOCOL  # noqa: E402

SECTIONS: list[Section] = [drills.SECTION, PROGRAM, PROTOCOL]
