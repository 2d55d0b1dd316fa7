"""What we know of OJS itself, as pure data and functions: its URL shapes and ids, and the names
its surfaces give a locale.  Every rule cites the OJS release and file it was read from.

Imports only the standard library; every other stage may import it.
"""
