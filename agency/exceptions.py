"""The base of every domain error; the API maps them to JSON responses."""


class StormdeskError(Exception):
    """A domain error: an HTTP status, a stable code and, where it applies, the field at fault."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDeniedError(StormdeskError):
    code = "permission_denied"
    status = 403
