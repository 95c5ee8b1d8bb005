"""Issue 18: a claim is renewed while its holder acts on the upload (``complete``), so it does
not run out under them; a claim taken a moment ago is not rewritten for each upload acted on."""

from __future__ import annotations

from scenario_tui.fake.seeds import seeded_pending_ids

PENDING = seeded_pending_ids(include_bad_file=False)


async def test_completing_my_claimed_upload_renews_a_claim_running_out(service):
    service.add(PENDING[:2])
    service.store.claim([PENDING[0]], 5)  # 5 minutes left
    fresh = service.claims.take([PENDING[1]]).mine[0]  # the full 30 minutes left
    before = service.store.claims()
    await service.complete(PENDING[0])
    await service.complete(PENDING[1])
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
        service, monkeypatch):
    """Completing an upload claimed a moment ago reads no claims; once a minute has passed the
    next complete reads them and renews mine."""
    from datetime import timedelta

    service.add(PENDING[:2])
    taken = service.claims.take(PENDING[:2]).mine
    reads = []
    real_claims = service.store.claims
    monkeypatch.setattr(service.store, "claims",
                        lambda ids=None: reads.append(ids) or real_claims(ids))
    await service.complete(PENDING[0])
    assert reads == []
    start = service.claims._now()
    monkeypatch.setattr(service.claims, "_now", lambda: start + timedelta(minutes=2))
    service.store._clock = lambda: start + timedelta(minutes=2)
    await service.complete(PENDING[1])
    assert reads == [[PENDING[1]]]
    renewed = real_claims([PENDING[1]])[PENDING[1]]
    assert renewed.expires_at > taken[1].expires_at
