"""Works: one record per article however many sources carry it, and checked identifiers.

Owns the pure parts: canonical identifiers (``identifiers``: DOI, ISSN, ORCID, article URL;
check digits by python-stdnum), match keys and the pairwise decision (``matching``) and the
``harvester works`` commands (``commands``).  ``identifiers`` and ``matching`` import nothing
of the harvester (the parsers use ``identifiers``, the store both); ``commands`` may import
click and ``harvester.store``.  The SQL that clusters articles into works lives in
``harvester.store.works`` (only the store imports SQLAlchemy and owns transactions).
"""
