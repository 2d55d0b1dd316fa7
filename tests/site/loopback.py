"""A test server's life on a loopback address: bound, served from a daemon thread, closed."""

from __future__ import annotations

import threading
from http.server import HTTPServer
from types import TracebackType
from typing import Self

__all__ = ["LoopbackSite"]


class LoopbackSite:
    """Base of the test sites: ``start`` binds and calls ``_serve``; ``close``, ``with`` and
    ``base_url`` are shared."""

    address = "127.0.0.1"
    _server: HTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def _serve(self) -> Self:
        """Serve the bound ``_server`` from a daemon thread."""
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, close the socket and join the server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the server."""
        self.close()

    @property
    def base_url(self) -> str:
        """``http://ADDRESS:PORT`` (only once started)."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} not started")
        return f"http://{self.address}:{self._server.server_address[1]}"
