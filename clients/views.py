"""Pages of the clients app: the answer to a host that belongs to no brand."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from clients.tenancy import host_normalize


def unknown_host(request: HttpRequest) -> HttpResponse:
    """A host with no brand: a clear 404, never the public schema's pages or data."""
    host = host_normalize(request.get_host())
    message = f"No brand answers on {host}."
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"status": 404, "code": "unknown_host", "message": message, "fields": {}}},
            status=404,
        )
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    body = render_to_string(
        "unknown_host.html",
        {"host": host, "portal_url": f"http://{settings.BASE_DOMAIN}{port}/"},
    )
    return HttpResponse(body, status=404)
