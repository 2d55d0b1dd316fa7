"""The ``/oai`` endpoint as a WSGI application, and ``harvester serve`` on waitress.

Requests are GET or form POST (OAI-PMH 2.0 section 3.1.1).  What ``oaipmh`` leaves to the
web layer is checked here: a repeated argument (``badVerb`` for the verb, else
``badArgument``), an empty one, and the unofficial ``GetMetadata`` verb it would answer.
Every response is one page of at most ``[serve] page_size`` records, read with a keyset
query and rendered whole: memory stays flat however large the repository is.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from lxml.etree import SubElement
from oaipmh.error import BadArgumentError, BadVerbError, ErrorBase
from oaipmh.metadata import MetadataRegistry
from oaipmh.server import ServerBase, XMLTreeServer, nsoai

from ..config import ServeSettings
from ..errors import ConfigError
from ..store import Store
from .dublin_core import OAI_DC, write_oai_dc
from .provider import ListPage, Repository
from .tokens import TokenCodec

__all__ = ["make_app", "serve"]

log = logging.getLogger(__name__)

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_MAX_BODY = 64 * 1024  # a form POST of OAI-PMH arguments is a few hundred bytes


class _TreeServer(XMLTreeServer):  # type: ignore[misc]
    """``oaipmh``'s response builder, with the full ``resumptionToken`` element."""

    def getMetadata(self, **kw: Any) -> Any:  # noqa: N802 (the oaipmh interface)
        raise BadVerbError("Illegal verb: GetMetadata")

    def _outputResuming(  # noqa: N802
        self, element: Any, input_func: Callable[..., ListPage], output_func: Callable[..., None], kw: Any
    ) -> None:
        page = input_func(**kw)
        output_func(element, page.items, {"metadataPrefix": page.metadata_prefix})
        if page.resumption is None:
            return
        resumption = page.resumption
        token = SubElement(element, nsoai("resumptionToken"))
        token.set("completeListSize", str(resumption.complete_list_size))
        token.set("cursor", str(resumption.cursor))
        if resumption.expires is not None:
            token.set("expirationDate", f"{resumption.expires:%Y-%m-%dT%H:%M:%SZ}")
        token.text = resumption.token


def token_key(settings: ServeSettings, database_url: str) -> bytes:
    """The key that signs resumption tokens: the same for every run on the same store."""
    seed = f"ojs-harvester resumption tokens\0{settings.repository_id}\0{database_url}"
    return hashlib.sha256(seed.encode("utf-8")).digest()


def _arguments(environ: dict[str, Any]) -> tuple[dict[str, str], ErrorBase | None]:
    query = environ.get("QUERY_STRING", "")
    if environ["REQUEST_METHOD"] == "POST":
        declared = str(environ.get("CONTENT_LENGTH") or "0")
        length = min(int(declared), _MAX_BODY) if declared.isdigit() else 0
        query = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    values = parse_qs(query, keep_blank_values=True)
    args = {key: found[0] for key, found in values.items()}
    repeated = sorted(key for key, found in values.items() if len(found) > 1)
    if "verb" in repeated:
        return args, BadVerbError("the verb argument is repeated")
    if repeated:
        return args, BadArgumentError(f"repeated argument: {', '.join(repeated)}")
    empty = sorted(key for key, value in args.items() if not value)
    if empty:
        return args, BadArgumentError(f"empty argument: {', '.join(empty)}")
    if "from_" in args:  # oaipmh's internal name for 'from': not an argument of the protocol
        return args, BadArgumentError("Unknown argument: from_")
    return args, None


def make_app(settings: ServeSettings, store: Store) -> WsgiApp:
    """The WSGI application answering OAI-PMH at ``/oai``."""
    registry = MetadataRegistry()
    registry.registerWriter(OAI_DC[0], write_oai_dc)
    repository = Repository(settings, store, TokenCodec(token_key(settings, store.url)))
    server = ServerBase(repository, registry)
    server._tree_server = _TreeServer(repository, registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != "/oai":
            return _plain(start_response, "404 Not Found", "OAI-PMH is at /oai\n")
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD", "POST"):
            return _plain(start_response, "405 Method Not Allowed", "GET or POST\n")
        args, problem = _arguments(environ)
        if problem is not None:
            body = server.handleException(args, (type(problem), problem, None))
        else:
            body = server.handleRequest(args)
        start_response(
            "200 OK", [("Content-Type", "text/xml; charset=utf-8"), ("Content-Length", str(len(body)))]
        )
        return [body] if environ["REQUEST_METHOD"] != "HEAD" else []

    return app


def _plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]


def serve(settings: ServeSettings, store: Store, *, ready: Callable[[str], None]) -> None:
    """Serve until interrupted; ``ready`` gets the endpoint URL once the socket listens."""
    from waitress import create_server

    try:
        server = create_server(
            make_app(settings, store), host=settings.host, port=settings.port, threads=settings.threads
        )
    except OSError as exc:
        where = f"{settings.host}:{settings.port}"
        raise ConfigError(f"[serve] {where}: cannot listen: {exc.strerror or exc}") from None
    if server.effective_port != settings.port:  # port = 0 asked for any: name the one bound
        settings = settings.model_copy(update={"port": server.effective_port})
        server.application = make_app(settings, store)
    ready(settings.oai_url)
    try:
        server.run()
    except KeyboardInterrupt:
        log.info("serve: interrupted")
    finally:
        server.close()
