"""HttpClient against a real HTTP server on loopback: pacing, robots, retries, caps, errors."""

from __future__ import annotations

import gzip
import itertools
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harvester.config import HttpSettings
from harvester.errors import (
    NetworkError,
    PermanentHTTPStatusError,
    ResponseTooLargeError,
    RetryLaterError,
    RobotsDisallowedError,
    TransientError,
    TransientHTTPStatusError,
)
from harvester.fetch.client import HttpClient
from harvester.fetch.politeness import HostPacer, Politeness

AGENT = "ojs-harvester/9.9 (+mailto:test@example.org)"


# --- the scripted server ------------------------------------------------------------------


@dataclass
class Reply:
    """One scripted response."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0  # before the status line
    body_delay: float = 0.0  # between headers and body
    trickle: float = 0.0  # pause after each body byte
    declared_length: int | None = None  # Content-Length to announce instead of len(body)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    time: float
    client_port: int


class Script:
    """Per-path scripted replies (the last one repeats) and a log of every request."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.routes: dict[str, list[Reply]] = {}
        self.seen: list[Seen] = []
        self.lock = threading.Lock()

    def route(self, path: str, *replies: Reply) -> str:
        self.routes[path] = list(replies)
        return self.base + path

    def next_reply(self, path: str) -> Reply:
        with self.lock:
            replies = self.routes.get(path.split("?", maxsplit=1)[0])
            if not replies:
                return Reply(404, body=b"not found")
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    def hits(self, path: str) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if s.path.split("?", maxsplit=1)[0] == path]

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]


class _Server(ThreadingHTTPServer):
    script: Script

    def handle_error(self, request: Any, client_address: Any) -> None:
        """The client hanging up on purpose (caps, deadlines) is not worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 5
    server: _Server

    def do_GET(self) -> None:
        script = self.server.script
        headers = {k.lower(): v for k, v in self.headers.items()}
        script.record(Seen(self.path, headers, time.monotonic(), self.client_address[1]))
        reply = script.next_reply(self.path)
        time.sleep(reply.delay)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        length = len(reply.body) if reply.declared_length is None else reply.declared_length
        if reply.send_length:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.close_connection = length != len(reply.body) or not reply.send_length
        try:
            self.wfile.flush()
            time.sleep(reply.body_delay)
            self._write_body(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _write_body(self, reply: Reply) -> None:
        if not reply.trickle:
            self.wfile.write(reply.body)
            return
        for byte in reply.body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(reply.trickle)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def scripted_server() -> Iterator[Script]:
    """The scripted server on a free loopback port, for as long as the block runs."""
    httpd = _Server(("127.0.0.1", 0), _Handler)
    host, port = httpd.server_address[:2]
    httpd.script = Script(f"http://{host!s}:{port}")
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd.script
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[Script]:
    with scripted_server() as script:
        yield script


def make_settings(**overrides: Any) -> HttpSettings:
    values: dict[str, Any] = {
        "user_agent": AGENT,
        "requests_per_second": 50.0,
        "timeout": 5.0,
        "connect_timeout": 2.0,
        "max_retries": 2,
        "backoff": 0.01,
        "max_retry_after": 10.0,
        "respect_robots": True,
        "max_crawl_delay": 5.0,
    }
    values.update(overrides)
    return HttpSettings(**values)


def gap(first: Seen, second: Seen) -> float:
    return second.time - first.time


# --- basics -------------------------------------------------------------------------------


def test_identifies_itself_and_returns_the_response(server: Script) -> None:
    url = server.route("/page", Reply(200, {"Content-Type": "text/xml", "X-Thing": "1"}, b"<ok/>"))
    with HttpClient(make_settings()) as client:
        response = client.get(url, params={"verb": "Identify"}, headers={"If-None-Match": '"v1"'})
    assert response.status == 200
    assert response.content == b"<ok/>"
    assert response.url == url + "?verb=Identify"
    assert response.headers["content-type"] == "text/xml"  # case-insensitive
    [seen] = server.hits("/page")
    assert seen.path == "/page?verb=Identify"
    assert seen.headers["user-agent"] == AGENT
    assert seen.headers["accept-encoding"] == "gzip, deflate"
    assert seen.headers["if-none-match"] == '"v1"'


def test_not_modified_is_returned_as_is(server: Script) -> None:
    url = server.route("/cond", Reply(304, {"ETag": '"v1"'}))
    with HttpClient(make_settings()) as client:
        response = client.get(url)
    assert response.status == 304
    assert response.content == b""
    assert len(server.hits("/cond")) == 1


def test_redirects_are_followed_and_counted(server: Script) -> None:
    old = server.route("/old", Reply(301, {"Location": "/new"}))
    new = server.route("/new", Reply(200, body=b"moved"))
    with HttpClient(make_settings()) as client:
        response = client.get(old)
        assert response.url == new
        assert response.content == b"moved"
        assert client.requests_made == 3  # robots.txt, /old, /new
        assert client.status_counts == {"4xx": 1, "3xx": 1, "2xx": 1}


def test_connections_are_reused(server: Script) -> None:
    url = server.route("/page", Reply(200, body=b"x" * 1000))
    with HttpClient(make_settings(respect_robots=False)) as client:
        client.get(url)
        client.get(url)
    first, second = server.hits("/page")
    assert first.client_port == second.client_port


def test_gzip_body_is_decoded(server: Script) -> None:
    text = b"<record/>" * 1000
    url = server.route("/gz", Reply(200, {"Content-Encoding": "gzip"}, gzip.compress(text)))
    with HttpClient(make_settings(respect_robots=False)) as client:
        assert client.get(url).content == text


# --- retries ------------------------------------------------------------------------------


def test_retry_after_seconds_is_waited_for(server: Script) -> None:
    url = server.route("/busy", Reply(503, {"Retry-After": "1"}), Reply(200, body=b"done"))
    with HttpClient(make_settings(respect_robots=False)) as client:
        assert client.get(url).content == b"done"
    first, second = server.hits("/busy")
    assert 0.9 <= gap(first, second) < 4


def test_retry_after_http_date_is_waited_for(server: Script) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    url = server.route("/busy", Reply(429, {"Retry-After": when}), Reply(200, body=b"done"))
    with HttpClient(make_settings(respect_robots=False)) as client:
        assert client.get(url).content == b"done"
    first, second = server.hits("/busy")
    assert 0.9 <= gap(first, second) < 4


def test_retry_after_holds_back_other_threads_on_the_host(server: Script) -> None:
    busy = server.route("/busy", Reply(503, {"Retry-After": "1"}), Reply(200))
    other = server.route("/other", Reply(200))
    settings = make_settings(respect_robots=False)
    politeness = Politeness(settings)
    with HttpClient(settings, politeness) as first, HttpClient(settings, politeness) as second:
        worker = threading.Thread(target=first.get, args=(busy,))
        worker.start()
        while not server.hits("/busy"):
            time.sleep(0.01)
        time.sleep(0.1)  # the 503 has arrived and deferred the host
        second.get(other)
        worker.join()
    assert gap(server.hits("/busy")[0], server.hits("/other")[0]) >= 0.9


def test_retry_after_beyond_the_cap_raises_retry_later(server: Script) -> None:
    url = server.route("/busy", Reply(503, {"Retry-After": "3600"}))
    started = time.monotonic()
    with HttpClient(make_settings(respect_robots=False)) as client, pytest.raises(RetryLaterError) as caught:
        client.get(url)
    assert time.monotonic() - started < 2
    assert caught.value.retry_at.tzinfo is not None
    assert caught.value.retry_at > datetime.now(UTC) + timedelta(seconds=3500)
    assert url in str(caught.value)
    assert len(server.hits("/busy")) == 1


def test_client_error_is_permanent_and_not_retried(server: Script) -> None:
    url = server.route("/missing", Reply(404))
    with (
        HttpClient(make_settings(respect_robots=False)) as client,
        pytest.raises(PermanentHTTPStatusError) as caught,
    ):
        client.get(url)
    assert caught.value.status == 404
    assert caught.value.url == url
    assert str(caught.value).startswith(f"{url}: HTTP 404")
    assert len(server.hits("/missing")) == 1


def test_server_error_is_retried_then_transient(server: Script, caplog: pytest.LogCaptureFixture) -> None:
    url = server.route("/broken", Reply(500))
    caplog.set_level(logging.WARNING, logger="harvester.fetch.client")
    with HttpClient(make_settings(max_retries=3)) as client:
        with pytest.raises(TransientHTTPStatusError) as caught:
            client.get(url)
        assert client.requests_made == 5  # robots.txt + 4 attempts
        assert client.status_counts == {"4xx": 1, "5xx": 4}
    assert caught.value.status == 500
    assert "HTTP 500" in str(caught.value)
    assert "after 4 attempts" in str(caught.value)
    assert len(server.hits("/broken")) == 4
    retries = [r for r in caplog.records if r.levelno == logging.WARNING and url in r.getMessage()]
    assert len(retries) == 3


def test_requests_made_counts_retries_and_robots(server: Script) -> None:
    url = server.route("/flaky", Reply(502), Reply(200, body=b"ok"))
    with HttpClient(make_settings()) as client:
        client.get(url)
        assert client.requests_made == 3
        assert client.status_counts == {"4xx": 1, "5xx": 1, "2xx": 1}
    assert server.paths() == ["/robots.txt", "/flaky", "/flaky"]


def test_truncated_body_is_retried(server: Script) -> None:
    url = server.route("/cut", Reply(200, body=b"short", declared_length=100), Reply(200, body=b"whole"))
    with HttpClient(make_settings(respect_robots=False)) as client:
        assert client.get(url).content == b"whole"
    assert len(server.hits("/cut")) == 2


def test_connection_refused_is_a_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with HttpClient(make_settings(respect_robots=False, max_retries=1)) as client:
        with pytest.raises(NetworkError) as caught:
            client.get(url)
        assert client.requests_made == 0
    assert str(caught.value) == f"{url}: connection refused after 2 attempts"


# --- caps and deadlines -------------------------------------------------------------------


def test_body_over_the_cap_is_refused(server: Script) -> None:
    url = server.route("/big", Reply(200, body=b"x" * 5000, send_length=False))
    settings = make_settings(respect_robots=False, max_response_bytes=4000)
    with HttpClient(settings) as client, pytest.raises(ResponseTooLargeError) as caught:
        client.get(url)
    assert url in str(caught.value)
    assert "4000" in str(caught.value)
    assert len(server.hits("/big")) == 1


def test_declared_length_over_the_cap_is_refused_before_reading(server: Script) -> None:
    url = server.route("/huge", Reply(200, body=b"x" * 10, declared_length=10_000_000, body_delay=1.5))
    started = time.monotonic()
    settings = make_settings(respect_robots=False, max_response_bytes=1000)
    with HttpClient(settings) as client, pytest.raises(ResponseTooLargeError, match="10000000"):
        client.get(url)
    assert time.monotonic() - started < 1.0


def test_gzip_bomb_is_capped_on_decoded_size(server: Script) -> None:
    packed = gzip.compress(b"\0" * 2_000_000)
    assert len(packed) < 10_000
    url = server.route("/bomb", Reply(200, {"Content-Encoding": "gzip"}, packed))
    settings = make_settings(respect_robots=False, max_response_bytes=100_000)
    with HttpClient(settings) as client, pytest.raises(ResponseTooLargeError, match="100000"):
        client.get(url)


def test_slow_body_past_the_deadline_is_a_network_error(server: Script) -> None:
    url = server.route("/slow", Reply(200, body=b"x" * 100, trickle=0.05))
    started = time.monotonic()
    settings = make_settings(respect_robots=False, timeout=0.5, max_retries=0)
    with HttpClient(settings) as client, pytest.raises(NetworkError, match=r"within 0\.5s") as caught:
        client.get(url)
    assert time.monotonic() - started < 2.0  # the trickle alone would take 5 s
    assert str(caught.value).startswith(url)


# --- robots.txt ---------------------------------------------------------------------------


def test_robots_disallow_is_obeyed(server: Script) -> None:
    server.route("/robots.txt", Reply(200, body=b"User-agent: *\nDisallow: /private\n"))
    private = server.route("/private/page", Reply(200))
    public = server.route("/public", Reply(200, body=b"ok"))
    with HttpClient(make_settings()) as client:
        with pytest.raises(RobotsDisallowedError) as caught:
            client.get(private)
        assert client.get(public).content == b"ok"
    assert private in str(caught.value)
    assert server.hits("/private/page") == []
    assert len(server.hits("/robots.txt")) == 1  # cached


def test_robots_group_for_our_product_token(server: Script) -> None:
    robots = b"User-agent: ojs-harvester\nDisallow: /oai\n\nUser-agent: *\nDisallow:\n"
    server.route("/robots.txt", Reply(200, body=robots))
    url = server.route("/oai", Reply(200))
    with HttpClient(make_settings()) as ours, pytest.raises(RobotsDisallowedError):
        ours.get(url)
    with HttpClient(make_settings(user_agent="otherbot/1.0")) as other:
        assert other.get(url).status == 200


def test_robots_not_found_allows_everything(server: Script) -> None:
    url = server.route("/page", Reply(200, body=b"ok"))
    with HttpClient(make_settings()) as client:
        assert client.get(url).content == b"ok"
    assert server.paths() == ["/robots.txt", "/page"]


def test_robots_server_error_is_transient_and_blocks_the_origin(server: Script) -> None:
    server.route("/robots.txt", Reply(503))
    url = server.route("/page", Reply(200))
    with HttpClient(make_settings(max_retries=1)) as client, pytest.raises(TransientError) as caught:
        client.get(url)
    assert "robots.txt" in str(caught.value)
    assert server.hits("/page") == []
    assert len(server.hits("/robots.txt")) == 2


def test_robots_crawl_delay_spaces_requests(server: Script) -> None:
    server.route("/robots.txt", Reply(200, body=b"User-agent: *\nCrawl-delay: 0.5\n"))
    first = server.route("/a", Reply(200))
    second = server.route("/b", Reply(200))
    with HttpClient(make_settings()) as client:
        client.get(first)
        client.get(second)
    robots, a, b = server.hits("/robots.txt")[0], server.hits("/a")[0], server.hits("/b")[0]
    assert gap(robots, a) >= 0.45
    assert gap(a, b) >= 0.45


# --- pacing -------------------------------------------------------------------------------


def test_threads_sharing_politeness_are_paced_per_host(server: Script) -> None:
    url = server.route("/page", Reply(200))
    settings = make_settings(respect_robots=False, requests_per_second=5.0)
    politeness = Politeness(settings)
    errors: list[BaseException] = []

    def work() -> None:
        with HttpClient(settings, politeness) as client:
            try:
                client.get(url)
                client.get(url)
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    times = sorted(seen.time for seen in server.hits("/page"))
    assert len(times) == 4
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.15


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_spaces_one_host_and_not_others() -> None:
    clock = FakeClock()
    pacer = HostPacer(0.5, 10.0, clock=clock, sleep=clock.sleep)
    assert pacer.wait("a") == 0
    assert pacer.wait("b") == 0
    assert pacer.wait("a") == pytest.approx(0.5)
    assert pacer.wait("a") == pytest.approx(0.5)


def test_pacer_interval_is_capped_and_floored() -> None:
    clock = FakeClock()
    pacer = HostPacer(0.5, 10.0, clock=clock, sleep=clock.sleep)
    pacer.set_min_interval("a", 100.0)
    pacer.wait("a")
    assert pacer.wait("a") == pytest.approx(10.0)
    pacer.set_min_interval("a", 0.1)
    pacer.wait("a")
    assert pacer.wait("a") == pytest.approx(0.5)
    pacer.set_min_interval("a", 3.0)
    pacer.wait("a")
    assert pacer.wait("a") == pytest.approx(3.0)


def test_pacer_defer_pushes_the_next_slot() -> None:
    clock = FakeClock()
    pacer = HostPacer(0.5, 10.0, clock=clock, sleep=clock.sleep)
    pacer.wait("a")
    pacer.defer("a", clock.now + 7.0)
    assert pacer.wait("a") == pytest.approx(7.0)
    assert pacer.wait("b") == 0


def test_pacer_hold_refuses_the_host_until_its_time_without_sleeping() -> None:
    clock = FakeClock()
    pacer = HostPacer(0.5, 10.0, clock=clock, sleep=clock.sleep)
    retry_at = datetime(2030, 1, 1, tzinfo=UTC)
    pacer.hold("a", 3600.0, RetryLaterError("a: busy", retry_at))
    with pytest.raises(RetryLaterError, match="wait until 2030-01-01 00:00:00 UTC") as caught:
        pacer.wait("a")
    assert caught.value.retry_at == retry_at
    assert clock.now == 100.0  # refused at once: no thread sleeps for an hour
    assert pacer.wait("b") == 0  # other hosts go on
    clock.now += 3600.0
    assert pacer.wait("a") == 0
