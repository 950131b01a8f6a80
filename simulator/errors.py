"""Errors that are the user's input, not a bug: reported as one clear line, exit code 2.
The simulator's own (scenario, recording, config, firmware run) are host.command.UserError,
as archcue's are; a bad board profile is hardware's BoardError (hardware imports no host)."""
from hardware.board_data import BoardError
from host.command import UserError


class ConfigError(UserError):
    pass


class ScenarioError(UserError):
    pass


USER_ERRORS = (UserError, BoardError)
