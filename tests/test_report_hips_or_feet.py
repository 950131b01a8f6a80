"""`archcue report RUNNER` on a runner who ran the hips-or-feet protocol: the report gains a
"Hips or feet" section (text, JSON, HTML) built by the same code as `archcue hips-or-feet
--runner`. The store is drawn directly (tests/block_steps.py, packed as the firmware packs its
records; the answers as the insole's EV_ANSWER event records), no firmware run: fast."""
from __future__ import annotations

import base64
import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from firmware.core import arms, record
from host.cli import main
from host.hips_or_feet.words import TITLE
from host.store.db import Store
from tests.block_steps import STEP_MS, block_run
from tests.squad_store import add_session

WARMUP_S, BLOCK_S = 600, 180  # pain mode: 3-minute blocks
RATED_AT_MS = 160_000  # in each block's last 30 s
# two pain-mode runs of 4 rounds (the ratings of tests/test_hips_or_feet.py's two files): the feet cue eases
PAIN_RUNS = [("hnsf fsnh nhfs sfhn", [4, 5, 4, 2, 2, 4, 5, 4, 5, 4, 3, 5, 4, 2, 4, 5]),
             ("nfhs hsfn snhf fhns", [5, 3, 5, 4, 4, 4, 2, 5, 5, 6, 5, 3, 2, 4, 5, 5])]


def protocol_steps(order: str, seed: int, warmup_s: int = WARMUP_S, block_s: int = BLOCK_S,
                   stop: int | None = None) -> np.ndarray:
    """The landings of a protocol run: every cue arm's blocks buzzed, the toes curled (and the arch
    collapsing less) in the feet arm's only; after a safety stop at block `stop`, no cue."""
    codes = np.frombuffer(arms.parse_arms(order) or b"", dtype=np.uint8).astype(np.int64)  # -1: no arm
    steps = block_run((warmup_s + len(codes) * block_s) / 60, seed, warmup_s=warmup_s, block_s=block_s)
    block = steps["block"].astype(np.int64)
    arm = np.where((block >= 1) & (block <= min(len(codes), stop or len(codes))),
                   codes[np.clip(block - 1, 0, len(codes) - 1)], -1)
    rng = np.random.default_rng(seed)
    engaged = rng.random(len(steps)) < np.where(arm == arms.ARM_FEET, 0.7, 0.15)
    collapse = rng.random(len(steps)) < np.where(engaged, 0.15, 0.4)
    calibrated = np.arange(len(steps)) >= 30

    def bit(name: str) -> int:
        return 1 << record.FLAG_NAMES.index(name)
    steps["arch_share"] = np.where(collapse, 1600, 800)
    steps["flags"] = ((collapse & calibrated) * bit("collapse") + (engaged & calibrated) * bit("toe_engaged")
                      + (arm > arms.ARM_NONE) * bit("cue_block") + calibrated * bit("calibrated"))
    return steps


def answers(pain: list[int], warmup: int = 4, familiar: tuple[int, int] = (10, 10),
            expect: tuple[int, int, int] | None = (7, 5, 4)) -> bytes:
    """The runner's answers as the insole logs them (firmware/app.py: EV_ANSWER event records)."""
    out, buf = bytearray(), bytearray(record.SIZE)

    def one(command: str, a: int, b: int = 0, c: int = 0, block: int = 0, into: int = 0) -> None:
        t = (WARMUP_S * 1000 + (block - 1) * BLOCK_S * 1000 + into) if block else 200_000
        stopped = int(block > 0 and arms.safety_stop(a, warmup))
        record.pack_event_into(buf, 0, record.EV_ANSWER, t, ord(command), a, b, c, block, stopped, into)
        out.extend(buf)
    if expect:
        one("X", *expect)
    one("F", *familiar)
    one("P", warmup)
    for b, p in enumerate(pain, 1):
        one("P", p, block=b, into=RATED_AT_MS)
    return bytes(out)


def protocol_config(order: str, pain_mode: bool, block_s: int = BLOCK_S) -> dict:
    return {"cue_mode": "blocks", "warmup_s": WARMUP_S, "block_s": block_s, "arm_order": order,
            "pain_mode": int(pain_mode)}


def build_store(path: Path) -> Path:
    """ana: two pain-mode runs (on two days); bob: one loading-mode protocol run; cara: a plain
    block-protocol run (no arm order); dana: a pain-mode run left out (familiarisation 8 of 10) and
    one stopped at block 7 (pain 7/10)."""
    store = Store(path)
    for k, (order, pain) in enumerate(PAIN_RUNS):
        add_session(store, f"ana-00000{k + 1}", "ana", "right", f"2026-11-0{2 + 7 * k}T07:00:00",
                    protocol_steps(order, seed=k), config=protocol_config(order, True),
                    events=answers(pain, expect=(7, 5, 4) if k == 0 else None))
    for k, (familiar, pain) in enumerate((((8, 10), PAIN_RUNS[0][1]), ((10, 10), PAIN_RUNS[1][1][:6] + [7]))):
        order = PAIN_RUNS[k][0]
        add_session(store, f"dana-00000{k + 1}", "dana", "left", f"2026-11-1{k}T07:00:00",
                    protocol_steps(order, seed=10 + k, stop=7 if k else None), config=protocol_config(order, True),
                    events=answers(pain, familiar=familiar, expect=None))
    order = "fhsn hsnf"
    add_session(store, "bob-000001", "bob", "left", "2026-11-03T07:00:00",
                protocol_steps(order, seed=5, block_s=60), config=protocol_config(order, False, block_s=60))
    add_session(store, "cara-000001", "cara", "left", "2026-11-03T08:00:00", block_run(30, seed=7),
                config={"cue_mode": "blocks", "warmup_s": 600, "block_s": 60})
    store.close()
    return path


def archcue(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(build_store(tmp_path_factory.mktemp("hof") / "s.sqlite"))


def test_the_store_holds_protocol_runs_with_their_answers(store: str) -> None:
    s = Store(Path(store))
    [first, _] = s.sessions("ana")
    assert s.headers([first.id])[first.id]["config"]["arm_order"] == PAIN_RUNS[0][0]
    assert len([e for e in s.events(first.id) if e["kind"] == "answer"]) == 3 + 16
    assert STEP_MS * len(s.steps(first.id)) >= (WARMUP_S + 16 * BLOCK_S) * 1000 - STEP_MS


def report(store: str, runner: str, fmt: str, *more: str) -> str:
    code, out, err = archcue("--store", store, "report", runner, "--format", fmt, *more)
    assert code == 0, err
    return out


def test_the_report_carries_the_commands_answer_in_text_json_and_html(store: str) -> None:
    code, answer, _ = archcue("--store", store, "hips-or-feet", "--runner", "ana", "--format", "json")
    assert code == 0 and json.loads(answer)["verdict"] == "feet"
    assert json.loads(report(store, "ana", "json"))["hips_or_feet"] == json.loads(answer)  # one document
    code, words, _ = archcue("--store", store, "hips-or-feet", "--runner", "ana")
    assert words.startswith("hips or feet: the feet cue (curl the toes) eased the knee pain")
    text = report(store, "ana", "text")
    assert f"{TITLE}\n{'-' * len(TITLE)}\n{words}" in text  # the command's words, whole, under the heading
    for said in ("  feet  eases ", "expected before the run (0-10): session ana-000001: feet 7, hips 5, sham 4",
                 "loading per arm", "cannot see hip motion", "the rule:"):
        assert said in words
    page = report(store, "ana", "html")
    section = page[page.index(f"<h2>{TITLE}</h2>"):page.index("<h2>History")]
    assert "<p class='verdict stabilizes'><b>hips or feet: the feet cue (curl the toes) eased" in section
    assert "<td>feet</td><td>eases</td>" in section and "<th>loading per arm</th>" in section
    [png] = re.findall(r"<img alt='Hips or feet: the pain per round' src='data:image/png;base64,([^']+)'>", section)
    assert base64.b64decode(png).startswith(b"\x89PNG")
    assert "Over 8 rounds the pain averaged 5.1/10 with no cue, 2.4 with the feet cue" in section  # its caption


def test_runs_left_out_and_safety_stops_are_in_the_section(store: str) -> None:
    text = report(store, "dana", "text")
    assert ("session dana-000001: familiarisation 8 of 10 right: the cues need 9 of 10; left out" in text
            and "session dana-000002: stopped at block 7 (safety stop)" in text)
    assert "hips or feet: not decided yet after 1 round" in text  # round 2 ended at its third block
    doc = json.loads(report(store, "dana", "json"))["hips_or_feet"]
    assert doc["left_out"] == ["session dana-000001"] and doc["runs"][1]["stopped_at_block"] == 7
    assert "<p class='verdict inconclusive'>" in report(store, "dana", "html")


def test_a_loading_mode_run_shows_the_loading_and_asks_for_pain_mode(store: str) -> None:
    text = report(store, "bob", "text")
    section = text[text.index(TITLE):text.index("History")]
    assert [line.split()[0] for line in section.splitlines()[3:7]] == ["none", "feet", "hips", "sham"]
    assert "no pain answer: these runs were not in pain mode" in section and "hips or feet:" not in section
    doc = json.loads(report(store, "bob", "json"))["hips_or_feet"]
    assert doc["verdict"] is None and [x["arm"] for x in doc["loading_per_arm"]] == ["none", "feet", "hips", "sham"]
    page = report(store, "bob", "html")
    assert f"<h2>{TITLE}</h2>" in page and "Hips or feet: the pain per round" not in page  # no pain, no figure


def test_a_runner_without_protocol_runs_gets_the_report_as_it_was(store: str) -> None:
    assert TITLE not in report(store, "cara", "text") and "hips or feet" not in report(store, "cara", "text")
    assert "hips_or_feet" not in json.loads(report(store, "cara", "json"))
    page = report(store, "cara", "html")
    assert "ips or feet" not in page and page.count("<img ") == 3  # the toe-curl figures only


def test_the_section_covers_the_sessions_the_report_covers(store: str) -> None:
    first = json.loads(report(store, "ana", "json", "--session", "ana-000001"))["hips_or_feet"]
    assert [r["source"] for r in first["runs"]] == ["session ana-000001"] and first["rounds"] == 4
    assert first["verdict"] == "not decided yet"  # one run of 4 rounds can never be clear
    later = json.loads(report(store, "ana", "json", "--since", "2026-11-05"))["hips_or_feet"]
    assert [r["source"] for r in later["runs"]] == ["session ana-000002"]
    assert all(x["blocks"] == 4 for x in later["loading_per_arm"])  # the loading per arm of that run alone


def test_the_squad_shows_each_runners_hips_or_feet_answer(store: str) -> None:
    """`archcue squad`: the answer of `archcue hips-or-feet --runner` beside the runners whose runs
    ran the protocol in pain mode (a loading-mode or plain run has no cell)."""
    code, out, _ = archcue("--store", store, "squad", "--format", "json")
    assert code == 0
    cells = {r["runner"]: r["beside"].get("hips or feet") for r in json.loads(out)["runners"]}
    code, answer, _ = archcue("--store", store, "hips-or-feet", "--runner", "ana", "--format", "json")
    ana = json.loads(answer)
    assert cells["ana"] == f"{ana['verdict']} ({ana['rounds']} rounds)"
    dana = json.loads(archcue("--store", store, "hips-or-feet", "--runner", "dana", "--format", "json")[1])
    assert dana["verdict"] == "not decided yet" and dana["rounds_needed"] > 0  # its other run is left out
    assert cells["dana"] == f"not decided yet (1 round; about {dana['rounds_needed']} more)"
    assert cells["bob"] is None and cells["cara"] is None
    assert "hips or feet" in archcue("--store", store, "squad")[1]


def test_the_loading_per_arm_leaves_out_what_a_safety_stop_left_uncued(store: str) -> None:
    """dana's second run stopped at block 7: its cue arms' later blocks had no cue, so they are no
    arm's; its no-cue blocks stay no-cue blocks."""
    code, out, _ = archcue("--store", store, "hips-or-feet", "--runner", "dana", "--format", "json")
    blocks = {x["arm"]: x["blocks"] for x in json.loads(out)["loading_per_arm"]}
    second = PAIN_RUNS[1][0].replace(" ", "")
    cued = {arm: second[:7].count(arm[0]) for arm in ("feet", "hips", "sham")}
    assert blocks == {"none": 8, **{arm: 4 + n for arm, n in cued.items()}}
