"""Scenarios: simulator/scenarios/NAME.json (fields in scenarios/README.md) loaded, checked
field by field and completed with the defaults, for the synthetic runner in synth.py."""
from __future__ import annotations

import json
from pathlib import Path

from firmware.core import fsr
from hardware.board_data import CHANNELS
from simulator.errors import ScenarioError
from simulator.synth import KINDS, STRIKES

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"

# every top-level field a scenario may set, with its default
FIELDS = {
    "description": "",
    "seconds": 180,
    "strike": "rearfoot",
    "cadence_spm": 170.0,
    "cadence_jitter_pct": 1.5,
    "load_scale": 1.0,
    "segments": None,
    "p_collapse": 0.25,
    "p_collapse_end": None,
    "p_toe_engaged": 0.2,
    "responder_factor": 1.0,
    "responder_spread_factor": 1.0,
    "arch_spread": 0.10,
    "walk_loading_ms": 0,
    "cue_compliance": None,
    "sensors": {},
}
SEGMENT_FIELDS = {"kind", "seconds", "cadence_spm", "load_scale"}
COMPLIANCE_FIELDS = {"p", "delay_steps", "steps"}
SENSOR_FIELDS = {"preload_n", "drift_n_per_min", "noise_n", "preload_wander_n", "spikes_per_s", "spike_counts",
                 "dead", "shorted", "intermittent", "intermittent_per_s", "extra_noise_counts"}
# numeric fields: (low, high) inclusive; None: unbounded on that side
_RANGES = {
    "seconds": (1, 86400), "cadence_spm": (60, 260), "cadence_jitter_pct": (0, 20), "load_scale": (0.05, 5),
    "p_collapse": (0, 1), "p_collapse_end": (0, 1), "p_toe_engaged": (0, 1), "responder_factor": (0, 10),
    "responder_spread_factor": (0, 10), "arch_spread": (0, 1), "walk_loading_ms": (0, 300),
}
_SENSOR_RANGES = {"preload_n": (0, 100), "drift_n_per_min": (-10, 10), "noise_n": (0, 20), "preload_wander_n": (0, 20),
                  "spikes_per_s": (0, 100),
                  "spike_counts": (0, fsr.ADC_MAX), "intermittent_per_s": (0, 100)}


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


def load_scenario(name_or_path: str) -> dict:
    """A scenario by name (simulator/scenarios/NAME.json) or path, validated, with defaults."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {name_or_path!r}; known: {', '.join(scenario_names())}")
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{path}: not valid JSON ({e})") from None
    return validate_scenario(raw, str(path), path.stem)


def validate_scenario(raw: object, where: str = "scenario", name: str = "custom") -> dict:
    """Check a scenario's fields (types, ranges, channel names) and fill in the defaults;
    the first problem raises ScenarioError naming the field."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: a scenario is a JSON object {{...}}, not {type(raw).__name__}")
    unknown = set(raw) - set(FIELDS)
    if unknown:
        raise ScenarioError(f"{where}: unknown fields {', '.join(sorted(unknown))}")
    scenario = {**FIELDS, **raw, "name": name}
    if not isinstance(scenario["description"], str):
        raise ScenarioError(f"{where}: description must be text")
    if scenario["strike"] not in STRIKES:
        raise ScenarioError(f"{where}: strike must be one of {', '.join(STRIKES)}")
    for key, (lo, hi) in _RANGES.items():
        if not (key == "p_collapse_end" and scenario[key] is None):
            _number(where, key, scenario[key], lo, hi)
    if scenario["segments"] is not None:
        _check_segments(where, scenario["segments"])
    if scenario["cue_compliance"] is not None:
        _check_compliance(where, scenario["cue_compliance"])
    _check_sensors(where, scenario["sensors"])
    return scenario


def _number(where: str, key: str, value: object, lo: float | None, hi: float | None,
            integer: bool = False) -> None:
    kinds = (int,) if integer else (int, float)
    if not isinstance(value, kinds) or isinstance(value, bool) or value != value:  # bool is an int; NaN
        raise ScenarioError(f"{where}: {key} must be {'an integer' if integer else 'a number'}, not {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScenarioError(f"{where}: {key} = {value!r} is outside {lo}..{hi}")


def _object(where: str, name: str, value: object, allowed: set[str]) -> dict:
    """`value`, once it is known to be a JSON object whose keys are all among `allowed`."""
    if not isinstance(value, dict):
        raise ScenarioError(f"{where}: {name} must be an object with fields among {', '.join(sorted(allowed))}")
    bad = set(value) - allowed
    if bad:
        raise ScenarioError(f"{where}: {name}: unknown fields {', '.join(sorted(bad))}")
    return value


def _check_segments(where: str, segments: object) -> None:
    if not isinstance(segments, list) or not segments:
        raise ScenarioError(f"{where}: segments must be a non-empty list of {{\"kind\": ..., \"seconds\": ...}}")
    for i, seg in enumerate(segments):
        at = f"segments[{i}]"
        seg = _object(where, at, seg, SEGMENT_FIELDS)
        if seg.get("kind") not in KINDS:
            raise ScenarioError(f"{where}: {at}.kind must be one of {', '.join(KINDS)}, not {seg.get('kind')!r}")
        if "seconds" not in seg:
            raise ScenarioError(f"{where}: {at}.seconds is missing")
        _number(where, f"{at}.seconds", seg["seconds"], 0.5, 86400)
        for key in ("cadence_spm", "load_scale"):
            if key in seg:
                _number(where, f"{at}.{key}", seg[key], *_RANGES[key])


def _check_compliance(where: str, comp: object) -> None:
    comp = _object(where, "cue_compliance", comp, COMPLIANCE_FIELDS)
    if "p" not in comp:
        raise ScenarioError(f"{where}: cue_compliance.p is missing")
    _number(where, "cue_compliance.p", comp["p"], 0, 1)
    _number(where, "cue_compliance.delay_steps", comp.get("delay_steps", 1), 0, 20, integer=True)
    _number(where, "cue_compliance.steps", comp.get("steps", 3), 1, 100, integer=True)


def _check_sensors(where: str, sensors: object) -> None:
    sensors = _object(where, "sensors", sensors, SENSOR_FIELDS)
    for key in ("preload_n", "drift_n_per_min"):  # one number for all channels, or one per channel
        if key in sensors:
            value = sensors[key]
            if isinstance(value, list):
                if len(value) != 6:
                    raise ScenarioError(f"{where}: sensors.{key} needs 6 values ({', '.join(CHANNELS)}), "
                                        f"not {len(value)}")
                for ch, v in zip(CHANNELS, value):
                    _number(where, f"sensors.{key}[{ch}]", v, *_SENSOR_RANGES[key])
            else:
                _number(where, f"sensors.{key}", value, *_SENSOR_RANGES[key])
    for key in ("noise_n", "preload_wander_n", "spikes_per_s", "spike_counts", "intermittent_per_s"):
        if key in sensors:
            _number(where, f"sensors.{key}", sensors[key], *_SENSOR_RANGES[key])
    for key in ("dead", "shorted", "intermittent"):
        names = sensors.get(key, [])
        if not isinstance(names, list):
            raise ScenarioError(f"{where}: sensors.{key} must be a list of channel names")
        for ch in names:
            if ch not in CHANNELS:
                raise ScenarioError(f"{where}: sensors.{key}: {ch!r} is not a channel ({', '.join(CHANNELS)})")
    noise = sensors.get("extra_noise_counts", {})
    if not isinstance(noise, dict):
        raise ScenarioError(f"{where}: sensors.extra_noise_counts must be an object {{\"channel\": counts rms}}")
    for ch, sigma in noise.items():
        if ch not in CHANNELS:
            raise ScenarioError(f"{where}: sensors.extra_noise_counts: {ch!r} is not a channel ({', '.join(CHANNELS)})")
        _number(where, f"sensors.extra_noise_counts.{ch}", sigma, 0, fsr.ADC_MAX)
