"""The insole's config.json as the host reads and writes it: the one reader of config files
(archcue pull --config, archcue import --config, the simulator's --config), checked against the
firmware's own schema."""
from __future__ import annotations

import json
from pathlib import Path

from firmware.core import config as fw_config
from host.command import UserError
from host.files import read_small
from host.text import check_name

MAX_CONFIG_BYTES = 16 * 1024  # every setting with room to spare is under 1 KB
MAX_DIGITS = 18  # no setting's number is longer; a longer one is never parsed (Python refuses > 4300 digits)


def _number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a {len(text.lstrip('-'))}-digit number ({text[:6]}...): no setting is that large")
    return int(text)


def read_config(path: Path | str) -> dict:
    """A config.json as a dict, not yet validated: the one reader of config files (archcue
    pull --config, the simulator's --config). A regular file of at most MAX_CONFIG_BYTES."""
    data = read_small(path, MAX_CONFIG_BYTES, "an insole config")
    try:
        cfg = json.loads(data.decode("utf-8"), parse_int=_number)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # ValueError: JSONDecodeError, _number's
        raise UserError(f"{path}: cannot read a JSON config ({type(e).__name__}: {e})") from None
    if not isinstance(cfg, dict):
        raise UserError(f"{path}: a config is a JSON object, this is {type(cfg).__name__}")
    return cfg


def load_config(path: Path | None, **overrides: object) -> dict:
    """The config a firmware run uses (simulator replay/serve, archcue import): the file (if
    any) plus overrides, refused with every reason if anything is invalid (on the host we
    refuse; the insole itself falls back)."""
    raw = read_config(path) if path is not None else {}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    _, errors = fw_config.validate(raw)
    if errors:
        raise UserError(f"{path or 'config'}: " + "; ".join(errors))
    return raw


def check_config(cfg: dict) -> dict:
    """What the host will write to the insole, checked first: every setting against the
    firmware's schema, every string (the insole hands them back in its headers) as a name."""
    for key, value in cfg.items():
        empty_allowed = key in fw_config.SCHEMA and fw_config.SCHEMA[key][3] == ""  # runner_id, plan: "" is none
        if isinstance(value, str) and (value or not empty_allowed):
            check_name(key, value)
    _, errors = fw_config.validate(cfg)
    if errors:
        raise UserError("config not written: " + "; ".join(errors))
    return cfg
