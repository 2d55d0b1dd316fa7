"""A hostile OJS server for tests: the simulated OJS 3.3 site of ``ojs_site``, with one switch
per attack a crawler meets on servers nobody vets (issue 12).

``HostileSite.attack`` names the attack (``ATTACKS``); every other request is answered by the
ordinary simulated OJS.  Attacks write raw bytes to the socket, so they can do what a well-
behaved HTTP server would not: drip headers, never end a body, lie about encodings.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from tests.site.handler import XML_CONTENT_TYPE, Handler
from tests.site.server import OjsSite

__all__ = ["ATTACKS", "HostileSite", "gzip_bomb"]

_OAI = re.compile(r"/index\.php/[^/]+/oai/?")
_ARTICLE = re.compile(r"/index\.php/[^/]+/article/view/\d+")
_GALLEY = re.compile(r"/index\.php/[^/]+/article/(view|download)/\d+/\d+(/\d+)?")
_DOWNLOAD = re.compile(r"/index\.php/[^/]+/article/download/\d+/\d+(/\d+)?")
_GALLEY_VIEW = re.compile(r"/index\.php/[^/]+/article/view/\d+/\d+")
_TARGETS = {
    "oai": _OAI,
    "article": _ARTICLE,
    "galley": _GALLEY,
    "galley_view": _GALLEY_VIEW,
    "download": _DOWNLOAD,
}
_DRIP_SECONDS = 2.0
_FOREVER = 600.0  # "endless": longer than any test may run


@cache
def gzip_bomb(decoded: int = 1024**3) -> bytes:
    """``decoded`` zero bytes, gzip-compressed (1 GiB → about 1 MiB on the wire)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(decoded // len(block))]
    return b"".join([*parts, compressor.flush()])


class _Writer:
    """Raw output on the handler's socket; a client that hangs up ends the attack quietly."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.handler.close_connection = True

    def send(self, data: bytes) -> bool:
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError:
            return False
        return True

    def head(self, status: str, headers: dict[str, str]) -> bool:
        lines = [f"HTTP/1.1 {status}", *(f"{name}: {value}" for name, value in headers.items())]
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def drip(self, piece: bytes, every: float) -> None:
        """Send ``piece`` every ``every`` seconds until the client leaves (or ``_FOREVER``)."""
        end = time.monotonic() + _FOREVER
        while time.monotonic() < end and self.send(piece):
            time.sleep(every)

    def endless(self) -> None:
        """An endless body, as fast as the client reads."""
        block = b"<p>" + b"x" * 65536 + b"</p>"
        end = time.monotonic() + _FOREVER
        while time.monotonic() < end and self.send(block):
            pass


def _redirect_with(body: Callable[[_Writer], None], encoding: str | None = None) -> Callable[..., None]:
    def attack(handler: Any, site: HostileSite, _path: str, _args: dict[str, str]) -> None:
        writer = _Writer(handler)
        headers = {
            "Location": site.base_url + "/index.php/" + site.journal + "/login",
            "Content-Type": "text/html",
        }
        if encoding:
            headers["Content-Encoding"] = encoding
        if writer.head("302 Found", headers):
            body(writer)

    return attack


def _bomb_body(writer: _Writer) -> None:
    writer.send(gzip_bomb())


def _header_drip(handler: Any, _site: HostileSite, _path: str, _args: dict[str, str]) -> None:
    writer = _Writer(handler)
    if writer.send(b"HTTP/1.1 200 OK\r\n"):
        writer.drip(b"X-Drip: 1\r\n", _DRIP_SECONDS)


def _ordinary_with(body: Callable[[_Writer], None], encoding: str | None = None) -> Callable[..., None]:
    def attack(handler: Any, _site: HostileSite, _path: str, _args: dict[str, str]) -> None:
        writer = _Writer(handler)
        headers = {"Content-Type": XML_CONTENT_TYPE}
        if encoding:
            headers["Content-Encoding"] = encoding
        if writer.head("200 OK", headers):
            body(writer)

    return attack


def _xml_attack(document: bytes) -> Callable[..., None]:
    def attack(handler: Any, _site: HostileSite, _path: str, _args: dict[str, str]) -> None:
        writer = _Writer(handler)
        headers = {"Content-Type": XML_CONTENT_TYPE, "Content-Length": str(len(document))}
        if writer.head("200 OK", headers):
            writer.send(document)

    return attack


_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-01-01T00:00:00Z</responseDate>
<request>&secret;</request><Identify><repositoryName>&secret;</repositoryName></Identify></OAI-PMH>"""

_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE OAI-PMH [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-01-01T00:00:00Z'
    b"</responseDate><request>&lol9;</request><Identify><repositoryName>&lol9;</repositoryName>"
    b"</Identify></OAI-PMH>"
)


def _redirect_to(target: str) -> Callable[..., None]:
    def attack(handler: Any, _site: HostileSite, _path: str, _args: dict[str, str]) -> None:
        _Writer(handler).head("302 Found", {"Location": target, "Content-Length": "0"})

    return attack


def _pdfjs_other_host(handler: Any, site: HostileSite, path: str, _args: dict[str, str]) -> None:
    """The pdf.js viewer page, its ``pdfUrl`` (JSON-escaped, as OJS writes it) on another host."""
    response = site.handle(path, "")
    here = json.dumps(site.base_url).strip('"').replace("/", "\\/").encode()
    body = response.body.replace(here, b"http:\\/\\/127.0.0.2:9")
    writer = _Writer(handler)
    if writer.head("200 OK", {"Content-Type": "text/html", "Content-Length": str(len(body))}):
        writer.send(body)


def _send(handler: Any, body: bytes) -> None:
    writer = _Writer(handler)
    if writer.head("200 OK", {"Content-Type": XML_CONTENT_TYPE, "Content-Length": str(len(body))}):
        writer.send(body)


def _list_sets_loop(handler: Any, site: HostileSite, path: str, args: dict[str, str]) -> None:
    """ListSets: the first page, with the same resumption token, forever."""
    if args.get("verb") != "ListSets":
        Handler.do_GET(handler)
        return
    body = site.handle(path, "verb=ListSets").body
    _send(handler, body.replace(b"</ListSets>", b"<resumptionToken>again</resumptionToken></ListSets>"))


def _fresh_token_same_records(handler: Any, site: HostileSite, path: str, args: dict[str, str]) -> None:
    """ListRecords: the first page again and again, each time with a new token."""
    if args.get("verb") != "ListRecords":
        Handler.do_GET(handler)
        return
    body = site.handle(path, "verb=ListRecords&metadataPrefix=oai_dc").body
    fresh = f">fresh{site.count('fresh')}</resumptionToken>".encode()
    _send(handler, re.sub(rb">[^<]*</resumptionToken>", fresh, body))


def _fault_mix(handler: Any, site: HostileSite, path: str, args: dict[str, str]) -> None:
    """The fault mix: broken Identify and ListSets (once each), 503s with Retry-After, a
    truncated page, and bad resumption tokens twice in the window."""
    verb = args.get("verb", "")
    seen = site.count(verb)
    if verb in ("Identify", "ListSets") and seen == 1:
        _send(handler, site.handle(path, f"verb={verb}").body[:150])
        return
    if verb == "ListRecords":
        faults = {2: site.fail_next, 3: site.expire_tokens, 5: site.truncate_next, 7: site.expire_tokens}
        faults.get(seen, lambda: None)()
    Handler.do_GET(handler)


def _after_first_page(attack: Callable[..., None]) -> Callable[..., None]:
    """``attack`` on every OAI page after the first (the first is stored, then the run hangs)."""

    def paged(handler: Any, site: HostileSite, path: str, args: dict[str, str]) -> None:
        if "resumptionToken" in args:
            attack(handler, site, path, args)
        else:
            Handler.do_GET(handler)

    return paged


def _busy(handler: Any, _site: HostileSite, _path: str, _args: dict[str, str]) -> None:
    """503 with ``Retry-After: 290``: the server is "busy" for longer than systemd waits."""
    headers = {"Retry-After": "290", "Content-Type": "text/html", "Content-Length": "4"}
    writer = _Writer(handler)
    if writer.head("503 Service Unavailable", headers):
        writer.send(b"busy")


def _rewritten(rewrite: Callable[[HostileSite, bytes, dict[str, str]], bytes]) -> Callable[..., None]:
    """The ordinary answer, its body and headers changed by ``rewrite`` first."""

    def attack(handler: Any, site: HostileSite, path: str, _args: dict[str, str]) -> None:
        response = site.handle(path, "")
        headers = dict(response.headers)
        body = rewrite(site, response.body, headers)
        writer = _Writer(handler)
        if writer.head(f"{response.status} X", {**headers, "Content-Length": str(len(body))}):
            writer.send(body)

    return attack


def _galley_links_elsewhere(site: HostileSite, body: bytes, _headers: dict[str, str]) -> bytes:
    """Article pages whose galley links point at another host."""
    link = re.escape(site.base_url.encode()) + rb"(/index\.php/[^/]+/article/view/\d+/\d+)"
    return re.sub(link, rb"http://127.0.0.2:9\1", body)


def _path_in_disposition(_site: HostileSite, body: bytes, headers: dict[str, str]) -> bytes:
    """Downloads named ``../../`` paths, absolute paths and CR/LF (PHP-urlencoded, as OJS does)."""
    name = "..%2F..%2F..%2Fescaped%0D%0A.pdf" if b"%PDF" in body[:8] else "%2Fetc%2Fcron.d%2Fescaped"
    headers["Content-Disposition"] = f'attachment;filename="{name}"'
    return body


#: attack name → (which requests it answers: "oai", "article" or "galley"; what it sends).
ATTACKS: dict[str, tuple[str, Callable[..., None]]] = {
    "redirect_gzip_bomb": ("article", _redirect_with(_bomb_body, "gzip")),
    "redirect_endless": ("article", _redirect_with(_Writer.endless)),
    "redirect_drip": ("article", _redirect_with(lambda w: w.drip(b"x", _DRIP_SECONDS))),
    "article_file_url": ("article", _redirect_to("file:///etc/passwd")),
    "header_drip": ("oai", _header_drip),
    "gzip_bomb": ("oai", _ordinary_with(_bomb_body, "gzip")),
    "endless_body": ("oai", _ordinary_with(_Writer.endless)),
    "xxe": ("oai", _xml_attack(_XXE)),
    "billion_laughs": ("oai", _xml_attack(_LAUGHS)),
    "galley_other_host": ("galley", _redirect_to("http://127.0.0.2:9/secret.pdf")),
    "galley_link_local": ("galley", _redirect_to("http://169.254.169.254/latest/meta-data/")),
    "galley_file_url": ("galley", _redirect_to("file:///etc/passwd")),
    "pdfjs_other_host": ("galley_view", _pdfjs_other_host),
    "list_sets_loop": ("oai", _list_sets_loop),
    "fresh_token_same_records": ("oai", _fresh_token_same_records),
    "fault_mix": ("oai", _fault_mix),
    "retry_after_long": ("oai", _after_first_page(_busy)),
    "header_drip_after_first_page": ("oai", _after_first_page(_header_drip)),
    "galley_links_elsewhere": ("article", _rewritten(_galley_links_elsewhere)),
    "path_in_disposition": ("download", _rewritten(_path_in_disposition)),
}


class HostileSite(OjsSite):
    """The simulated OJS site, with ``attack`` (a key of ``ATTACKS``, or None) switched on."""

    attack: str | None = None
    journal = "jsas"

    def count(self, what: str) -> int:
        """How often ``what`` happened, this time included (the attacks' own counters)."""
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + 1
            return self._counts[what]

    @classmethod
    def small(cls, articles: int = 6) -> HostileSite:
        """One journal of ``articles`` articles on pages of two records."""
        return cls.generate(journals=1, articles_per_journal=articles, seed=12, page_size=2)

    def start(self) -> Self:
        """Serve as ``OjsSite`` does, through the handler that lets attacks answer first."""
        self._counts: dict[str, int] = {}
        super().start()
        assert self._server is not None
        self._server.RequestHandlerClass = _Handler
        return self

    def targets(self, path: str, query: str) -> Callable[..., None] | None:
        """The attack that answers this request, if any."""
        if self.attack is None:
            return None
        kind, attack = ATTACKS[self.attack]
        return attack if _TARGETS[kind].fullmatch(path) else None


class _Handler(Handler):
    server: Any

    def do_GET(self) -> None:  # noqa: N802 - BaseHTTPRequestHandler's name
        """An attack when one targets this request, else the ordinary simulated OJS."""
        parts = urlsplit(self.path)
        attack = self.server.site.targets(parts.path, parts.query)
        if attack is None:
            super().do_GET()
        else:
            attack(self, self.server.site, parts.path, dict(parse_qsl(parts.query)))
