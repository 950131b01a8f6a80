"""What the squad page shows beside each runner's verdict, from the capabilities that have it:
the foot drills' adherence this week (host/drills) for runners who do drills or have them planned.
Each function gives {runner: cell words} for the runners it has something for; the page leaves a
column no runner has a value for out."""
from __future__ import annotations

from datetime import date

from host.drills.view import adherence, sets_of, this_week
from host.store.db import SessionRow, Store
from host.text import plural

DRILLS = "drills this week"


def drills(store: Store, sessions: list[SessionRow], today: date) -> dict[str, str]:
    """Days with a drill set this week against the target, and the streak of weeks that met it."""
    out = {}
    for runner in sorted({r.runner for r in sessions if r.kind == "drills"}):
        a = adherence(sets_of(store, runner), store.plan(runner), today)
        out[runner] = (f"{this_week(a, today)} of {a.per_week} days"
                       + (f", {plural(a.streak, 'week')} in a row met" if a.streak else ""))
    return out
