"""allauth adapter: no self-service sign-up; after login, back to the brand host that asked."""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by the agency (onboarding, demo, admin), never by visitors.
        return False

    def is_safe_url(self, url: str | None) -> bool:
        if not url:
            return False
        parts = urlsplit(url)
        if not parts.netloc:
            return url_has_allowed_host_and_scheme(url, allowed_hosts=None)
        host = (parts.hostname or "").lower()
        ours = host == settings.BASE_DOMAIN or host.endswith("." + settings.BASE_DOMAIN)
        return ours and url_has_allowed_host_and_scheme(url, allowed_hosts={parts.netloc})
