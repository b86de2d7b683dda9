"""Domain errors of monitoring."""

from agency.exceptions import StormdeskError


class SettingsError(StormdeskError):
    code = "invalid"
    status = 400
