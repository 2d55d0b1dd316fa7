"""The guards that end looping lists and the bad-token policy, on plain data."""

from __future__ import annotations

import pytest

from harvester.errors import BadResumptionToken
from harvester.harvest.oai_quirks import MAX_RESTARTS, WindowState, after_bad_token, list_should_end


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
