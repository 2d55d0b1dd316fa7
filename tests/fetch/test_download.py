"""Streaming downloads through the polite client: a real HTTP server on loopback, a real file.

The same rules as every request (robots.txt, also for redirects; retries; caps), plus what
streaming adds: the body goes to the file chunk by chunk and is hashed on the way, a retried
transfer starts the file afresh, a stop request abandons it half-way.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvester.errors import ResponseTooLargeError, RobotsDisallowedError
from harvester.fetch.client import HttpClient
from harvester.fetch.download import DownloadStopped, download
from tests.fetch.test_http import Reply, Script, make_settings, scripted_server


@pytest.fixture
def server() -> Iterator[Script]:
    with scripted_server() as script:
        yield script


BODY = b"%PDF-1.4\n" + bytes(range(256)) * 400  # ~100 KB, several chunks


def test_body_is_streamed_to_the_file_and_hashed(server: Script, tmp_path: Path) -> None:
    url = server.route("/file.pdf", Reply(200, {"Content-Type": "application/pdf", "ETag": '"v1"'}, BODY))
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        got = download(client, url, sink, max_bytes=1_000_000)
    assert (got.status, got.size, got.sha256) == (200, len(BODY), hashlib.sha256(BODY).hexdigest())
    assert got.headers["ETag"] == '"v1"'
    assert got.head == BODY[: len(got.head)] and len(got.head) == 64 * 1024
    assert (tmp_path / "f").read_bytes() == BODY


def test_not_modified_writes_nothing(server: Script, tmp_path: Path) -> None:
    url = server.route("/file.pdf", Reply(304, {"ETag": '"v1"'}))
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        got = download(client, url, sink, max_bytes=1000, headers={"If-None-Match": '"v1"'})
    assert got.not_modified and got.sha256 is None and got.size == 0
    assert (tmp_path / "f").read_bytes() == b""
    assert server.hits("/file.pdf")[0].headers["if-none-match"] == '"v1"'


def test_a_transfer_cut_half_way_is_retried_from_the_start(server: Script, tmp_path: Path) -> None:
    url = server.route(
        "/file.pdf", Reply(200, body=BODY[:5000], declared_length=len(BODY)), Reply(200, body=BODY)
    )
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        got = download(client, url, sink, max_bytes=1_000_000)
    assert got.sha256 == hashlib.sha256(BODY).hexdigest()
    assert (tmp_path / "f").read_bytes() == BODY  # the first, partial body is gone
    assert len(server.hits("/file.pdf")) == 2


def test_over_the_cap_is_refused_while_streaming(server: Script, tmp_path: Path) -> None:
    url = server.route("/big.pdf", Reply(200, body=BODY, send_length=False))
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        with pytest.raises(ResponseTooLargeError, match="50000"):
            download(client, url, sink, max_bytes=50_000)
        assert sink.tell() <= 50_000 + 64 * 1024  # stopped within a chunk of the cap


def test_declared_size_over_the_cap_is_refused_before_reading(server: Script, tmp_path: Path) -> None:
    url = server.route("/big.pdf", Reply(200, body=b"x", declared_length=10**9, body_delay=2))
    with (
        HttpClient(make_settings()) as client,
        (tmp_path / "f").open("w+b") as sink,
        pytest.raises(ResponseTooLargeError, match="1000000000"),
    ):
        download(client, url, sink, max_bytes=1000)


def test_robots_txt_is_obeyed_for_the_file_and_for_redirects(server: Script, tmp_path: Path) -> None:
    server.route("/robots.txt", Reply(200, body=b"User-agent: *\nDisallow: /download/\n"))
    direct = server.route("/download/1", Reply(200, body=BODY))
    hop = server.route("/view/1", Reply(302, {"Location": "/download/1"}))
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        for url in (direct, hop):
            with pytest.raises(RobotsDisallowedError, match="/download/1"):
                download(client, url, sink, max_bytes=1_000_000)
        with pytest.raises(RobotsDisallowedError):
            client.get(hop)  # get() follows the same rule
    assert server.hits("/download/1") == []


def test_allowed_redirects_are_followed(server: Script, tmp_path: Path) -> None:
    server.route("/view/1", Reply(302, {"Location": "/files/1"}))
    target = server.route("/files/1", Reply(200, body=BODY))
    with HttpClient(make_settings()) as client, (tmp_path / "f").open("w+b") as sink:
        got = download(client, f"{server.base}/view/1", sink, max_bytes=1_000_000)
    assert (got.url, got.size) == (target, len(BODY))


def test_a_slow_file_may_take_longer_than_a_page(server: Script, tmp_path: Path) -> None:
    url = server.route("/slow.pdf", Reply(200, body=b"%PDF-" + b"x" * 45, trickle=0.02))
    settings = make_settings(timeout=0.5, max_retries=0)
    with HttpClient(settings) as client, (tmp_path / "f").open("w+b") as sink:
        got = download(client, url, sink, max_bytes=1000, timeout=10)
    assert got.size == 50


def test_a_stop_request_abandons_the_transfer(server: Script, tmp_path: Path) -> None:
    url = server.route("/slow.pdf", Reply(200, body=b"%PDF-" + b"x" * 200, trickle=0.01))
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    with (
        HttpClient(make_settings()) as client,
        (tmp_path / "f").open("w+b") as sink,
        pytest.raises(DownloadStopped),
    ):
        download(client, url, sink, max_bytes=10_000, stop=stop)
