"""Runs every firmware test module in tests/mp under the MicroPython unix port.

The same modules are also collected by pytest under CPython (tests/mp/conftest.py), so
core logic is proven on both interpreters. Each MicroPython test function becomes one
pytest item here; a module runs once and its per-test results are shared.
"""
from __future__ import annotations

import os
import re
import subprocess
from functools import cache

import pytest

from host.sources.engine import MICROPYTHON
from simulator.device import ROOT

MP_DIR = ROOT / "tests" / "mp"


def _cases() -> list[tuple[str, str]]:
    cases = []
    for path in sorted(MP_DIR.glob("test_*.py")):
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(), re.M):
            cases.append((path.stem, name))
    return cases


@cache
def _run_module(module: str) -> tuple[dict[str, str], str]:
    env = dict(os.environ)
    env["MICROPYPATH"] = f"{ROOT / 'firmware'}:{MP_DIR}"
    proc = subprocess.run(
        [str(MICROPYTHON), "-X", "heapsize=16M", str(MP_DIR / "mprun.py"), module],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=600,
    )
    results = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"(PASS|FAIL) (test_\w+)(.*)", line)
        if m:
            results[m.group(2)] = m.group(1) + m.group(3)
    return results, proc.stdout + proc.stderr


@pytest.mark.parametrize("module,test", _cases(), ids=lambda v: v)
def test_under_micropython(module: str, test: str) -> None:
    results, output = _run_module(module)
    assert test in results, f"{module}.{test} did not run under MicroPython:\n{output}"
    assert results[test] == "PASS", f"{module}.{test} under MicroPython:\n{output}"
