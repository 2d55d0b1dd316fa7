"""The loopback servers tests run against: the OJS-shaped site with its release switch
(``ojs_site``, ``ojs_html``, ``ojs_releases``), hostile servers, a served OAI list, recorded
real sites replayed (``replay``), and config files for the command (``configs``)."""
