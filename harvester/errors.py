"""The one exception tree of the harvester.

Every failure the harvester reports is a ``HarvesterError``.  Whether a failure is worth
retrying later is a *type* (``TransientError`` vs ``PermanentError``), so the scheduler and
the pipeline never match on message strings.  Foreign exceptions (requests, lxml, Sickle,
SQLAlchemy, pydantic) are translated at the boundary of the module that meets them.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "BadArgument",
    "BadResumptionToken",
    "BadVerb",
    "BrokenResponseError",
    "CannotDisseminateFormat",
    "ConfigError",
    "FileStoreError",
    "HTTPStatusError",
    "HarvesterError",
    "IdDoesNotExist",
    "NetworkError",
    "NoMetadataFormats",
    "NoRecordsMatch",
    "NoSetHierarchy",
    "NotFoundError",
    "OAIProtocolError",
    "PageError",
    "PermanentError",
    "PermanentHTTPStatusError",
    "RefusedURLError",
    "ResponseTooLargeError",
    "RetryLaterError",
    "RobotsDisallowedError",
    "SourceBusyError",
    "StopRequested",
    "StoreError",
    "TransientError",
    "TransientHTTPStatusError",
    "oai_error_for_code",
]


class HarvesterError(Exception):
    """Root of every error the harvester raises on purpose."""


class TransientError(HarvesterError):
    """A failure that may go away by itself: try the same work again later."""


class PermanentError(HarvesterError):
    """A failure that will repeat until someone changes the config, the server or the code."""


class ConfigError(PermanentError):
    """The configuration is missing, unreadable or invalid (the message lists every problem)."""


class StoreError(HarvesterError):
    """The database could not be opened, migrated or written."""


class FileStoreError(HarvesterError):
    """The directory of galley files could not be written or read (disk full, permissions)."""


class NotFoundError(PermanentError):
    """Something asked for by the user (an article, a source) is not in the store or config."""


class SourceBusyError(TransientError):
    """Another live process is harvesting the same source right now."""


# --- network -------------------------------------------------------------------------------


class NetworkError(TransientError):
    """Connection refused or reset, DNS failure, timeout: the host did not answer properly."""


class HTTPStatusError(HarvesterError):
    """The server answered with an HTTP error status.

    Never raised itself: ``TransientHTTPStatusError`` for 408/429/5xx still failing after
    every retry, ``PermanentHTTPStatusError`` for any other 4xx.
    """

    def __init__(self, message: str, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class TransientHTTPStatusError(HTTPStatusError, TransientError):
    """408, 429 or 5xx still failing after every retry."""


class PermanentHTTPStatusError(HTTPStatusError, PermanentError):
    """A 4xx other than 408/429: the URL is wrong or access is refused."""


class RetryLaterError(TransientError):
    """The host asked us to come back later than we are willing to wait in this run."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class RobotsDisallowedError(PermanentError):
    """robots.txt forbids this URL to our user agent."""


class StopRequested(HarvesterError):
    """A wait (pacing, Retry-After, back-off) was cut short: the process is stopping."""


class RefusedURLError(PermanentError):
    """A URL we will not fetch: not http(s), off the journal's site, or a private address."""


class ResponseTooLargeError(PermanentError):
    """The response body exceeded the configured size cap."""


class BrokenResponseError(TransientError):
    """A response arrived but could not be parsed (truncated, not XML, not OAI-PMH)."""


class PageError(PermanentError):
    """An HTML page is not the page asked for: a login form, a "not found" page served with
    200, a truncated page, or a page that is not OJS's.  The crawler logs it and skips the
    page; nothing stored is touched."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


# --- OAI-PMH protocol errors (the <error code="..."> of the spec) -------------------------


class OAIProtocolError(PermanentError):
    """The repository answered with an OAI-PMH ``<error>``."""

    code = "unknown"
    response_date: str | None = None  # the error response's <responseDate>


class BadArgument(OAIProtocolError):
    """The request had an illegal or missing argument."""

    code = "badArgument"


class BadVerb(OAIProtocolError):
    """The verb is not an OAI-PMH verb (often: the URL is not an OAI endpoint)."""

    code = "badVerb"


class BadResumptionToken(OAIProtocolError):
    """The resumption token expired or is invalid; the window must restart."""

    code = "badResumptionToken"


class CannotDisseminateFormat(OAIProtocolError):
    """The repository does not offer the requested metadata format."""

    code = "cannotDisseminateFormat"


class IdDoesNotExist(OAIProtocolError):
    """The identifier is unknown to the repository."""

    code = "idDoesNotExist"


class NoMetadataFormats(OAIProtocolError):
    """No metadata formats are available for the item."""

    code = "noMetadataFormats"


class NoRecordsMatch(OAIProtocolError):
    """The request matched no records: an empty result, not a failure."""

    code = "noRecordsMatch"


class NoSetHierarchy(OAIProtocolError):
    """The repository does not support sets."""

    code = "noSetHierarchy"


_OAI_ERRORS: dict[str, type[OAIProtocolError]] = {
    cls.code: cls
    for cls in (
        BadArgument,
        BadVerb,
        BadResumptionToken,
        CannotDisseminateFormat,
        IdDoesNotExist,
        NoMetadataFormats,
        NoRecordsMatch,
        NoSetHierarchy,
    )
}


def oai_error_for_code(code: str, message: str) -> OAIProtocolError:
    """The exception for an OAI ``<error code=...>``; unknown codes get the base class."""
    cls = _OAI_ERRORS.get(code, OAIProtocolError)
    error = cls(f"OAI error {code}: {message}".rstrip(": "))
    error.code = code
    return error
