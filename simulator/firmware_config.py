"""Reading a firmware config.json on the host, validated by the firmware's own schema."""
from __future__ import annotations

from pathlib import Path

from firmware.core import config as fw_config
from host.pull import read_config
from simulator.errors import ConfigError


def load_config(path: Path | None, **overrides: object) -> dict:
    """The config a run uses: the file (if any) plus overrides, rejected with every reason
    if anything is invalid (on the host we refuse; the insole itself falls back)."""
    raw = read_config(path) if path is not None else {}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    _, errors = fw_config.validate(raw)
    if errors:
        raise ConfigError(f"{path or 'config'}: " + "; ".join(errors))
    return raw
