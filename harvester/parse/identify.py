"""What an OAI-PMH Identify response says of the software behind it.

Pure: the parsed Identify tree in, names out.  Only these descriptions are read; a bare
``<version>`` elsewhere in a description says nothing of the software (reading one as
"the OJS version" reported other providers as OJS).

- OJS writes a ``toolkit`` description titled ``Open Journal Systems`` with its version
  (pkp-lib classes/oai/OAI ``Identify`` with ojs classes/oai/ojs/JournalOAI
  ``repositoryInfo``, ojs-2_4_8-5, 3_3_0-11, 3_4_0-8, 3_5_0-1); OPS and OMP share that code under their own
  titles, and other toolkits use the same schema.
- EPrints writes no toolkit but the OAI ``eprints`` description (eprints/eprints cgi/oai2
  ``Identify``).
- DSpace writes only an ``oai-identifier`` description (DSpace/DSpace dspace/config/crosswalks/
  oai/description.xml via DSpaceRepositoryConfiguration), so nothing in its Identify names it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OJS_TOOLKIT", "provider_software", "toolkit_version"]

OJS_TOOLKIT = "Open Journal Systems"
_TOOLKIT = "{http://oai.dlib.vt.edu/OAI/metadata/toolkit}"
_EPRINTS = "{http://www.openarchives.org/OAI/1.1/eprints}eprints"


def _text(tree: Any, path: str) -> str | None:
    found = tree.find(path)
    return (" ".join((found.text or "").split()) or None) if found is not None else None


def toolkit_version(tree: Any) -> str | None:
    """The version the toolkit description states, of the software it names."""
    return _text(tree, f".//{_TOOLKIT}toolkit/{_TOOLKIT}version")


def provider_software(tree: Any) -> str | None:
    """The software an Identify response names: its toolkit description's title, "EPrints"
    for an eprints description, else None."""
    title = _text(tree, f".//{_TOOLKIT}toolkit/{_TOOLKIT}title")
    if title:
        return title
    return "EPrints" if tree.find(f".//{_EPRINTS}") is not None else None
