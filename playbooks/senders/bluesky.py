"""Bluesky: posts and replies through `com.atproto.repo.createRecord` on the account's server.

Credentials "handle" and "app_password" (an app password, never the account's own) sign in
(`com.atproto.server.createSession`, 30 a 5 minutes per account: the session is kept in this
process's memory for SESSION_SECONDS, by server and credentials); an expired session
("ExpiredToken", a 400) signs in again once. A reply names its parent and the thread's root,
each by uri and cid: the mention's raw post view gives both (`uri`, `cid`, and its record's
`reply.root`; a post that is no reply is its own thread's root).

The record key is a TID made from the response's draft time and row (base.SendKey): the same
response always asks for the same record, and a second createRecord with it cannot make a
second post. The server refuses that second createRecord without saying why (its repository
holds one value per key: an InternalServerError, 500), so a 500 is followed by
`com.atproto.repo.getRecord` of the key: a record there is this response's, sent by an earlier
try whose answer was lost, and the send is done; none there, the 500 stands. The permalink is
bsky.app's, with the handle and the record key.
"""

from __future__ import annotations

from typing import Any

import httpx

from monitoring.connectors.base import ConnectorError, Http, Tokens, json_or_none
from monitoring.connectors.bluesky import PDS_URL, SESSION_ENDED, SESSION_SECONDS
from playbooks.senders.base import (
    Sender,
    SendError,
    SendKey,
    SentItem,
    Target,
    answered_id,
    now_iso,
    refusal_by_status,
    words,
)

TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
POST = "app.bsky.feed.post"
_SESSIONS = Tokens()


def tid(micros: int, clock: int) -> str:
    """A record key in the TID form: 53 bits of microseconds since the epoch and 10 bits of
    clock id, as 13 sortable base32 characters."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock & 1023)
    out = []
    for _ in range(13):
        out.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


class _SessionEnded(SendError):
    pass


def strong_ref(value: Any) -> dict[str, str] | None:
    """{"uri", "cid"} of a post, when `value` has both."""
    if not isinstance(value, dict) or not value.get("uri") or not value.get("cid"):
        return None
    return {"uri": str(value["uri"]), "cid": str(value["cid"])}


class BlueskySender(Sender):
    name = "Bluesky"
    platform = "bluesky"
    base_key = "blueskysearch"
    default_base_url = PDS_URL
    credentials_needed = (
        ("handle", "the brand's Bluesky handle"),
        ("app_password", "an app password of that account"),
    )

    def refusal(self, response: httpx.Response) -> SendError | None:
        body = json_or_none(response)
        code = str(body.get("error") or "") if isinstance(body, dict) else ""
        if response.status_code >= 400 and code in SESSION_ENDED:
            return _SessionEnded(f"Bluesky ended the session: {words(response)}.")
        return refusal_by_status(self.name, response)

    def _session(self, http: Http, credentials: dict[str, Any], *, fresh: bool) -> tuple[str, str]:
        """The account's DID and an access token."""
        handle = str(credentials.get("handle") or "").lstrip("@")
        held = Tokens.key(self.base_url, handle, credentials.get("app_password"))
        cached = None if fresh else _SESSIONS.get(held)
        if cached:
            did, token = cached.split(" ", 1)
            return did, token
        body, _ = self.post_json(
            http,
            f"{self.base_url}/xrpc/com.atproto.server.createSession",
            json={"identifier": handle, "password": credentials.get("app_password", "")},
        )
        did, token = answered_id(body, "did"), answered_id(body, "accessJwt")
        if not did or not token:
            raise SendError("Bluesky signed in but gave no session.")
        _SESSIONS.put(held, f"{did} {token}", SESSION_SECONDS)
        return did, token

    def _record(self, http: Http, did: str, rkey: str) -> dict[str, Any] | None:
        """The account's post at `rkey`, when the server has one."""
        try:
            response = http.get(
                f"{self.base_url}/xrpc/com.atproto.repo.getRecord",
                params={"repo": did, "collection": POST, "rkey": rkey},
                refusal=self.refusal,
            )
        except ConnectorError:  # not there, or not readable now: the refusal stands
            return None
        body = json_or_none(response)
        return body if isinstance(body, dict) and answered_id(body, "uri") else None

    def send_reply(
        self,
        target: Target,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        parent = strong_ref(target.raw)
        if parent is None:
            raise SendError(
                "Bluesky needs the post's uri and cid to reply, and the stored mention has "
                "none: reply in Bluesky and record it here with its URL."
            )
        record = target.raw.get("record")
        reply = record.get("reply") if isinstance(record, dict) else None
        root = strong_ref(reply.get("root")) if isinstance(reply, dict) else None
        return self._create(
            {"text": text, "reply": {"root": root or parent, "parent": parent}},
            credentials,
            key,
            http,
        )

    def send_post(
        self,
        text: str,
        *,
        credentials: dict[str, Any],
        settings: dict[str, Any],
        key: SendKey,
        http: Http,
    ) -> SentItem:
        return self._create({"text": text}, credentials, key, http)

    def _create(
        self, fields: dict[str, Any], credentials: dict[str, Any], key: SendKey, http: Http
    ) -> SentItem:
        rkey = tid(key.micros, key.clock)
        record = {"$type": POST, "createdAt": now_iso(), **fields}
        did, token = self._session(http, credentials, fresh=False)
        for attempt in (1, 2):
            try:
                body, _ = self.post_json(
                    http,
                    f"{self.base_url}/xrpc/com.atproto.repo.createRecord",
                    json={"repo": did, "collection": POST, "rkey": rkey, "record": record},
                    headers={"Authorization": f"Bearer {token}"},
                )
                break
            except _SessionEnded:
                if attempt == 2:
                    raise
                did, token = self._session(http, credentials, fresh=True)
            except SendError as exc:
                if exc.status != 500:  # not what a server answers for a key taken
                    raise
                found = self._record(http, did, rkey)
                if found is None:
                    raise
                body = found  # out already, by an earlier try: nothing is sent twice
                break
        uri = answered_id(body, "uri")
        handle = str(credentials.get("handle") or did).lstrip("@")
        made = uri or f"at://{did}/{POST}/{rkey}"
        return SentItem(external_id=made, url=f"https://bsky.app/profile/{handle}/post/{rkey}")
