"""Issue 18: a claim is renewed while its holder acts on the upload (``complete``), so it does
not run out under them; a claim taken a moment ago is not rewritten for each upload acted on.
A complete that goes through ends the claim: nothing is left to do on the upload."""

from __future__ import annotations

import pytest

from scenario_tui.core import errors
from scenario_tui.fake.seeds import seeded_pending_ids

PENDING = seeded_pending_ids(include_bad_file=False)


def refuse_completes(fake, *upload_ids: str, status: int = 400) -> None:
    """The API refuses the complete of each of ``upload_ids`` (so the claim stays)."""
    for upload_id in upload_ids:
        fake.faults.add(status=status, method="POST", path=f"/uploads/{upload_id}/action")


async def rejected(service, upload_id: str) -> None:
    with pytest.raises(errors.ApiError):
        await service.complete(upload_id)


async def test_completing_my_claimed_upload_renews_a_claim_running_out(service, fake):
    service.add(PENDING[:2])
    service.store.claim([PENDING[0]], 5)  # 5 minutes left
    fresh = service.claims.take([PENDING[1]]).mine[0]  # the full 30 minutes left
    before = service.store.claims()
    refuse_completes(fake, *PENDING[:2])
    await rejected(service, PENDING[0])
    await rejected(service, PENDING[1])
    after = service.store.claims()
    assert after[PENDING[0]].expires_at > before[PENDING[0]].expires_at
    now = service.claims._now()
    assert after[PENDING[0]].minutes_left(now) >= service.claims.minutes - 1
    assert after[PENDING[1]].expires_at == fresh.expires_at  # not rewritten
    claims = [e for e in service.store.events() if e.action == "claim"]
    assert len(claims) == 2  # the two claims taken; a renewal adds no entry


async def test_completing_anothers_claimed_upload_leaves_their_claim_alone(service):
    service.add(PENDING[:1])
    service.store.actor = "ann"
    held = service.store.claim([PENDING[0]], 5).mine[0]
    service.store.actor = "me"
    await service.complete(PENDING[0])
    assert service.store.claims()[PENDING[0]] == held


async def test_a_claim_i_took_is_read_again_for_renewal_only_after_its_first_minute(
        service, fake, monkeypatch):
    """Completing an upload claimed a moment ago reads no claims; once a minute has passed the
    next complete reads them and renews mine."""
    from datetime import timedelta

    service.add(PENDING[:2])
    taken = service.claims.take(PENDING[:2]).mine
    reads = []
    real_claims = service.store.claims
    monkeypatch.setattr(service.store, "claims",
                        lambda ids=None: reads.append(ids) or real_claims(ids))
    refuse_completes(fake, *PENDING[:2])
    await rejected(service, PENDING[0])
    assert reads == []
    start = service.claims._now()
    monkeypatch.setattr(service.claims, "_now", lambda: start + timedelta(minutes=2))
    service.store._clock = lambda: start + timedelta(minutes=2)
    await rejected(service, PENDING[1])
    assert reads == [[PENDING[1]]]
    renewed = real_claims([PENDING[1]])[PENDING[1]]
    assert renewed.expires_at > taken[1].expires_at


async def test_a_complete_that_goes_through_ends_my_claim_and_nobody_elses(service, fake):
    """My complete that went through ends my claim on that upload, in the settlement (no
    entry of its own in the log); a refused one, and one whose outcome is uncertain (a 409:
    someone else may have completed it), leave it mine; another's claim on an upload I
    complete stays theirs."""
    service.add(PENDING)
    service.store.actor = "ann"
    hers = service.store.claim([PENDING[2]], 30).mine[0]
    service.store.actor = "me"
    service.claims.take(PENDING[:2])
    assert (await service.complete(PENDING[0])).sent
    assert sorted(service.store.claims()) == PENDING[1:]
    refuse_completes(fake, PENDING[1])
    await rejected(service, PENDING[1])
    refuse_completes(fake, PENDING[2])
    await rejected(service, PENDING[2])
    claims = service.store.claims()
    assert sorted(claims) == PENDING[1:]
    assert claims[PENDING[1]].holder == "me" and claims[PENDING[2]] == hers
    assert (await service.complete(PENDING[2])).sent  # ann's, sent by me: still hers
    assert service.store.claims()[PENDING[2]] == hers
    assert [e for e in service.store.events() if e.action == "release"] == []


async def test_a_complete_with_an_uncertain_outcome_leaves_my_claim(service, fake):
    """A 409 to my complete (someone else may have completed it) is an uncertain outcome:
    somebody has to look, and the claim stays mine."""
    service.add(PENDING[:1])
    service.claims.take(PENDING[:1])
    refuse_completes(fake, PENDING[0], status=409)
    result = await service.complete(PENDING[0])
    assert result.sent and result.outcome is not None and result.outcome.uncertain
    assert service.store.claims()[PENDING[0]].holder == service.claims.me
