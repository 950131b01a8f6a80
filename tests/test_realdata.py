"""Recordings no one here made (../shared/data/real), replayed through the firmware."""
from __future__ import annotations

import pytest

from simulator.realdata import REAL, fukuchi, gaitpdb, replay

pytestmark = pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is not beside the project")


@pytest.mark.parametrize("trial", ["RBDS001runT25forces.txt", "RBDS001runT35forces_fromc3d.txt",
                                   "RBDS0041runT252forces.txt"])
def test_treadmill_running_contacts_match_the_force_plate(trial: str) -> None:
    r = replay(fukuchi(trial))
    assert r["f1"] >= 0.99, r
    assert abs(r["ic_err_median"]) <= 10 and r["ic_abs_p95"] <= 20, r
    assert abs(r["to_err_median"]) <= 20 and r["to_abs_p95"] <= 30, r


def test_walking_insole_steps_are_found() -> None:
    r = replay(gaitpdb("GaCo01_01.txt"))
    assert r["f1"] >= 0.95, r
