"""Secrets masked wherever text leaves the process: logs, errors, tracebacks, the database.

A journal URL may carry a password in its user-info (``https://user:secret@host/…``) or in a
query parameter (``?password=…``, ``&api_key=…``, ``&token=…``); requests needs it, nobody
reading a log line, a ``status`` report or the ``sources`` table does.  ``mask`` works on any
text (an error message with several URLs in it, a traceback, a JSON log line), so it can be
applied where text is written rather than where every URL is built.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

__all__ = ["MASK", "MaskingFormatter", "host_of", "mask"]

MASK = "***"

# scheme://user:password@ — the password part only (a bare user name is no secret).
_USERINFO = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^/\s:@?#]*):[^/\s@?#]*@", re.IGNORECASE)
# ?password=…, &api_key=…, ;token=… and the like: the value, up to the next separator (or
# the ": " after a URL in an error message).
_SECRET_PARAM = re.compile(
    r"(?P<head>[?&;][^=&#\s]*(?:pass|pwd|token|key|secret|auth|sig|session|sid)[^=&#\s]*=)"
    r"[^&#\s\"'<>]*?(?=[&#\s\"'<>]|:\s|:$|$)",
    re.IGNORECASE,
)


def mask(text: str) -> str:
    """``text`` with every URL password and secret-looking query value replaced by ``***``."""
    return _SECRET_PARAM.sub(rf"\g<head>{MASK}", _USERINFO.sub(rf"\g<head>:{MASK}@", text))


def host_of(url: str) -> str:
    """``host`` or ``host:port`` of ``url``: its netloc without the user-info."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{host}:{parts.port}" if parts.port else host


class MaskingFormatter(logging.Formatter):
    """Another formatter's output (message, fields and traceback alike), masked."""

    def __init__(self, inner: logging.Formatter) -> None:
        super().__init__()
        self._inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return mask(self._inner.format(record))
