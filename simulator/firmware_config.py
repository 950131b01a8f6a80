"""Reading a firmware config.json on the host, validated by the firmware's own schema."""
from __future__ import annotations

import json
from pathlib import Path

from firmware.core import config as fw_config
from simulator.errors import ConfigError


def load_config(path: Path | None, **overrides: object) -> dict:
    """The config a run uses: the file (if any) plus overrides, rejected with every reason
    if anything is invalid (on the host we refuse; the insole itself falls back)."""
    raw: dict = {}
    if path is not None:
        try:
            raw = json.loads(Path(path).read_text())
        except OSError as e:
            raise ConfigError(f"{path}: cannot read ({e.strerror})") from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
            raise ConfigError(f"{path}: not valid JSON ({type(e).__name__}: {e})") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a JSON object")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    _, errors = fw_config.validate(raw)
    if errors:
        raise ConfigError(f"{path or 'config'}: " + "; ".join(errors))
    return raw
