"""Fetching: the one polite HTTP client every request goes through.

``client`` (timeouts, retries, size caps, redirects), ``politeness`` (per-host pacing and the
host waits a server asks for), ``robots`` (robots.txt), ``conditional`` (ETag/Last-Modified),
``netguard`` (one deadline per exchange, bounded reads, which hosts may be fetched),
``download`` (a body streamed to a file).  Nothing outside this package imports ``requests``.

Imports: ``errors``, ``config``, ``redact``, ``parse`` (file types); never ``store``.
"""
