"""The demo's platforms: a local stand-in of the write APIs the desk's replies and own posts go
out through (playbooks.senders), for bin/demo and the benchmarks. It answers each sender's
requests as the platform does (status codes, bodies in the platform's format, a new id per
item, permalinks in the platform's form), refuses a token it does not know in the platform's
own words, and appends every request with its answer to a JSONL log, so that a person sees
what "went out":

    .venv/bin/python bin/platform_standin.py [port] [--accounts FILE] [--log FILE]

bin/demo starts it on 8027 and points settings.CONNECTOR_BASE_URLS at it, by every sender's
base_key (the pull connectors' keys, which the senders share):

    export CONNECTOR_BASE_URLS="$(.venv/bin/python bin/platform_standin.py 8027 --base-urls)"

Port 0 takes a free one; the first line printed says which ("platform stand-in on
http://127.0.0.1:<port>").

The accounts (default var/platforms/accounts.json, which seed_demo writes from the demo
brands' account sources) are what the platforms know: a JSON object {"accounts": [...]}, each
account a platform and what its source carries, e.g.
{"platform": "instagram", "brand": "acme", "access_token": "...", "account_id": "1784...",
"username": "acmecoffee"}; Facebook: "page_id" (and "app_secret", which makes Graph check
appsecret_proof); X: "username"; Mastodon: "username", "instance" (the server its permalinks
name); Bluesky: "handle", "app_password" (and "did"); YouTube: "channel_id"; LinkedIn:
"organization_id". The file is read again when it changes.

What each platform does here, as it does out there:
- Meta Graph (any /vNN.N/ prefix): POST /{comment}/replies (Instagram), /{id}/comments,
  /{page}/feed (the page of the token only: Graph's #200 otherwise), the token in the
  Authorization header or the access_token field; an unknown token is OAuthException 190, an
  id that is not Graph's 100/33.
- X API v2: POST /2/tweets (201); an unknown token 401; the same text twice from one account,
  or more than 280 characters (a link counts 23), is X's 403.
- Mastodon: POST /api/v1/statuses; the Idempotency-Key header: the same key from the same
  account within an hour answers the first status again and posts nothing; over 500
  characters is the 422 "Validation failed".
- Bluesky: com.atproto.server.createSession (sessions of two hours: ExpiredToken after), then
  com.atproto.repo.createRecord; a record key (rkey) already taken is refused as the PDS
  refuses it (a 500: its repository will not hold two values at one key) and the first record
  stays; com.atproto.repo.getRecord reads a record back. Over 300 characters: InvalidRequest.
- YouTube Data API v3: POST /youtube/v3/comments and /commentThreads (part=snippet).
- LinkedIn: POST /rest/socialActions/{urn}/comments (201 with the comment, the URN in
  x-restli-id) and /rest/posts (201, the URN in x-restli-id), the LinkedIn-Version header
  required, the actor or author the token's organization (ACCESS_DENIED otherwise).

Reads (a pull connector pointed here: the connectors share these roots) are answered with an
empty page in the platform's format: the stand-in has no one else's posts to give, so a pull
source finds nothing and stays healthy. GET / is a page of the latest requests.

Standard library only: it runs beside the project with nothing to install.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "var" / "platforms"
JSON_TYPE = "application/json; charset=utf-8"

MASTODON_IDEMPOTENCY = timedelta(hours=1)
BLUESKY_SESSION = timedelta(hours=2)
X_LIMIT, MASTODON_LIMIT, BLUESKY_LIMIT = 280, 500, 300
X_LINK = re.compile(r"https?://\S+")
GRAPH_VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
GRAPH_ID = re.compile(r"\d+(_\d+)?")
GRAPH_EDGES = ("comments", "replies", "feed")
RECORD_KEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")
# X's epoch for its ids (snowflakes: milliseconds since it, then a sequence).
X_EPOCH_MS = 1288834974657
# settings.CONNECTOR_BASE_URLS keys (each sender's base_key) and the path of their root here.
BASE_KEYS = {
    "instagramgraph": "/v21.0",  # Meta Graph, versioned as monitoring.connectors.graph's
    "xrecentsearch": "",
    "mastodontimeline": "",
    "blueskysearch": "",
    "youtubecomments": "",
    "linkedinorganization": "",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    # The account the request's token (or sign-in) is, once a platform found it.
    account: dict[str, Any] | None = None

    def form(self) -> dict[str, Any]:
        """The body as JSON or as a form, whichever it is; {} when neither."""
        kind = self.headers.get("content-type", "")
        if "json" in kind:
            try:
                value = json.loads(self.body or b"null")
            except ValueError:
                return {}
            return value if isinstance(value, dict) else {}
        if "x-www-form-urlencoded" in kind:
            parsed = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
            return {k: v[0] for k, v in parsed.items()}
        return {}

    def bearer(self) -> str:
        value = self.headers.get("authorization", "")
        return value[7:].strip() if value.lower().startswith("bearer ") else ""


@dataclass
class Answer:
    status: int
    body: Any = None  # JSON-able; None for an empty body
    headers: dict[str, str] = field(default_factory=dict)
    account: str = ""  # the account that made it, as the log names it
    note: str = ""  # what the stand-in did beyond answering, for the log
    platform: str = ""


def _fbtrace() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(8)).decode().rstrip("=")[:11]


def _now_iso(ms: bool = True) -> str:
    now = datetime.now(UTC)
    text = now.isoformat(timespec="milliseconds" if ms else "seconds")
    return text.replace("+00:00", "Z")


def _mask(token: str) -> str:
    """A token as the log shows it: enough to tell two apart, never the secret."""
    return f"…{token[-4:]}" if len(token) > 8 else ("…" if token else "")


def _did_for(handle: str) -> str:
    digest = base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode().lower()
    return f"did:plc:{digest[:24]}"


def _cid(value: Any) -> str:
    """A content id in the form of the AT protocol's (CIDv1, dag-cbor, sha-256, base32)."""
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _x_length(text: str) -> int:
    """X's weighted length, near enough: a link counts 23 (t.co), anything else 1."""
    return len(X_LINK.sub("x" * 23, text))


class Accounts:
    """The accounts the platforms know, from the accounts file, read again when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._accounts: list[dict[str, Any]] = []

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            try:
                stamp = self.path.stat().st_mtime
            except FileNotFoundError:
                self._stamp, self._accounts = None, []
                return []
            if stamp != self._stamp:
                try:
                    loaded = json.loads(self.path.read_text())
                except ValueError:
                    loaded = {}
                accounts = loaded.get("accounts") if isinstance(loaded, dict) else None
                self._accounts = [a for a in accounts or [] if isinstance(a, dict)]
                self._stamp = stamp
            return list(self._accounts)

    def by_token(self, platforms: tuple[str, ...], token: str) -> dict[str, Any] | None:
        if not token:
            return None
        for account in self.all():
            if account.get("platform") in platforms and hmac.compare_digest(
                str(account.get("access_token") or ""), token
            ):
                return account
        return None

    def bluesky(self, identifier: str, password: str) -> dict[str, Any] | None:
        identifier = identifier.lstrip("@").lower()
        for account in self.all():
            if account.get("platform") != "bluesky":
                continue
            handle = str(account.get("handle") or "").lstrip("@").lower()
            did = str(account.get("did") or _did_for(handle))
            if identifier in (handle, did) and hmac.compare_digest(
                str(account.get("app_password") or ""), password
            ):
                return account
        return None


def label(account: dict[str, Any]) -> str:
    name = (
        account.get("username")
        or account.get("handle")
        or account.get("page_id")
        or account.get("channel_id")
        or account.get("organization_id")
        or ""
    )
    brand = account.get("brand")
    return f"{brand}: {name}" if brand else str(name)


class Platforms:
    """The platforms' state (what was posted, sessions, idempotency keys) and their answers.
    One lock guards the state: requests come in on many threads."""

    def __init__(self, accounts: Accounts) -> None:
        self.accounts = accounts
        self._lock = threading.Lock()
        self._sequence = itertools.count(1)
        self._mastodon_keys: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
        self._bluesky_sessions: dict[str, tuple[str, datetime]] = {}
        self._bluesky_records: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._x_texts: dict[tuple[str, str], str] = {}

    # -- ids -----------------------------------------------------------------------------------

    def _next(self) -> tuple[int, int]:
        """Milliseconds now and a sequence number: with them, ids are new on every request and
        after a restart."""
        return int(time.time() * 1000), next(self._sequence)

    def _graph_id(self, instagram: bool) -> str:
        ms, n = self._next()
        return f"17{ms % 10**11:011d}{n % 10**4:04d}" if instagram else f"{ms:013d}{n % 100:02d}"

    def _snowflake(self, epoch_ms: int = X_EPOCH_MS) -> str:
        ms, n = self._next()
        return str(((ms - epoch_ms) << 22) | (n % 4096))

    def _mastodon_id(self) -> str:
        ms, n = self._next()
        return str((ms << 16) | (n % 65536))

    def _tid(self) -> str:
        ms, n = self._next()
        value = ((ms * 1000) << 10) | (n % 1024)
        alphabet = "234567abcdefghijklmnopqrstuvwxyz"
        return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(13)))

    # -- dispatch ------------------------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        path = request.path
        if path.startswith("/2/"):
            answer = self._x(request)
            answer.platform = "x"
        elif path.startswith("/api/"):
            answer = self._mastodon(request)
            answer.platform = "mastodon"
        elif path.startswith("/xrpc/"):
            answer = self._bluesky(request)
            answer.platform = "bluesky"
        elif path.startswith("/youtube/"):
            answer = self._youtube(request)
            answer.platform = "youtube"
        elif path.startswith("/rest/"):
            answer = self._linkedin(request)
            answer.platform = "linkedin"
        else:
            answer = self._graph(request)
            found = request.account or {}
            answer.platform = str(found.get("platform") or "graph")
        if request.account is not None and not answer.account:
            answer.account = label(request.account)
        return answer

    # -- Meta Graph ------------------------------------------------------------------------------

    @staticmethod
    def _graph_error(
        status: int, message: str, code: int, kind: str = "OAuthException", **extra: Any
    ) -> Answer:
        error = {"message": message, "type": kind, "code": code, **extra, "fbtrace_id": _fbtrace()}
        headers = {}
        if kind == "OAuthException":
            reason = "invalid_token" if code == 190 else "invalid_request"
            headers["www-authenticate"] = f'OAuth "Facebook Platform" "{reason}" "{message}"'
        return Answer(status, {"error": error}, headers)

    def _graph(self, request: Request) -> Answer:
        path = GRAPH_VERSION.sub("", request.path)
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        form = request.form()
        token = request.bearer() or str(
            form.get("access_token") or request.query.get("access_token") or ""
        )
        if request.method == "GET":
            if len(parts) == 1:  # one object: the stand-in holds none
                return self._graph_missing(parts[0], "get")
            return Answer(200, {"data": [], "paging": {"cursors": {}}})
        if request.method != "POST" or len(parts) != 2 or parts[1] not in GRAPH_EDGES:
            return self._graph_error(400, "Unknown path components: /" + "/".join(parts[1:]), 2500)
        if not token:
            return self._graph_error(
                400,
                "An active access token must be used to query information about the current user.",
                2500,
            )
        account = self.accounts.by_token(("facebook", "instagram"), token)
        if account is None:
            return self._graph_error(
                400, "Invalid OAuth access token - Cannot parse access token", 190
            )
        request.account = account
        secret = str(account.get("app_secret") or "")
        if secret:
            proof = hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, str(form.get("appsecret_proof") or "")):
                return self._graph_error(
                    400,
                    "Invalid appsecret_proof provided in the API argument",
                    100,
                    "GraphMethodException",
                )
        target, edge = parts
        instagram = account.get("platform") == "instagram"
        if not GRAPH_ID.fullmatch(target):
            return self._graph_missing(target, "post")
        if edge == "feed" and (instagram or target != str(account.get("page_id") or "")):
            return self._graph_error(
                403,
                "(#200) If posting to a page, requires both pages_read_engagement and "
                "pages_manage_posts as an admin with sufficient administrative permission",
                200,
            )
        if edge == "replies" and not instagram:
            return self._graph_missing(target, "post")
        message = str(form.get("message") or "").strip()
        if not message:
            return self._graph_error(400, "(#100) The parameter message is required", 100)
        if instagram:
            made = self._graph_id(instagram=True)
        elif edge == "feed":
            made = f"{target}_{self._graph_id(instagram=False)}"
        else:  # a comment's id: the post's (or comment's) own number and the comment's
            made = f"{target.split('_')[-1]}_{self._graph_id(instagram=False)}"
        return Answer(200, {"id": made})

    def _graph_missing(self, target: str, verb: str) -> Answer:
        return self._graph_error(
            400,
            f"Unsupported {verb} request. Object with ID '{target}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation. Please "
            "read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
            100,
            "GraphMethodException",
            error_subcode=33,
        )

    # -- X API v2 --------------------------------------------------------------------------------

    @staticmethod
    def _x_rate_headers() -> dict[str, str]:
        reset = int(time.time()) + 900
        return {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "99",
            "x-rate-limit-reset": str(reset),
        }

    @staticmethod
    def _x_problem(status: int, title: str, detail: str, kind: str = "about:blank") -> Answer:
        return Answer(status, {"title": title, "detail": detail, "type": kind, "status": status})

    def _x(self, request: Request) -> Answer:
        if request.method == "GET":
            return Answer(200, {"meta": {"result_count": 0}}, self._x_rate_headers())
        if request.method != "POST" or request.path.rstrip("/") != "/2/tweets":
            return self._x_problem(
                404,
                "Not Found Error",
                f"Could not find the resource {request.path}.",
                "https://api.twitter.com/2/problems/resource-not-found",
            )
        account = self.accounts.by_token(("x",), request.bearer())
        if account is None:
            return self._x_problem(401, "Unauthorized", "Unauthorized")
        request.account = account
        body = request.form()
        text = str(body.get("text") or "")
        reply = body.get("reply") if isinstance(body.get("reply"), dict) else None
        parent = str((reply or {}).get("in_reply_to_tweet_id") or "")
        if reply is not None and not parent.isdigit():
            return Answer(
                400,
                {
                    "errors": [
                        {
                            "parameters": {"reply.in_reply_to_tweet_id": [parent]},
                            "message": f"The `reply.in_reply_to_tweet_id` query parameter "
                            f"value [{parent}] is not valid",
                        }
                    ],
                    "title": "Invalid Request",
                    "detail": "One or more parameters to your request was invalid.",
                    "type": "https://api.twitter.com/2/problems/invalid-request",
                },
            )
        if not text.strip():
            return self._x_problem(
                400,
                "Invalid Request",
                "One or more parameters to your request was invalid.",
                "https://api.twitter.com/2/problems/invalid-request",
            )
        if _x_length(text) > X_LIMIT:
            return self._x_problem(
                403,
                "Forbidden",
                "Your Tweet text is too long. For more information on how X determines text "
                "length see https://github.com/twitter/twitter-text.",
            )
        with self._lock:
            user = str(account.get("username") or label(account))
            earlier = self._x_texts.get((user, text))
            if earlier is None:
                made = self._snowflake()
                self._x_texts[(user, text)] = made
        if earlier is not None:
            answer = self._x_problem(
                403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
            )
            answer.note = f"the same text as post {earlier}"
            return answer
        data = {"edit_history_tweet_ids": [made], "id": made, "text": text}
        return Answer(201, {"data": data}, self._x_rate_headers())

    # -- Mastodon --------------------------------------------------------------------------------

    def _mastodon_account(self, account: dict[str, Any]) -> dict[str, Any]:
        username = str(account.get("username") or "brand")
        instance = str(account.get("instance") or "https://mastodon.example").rstrip("/")
        number = int(hashlib.sha256(username.encode()).hexdigest()[:14], 16)
        return {
            "id": str(number),
            "username": username,
            "acct": username,
            "display_name": str(account.get("display_name") or username),
            "url": f"{instance}/@{username}",
        }

    def _mastodon(self, request: Request) -> Answer:
        token = request.bearer()
        account = self.accounts.by_token(("mastodon",), token)
        if request.method == "GET":
            if request.path.endswith("/accounts/verify_credentials"):
                if account is None:
                    return self._mastodon_refused()
                request.account = account
                return Answer(200, self._mastodon_account(account))
            if request.path.startswith("/api/v2/search"):
                return Answer(200, {"accounts": [], "statuses": [], "hashtags": []})
            return Answer(200, [])
        if request.method != "POST" or request.path.rstrip("/") != "/api/v1/statuses":
            return Answer(404, {"error": "Record not found"})
        if account is None:
            return self._mastodon_refused()
        request.account = account
        form = request.form()
        key = request.headers.get("idempotency-key", "")
        now = datetime.now(UTC)
        with self._lock:
            for held, (at, _status) in list(self._mastodon_keys.items()):
                if now - at > MASTODON_IDEMPOTENCY:
                    del self._mastodon_keys[held]
            first = self._mastodon_keys.get((token, key)) if key else None
        if first is not None:
            return Answer(
                200,
                first[1],
                self._mastodon_rate_headers(),
                note=f"Idempotency-Key {key} seen before: its status again, nothing posted",
            )
        text = str(form.get("status") or "")
        if not text.strip():
            return Answer(422, {"error": "Validation failed: Text can't be blank"})
        if len(text) > MASTODON_LIMIT:
            return Answer(
                422,
                {"error": f"Validation failed: Text character limit of {MASTODON_LIMIT} exceeded"},
            )
        parent = str(form.get("in_reply_to_id") or "")
        if parent and not parent.isdigit():
            return Answer(404, {"error": "Record not found"})
        me = self._mastodon_account(account)
        instance = str(account.get("instance") or "https://mastodon.example").rstrip("/")
        made = self._mastodon_id()
        named = re.findall(r"(?<![\w@])@(\w+)", text)
        status = {
            "id": made,
            "created_at": _now_iso(),
            "in_reply_to_id": parent or None,
            "in_reply_to_account_id": (
                str(int(hashlib.sha256(parent.encode()).hexdigest()[:14], 16)) if parent else None
            ),
            "sensitive": False,
            "spoiler_text": "",
            "visibility": str(form.get("visibility") or "public"),
            "language": str(form.get("language") or "") or None,
            "uri": f"{instance}/users/{me['username']}/statuses/{made}",
            "url": f"{instance}/@{me['username']}/{made}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": f"<p>{html.escape(text)}</p>",
            "reblog": None,
            "application": {"name": "Stormdesk", "website": None},
            "account": me,
            "media_attachments": [],
            "mentions": [
                {"id": "", "username": n, "url": f"{instance}/@{n}", "acct": n} for n in named
            ],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if key:
            with self._lock:
                self._mastodon_keys[(token, key)] = (now, status)
        return Answer(200, status, self._mastodon_rate_headers())

    @staticmethod
    def _mastodon_rate_headers() -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(minutes=5)).isoformat(timespec="milliseconds")
        return {
            "x-ratelimit-limit": "300",
            "x-ratelimit-remaining": "299",
            "x-ratelimit-reset": reset.replace("+00:00", "Z"),
        }

    @staticmethod
    def _mastodon_refused() -> Answer:
        return Answer(
            401,
            {"error": "The access token is invalid"},
            {
                "www-authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                'error_description="The access token is invalid"'
            },
        )

    # -- Bluesky ---------------------------------------------------------------------------------

    @staticmethod
    def _xrpc_error(status: int, error: str, message: str) -> Answer:
        return Answer(status, {"error": error, "message": message})

    def _bluesky(self, request: Request) -> Answer:
        method = request.path.removeprefix("/xrpc/").rstrip("/")
        if method == "com.atproto.server.createSession" and request.method == "POST":
            return self._bluesky_session(request)
        if method == "com.atproto.repo.createRecord" and request.method == "POST":
            return self._bluesky_create(request)
        if method == "com.atproto.repo.getRecord" and request.method == "GET":
            return self._bluesky_get(request)
        if request.method == "GET":
            empty: dict[str, dict[str, list[Any]]] = {
                "app.bsky.feed.searchPosts": {"posts": []},
                "app.bsky.actor.getProfiles": {"profiles": []},
                "app.bsky.feed.getPosts": {"posts": []},
            }
            if method in empty:
                return Answer(200, empty[method])
        return self._xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")

    def _bluesky_session(self, request: Request) -> Answer:
        form = request.form()
        identifier, password = str(form.get("identifier") or ""), str(form.get("password") or "")
        account = self.accounts.bluesky(identifier, password)
        if account is None:
            return self._xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        handle = str(account.get("handle") or "").lstrip("@")
        did = str(account.get("did") or _did_for(handle))

        def jwt(kind: str) -> str:
            head = base64.urlsafe_b64encode(
                json.dumps({"typ": kind, "alg": "ES256K"}).encode()
            ).decode()
            claims = {"scope": "com.atproto.appPass", "sub": did, "iat": int(time.time())}
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode()
            return f"{head.rstrip('=')}.{payload.rstrip('=')}.{secrets.token_urlsafe(48)}"

        access = jwt("at+jwt")
        with self._lock:
            now = datetime.now(UTC)
            for held, (_did, until) in list(self._bluesky_sessions.items()):
                if until < now - BLUESKY_SESSION:  # long gone: forget it
                    del self._bluesky_sessions[held]
            self._bluesky_sessions[access] = (did, now + BLUESKY_SESSION)
        body = {
            "did": did,
            "didDoc": {},
            "handle": handle,
            "email": str(account.get("email") or f"social@{handle}"),
            "emailConfirmed": True,
            "emailAuthFactor": False,
            "accessJwt": access,
            "refreshJwt": jwt("refresh+jwt"),
            "active": True,
        }
        request.account = account
        return Answer(200, body)

    def _bluesky_create(self, request: Request) -> Answer:
        token = request.bearer()
        if not token:
            return self._xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        with self._lock:
            session = self._bluesky_sessions.get(token)
        if session is None:
            return self._xrpc_error(400, "InvalidToken", "Token could not be verified")
        did, until = session
        if until < datetime.now(UTC):
            return self._xrpc_error(400, "ExpiredToken", "Token has expired")
        account = next(
            (
                a
                for a in self.accounts.all()
                if a.get("platform") == "bluesky"
                and str(a.get("did") or _did_for(str(a.get("handle") or "").lstrip("@"))) == did
            ),
            {"platform": "bluesky", "handle": did},
        )
        request.account = account
        form = request.form()
        handle = str(account.get("handle") or "").lstrip("@")
        if str(form.get("repo") or "") not in (did, handle):
            return self._xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        collection = str(form.get("collection") or "")
        record = form.get("record")
        rkey = str(form.get("rkey") or "") or self._tid()
        problem = self._bluesky_invalid(collection, record, rkey)
        if problem:
            return self._xrpc_error(400, "InvalidRequest", problem)
        uri = f"at://{did}/{collection}/{rkey}"
        with self._lock:
            first = self._bluesky_records.get((did, collection, rkey))
            if first is None:
                stored = {"uri": uri, "cid": _cid(record), "value": record}
                self._bluesky_records[(did, collection, rkey)] = stored
        if first is not None:
            # The PDS's repository holds one value per key: its createRecord fails with an
            # error it does not name (a 500), and the first record stays as it was.
            answer = self._xrpc_error(500, "InternalServerError", "Internal Server Error")
            answer.note = f"record key {rkey} taken: the first record stays"
            return answer
        commit = {"cid": _cid([uri, "commit"]), "rev": self._tid()}
        body = {"uri": uri, "cid": stored["cid"], "commit": commit, "validationStatus": "valid"}
        return Answer(200, body)

    @staticmethod
    def _bluesky_invalid(collection: str, record: Any, rkey: str) -> str:
        if not re.fullmatch(r"[a-zA-Z]+(\.[a-zA-Z0-9-]+){2,}", collection):
            return "Input/collection must be a valid NSID"
        if not RECORD_KEY.fullmatch(rkey) or rkey in (".", ".."):
            return "Input/rkey must be a valid Record Key"
        if not isinstance(record, dict):
            return "Input/record must be an object"
        if record.get("$type") != collection:
            return f"Invalid {collection} record: Record/$type must be {collection}"
        if collection != "app.bsky.feed.post":
            return ""
        text = record.get("text")
        if not isinstance(text, str):
            return 'Invalid app.bsky.feed.post record: Record must have the property "text"'
        if len(text) > BLUESKY_LIMIT:
            return (
                "Invalid app.bsky.feed.post record: Record/text must not be longer than "
                f"{BLUESKY_LIMIT} graphemes"
            )
        if not isinstance(record.get("createdAt"), str):
            return 'Invalid app.bsky.feed.post record: Record must have the property "createdAt"'
        reply = record.get("reply")
        if reply is not None:
            for part in ("root", "parent"):
                ref = reply.get(part) if isinstance(reply, dict) else None
                if not (isinstance(ref, dict) and ref.get("uri") and ref.get("cid")):
                    return (
                        "Invalid app.bsky.feed.post record: Record/reply/"
                        f'{part} must have the properties "uri" and "cid"'
                    )
        return ""

    def _bluesky_get(self, request: Request) -> Answer:
        repo = request.query.get("repo", "")
        collection = request.query.get("collection", "")
        rkey = request.query.get("rkey", "")
        did = repo
        for account in self.accounts.all():
            handle = str(account.get("handle") or "").lstrip("@")
            if account.get("platform") == "bluesky" and repo == handle:
                did = str(account.get("did") or _did_for(handle))
        with self._lock:
            found = self._bluesky_records.get((did, collection, rkey))
        if found is None:
            return self._xrpc_error(
                400, "RecordNotFound", f"Could not locate record: at://{did}/{collection}/{rkey}"
            )
        return Answer(200, found)

    # -- YouTube ---------------------------------------------------------------------------------

    @staticmethod
    def _google_error(status: int, message: str, reason: str, state: str, **extra: Any) -> Answer:
        error = {
            "code": status,
            "message": message,
            "errors": [{"message": message, "domain": "global", "reason": reason, **extra}],
            "status": state,
        }
        return Answer(status, {"error": error})

    def _youtube(self, request: Request) -> Answer:
        resource = request.path.rstrip("/").rsplit("/", 1)[-1]
        if request.method == "GET":
            body = {
                "kind": f"youtube#{resource[:-1] if resource.endswith('s') else resource}"
                "ListResponse",
                "etag": secrets.token_urlsafe(20),
                "pageInfo": {"totalResults": 0, "resultsPerPage": 0},
                "items": [],
            }
            return Answer(200, body)
        if request.method != "POST" or resource not in ("comments", "commentThreads"):
            return self._google_error(404, "Not Found", "notFound", "NOT_FOUND")
        account = self.accounts.by_token(("youtube",), request.bearer())
        if account is None:
            answer = self._google_error(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "authError",
                "UNAUTHENTICATED",
                location="Authorization",
                locationType="header",
            )
            answer.headers["www-authenticate"] = (
                'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            )
            return answer
        request.account = account
        if "snippet" not in request.query.get("part", "").split(","):
            return self._google_error(
                400, "'part' is required", "required", "INVALID_ARGUMENT", location="part"
            )
        body = request.form()
        given = body.get("snippet")
        snippet: dict[str, Any] = given if isinstance(given, dict) else {}
        channel = str(account.get("channel_id") or "UC" + secrets.token_urlsafe(16)[:22])
        handle = str(account.get("username") or channel)
        now = _now_iso(ms=False)
        author = {
            "authorDisplayName": f"@{handle}",
            "authorProfileImageUrl": "https://yt3.ggpht.com/a/default-user=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{handle}",
            "authorChannelId": {"value": channel},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": 0,
            "publishedAt": now,
            "updatedAt": now,
        }
        if resource == "comments":
            parent = str(snippet.get("parentId") or "")
            text = str(snippet.get("textOriginal") or "")
            if not parent or not text.strip():
                return self._google_error(
                    400,
                    "The comment could not be created: it needs snippet.parentId and "
                    "snippet.textOriginal.",
                    "commentTextRequired" if parent else "parentIdMissing",
                    "INVALID_ARGUMENT",
                )
            made = f"{parent}.{secrets.token_urlsafe(16)[:22]}"
            comment = {
                "kind": "youtube#comment",
                "etag": secrets.token_urlsafe(20),
                "id": made,
                "snippet": {
                    "channelId": channel,
                    "textDisplay": html.escape(text),
                    "textOriginal": text,
                    "parentId": parent,
                    **author,
                },
            }
            return Answer(200, comment)
        video = str(snippet.get("videoId") or "")
        top = snippet.get("topLevelComment")
        inner = top.get("snippet") if isinstance(top, dict) else None
        text = str(inner.get("textOriginal") or "") if isinstance(inner, dict) else ""
        if not video or not text.strip():
            return self._google_error(
                400,
                "The comment thread could not be created: it needs snippet.videoId and "
                "snippet.topLevelComment.snippet.textOriginal.",
                "invalidCommentThreadMetadata",
                "INVALID_ARGUMENT",
            )
        made = "Ugz" + secrets.token_urlsafe(15)[:19] + "4AaABAg"
        thread = {
            "kind": "youtube#commentThread",
            "etag": secrets.token_urlsafe(20),
            "id": made,
            "snippet": {
                "channelId": channel,
                "videoId": video,
                "topLevelComment": {
                    "kind": "youtube#comment",
                    "etag": secrets.token_urlsafe(20),
                    "id": made,
                    "snippet": {
                        "channelId": channel,
                        "videoId": video,
                        "textDisplay": html.escape(text),
                        "textOriginal": text,
                        **author,
                    },
                },
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }
        return Answer(200, thread)

    # -- LinkedIn --------------------------------------------------------------------------------

    @staticmethod
    def _linkedin_error(status: int, code: str, message: str, service: int | None = None) -> Answer:
        body: dict[str, Any] = {"status": status}
        if service is not None:
            body["serviceErrorCode"] = service
        body |= {"code": code, "message": message}
        return Answer(status, body)

    def _linkedin(self, request: Request) -> Answer:
        if request.method == "GET":
            return Answer(200, {"paging": {"start": 0, "count": 0, "links": []}, "elements": []})
        account = self.accounts.by_token(("linkedin",), request.bearer())
        if account is None:
            return self._linkedin_error(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
        request.account = account
        version = request.headers.get("linkedin-version", "")
        if not re.fullmatch(r"\d{6}(\.\d{2})?", version):
            return self._linkedin_error(
                400,
                "VERSION_MISSING",
                "A version must be present. Please specify a version by adding the "
                "LinkedIn-Version header.",
            )
        organization = str(account.get("organization_id") or "")
        urn = (
            organization
            if organization.startswith("urn:")
            else f"urn:li:organization:{organization}"
        )
        body = request.form()
        path = request.path.rstrip("/")
        refused = self._linkedin_error(
            403,
            "ACCESS_DENIED",
            f"Not enough permissions to access: partnerApiSocialActions.CREATE.{version}",
            100,
        )
        if path == "/rest/posts":
            if body.get("author") != urn:
                refused.body["message"] = (
                    f"Not enough permissions to access: posts.CREATE.{version}"
                )
                return refused
            if not str(body.get("commentary") or "").strip():
                return self._linkedin_error(
                    422, "UNPROCESSABLE_ENTITY", "/commentary :: is required"
                )
            made = f"urn:li:share:{self._snowflake()}"
            return Answer(
                201,
                None,
                {
                    "x-restli-id": made,
                    "x-linkedin-id": made,
                    "x-restli-protocol-version": "2.0.0",
                },
            )
        match = re.fullmatch(r"/rest/socialActions/([^/]+)/comments", path)
        if match is None:
            return self._linkedin_error(404, "NOT_FOUND", f"No virtual resource found {path}")
        under = unquote(match[1])
        if body.get("actor") != urn:
            return refused
        text = (
            str((body.get("message") or {}).get("text") or "")
            if isinstance(body.get("message"), dict)
            else ""
        )
        post = str(body.get("object") or "")
        if not text.strip() or not post.startswith("urn:li:"):
            return self._linkedin_error(
                422, "UNPROCESSABLE_ENTITY", "/message/text :: is required; /object :: is required"
            )
        activity = post if post.startswith("urn:li:activity:") else under
        number = self._snowflake()
        made = f"urn:li:comment:({activity},{number})"
        ms = int(time.time() * 1000)
        person = "urn:li:person:" + hashlib.sha256(urn.encode()).hexdigest()[:10]
        stamp = {"actor": person, "impersonator": urn, "time": ms}
        comment = {
            "actor": urn,
            "agent": person,
            "commentUrn": made,
            "created": stamp,
            "id": number,
            "lastModified": stamp,
            "message": {"attributes": [], "text": text},
            "object": post,
        }
        if body.get("parentComment"):
            comment["parentComment"] = body["parentComment"]
        headers = {"x-restli-id": made, "x-restli-protocol-version": "2.0.0"}
        return Answer(201, comment, headers)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _said(form: Any) -> str:
    """The text a write carries, wherever its platform puts it."""
    form = _object(form)
    snippet = _object(form.get("snippet"))
    message = form.get("message")
    candidates = [
        _object(message).get("text") if isinstance(message, dict) else message,  # LinkedIn, Graph
        form.get("text"),  # X
        form.get("status"),  # Mastodon
        form.get("commentary"),  # LinkedIn's posts
        _object(form.get("record")).get("text"),  # Bluesky
        snippet.get("textOriginal"),  # YouTube's replies
        _object(_object(snippet.get("topLevelComment")).get("snippet")).get("textOriginal"),
    ]
    return next((str(c) for c in candidates if isinstance(c, str) and c), "")


def _made(answer: Answer) -> str:
    """The id of what the platform made, from its answer."""
    body = _object(answer.body)
    for value in (
        body.get("uri") if "cid" in body else None,  # Bluesky
        _object(body.get("data")).get("id"),  # X
        body.get("id") if answer.status < 300 else None,
        answer.headers.get("x-restli-id"),  # LinkedIn
    ):
        if isinstance(value, str | int) and not isinstance(value, bool) and value:
            return str(value)
    return ""


class Log:
    """Every request and its answer, one JSON object a line; the latest kept for GET /."""

    def __init__(self, path: Path, keep: int = 100) -> None:
        self.path = path
        self.keep = keep
        self.latest: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, request: Request, answer: Answer) -> None:
        form: Any = request.form()
        if "password" in form:  # Bluesky's sign-in: the app password stays out of the log
            form = {**form, "password": _mask(str(form["password"]))}
        if "access_token" in form:
            form = {**form, "access_token": _mask(str(form["access_token"]))}
        entry = {
            "at": _now_iso(),
            "platform": answer.platform,
            "method": request.method,
            "path": request.path,
            "query": {k: v for k, v in request.query.items() if k != "access_token"},
            "token": _mask(request.bearer()),
            "idempotency_key": request.headers.get("idempotency-key") or None,
            "request": form or (request.body[:2000].decode("utf-8", "replace") or None),
            "account": answer.account or None,
            "status": answer.status,
            # For a person reading it: what was said, and what the platform made of it.
            "text": _said(form) or None,
            "made": _made(answer) or None,
            "answer": answer.body,
            "answer_headers": answer.headers or None,
            "note": answer.note or None,
        }
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            with self.path.open("a", encoding="utf-8") as log:
                log.write(line + "\n")
            self.latest = [entry, *self.latest[: self.keep - 1]]


STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 80rem;
  color: #161616; background: #fff; }
h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
p { margin: 0 0 1rem; }
code { background: #f1f1f1; padding: 0 .2rem; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #c9c9c9; padding: .45rem .5rem; text-align: left;
  vertical-align: top; }
th { background: #f1f1f1; font-size: .9rem; }
td.path, td.made { font-family: ui-monospace, monospace; font-size: .85rem;
  word-break: break-all; }
.ok { color: #0b6b2b; font-weight: 600; }
.refused { color: #a4161a; font-weight: 600; }
@media (max-width: 46rem) {
  thead { position: absolute; left: -9999px; }
  tr { display: block; border: 1px solid #c9c9c9; border-radius: .4rem; margin: 0 0 .8rem;
    padding: .3rem .2rem; }
  td { display: block; border: 0; padding: .15rem .5rem; }
  td::before { content: attr(data-label) ": "; font-weight: 600; }
  td:empty { display: none; }
}
"""
COLUMNS = ("At (UTC)", "Platform", "Request", "Account", "Status", "Text", "Made", "Note")


def _index(log: Log) -> bytes:
    def row(entry: dict[str, Any]) -> str:
        status = int(entry["status"])
        cells = [
            ("", str(entry["at"]).replace("T", " ").removesuffix("Z")),
            ("", entry["platform"]),
            ("path", f"{entry['method']} {entry['path']}"),
            ("", entry["account"] or "unknown token"),
            ("ok" if status < 400 else "refused", str(status)),
            ("", entry.get("text") or ""),
            ("made", entry.get("made") or ""),
            ("", entry["note"] or ""),
        ]
        tds = (
            f'<td class="{kind}" data-label="{html.escape(name)}">{html.escape(str(value))}</td>'
            for name, (kind, value) in zip(COLUMNS, cells, strict=True)
        )
        return f"<tr>{''.join(tds)}</tr>"

    rows = "".join(row(e) for e in log.latest)
    head = "".join(f'<th scope="col">{html.escape(name)}</th>' for name in COLUMNS)
    empty = "" if log.latest else "<p>Nothing has been sent yet.</p>"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Platform stand-in: what went out</title>
<style>{STYLE}</style></head><body><main>
<h1>Platform stand-in: what went out</h1>
<p>The latest {len(log.latest)} requests to the platforms' APIs, newest first. Every request,
with its body and the platform's answer, is in <code>{html.escape(str(log.path))}</code>.</p>
{empty}<table><thead><tr>{head}</tr></thead>
<tbody>{rows}</tbody></table></main></body></html>"""
    return page.encode()


def handler_for(platforms: Platforms, log: Log) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the platforms and httpx do
        server_version = "platform-standin"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            if self.command == "GET" and parts.path == "/favicon.ico":  # a browser's, not an API's
                self.send_response(404)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            if self.command == "GET" and parts.path in ("", "/"):
                page = _index(log)
                self.send_response(200)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            request = Request(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            answer = platforms.answer(request)
            log.write(request, answer)
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            if answer.body is not None:
                self.send_header("content-type", JSON_TYPE)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass  # the JSONL log says it all

    return Handler


def serve(
    port: int = 0,
    *,
    accounts: Path | None = None,
    log: Path | None = None,
    host: str = "127.0.0.1",
) -> ThreadingHTTPServer:
    """The stand-in, bound and ready (call serve_forever, or run it in a thread)."""
    platforms = Platforms(Accounts(accounts or DEFAULT_DIR / "accounts.json"))
    server = ThreadingHTTPServer(
        (host, port), handler_for(platforms, Log(log or DEFAULT_DIR / "requests.jsonl"))
    )
    server.daemon_threads = True
    return server


def base_urls(root: str) -> dict[str, str]:
    """settings.CONNECTOR_BASE_URLS pointing every sender (and the pull connector whose key it
    shares) at the stand-in on `root`."""
    return {key: root.rstrip("/") + path for key, path in BASE_KEYS.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("port", nargs="?", type=int, default=8027)
    parser.add_argument("--accounts", type=Path, default=DEFAULT_DIR / "accounts.json")
    parser.add_argument("--log", type=Path, default=DEFAULT_DIR / "requests.jsonl")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--base-urls",
        action="store_true",
        help="print CONNECTOR_BASE_URLS for a stand-in on this port (JSON) and exit",
    )
    options = parser.parse_args(argv)
    if options.base_urls:
        print(json.dumps(base_urls(f"http://{options.host}:{options.port}")))
        return
    server = serve(options.port, accounts=options.accounts, log=options.log, host=options.host)
    print(
        f"platform stand-in on http://{options.host}:{server.server_port} "
        f"(accounts {options.accounts}, log {options.log})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main(sys.argv[1:])
