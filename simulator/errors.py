"""Errors that are the user's input, not a bug: reported as one clear line, exit code 2."""
from hardware.board_data import BoardError
from simulator.device import FirmwareError
from simulator.recording import RecordingError
from simulator.synth import ScenarioError


class ConfigError(ValueError):
    pass


USER_ERRORS = (RecordingError, ScenarioError, BoardError, FirmwareError, ConfigError)
