"""Who is knocking, and how often: the client's IP address and the limits on guessing passwords.

Client IP. `X-Forwarded-For` is whatever the client wrote, plus what each proxy on the way
appended. It is believed only from the proxies named in settings.TRUSTED_PROXIES (addresses or
networks; none by default): when the connection comes from one, the client is the right-most
address of the header that is not itself a trusted proxy, i.e. the one our own proxies saw.
Otherwise the client is REMOTE_ADDR, whatever the header says. DRF's throttles (which by default
take the whole header as the client's identity) and allauth's login limits both use this.

Failed log-ins. Every wrong password (or TOTP code) for an e-mail address counts against that
account, at both doors (the token endpoint and the login form), whatever address it comes from;
LOGIN_FAILURE_LIMIT of them within LOGIN_FAILURE_WINDOW lock the account for LOGIN_LOCKOUT: the
right password is refused too until then. A successful log-in resets nothing, so an attacker
who also knows one good password (their own) cannot wipe the count. The counters live in the
Django cache (Redis); like every key there they carry the schema, and both doors are on the
agency host, in public.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    from django.http import HttpRequest
    from rest_framework.request import Request
    from rest_framework.views import APIView

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOGIN_FAILURE_LIMIT = 10
LOGIN_FAILURE_WINDOW = 15 * 60
LOGIN_LOCKOUT = 15 * 60
# IPv6 clients are counted per /64: one household or server gets a whole /64 to rotate through.
IPV6_PREFIX = 64


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _parse(value: str) -> IPAddress | None:
    """An address as proxies write it: bare, `v4:port`, `[v6]` or `[v6]:port`."""
    value = value.strip()
    if value.startswith("["):
        value = value[1 : value.find("]")] if "]" in value else ""
    elif value.count(":") == 1:
        value = value.split(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a trusted proxy the right-most untrusted
    address of X-Forwarded-For (an unreadable entry stops the walk at the proxy before it)."""
    remote_addr = str(request.META.get("REMOTE_ADDR") or "")
    remote = _parse(remote_addr)
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if remote is None or not _trusted(remote, networks):
        return str(remote) if remote is not None else remote_addr
    client = remote
    for hop in reversed(str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",")):
        if not hop.strip() and client == remote:
            continue  # no header at all: the proxy itself is the client (a health check)
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def client_ident(request: HttpRequest) -> str:
    """What a per-IP limit counts: the client's address, IPv6 ones by their /64."""
    ip = client_ip(request)
    address = _parse(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return ip or "unknown"


class ClientIPRateThrottle(SimpleRateThrottle):
    """A per-client-IP throttle of one endpoint (its own `scope` and `rate`) that a forged
    X-Forwarded-For cannot reset. Counts every request, signed in or not."""

    def get_ident(self, request: Request) -> str:
        return client_ident(request._request)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _account_key(email: str, what: str) -> str:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    return f"login:{what}:{digest}"


def login_lockout_seconds(*, email: str) -> int:
    """How long the account of `email` stays locked after too many failed log-ins; 0: it is
    not locked."""
    until: Any = cache.get(_account_key(email, "locked"))
    if until is None:
        return 0
    return max(0, int(float(until) - time.time() + 0.999))


def login_failure_record(*, email: str) -> int:
    """Count one failed log-in against `email` (whether an account has it or not, so that the
    answer says nothing about which do); returns the count in the current window. The count
    that reaches LOGIN_FAILURE_LIMIT locks the account for LOGIN_LOCKOUT seconds and starts a
    new window. Atomic in Redis: concurrent guesses are all counted."""
    count_key = _account_key(email, "failures")
    # The window opens with the first failure; INCR keeps its expiry.
    cache.add(count_key, 0, timeout=LOGIN_FAILURE_WINDOW)
    try:
        count = cache.incr(count_key)
    except ValueError:  # the window expired between the two calls
        cache.set(count_key, 1, timeout=LOGIN_FAILURE_WINDOW)
        count = 1
    if count >= LOGIN_FAILURE_LIMIT:
        cache.set(_account_key(email, "locked"), time.time() + LOGIN_LOCKOUT, LOGIN_LOCKOUT)
        cache.delete(count_key)
    return int(count)
