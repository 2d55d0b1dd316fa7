"""Stateless OAI-PMH resumption tokens: the whole cursor, signed, in the token itself.

A token carries the list's arguments, the last (change time, article id) sent, how many
records came before and when it expires, as base64url JSON with an HMAC-SHA256 tag.  Nothing
is kept on the server, so a token outlives a restart of ``harvester serve`` and stays exact
while a harvest writes beside it (``store.serving``); a forged, altered or expired token fails
the check and is answered with ``badResumptionToken``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from oaipmh.error import BadResumptionTokenError

__all__ = ["Cursor", "TokenCodec"]


@dataclass(frozen=True)
class Cursor:
    """Where a list stopped: its verb and arguments, the last record sent and the expiry."""

    verb: str
    metadata_prefix: str
    set_spec: str | None
    since: str | None  # the request's ``from``, as a datestamp
    until: str | None
    after: tuple[datetime, int]  # (updated_at, article_id) of the last record sent
    sent: int  # records sent before the next page (the next page's ``cursor`` attribute)
    expires: datetime
    # The list's ``completeListSize``, counted for its first page (a count is a pass over the
    # list: each page counting again made a whole harvest quadratic); None in tokens issued
    # before it was carried, which count once more.
    size: int | None = None

    def to_json(self) -> bytes:
        stamp, article_id = self.after
        return orjson.dumps(
            [
                self.verb,
                self.metadata_prefix,
                self.set_spec,
                self.since,
                self.until,
                stamp.isoformat(),
                article_id,
                self.sent,
                int(self.expires.timestamp()),
                self.size,
            ]
        )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenCodec:
    """Signs cursors into tokens and checks tokens back into cursors with one secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _tag(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest()[:16])

    def encode(self, cursor: Cursor) -> str:
        payload = _b64(cursor.to_json())
        return f"{payload}.{self._tag(payload)}"

    def decode(self, token: str, verb: str, now: datetime) -> Cursor:
        """The cursor in ``token``; ``BadResumptionTokenError`` unless it is ours, intact,
        for ``verb`` and unexpired."""
        payload, _, tag = token.partition(".")
        expected = self._tag(payload).encode("ascii") if payload.isascii() else b""
        if not tag or not hmac.compare_digest(tag.encode("utf-8"), expected):
            raise BadResumptionTokenError("the resumptionToken is not one this repository issued")
        try:
            fields = orjson.loads(_unb64(payload))
            listed, prefix, set_spec, since, until = fields[:5]
            cursor = Cursor(
                listed,
                prefix,
                set_spec,
                since,
                until,
                after=(datetime.fromisoformat(fields[5]), int(fields[6])),
                sent=int(fields[7]),
                expires=datetime.fromtimestamp(fields[8], UTC),
                size=int(fields[9]) if len(fields) > 9 and fields[9] is not None else None,
            )
        except (binascii.Error, orjson.JSONDecodeError, TypeError, ValueError, IndexError) as exc:
            raise BadResumptionTokenError("the resumptionToken is damaged") from exc
        if cursor.verb != verb:
            raise BadResumptionTokenError(f"the resumptionToken continues {cursor.verb}, not {verb}")
        if cursor.expires <= now:
            raise BadResumptionTokenError(
                f"the resumptionToken expired at {cursor.expires:%Y-%m-%dT%H:%M:%SZ}; start the list again"
            )
        return cursor
