"""The helper process that reads a long window's pages: a real child interpreter, and the
same pages, errors and warnings as reading them in the fetching thread."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator

import pytest

from harvester.config import HttpSettings
from harvester.errors import BrokenResponseError, HarvesterError
from harvester.fetch.client import HttpClient
from harvester.fetch.response import pack
from harvester.harvest.helper import HelperProcess, outcome
from harvester.harvest.oai import OaiClient, Page, Window
from harvester.harvest.oai_pages import read_page
from harvester.parse.oai_dc import parse_record, parse_stored_record
from tests.site.ojs_site import OjsSite


@pytest.fixture
def helper() -> Iterator[HelperProcess]:
    running = HelperProcess()
    yield running
    running.close()


def _unpicklable_failure() -> None:
    class Local(HarvesterError):  # a class pickle cannot name
        pass

    raise Local("made in the helper")


def test_calls_run_in_one_child_process(helper: HelperProcess) -> None:
    first = helper.run(os.getpid)
    assert first != os.getpid()
    assert helper.run(os.getpid) == first  # kept for the next call


def test_the_child_raises_what_the_function_raises(helper: HelperProcess) -> None:
    with pytest.raises(BrokenResponseError, match=r"http://x/oai \(ListRecords\): broken XML"):
        helper.run(read_page, b"<OAI-PMH><ListRec", "http://x/oai (ListRecords)", {}, parse_record)
    with pytest.raises(HarvesterError, match="Local: made in the helper"):
        helper.run(_unpicklable_failure)
    assert helper.run(os.getpid) != os.getpid()  # still serving


def test_a_killed_helper_costs_no_call(helper: HelperProcess, caplog: pytest.LogCaptureFixture) -> None:
    killed = helper.run(os.getpid)
    os.kill(killed, signal.SIGKILL)
    with caplog.at_level(logging.WARNING):
        after = helper.run(os.getpid)  # here (the dead pipe is found) or in a new helper
    assert after != killed
    replaced = helper.run(os.getpid)
    assert replaced not in (killed, os.getpid())


def test_calls_handed_over_before_collecting_are_answered_in_order(helper: HelperProcess) -> None:
    child = helper.run(os.getpid)
    first, second = helper.submit(pow, 2, 10), helper.submit(divmod, 7, 2)
    assert first is not None and second is not None
    assert outcome(second, divmod, 7, 2) == (3, 1)
    assert outcome(first, pow, 2, 10) == 1024
    assert helper.run(os.getpid) == child  # one child answered them all


def test_a_full_queue_leaves_the_call_to_the_caller(helper: HelperProcess) -> None:
    waiting = [helper.submit(time.sleep, 0.5), helper.submit(time.sleep, 0.5)]
    assert None not in waiting
    assert helper.submit(os.getpid) is None  # two waiting: the caller runs it itself
    assert helper.run(os.getpid) == os.getpid()
    for answer in waiting:
        outcome(answer, time.sleep, 0)


def test_calls_waiting_on_a_killed_helper_run_here(
    helper: HelperProcess, caplog: pytest.LogCaptureFixture
) -> None:
    killed = helper.run(os.getpid)
    waiting = [helper.submit(time.sleep, 5), helper.submit(os.getpid)]
    os.kill(killed, signal.SIGKILL)
    with caplog.at_level(logging.WARNING):
        assert outcome(waiting[0], abs, -1) == 1  # (its stand-in, run here)
        assert outcome(waiting[1], os.getpid) == os.getpid()
    assert "the helper process ended" in caplog.text
    assert helper.run(os.getpid) not in (killed, os.getpid())  # a new helper


@pytest.fixture
def site() -> Iterator[OjsSite]:
    with OjsSite.generate(journals=1, articles_per_journal=35, seed=11, page_size=10) as running:
        yield running


def _pages(site: OjsSite, helper_from: int | None) -> list[Page]:
    with HttpClient(HttpSettings(requests_per_second=500, backoff=0.01, max_retries=1)) as http:
        oai = OaiClient(f"{site.journal_url('jsas')}/oai", http, helper_from=helper_from)
        return list(oai.pages(Window("oai_dc")))


def _contents(pages: list[Page]) -> list[tuple[object, ...]]:
    """What a page says (its bytes differ by the server's responseDate and token)."""
    return [(page.records, page.complete_list_size, page.warnings, page.last) for page in pages]


def test_a_window_read_by_the_helper_is_the_window_read_here(site: OjsSite) -> None:
    here = _pages(site, helper_from=None)
    assert len(here) == 4
    assert _contents(_pages(site, helper_from=0)) == _contents(here)


def test_a_page_cut_short_is_fetched_again_through_the_helper(site: OjsSite) -> None:
    site.truncate_next(1)
    assert sum(len(page.records) for page in _pages(site, helper_from=0)) == 35
    site.truncate_next(2)
    with pytest.raises(BrokenResponseError, match="broken XML"):
        _pages(site, helper_from=0)


def test_repairs_made_in_the_helper_are_logged_here(site: OjsSite, caplog: pytest.LogCaptureFixture) -> None:
    target = next(a for a in site.articles("jsas") if not a.deleted and a.abstract)
    site.edit("jsas", target.id, control_chars=True)
    with caplog.at_level(logging.WARNING):
        pages = _pages(site, helper_from=0)
    (warned,) = [page for page in pages if page.warnings]
    assert all(warning in caplog.text for warning in warned.warnings)
    assert b"\x0b" not in warned.content  # the repaired bytes are the page kept


def test_records_and_pages_arrive_encoded_and_packed(site: OjsSite) -> None:
    with HttpClient(HttpSettings(requests_per_second=500)) as http:
        oai = OaiClient(f"{site.journal_url('jsas')}/oai", http, helper_from=0, pack_pages=True)
        page, *_ = oai.pages(Window("oai_dc"), parse=parse_stored_record)  # every page: no fetch left running
    whole = read_page(page.content, "here", {}, parse_record).records
    assert len(whole) == len(page.records) > 1
    for record, read_here in zip(page.records, whole, strict=True):
        assert {"encoded", "work_keys"} <= vars(record).keys()  # computed in the helper, carried across
        assert (record.encoded, record.work_keys) == (read_here.encoded, read_here.work_keys)
    assert page.packed == pack(page.content)
