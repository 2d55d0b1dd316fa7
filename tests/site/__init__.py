"""The loopback servers tests run against: the OJS-shaped test site (entry module ``ojs_site``; data in
``model``, drawn by ``generate`` from ``data/``; OAI-PMH in ``oai`` and ``oai_protocol``; pages rendered by
``pages`` from ``templates/RELEASE/``, routed by ``routes``; ground truth in ``expected``; the server in
``server``; per-release switches in ``ojs_releases``; pytest fixtures in ``fixtures``), hostile servers,
a served OAI list, recorded real sites replayed (``replay``), and config files for the command
(``configs``)."""
