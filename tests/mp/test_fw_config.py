import json
import os

from core import config


def test_defaults_are_valid():
    cfg, errors = config.validate(config.defaults())
    assert errors == [] and cfg == config.defaults()


def test_wrong_type_range_and_unknown_key_fall_back_per_key():
    cfg, errors = config.validate({"rate_hz": "200", "block_s": 5, "foo": 1, "cue_mode": "every",
                                   "calib_steps": True})
    assert cfg["rate_hz"] == 200 and cfg["block_s"] == 60 and cfg["calib_steps"] == 30
    assert cfg["cue_mode"] == "every"  # the valid key is kept
    text = " | ".join(errors)
    assert "rate_hz: expected int" in text and "block_s: 5 is outside" in text
    assert "foo: unknown setting" in text and "calib_steps: expected int" in text


def test_bad_choice_and_order():
    cfg, errors = config.validate({"foot": "middle", "min_stance_ms": 700, "max_stance_ms": 500})
    assert cfg["foot"] == "right" and cfg["min_stance_ms"] == 80 and cfg["max_stance_ms"] == 1700
    assert len(errors) == 2 and "must not exceed" in errors[1]


def test_not_an_object():
    cfg, errors = config.validate([1, 2])
    assert cfg == config.defaults() and "expected a JSON object" in errors[0]


def test_load_missing_and_malformed_files():
    cfg, errors = config.load("/nonexistent/config.json")
    assert cfg == config.defaults() and errors == []
    path = "/tmp/archcue_bad_config.json"
    with open(path, "w") as f:
        f.write("{rate_hz: 200")
    cfg, errors = config.load(path)
    assert cfg == config.defaults() and "not valid JSON" in errors[0]
    with open(path, "w") as f:
        json.dump({"rate_hz": 500}, f)
    cfg, errors = config.load(path)
    assert cfg["rate_hz"] == 500 and errors == []


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _fresh(path):
    """path with no config, no last good one (MicroPython and CPython share /tmp)."""
    for p in (path, path + ".bak"):
        try:
            os.remove(p)
        except OSError:
            pass
    return path


def test_a_config_too_large_or_too_deep_is_refused_before_it_is_parsed():
    path = _fresh("/tmp/archcue_big_config.json")
    _write(path, '{"runner_id": "%s"}' % ("x" * (config.MAX_BYTES + 10)))
    cfg, errors = config.load(path)
    assert cfg == config.defaults() and "refused" in errors[0] and "more than the insole reads" in errors[0]
    _write(path, "[" * 2000 + "]" * 2000)  # 4000 bytes: small, but json would build 2000 levels
    cfg, errors = config.load(path)
    assert cfg == config.defaults() and "nested deeper than" in errors[0], errors
    _write(path + ".bak", json.dumps({"runner_id": "ana", "foot": "left"}))  # the last good one
    cfg, errors = config.load(path)
    assert cfg["runner_id"] == "ana" and "using the last good config" in errors[0]


def test_brackets_inside_strings_are_not_nesting():
    path = _fresh("/tmp/archcue_str_config.json")
    _write(path, json.dumps({"runner_id": "[{[{[{\\\"}]"}))
    cfg, errors = config.load(path)
    assert cfg["runner_id"] == '[{[{[{\\"}]' and errors == []


def test_a_thousand_bad_keys_make_a_short_list_of_reasons():
    cfg, errors = config.validate({"k%d" % i: i for i in range(1000)})
    assert cfg == config.defaults() and len(errors) == 9 and errors[-1] == "... and 992 more"


def test_saving_over_an_unreadable_config_does_not_keep_it_as_the_last_good():
    path = _fresh("/tmp/archcue_save_config.json")
    _write(path, "[" * 5000 + "]" * 5000)
    config.save(path, json.dumps({"runner_id": "new"}))
    cfg, errors = config.load(path)
    assert cfg["runner_id"] == "new" and errors == []
    try:
        open(path + ".bak").close()
        kept = True
    except OSError:
        kept = False
    assert not kept  # a torn new config falls back to the defaults, not to the bad one
    config.save(path, json.dumps({"runner_id": "newer"}))
    with open(path + ".bak") as f:
        assert json.load(f)["runner_id"] == "new"  # a good one is kept as the last good


def test_arm_order_must_be_whole_rounds_of_every_arm():
    cfg, errors = config.validate({"arm_order": "hnsf fsnh"})
    assert errors == [] and cfg["arm_order"] == "hnsf fsnh"
    for bad in ("hnsf", "hnsf fsn", "hnsf ffnh", "hnsx fsnh", "nfhs" * 25):  # 1 round, cut, twice f, a letter, 25
        cfg, errors = config.validate({"arm_order": bad})
        assert cfg["arm_order"] == "" and len(errors) == 1 and errors[0].startswith("arm_order:"), bad
