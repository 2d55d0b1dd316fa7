"""The fleet: journals held in the database and worked by many processes through a job queue.

Owns the registry of sources (``registry``: the ``sources`` table, the TOML synced into it;
``lists`` and ``importer``: ``harvester sources import``), the procrastinate job queue of a
PostgreSQL store (``queue``: the app and its tasks; ``scheduler``: due journals deferred,
old failed jobs deleted; ``runner`` and ``loop``: ``harvester worker`` and the fleet's
``harvester run``), the per-host lock of one-off commands (``hostlock``), per-host waits
(``hostwait``) and the queue's report (``queue_status``).  May import config, errors,
redact, store (and its schema: the registry and the waits are its tables), http, discover,
oai, pipeline, mirror, scheduler and signals; nothing imports it but the CLI, which
registers its commands and hooks.
"""
