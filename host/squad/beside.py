"""What the squad page shows beside each runner's verdict, from the capabilities that have it:
the foot drills' adherence this week (host/drills) for runners who do drills, and the
hips-or-feet answer (host/hips_or_feet) for runners with a pain-mode protocol run.
Each function gives {runner: cell words} for the runners it has something for; the page leaves a
column no runner has a value for out."""
from __future__ import annotations

from datetime import date

from host.drills.view import adherence, sets_of, this_week
from host.hips_or_feet.command import pain_runs
from host.hips_or_feet.words import answer_of
from host.store.db import SessionRow, Store
from host.text import plural

DRILLS = "drills this week"
HIPS_OR_FEET = "hips or feet"


def drills(store: Store, sessions: list[SessionRow], today: date) -> dict[str, str]:
    """Days with a drill set this week against the target, and the streak of weeks that met it."""
    out = {}
    for runner in sorted({r.runner for r in sessions if r.kind == "drills"}):
        a = adherence(sets_of(store, runner), store.plan(runner), today)
        out[runner] = (f"{this_week(a, today)} of {a.per_week} days"
                       + (f", {plural(a.streak, 'week')} in a row met" if a.streak else ""))
    return out


def hips_or_feet(store: Store, sessions: list[SessionRow]) -> dict[str, str]:
    """The verdict of `archcue hips-or-feet --runner` and its rounds (not decided yet: about how
    many more would settle it), for runners whose runs ran the protocol in pain mode (their
    headers say so: no steps are read)."""
    runs = [r for r in sessions if r.kind == "run"]
    headers = store.headers([r.id for r in runs])
    out = {}
    for runner in sorted({r.runner for r in runs if (headers[r.id].get("config") or {}).get("pain_mode")}):
        answer, left_out = answer_of(pain_runs(store, [r for r in runs if r.runner == runner]))
        more = f"; about {answer.rounds_needed} more" if answer and answer.rounds_needed else ""
        out[runner] = (f"{answer.verdict} ({plural(answer.rounds, 'round')}{more})" if answer
                       else f"no run counts ({plural(len(left_out), 'run')} left out)")
    return out
