"""Works: one record per article however many sources carry it, and checked identifiers.

Owns the pure parts: canonical identifiers (``identifiers``: DOI, ISSN, ORCID, article URL;
check digits by python-stdnum) and match keys and the pairwise decision (``matching``).  They
import nothing of the harvester (the parsers use ``identifiers``, the store both); the
``harvester works`` commands are in ``harvester.cli.works``.  The SQL that clusters articles
into works lives in ``harvester.store.works`` (only the store imports SQLAlchemy and owns
transactions).
"""
