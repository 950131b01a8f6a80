"""What a runner has done, as the plan sees it: every stored session with the config it ran
(its header's), oldest first. A plan's progress is read from here, never kept as a counter,
so a pull cut anywhere leaves it consistent: the next pull reads the same sessions."""
from __future__ import annotations

from dataclasses import dataclass

from host.store.db import Store


@dataclass(frozen=True)
class PlanRun:
    sid: str
    foot: str
    started_at: str | None
    kind: str  # the header's "kind": "run" (also when absent) or another kind of session ("drills")
    config: dict  # the config the insole ran it with ({} for an import without one)
    leftover: bool  # no running in it (host/store/runs.py): it completes no step of a plan
    minutes: float

    @property
    def plan(self) -> str:
        return self.config.get("plan", "")

    @property
    def plan_step(self) -> int:
        return self.config.get("plan_step", 0)


def history(store: Store, runner: str) -> list[PlanRun]:
    rows = store.sessions(runner)
    headers = store.headers([row.id for row in rows])
    out = []
    for row in rows:
        header = headers[row.id]
        shape = row.shape
        out.append(PlanRun(row.id, row.foot, row.started_at, header.get("kind", "run"), header.get("config") or {},
                           shape.leftover if shape else True, shape.minutes if shape else 0.0))
    return out


def steps_done(runs: list[PlanRun], plan: str) -> list[int]:
    """The steps of `plan` done (a run, not a leftover, was stored with them), each once (both
    insoles of a run carry the same step), ascending."""
    return sorted({r.plan_step for r in runs if r.plan == plan and r.plan_step and not r.leftover})
