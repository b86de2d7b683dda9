"""Domain errors of the brand's response; the API and the pages show them as 4xx."""

from agency.exceptions import StormdeskError


class IncidentError(StormdeskError):
    code = "invalid_incident"


class ReplyOnceError(StormdeskError):
    """A second reply in a thread, or to an author within the incident: a discussion."""

    code = "reply_once"
    status = 409
