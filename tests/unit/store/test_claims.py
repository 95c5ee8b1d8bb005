"""Claims: who is on an upload, until when; renewed by the holder, never taken from another."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from scenario_tui.store.sqlite import Store


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 6, 10, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def pair(tmp_path, clock):
    """Two people on one store file (the local store's actor is the login name: set apart)."""
    path = tmp_path / "store.db"
    with Store.open(path, clock=clock) as ann, Store.open(path, clock=clock) as bob:
        ann.actor, bob.actor = "ann", "bob"
        ann.add(["up_a", "up_b", "up_c"])
        yield ann, bob


def test_claim_takes_renews_and_leaves_anothers(pair, clock) -> None:
    ann, bob = pair
    mine, held = ann.claim(["up_a", "up_b", "up_unknown"], minutes=30, profile="p")
    assert [c.upload_id for c in mine] == ["up_a", "up_b"] and held == []
    assert {c.holder for c in mine} == {"ann"}
    assert mine[0].expires_at == "2026-05-06T10:30:00.000Z"

    mine, held = bob.claim(["up_b", "up_c"], minutes=30)
    assert [c.upload_id for c in mine] == ["up_c"]
    assert [(c.upload_id, c.holder) for c in held] == [("up_b", "ann")]

    clock.now += timedelta(minutes=20)
    renewed, _ = ann.claim(["up_a"], minutes=30)
    assert renewed[0].claimed_at == "2026-05-06T10:00:00.000Z"  # kept: renewed, not new
    assert renewed[0].expires_at == "2026-05-06T10:50:00.000Z"
    assert {i: c.holder for i, c in bob.claims().items()} == {
        "up_a": "ann", "up_b": "ann", "up_c": "bob"}
    assert set(bob.claims(["up_c", "up_x"])) == {"up_c"}


def test_an_expired_claim_is_free_for_anyone(pair, clock) -> None:
    ann, bob = pair
    ann.claim(["up_a"], minutes=5)
    clock.now += timedelta(minutes=5)
    assert bob.claims() == {}
    mine, held = bob.claim(["up_a"], minutes=5)
    assert [c.holder for c in mine] == ["bob"] and held == []


def test_release_gives_back_only_ones_own(pair) -> None:
    ann, bob = pair
    ann.claim(["up_a", "up_b"])
    assert bob.release(["up_a"]) == 0
    assert [e.action for e in bob.events(limit=1)] == ["claim"]  # nothing released: no entry
    assert ann.release(["up_a", "up_c"]) == 1
    assert set(bob.claims()) == {"up_b"}


def test_a_release_is_one_entry_listing_the_ids_in_the_order_asked(any_store) -> None:
    ann = any_store
    ann.add(["up_a", "up_b", "up_c"])
    ann.claim(["up_a", "up_b", "up_c"])
    assert ann.release(["up_c", "up_x", "up_a"], profile="p") == 2
    released = ann.events(limit=1)[0]
    assert (released.action, released.outcome, released.message, released.upload_ids,
            released.profile) == ("release", "ok", "2 released", ("up_c", "up_a"), "p")
    assert set(ann.claims()) == {"up_b"}


def test_claims_are_logged_with_their_ids_and_go_with_the_upload(pair) -> None:
    ann, _ = pair
    ann.claim(["up_a", "up_b"], profile="p")
    ann.release(["up_b"])
    released, claimed = ann.events(limit=2)
    assert (claimed.action, claimed.upload_ids, claimed.profile) == (
        "claim", ("up_a", "up_b"), "p")
    assert claimed.message == "2 claimed until 10:30 UTC"
    assert (released.action, released.upload_ids) == ("release", ("up_b",))
    ann.remove(["up_a"])
    assert ann.claims() == {}


def test_a_renewal_is_not_logged_again(pair, clock) -> None:
    """Acting on one's claimed uploads renews them: no new "claimed" entry each time."""
    ann, _ = pair
    ann.claim(["up_a"])
    clock.now += timedelta(minutes=10)
    ann.claim(["up_a", "up_b"])
    newest, first = ann.events(limit=2)
    assert (first.upload_ids, newest.upload_ids) == (("up_a",), ("up_b",))
    ann.claim(["up_a", "up_b"])
    assert len(ann.events()) == 2 and ann.claims()["up_a"].expires_at == "2026-05-06T10:40:00.000Z"


def test_the_local_actor_is_the_login_name(tmp_path) -> None:
    import getpass

    with Store.open(tmp_path / "s.db") as store:
        assert store.actor == getpass.getuser()
