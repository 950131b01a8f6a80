"""Recordings no one here made (../shared/data/real), replayed through the firmware."""
from __future__ import annotations

import pytest

from simulator.realdata import REAL, fukuchi, gaitpdb, replay

pytestmark = pytest.mark.skipif(not REAL.exists(), reason="../shared/data/real is not beside the project")


@pytest.mark.parametrize("trial", ["RBDS001runT25forces.txt", "RBDS001runT35forces_fromc3d.txt",
                                   "RBDS0041runT252forces.txt"])
def test_treadmill_running_contacts_match_the_force_plate(trial: str) -> None:
    r = replay(fukuchi(trial))
    assert r["f1"] == 1.0, r  # issue 9's bars, default config
    assert abs(r["ic_err_median"]) <= 5 and r["ic_abs_p95"] <= 20, r
    # toe-off: the reference is the 30 N crossing of a 30 Hz-filtered force, ours the zero crossing
    assert abs(r["to_err_median"]) <= 30 and r["to_abs_p95"] <= 35, r


@pytest.mark.parametrize("file", ["GaCo01_01.txt", "GaCo03_01.txt", "GaCo05_01.txt"])
def test_walking_insole_steps_are_found_with_the_default_config(file: str) -> None:
    r = replay(gaitpdb(file))
    assert r["f1"] >= 0.95, r
