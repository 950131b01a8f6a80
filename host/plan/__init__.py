"""One plan per runner: what the coach set (drills, a training program, a protocol) and what
the insole's next run is, written to the insole at pull (see host/plan/plan.py)."""
