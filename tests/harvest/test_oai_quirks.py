"""The guards that end looping lists and the bad-token policy, on plain data."""

from __future__ import annotations

import pytest

from harvester.errors import BadResumptionToken
from harvester.harvest.oai_quirks import (
    MAX_RESTARTS,
    SeenKeys,
    WindowState,
    after_bad_token,
    list_should_end,
)


def test_far_more_pages_than_complete_list_size_implies_ends_the_list(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = WindowState()
    ended = [
        list_should_end(state, f"t{page}", {f"a{page}", f"b{page}"}, 4, max_stale=3, where="x")
        for page in range(10)
    ]
    assert ended.index(True) == 5  # 4 records on pages of 2 imply 2 pages: 2 * 2 + 2 at most
    assert "far more than completeListSize 4" in caplog.text


def test_a_bad_token_is_tried_again_once_then_the_window_restarts_a_bounded_number_of_times() -> None:
    state = WindowState()
    error = BadResumptionToken("expired")
    tokens = []
    for attempt in range(MAX_RESTARTS):
        assert after_bad_token(state, error, f"t{attempt}", "x") == f"t{attempt}"  # the same token once more
        tokens.append(after_bad_token(state, error, f"t{attempt}", "x"))
    assert tokens == [None] * MAX_RESTARTS  # each time: the window's first page
    assert after_bad_token(state, error, "t9", "x") == "t9"
    with pytest.raises(BadResumptionToken):
        after_bad_token(state, error, "t9", "x")


def test_seen_keys_tell_new_from_repeated_keys_in_fixed_memory() -> None:
    """200,000 distinct identifiers, pages of 100: every page is new, a page repeated is not,
    one new key among repeated ones makes its page new; the filter never grows."""
    seen = SeenKeys()
    size = len(seen._bits)
    pages = [[f"oai:journal.example.org:article/{p * 100 + i}" for i in range(100)] for p in range(2000)]
    assert all(seen.add(keys) for keys in pages)
    assert not any(seen.add(keys) for keys in pages[::50])
    assert seen.add([*pages[7][:99], "oai:journal.example.org:article/new"])
    assert len(seen._bits) == size


def test_pages_of_records_already_listed_end_the_list_after_max_stale_pages(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = WindowState()
    fresh = [
        list_should_end(state, f"t{page}", {f"a{page}"}, None, max_stale=3, where="x") for page in range(5)
    ]
    stale = [
        list_should_end(state, f"u{page}", {"a1", "a2"}, None, max_stale=3, where="x") for page in range(3)
    ]
    assert fresh == [False] * 5
    assert stale == [False, False, True]
    assert "3 pages in a row without records new to it" in caplog.text
