"""The training program's runs: what each one asks of the insole. The default follows gait
retraining with real-time feedback (Crowell and Davis 2010: 8 sessions over 2-3 weeks, feedback
removed over the last four): a cue on every flagged landing in runs 1-4, then fading to 50%
(runs 5-6), 25% (run 7) and none (run 8), then a retention run without any cue at least 4 weeks
after the last training run. The plan section (host/plan/program.py) keeps which run is next."""
from __future__ import annotations

SHARES = (100, 100, 100, 100, 50, 50, 25, 0)  # cue share of flagged landings, training runs 1-8
CUE_FREE_S = 600  # every training run's first minutes: no cue (host/program/evidence.py says why)
RETENTION_WEEKS = 4  # the retention run at least this long after the last training run
TRAINING_DAYS = (14, 21)  # the training runs spread over 2-3 weeks
PLAN = "program"  # the config's `plan` on the program's runs


def retention_step(shares: tuple[int, ...] = SHARES) -> int:
    """The retention run's plan_step: after the training runs."""
    return len(shares) + 1


def run_config(step: int, shares: tuple[int, ...] = SHARES) -> dict:
    """The insole's config for the program's run `step` (1..len(shares): training; then the retention
    run): plan and plan_step, echoed in the session header, and the cue keys."""
    share = shares[step - 1] if step <= len(shares) else 0
    cfg = {"plan": PLAN, "plan_step": step, "cue_after_s": CUE_FREE_S}
    if share == 0:
        return {**cfg, "cue_mode": "off"}
    if share == 100:
        return {**cfg, "cue_mode": "every"}
    return {**cfg, "cue_mode": "faded", "fade_start_pct": share, "fade_end_pct": share}
