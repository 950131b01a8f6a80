import json

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
