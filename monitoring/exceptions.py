"""Domain errors of monitoring."""

from agency.exceptions import StormdeskError


class SettingsError(StormdeskError):
    code = "invalid"
    status = 400


class DeadLetterError(StormdeskError):
    code = "invalid"
    status = 409


class IngestError(StormdeskError):
    code = "invalid"
    status = 400


class SignatureError(StormdeskError):
    code = "bad_signature"
    status = 403


class AlertError(StormdeskError):
    code = "conflict"
    status = 409


class AlertInputError(StormdeskError):
    code = "invalid"
    status = 400


class SourceError(StormdeskError):
    code = "invalid"
    status = 400


class ConnectionTestError(StormdeskError):
    code = "connection_failed"
    status = 502


class WatchInputError(StormdeskError):
    code = "invalid"
    status = 400


class AuthorError(StormdeskError):
    code = "invalid_author"
