"""The test OJS site as pytest fixtures (a plugin: ``tests/conftest.py`` loads it).

``ojs_site`` starts generated sites: ``ojs_site(journals=2, articles_per_journal=14, seed=3,
archive_page_size=2)`` takes ``OjsSite.generate``'s arguments and the constructor's (``release``,
``validators``, ``page_size``, ...) and closes every site it started after the test.

``site`` is the one a test module declares with a marker, ``pytestmark =
pytest.mark.ojs_site(journals=1, articles_per_journal=12, seed=11)`` (a test's own marker wins over
its module's); indirect parametrisation adds to it, e.g. ``@pytest.mark.parametrize("site",
[{"release": "3.5.0-1"}], indirect=True)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.site.ojs_site import OjsSite

__all__ = ["ojs_site", "site"]


@pytest.fixture
def ojs_site() -> Iterator[Callable[..., OjsSite]]:
    """Start generated test OJS sites for one test; each is closed after it."""
    started: list[OjsSite] = []

    def start(**options: Any) -> OjsSite:
        running = OjsSite.generate(**options).start()
        started.append(running)
        return running

    yield start
    for running in reversed(started):
        running.close()


@pytest.fixture
def site(request: pytest.FixtureRequest, ojs_site: Callable[..., OjsSite]) -> OjsSite:
    """The generated site the test's ``ojs_site`` marker describes (plus an indirect parameter)."""
    marker = request.node.get_closest_marker("ojs_site")
    if marker is None:
        pytest.fail(f"{request.node.nodeid}: the site fixture needs pytest.mark.ojs_site(...)", pytrace=False)
    return ojs_site(**marker.kwargs, **getattr(request, "param", {}))
