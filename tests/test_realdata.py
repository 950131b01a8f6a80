"""Recordings no one here made (../shared/data/real), replayed through the firmware."""
from __future__ import annotations

import numpy as np
import pytest

from simulator.realdata import REAL, fukuchi, gaitpdb, load_onsets, moticon, pooled, replay, walking

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


def test_walks_from_standing_land_where_the_load_begins() -> None:
    # Moticon's walks start and end standing: every landing (the first after the lift, the
    # last that stays down) within 60 ms, and 20 ms at the 95th percentile
    rows = [walking(moticon(f, side)) for f in ("230927_102114.txt", "230927_102137.txt", "230927_102231.txt")
            for side in ("left", "right")]
    p = pooled(rows)
    assert p["f1"] >= 0.95 and p["ic_abs_p95"] <= 20, (p, rows)


@pytest.mark.parametrize("file", ["GaCo02_02.txt", "GaCo04_01.txt"])
def test_walking_insole_landings_where_the_load_begins(file: str) -> None:
    r = walking(gaitpdb(file))
    assert r["f1"] >= 0.95 and r["ic_abs_p95"] <= 20, r


def test_load_onsets_find_landings_not_a_standing_foot() -> None:
    t = np.arange(0, 6000, 10.0)
    total = np.zeros(len(t))
    total[:100] = 300  # standing: no landing (the foot never left the ground)
    total[100:120] = 500  # takes the weight, then lifts
    for start in (1500, 2700, 3900):  # three landings: a slow heel, then the rest
        i = int(start / 10)
        total[i:i + 10] = np.arange(10) * 10
        total[i + 10:i + 60] = 800
    got = load_onsets(t, total)
    assert len(got) == 3 and np.all(np.abs(got - [1500, 2700, 3900]) <= 10), got  # within a sample
