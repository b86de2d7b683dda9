"""The demo's platforms (bin/platform_standin.py) with the real senders end to end: the stand-in
runs on a free port, settings.CONNECTOR_BASE_URLS points every sender at it, and replies and own
posts go out through playbooks.sending.response_send as they do in the demo. Each platform's
answer in its format with a new id and its permalink; a token the platform does not know is
refused in its words; Mastodon's Idempotency-Key and Bluesky's record key keep a repeated
request from posting twice; X refuses the same text twice; the pull connectors that share the
roots read an empty page; every request is in the JSONL log, with no secret in it."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from agency.models import AuditEvent
from clients import tenancy
from monitoring.connectors import PULL
from monitoring.models import Source
from monitoring.services.polling import source_poll
from monitoring.services.sources import source_update
from playbooks.exceptions import IncidentError
from playbooks.models import Response
from playbooks.senders import SENDERS
from playbooks.senders import bluesky as bluesky_sender
from playbooks.sending import ResponseSendError
from tests.monitoring.factories import make_source
from tests.playbooks.test_sending import (
    MENTIONS,
    SOURCES,
    START,
    TEXT,
    brand_incident,
    draft,
    send,
)

SCRIPT = Path(__file__).resolve().parents[2] / "bin" / "platform_standin.py"
POST_TEXT = "An update on what happened, and what we do now: https://alpha.test/qa/k3"


def standin_module() -> ModuleType:
    """bin/platform_standin.py as a module (bin/ is no package)."""
    name = "platform_standin"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


class Running:
    """A stand-in serving on a free port, and its log."""

    def __init__(self, root: str, log: Path) -> None:
        self.root = root
        self.log = log

    def entries(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def writes(self) -> list[dict[str, Any]]:
        """The requests that write (a sign-in is none)."""
        return [
            e
            for e in self.entries()
            if e["method"] == "POST" and not e["path"].endswith("createSession")
        ]


@contextmanager
def running_standin(accounts: Path, log: Path, settings: Any) -> Iterator[Running]:
    """The stand-in in a thread of this process, every sender's root pointed at it."""
    standin = standin_module()
    server = standin.serve(0, accounts=accounts, log=log)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = f"http://127.0.0.1:{server.server_port}"
    settings.CONNECTOR_BASE_URLS = standin.base_urls(root)
    bluesky_sender._SESSIONS.clear()
    try:
        yield Running(root, log)
    finally:
        server.shutdown()
        server.server_close()
        bluesky_sender._SESSIONS.clear()


def account_of(platform: str) -> dict[str, Any]:
    """Alpha's account on `platform` as the platform knows it: what its source carries."""
    spec = SOURCES[platform]
    account = {"platform": platform, "brand": "alpha", **spec["settings"], **spec["credentials"]}
    if platform in ("instagram", "mastodon"):
        account["username"] = "alphabakery"
    return account


@pytest.fixture
def platforms(tmp_path: Path, settings: Any) -> Iterator[Running]:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({"accounts": [account_of(p) for p in sorted(SENDERS)]}))
    with running_standin(accounts, tmp_path / "requests.jsonl", settings) as running:
        yield running


REPLY_LINKS = {
    "facebook": r"https://www\.facebook\.com/555_\d{15}",
    "instagram": re.escape(MENTIONS["instagram"]["url"]),
    "x": r"https://x\.com/alphabakery/status/\d{19}",
    "mastodon": r"https://mastodon\.example/@alphabakery/\d{17,19}",
    "bluesky": r"https://bsky\.app/profile/alphabakery\.bsky\.social/post/[2-7a-z]{13}",
    "youtube": r"https://www\.youtube\.com/watch\?v=dQw4w9WgXcQ&lc=UgzDE2tasfmrYLyNkGt4AaABAg\."
    r"[\w-]{22}",
    "linkedin": r"https://www\.linkedin\.com/feed/update/urn:li:activity:7301234567890123456",
}
POST_LINKS = {
    "facebook": r"https://www\.facebook\.com/112233445566778_\d{15}",
    "x": REPLY_LINKS["x"],
    "mastodon": REPLY_LINKS["mastodon"],
    "bluesky": REPLY_LINKS["bluesky"],
    "linkedin": r"https://www\.linkedin\.com/feed/update/urn:li:share:\d{19}",
}


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(SENDERS))
def test_a_reply_and_an_own_post_go_out_through_each_platforms_stand_in(world, platforms, platform):
    incident, mention = brand_incident(world.alpha, platform)
    with tenancy.tenant_context(world.alpha):
        reply = send(world, draft(world, incident, platform, mention))
        assert reply.status == "sent" and re.fullmatch(REPLY_LINKS[platform], reply.url)
        post = draft(world, incident, platform, text=POST_TEXT)
        if SENDERS[platform].no_posts:  # Instagram, YouTube: no own post through their APIs
            with pytest.raises(IncidentError, match="record it here with its URL"):
                send(world, post)
            assert Response.objects.get(pk=post.pk).status == "draft"
        else:
            post = send(world, post)
            assert post.status == "sent" and re.fullmatch(POST_LINKS[platform], post.url)
            assert post.url != reply.url
    writes = platforms.writes()
    assert len(writes) == (1 if SENDERS[platform].no_posts else 2)
    assert {e["status"] for e in writes} <= {200, 201}
    named = f"alpha: {account_label(platform)}"
    assert {(e["platform"], e["account"]) for e in writes} == {(platform, named)}
    # Each item its own id on the platform, as the desk recorded it.
    made = AuditEvent.objects.filter(verb="response.sent", client_slug="alpha")
    ids = [event.detail["external_id"] for event in made]
    assert len(ids) == len(writes) == len(set(ids)) and all(ids)
    assert TEXT in json.dumps(writes[0]["request"])
    with tenancy.tenant_context(world.bravo):
        assert not Response.objects.exists()


def account_label(platform: str) -> str:
    account = account_of(platform)
    for key in ("username", "handle", "page_id", "channel_id", "organization_id"):
        if account.get(key):
            return str(account[key])
    raise AssertionError(platform)


REFUSALS = {
    "facebook": "Facebook refused the token: Invalid OAuth access token - Cannot parse access "
    "token",
    "instagram": "Instagram refused the token: Invalid OAuth access token",
    "x": "X refused the token: Unauthorized",
    "mastodon": "Mastodon refused the token: The access token is invalid",
    "bluesky": "Bluesky refused the token: Invalid identifier or password",
    "youtube": "YouTube refused the token: Request had invalid authentication credentials",
    "linkedin": "LinkedIn refused the token: Invalid access token (serviceErrorCode 65600)",
}


@pytest.mark.django_db
@pytest.mark.parametrize("platform", sorted(SENDERS))
def test_a_token_the_platform_does_not_know_is_refused_in_its_words(world, platforms, platform):
    incident, mention = brand_incident(world.alpha, platform, token="revoked-token-0000")
    with tenancy.tenant_context(world.alpha):
        if platform == "bluesky":  # signs in with an app password, not a token
            source_update(
                client=world.alpha,
                source=Source.objects.get(),
                acting_user=None,
                credentials={"app_password": "zzzz-zzzz-zzzz-zzzz"},
            )
        response = draft(world, incident, platform, mention)
        with pytest.raises(ResponseSendError) as refused:
            send(world, response)
        assert refused.value.message.startswith(REFUSALS[platform]), refused.value.message
        assert not refused.value.transient and not refused.value.unknown
        assert Response.objects.get().status == "failed"  # nothing out, the thread free
    (entry,) = platforms.entries()
    assert entry["status"] in (400, 401) and entry["account"] is None
    assert "revoked-token-0000" not in platforms.log.read_text()
    assert "zzzz-zzzz-zzzz-zzzz" not in platforms.log.read_text()


def lose_the_answer(response: Response) -> None:
    """As if the platform's answer never came: the row held as being sent, long enough ago
    that a person may send it again (playbooks.sending.STALE)."""
    Response.objects.filter(pk=response.pk).update(status="sending", sent_at=START, url="")


@pytest.mark.django_db
def test_mastodon_answers_a_repeated_idempotency_key_with_the_first_status(world, platforms):
    incident, mention = brand_incident(world.alpha, "mastodon")
    with tenancy.tenant_context(world.alpha):
        first = send(world, draft(world, incident, "mastodon", mention))
        lose_the_answer(first)
        again = send(world, Response.objects.get(pk=first.pk))
        assert again.status == "sent" and again.url == first.url
    one, two = platforms.writes()
    assert (
        one["idempotency_key"]
        == two["idempotency_key"]
        == (f"stormdesk-brand_alpha-response-{first.pk}")
    )
    assert two["answer"]["id"] == one["answer"]["id"] and two["status"] == 200
    assert "nothing posted" in two["note"]
    # Another key is another status.
    token = SOURCES["mastodon"]["credentials"]["access_token"]
    other = httpx.post(
        f"{platforms.root}/api/v1/statuses",
        json={"status": "Something else"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "another"},
    )
    assert other.status_code == 200 and other.json()["id"] != one["answer"]["id"]


@pytest.mark.django_db
def test_bluesky_keeps_one_record_per_key_and_the_sender_finds_it_on_a_repeat(world, platforms):
    """The same record key twice: the server refuses the second createRecord as a PDS does (a
    500) and keeps the first record; the sender reads the key back and the reply is sent,
    once."""
    incident, mention = brand_incident(world.alpha, "bluesky")
    with tenancy.tenant_context(world.alpha):
        first = send(world, draft(world, incident, "bluesky", mention))
        lose_the_answer(first)
        again = send(world, Response.objects.get(pk=first.pk))
        assert again.status == "sent" and again.url == first.url
    creates = [e for e in platforms.entries() if e["path"].endswith("createRecord")]
    assert [e["status"] for e in creates] == [200, 500]
    assert creates[0]["request"]["rkey"] == creates[1]["request"]["rkey"]
    assert "first record stays" in creates[1]["note"]
    (read,) = [e for e in platforms.entries() if e["path"].endswith("getRecord")]
    assert read["status"] == 200 and read["answer"]["uri"] == creates[0]["answer"]["uri"]
    assert "abcd-efgh-ijkl-mnop" not in platforms.log.read_text()  # the app password


@pytest.mark.django_db
def test_x_refuses_the_same_text_twice_in_its_words_not_as_a_token_problem(world, platforms):
    incident, _ = brand_incident(world.alpha, "x")
    with tenancy.tenant_context(world.alpha):
        assert send(world, draft(world, incident, "x", text=POST_TEXT)).status == "sent"
        twice = draft(world, incident, "x", text=POST_TEXT)
        with pytest.raises(ResponseSendError) as refused:
            send(world, twice)
        assert refused.value.message == (
            "X refused it (403): You are not allowed to create a Tweet with duplicate content."
        )
        assert Response.objects.get(pk=twice.pk).status == "failed"
    assert [e["status"] for e in platforms.writes()] == [201, 403]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("platform", "kind", "given", "credentials"),
    [
        ("x", "keyword", {"query": "alpha bakery"}, {"bearer_token": "app-only"}),
        ("instagram", "owned", {"account_id": "1784"}, {"access_token": "ig-token"}),
        ("mastodon", "hashtag", {"hashtag": "alphabakery", "instance": "m.example"}, {}),
        ("bluesky", "keyword", {"query": "alpha bakery"}, {}),
    ],
)
def test_a_pull_source_on_the_shared_roots_reads_an_empty_page(
    world, platforms, platform, kind, given, credentials
):
    source = make_source(
        world.alpha,
        platform=platform,
        kind=kind,
        name=f"Alpha on {platform}",
        settings=given,
        credentials=credentials,
        pull=True,
    )
    with tenancy.tenant_context(world.alpha):
        result = source_poll(client=world.alpha, source_id=source.pk)
        assert result.error == "" and result.accepted == 0
        assert Source.objects.get(pk=source.pk).last_error == ""
    reads = platforms.entries()
    assert reads and {(e["method"], e["status"]) for e in reads} == {("GET", 200)}


def test_the_command_line_serves_on_the_port_given_and_names_every_senders_root(tmp_path, capsys):
    standin = standin_module()
    keys = {sender.base_key for sender in SENDERS.values()}
    assert set(standin.BASE_KEYS) == keys  # every sender's root points at the stand-in
    assert keys <= {cls.__name__.lower() for cls in PULL.values()}  # the connectors' keys
    standin.main(["8127", "--base-urls"])  # what bin/demo exports
    urls = json.loads(capsys.readouterr().out)
    assert urls["instagramgraph"] == "http://127.0.0.1:8127/v21.0"
    assert urls["xrecentsearch"] == "http://127.0.0.1:8127"
    log = tmp_path / "requests.jsonl"
    command = [sys.executable, str(SCRIPT), "0", "--accounts", str(tmp_path / "none.json")]
    process = subprocess.Popen(
        [*command, "--log", str(log)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        root = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert root, line
        refused = httpx.post(
            f"{root[0]}/2/tweets", json={"text": "hi"}, headers={"Authorization": "Bearer x"}
        )
        assert refused.status_code == 401 and refused.json()["title"] == "Unauthorized"
        page = httpx.get(f"{root[0]}/")
        assert page.status_code == 200 and "/2/tweets" in page.text
    finally:
        process.terminate()
        process.wait(5)
    (entry,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert entry["platform"] == "x" and entry["status"] == 401
