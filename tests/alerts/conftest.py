"""Alert fixtures: a seeded-store builder, loopback receivers (HTTP and SMTP with STARTTLS
and AUTH) and an Acme configuration whose channel secrets live in the environment.

Receivers are real servers on 127.0.0.1: the channels speak real HTTP and SMTP to them.
"""

from __future__ import annotations

import dataclasses
import json
import smtplib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import insert

from config import Settings
from core.mention import Mention, MentionKind
from grapevine.alerts.channels import Transports
from storage import Match, Store, schema

HERE = Path(__file__).parent
CERT = HERE / "loopback-test-only.crt"
KEY = HERE / "loopback-test-only.key"

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
MODEL = "test-model"
VERSION = "v1"

SMTP_PASSWORD = "smtp-pa55word-do-not-log"
SLACK_TOKEN = "T00SLACK/B00HOOK/xoxSECRETslack42"
HOOK_TOKEN = "hookSECRETpath9"
HMAC_KEY = "hmac-key-SECRET-7f3a"


# --- seeding ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Seeder:
    """Writes mentions (with their brand matches) and labels the way collection and the
    classifier would; every helper returns the mention's store id."""

    store: Store
    counter: int = 0

    def mention(
        self,
        *,
        at: datetime,
        text: str = "acme machine",
        brand: str = "Acme",
        role: str = "brand",
        author: str | None = None,
        sentiment: str | None = None,
        complaint: float | None = None,
        community: str = "hackernews",
        source: str = "hackernews",
        score: int | None = None,
        comments: int | None = None,
        kind: MentionKind = MentionKind.COMMENT,
        parent_id: str | None = None,
        thread_id: str | None = None,
        external_id: str | None = None,
        extra_roles: tuple[str, ...] = (),
    ) -> int:
        self.counter += 1
        ext = external_id or f"m{self.counter}"
        m = Mention(
            source=source,
            external_id=ext,
            kind=kind,
            created_at=at,
            text=text,
            url=f"https://example.test/item/{ext}",
            community=community,
            author=author or f"user{self.counter}",
            parent_id=parent_id,
            thread_id=thread_id,
            score=score,
            comments=comments,
        )
        matches = [Match(brand, role), *(Match(brand, r) for r in extra_roles)]
        self.store.save_page([m], {m.key: matches})
        with self.store.engine.begin() as conn:
            mention_id = int(
                conn.execute(
                    schema.mentions.select()
                    .with_only_columns(schema.mentions.c.id)
                    .where(schema.mentions.c.external_id == ext)
                ).scalar_one()
            )
            if sentiment is not None or complaint is not None:
                s = sentiment or "neutral"
                probs = {"negative": 0.1, "neutral": 0.1, "positive": 0.1}
                probs[s] = 0.8
                conn.execute(
                    insert(schema.labels).values(
                        mention_id=mention_id,
                        model=MODEL,
                        model_version=VERSION,
                        sentiment=s,
                        sentiment_negative=probs["negative"],
                        sentiment_neutral=probs["neutral"],
                        sentiment_positive=probs["positive"],
                        complaint=complaint if complaint is not None else 0.0,
                        quality="ordinary",
                        quality_score=0.5,
                        language="en",
                        labelled_at=at + timedelta(minutes=1),
                    )
                )
        return mention_id

    def many(self, n: int, *, start: datetime, span: timedelta, **fields: Any) -> list[int]:
        """``n`` mentions spread evenly over ``[start, start + span)``."""
        step = span / max(n, 1)
        return [self.mention(at=start + step * i, **fields) for i in range(n)]


@pytest.fixture
def seeder(store: Store) -> Seeder:
    return Seeder(store)


# --- configuration ---------------------------------------------------------------------------


CHANNELS = """
[alerts]
dashboard_url = "http://grapevine.test"
default_channels = ["mail", "slack", "hook"]

[alerts.retry]
max_attempts = 3
base_delay = "1m"
max_delay = "10m"
lease = "5m"

[alerts.channels.mail]
type = "email"
host = "localhost"
port = {smtp_port}
username = "alerts"
password_env = "TEST_SMTP_PASSWORD"
sender = "Grapevine <alerts@grapevine.test>"
to = ["cm@acme.test", "lead@acme.test"]
timeout_seconds = 5

[alerts.channels.slack]
type = "slack"
url_env = "TEST_SLACK_URL"
timeout_seconds = 0.3

[alerts.channels.hook]
type = "webhook"
url_env = "TEST_HOOK_URL"
secret_env = "TEST_HOOK_KEY"
timeout_seconds = 0.3
"""


@pytest.fixture
def alert_settings(
    make_settings: Callable[..., Settings],
) -> Callable[..., Settings]:
    """Settings with the three loopback channels plus ``rules`` (TOML) appended."""

    def make(rules: str = "", *, smtp_port: int = 1, extra: str = "") -> Settings:
        return make_settings(CHANNELS.format(smtp_port=smtp_port) + extra + rules)

    return make


# --- HTTP receiver ---------------------------------------------------------------------------


@dataclasses.dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HttpReceiver:
    """A loopback HTTP server. ``script[path]`` is a list of behaviours consumed per request
    (an int status, or ``"hang"`` to never answer); the last one repeats. Default 200."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.script: dict[str, list[int | str]] = {}
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                plan = receiver.script.get(self.path.split("/")[1], [200])
                action = plan.pop(0) if len(plan) > 1 else plan[0]
                if action == "hang":
                    receiver.release.wait(10)  # the client has timed out long before
                    return
                self.send_response(int(action))
                self.send_header("content-type", "text/plain")
                answer = b"ok" if int(action) < 400 else b"server_error"
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def on(self, name: str) -> list[Received]:
        return [r for r in self.received if r.path.split("/")[1] == name]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpReceiver]:
    """The receiver, with the Slack and webhook secrets pointing at it."""
    receiver = HttpReceiver()
    monkeypatch.setenv("TEST_SLACK_URL", receiver.url(f"slack/{SLACK_TOKEN}"))
    monkeypatch.setenv("TEST_HOOK_URL", receiver.url(f"hook/{HOOK_TOKEN}"))
    monkeypatch.setenv("TEST_HOOK_KEY", HMAC_KEY)
    yield receiver
    receiver.close()


# --- SMTP receiver ---------------------------------------------------------------------------


@dataclasses.dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


class SmtpReceiver:
    """aiosmtpd on loopback that requires STARTTLS and AUTH before it takes a message."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.logins: list[tuple[str, str]] = []
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                msg = message_from_bytes(envelope.original_content, policy=policy.default)
                assert isinstance(msg, EmailMessage)
                login = session.auth_data.login.decode() if session.auth_data else None
                receiver.mails.append(
                    Mail(
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        msg,
                        session.ssl is not None,
                        login,
                    )
                )
                return "250 OK"

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            if isinstance(data, LoginPassword):
                receiver.logins.append((data.login.decode(), data.password.decode()))
                ok = data.login == b"alerts" and data.password == SMTP_PASSWORD.encode()
                return AuthResult(success=ok, auth_data=data if ok else None)
            return AuthResult(success=False, handled=False)

        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(CERT, KEY)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="localhost",
            tls_context=tls,
            require_starttls=True,
            auth_require_tls=True,
            auth_required=True,
            authenticator=authenticate,
        )
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    monkeypatch.setenv("TEST_SMTP_PASSWORD", SMTP_PASSWORD)
    yield receiver
    receiver.close()


def client_tls() -> ssl.SSLContext:
    """A client context that trusts only the loopback test certificate."""
    return ssl.create_default_context(cafile=str(CERT))


def loopback_smtp(host: str, port: int, timeout: float) -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=timeout)


@pytest.fixture
def transports() -> Transports:
    return Transports(http=None, smtp=loopback_smtp, ssl_context=client_tls())
