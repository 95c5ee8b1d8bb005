"""Issue 17: "not found" is recorded by the service, for the CLI and the TUI alike: every read
that answers 404 (refresh, bulk refresh, follow, complete's re-read) sets the row's
``not_found_at``; the next answer clears it. And a bulk complete leaves one summary entry with
every ID it touched. Against the fake API served on loopback."""

from __future__ import annotations

import pytest

from scenario_tui.cli.wiring import build_service
from scenario_tui.core import errors
from scenario_tui.core.diagnosis import diagnose_row
from scenario_tui.fake.seeds import BAD_FILE_ID, seeded_pending_ids
from scenario_tui.service.bulk_complete import ERROR, NOT_SENT, tally_text

PENDING = seeded_pending_ids(include_bad_file=False)
GONE = "up_gone_for_good_1"  # the fake has never heard of it: every read answers 404


@pytest.fixture
def loopback(served_settings):
    service = build_service(served_settings)
    yield service
    service.store.close()


async def test_refresh_records_a_404_and_the_next_answer_clears_it(loopback, fake):
    service = loopback
    service.add([PENDING[0], GONE])
    await service.refresh(PENDING[0])
    fake.faults.add(status=404, method="GET", path=f"/uploads/{PENDING[0]}")
    with pytest.raises(errors.NotFoundError):
        await service.refresh(PENDING[0])
    row = service.store.get(PENDING[0])
    assert row.not_found_at is not None and row.status == "pending"  # the snapshot is kept
    assert diagnose_row(row).code == "not-found"
    with pytest.raises(errors.NotFoundError):
        await service.refresh(GONE)
    assert service.store.get(GONE).not_found_at is not None
    await service.refresh(PENDING[0])
    assert service.store.get(PENDING[0]).not_found_at is None


async def test_a_bulk_refresh_records_each_404_with_the_others_read(loopback, fake):
    service = loopback
    service.add([PENDING[0], GONE, PENDING[1]])
    seen = {}
    results = await service.refresh_many(
        [PENDING[0], GONE, PENDING[1]],
        on_result=lambda i, upload, exc: seen.setdefault(i, exc))
    assert isinstance(results[GONE], errors.NotFoundError)
    assert isinstance(seen[GONE], errors.NotFoundError)
    assert service.store.get(GONE).not_found_at is not None
    assert service.store.get(PENDING[0]).not_found_at is None
    assert service.store.get(PENDING[0]).status == "pending"


async def test_following_and_completing_record_a_404_too(loopback, fake):
    service = loopback
    service.add([GONE, PENDING[0]])
    with pytest.raises(errors.NotFoundError):
        await service.complete(GONE)  # its re-read before any POST answered 404
    assert service.store.get(GONE).not_found_at is not None
    assert fake.complete_count(GONE) == 0
    fake.faults.add(status=404, method="GET", path=f"/uploads/{PENDING[0]}")
    with pytest.raises(errors.NotFoundError):
        await service.follow(PENDING[0], poll_min=0.0, poll_max=0.0)
    assert service.store.get(PENDING[0]).not_found_at is not None


def test_summary_text_counts_what_each_reached_and_what_was_not_sent():
    sent = {f"up_{i}": "imported" for i in range(8)} | {f"up_f{i}": "failed" for i in range(7)}
    assert tally_text(sent, {}) == "15 sent: 8 imported, 7 failed"
    assert tally_text({"a": "validating", "b": "quarantined"},
                        {"c": "not sent", "d": "error", "e": "not sent"}) == (
        "2 sent: 1 validating, 1 quarantined; 2 not sent, 1 error")
    assert tally_text({}, {"c": "not sent"}) == "0 sent; 1 not sent"
    assert tally_text({}, {"c": "error", "d": "error"}) == "0 sent; 2 errors"


async def test_a_bulk_complete_leaves_one_summary_entry_with_its_ids(loopback, fake):
    """Sent, followed to the end, skipped and failed: one entry says it all, with every ID in
    the order given; each upload keeps its own entries."""
    service = loopback
    imported = next(i for i in fake.seeded_ids if fake.status_of(i) == "imported")
    ids = [PENDING[0], BAD_FILE_ID, imported, GONE]
    service.add(ids)
    tally = service.bulk_complete(ids)
    texts = []
    for upload_id in ids:
        try:
            result = await service.complete(upload_id)
        except errors.ScenarioTuiError:
            texts.append(tally.not_sent(upload_id, ERROR))
            continue
        if result.sent:
            final = await service.follow(upload_id, poll_min=0.0, poll_max=0.0)
            texts.append(tally.sent(upload_id, final.status))
        else:
            texts.append(tally.result(result))
    *before, text = texts
    assert before == [None, None, None]  # the last one to end writes the summary
    assert text == "2 sent: 1 imported, 1 failed; 1 not sent, 1 error"
    summary = [e for e in service.store.events() if e.upload_id is None
               and e.action == "complete"]
    assert len(summary) == 1
    assert summary[0].message == text and summary[0].upload_ids == tuple(ids)
    assert summary[0].outcome == "partial"
    assert tally.finish() == text  # once: asking again writes nothing more
    assert len([e for e in service.store.events() if e.upload_id is None
                and e.action == "complete"]) == 1
    assert any(e.upload_id == PENDING[0] and e.outcome == "sent" for e in service.store.events())


async def test_a_complete_of_one_upload_writes_no_summary(loopback):
    service = loopback
    service.add([PENDING[0]])
    tally = service.bulk_complete([PENDING[0]])
    assert tally.result(await service.complete(PENDING[0])) == "1 sent: 1 validating"
    assert not [e for e in service.store.events() if e.upload_id is None
                and e.action == "complete"]


def _summaries(service) -> list[str | None]:
    return [e.message for e in service.store.events() if e.upload_id is None
            and e.action == "complete"]


def test_a_bulk_completes_summary_entry_can_be_left_to_its_caller(service):
    """``write=False`` (the TUI's): the last upload to end sums up and writes nothing; the
    entry is the caller's to write (``summary_entry``: handed out once, its words fixed when
    handed out; the TUI calls it in a thread). ``finish()`` after it writes nothing more."""
    ids = PENDING[:3]
    service.add(ids)
    tally = service.bulk_complete(ids)
    assert tally.sent(ids[0], "imported", write=False) is None
    assert tally.not_sent(ids[1], ERROR, write=False) is None
    text = "1 sent: 1 imported; 1 not sent, 1 error"
    assert tally.not_sent(ids[2], NOT_SENT, write=False) == text
    assert _summaries(service) == []
    write = tally.summary_entry()
    assert write is not None and tally.summary_entry() is None
    tally.sent(ids[1], "failed", write=False)  # a later word: the entry handed out stays
    write()
    assert _summaries(service) == [text]
    assert tally.finish() == text and _summaries(service) == [text]


def test_without_write_false_the_last_to_end_writes_the_summary_as_before(service):
    """The CLI's way (``scenario-tui complete`` with several IDs): the last ``sent`` or
    ``not_sent`` writes the entry at once, and ``finish()`` returns its text."""
    ids = PENDING[:2]
    service.add(ids)
    tally = service.bulk_complete(ids)
    assert tally.sent(ids[0], "imported") is None
    assert tally.not_sent(ids[1], ERROR) == "1 sent: 1 imported; 1 error"
    assert _summaries(service) == ["1 sent: 1 imported; 1 error"]
    assert tally.finish() == "1 sent: 1 imported; 1 error"
    assert tally.summary_entry() is None and len(_summaries(service)) == 1
