"""allauth adapter: no self-service sign-up; after login, back to the brand host that asked; the
client IP and the failed log-ins counted as the API counts them (agency.throttling)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

from agency.middleware import portal_url
from agency.models import User
from agency.throttling import client_ip, login_failure_record, login_lockout_seconds
from clients.models import Client
from clients.selectors import host_is_served


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts are created by the agency (onboarding, demo, admin), never by visitors.
        return False

    def is_safe_url(self, url: str | None) -> bool:
        """A relative URL, or one on the agency's host or the host of a brand that exists: not
        any name under BASE_DOMAIN (`next=` to a host nobody answers on is refused)."""
        if not url:
            return False
        parts = urlsplit(url)
        if not parts.netloc:
            return url_has_allowed_host_and_scheme(url, allowed_hosts=None)
        ours = host_is_served(host=parts.hostname or "")
        return ours and url_has_allowed_host_and_scheme(url, allowed_hosts={parts.netloc})

    def get_reset_password_from_key_url(self, key: str) -> str:
        """On the portal, where the account pages are, whichever host asked for the mail (a
        brand's members page gives a new person access and sends them this link)."""
        path = reverse(
            "account_reset_password_from_key",
            kwargs={"uidb36": "UID", "key": "KEY"},
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        )
        return portal_url(path.replace("UID-KEY", quote(key)))

    def send_invitation_mail(self, *, user: User, client: Client, inviter: User) -> None:
        """Tell a person created without a password that they have access to `client` and how
        to set one: allauth's set-password link (the reset flow), worded as an invitation, in
        the brand's language. Needs allauth's request context (its middleware, or entered)."""
        token = account_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
        url = self.get_reset_password_from_key_url(f"{user_pk_to_url_str(user)}-{token}")
        with translation.override(client.language):
            self.send_mail(
                "account/email/invitation",
                user.email,
                {"user": user, "brand": client, "inviter": inviter, "url": url},
            )

    def get_client_ip(self, request: HttpRequest) -> str:
        # allauth's login limits per IP: X-Forwarded-For believed only from TRUSTED_PROXIES.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # An account locked by failed log-ins (here or on the token endpoint) is refused before
        # its password is checked.
        email = credentials.get("email")
        if email and login_lockout_seconds(email=email):
            raise self.validation_error("too_many_login_attempts")
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        email = credentials.get("email")
        if email:
            login_failure_record(email=email)
        super().authentication_failed(request, **credentials)
