"""The team store's change feed (``follow_changes``): what store B writes reaches store A's feed
as the IDs it touched (and nothing else), a burst arrives as one change, a lost feed connection
says so, comes back by itself and asks for a full re-read, and closing it ends its thread.
Where LISTEN is not available, the feed reads the change counter instead."""

from __future__ import annotations

import json
import queue
import threading
import time

import psycopg
import pytest

from scenario_tui.store.changes import CHANNEL, Change
from scenario_tui.store.intents import Holder
from scenario_tui.store.postgres.feed import PostgresFeed
from scenario_tui.store.postgres.schema import COUNTER_TABLE
from scenario_tui.store.postgres.store import PostgresStore
from scenario_tui.store.postgres.team import grants_sql
from scenario_tui.store.sqlite import Store
from tests.unit.store.backends import PostgresBackend

WAIT_S = 10.0


class Follower:
    """What a feed told its follower, in order."""

    def __init__(self) -> None:
        self.changes: queue.Queue[Change] = queue.Queue()
        self.states: queue.Queue[bool] = queue.Queue()
        self.threads: set[str] = set()

    def on_change(self, change: Change) -> None:
        self.threads.add(threading.current_thread().name)
        self.changes.put(change)

    def on_state(self, connected: bool) -> None:
        self.threads.add(threading.current_thread().name)
        self.states.put(connected)

    def next_change(self) -> Change:
        return self.changes.get(timeout=WAIT_S)

    def next_state(self) -> bool:
        return self.states.get(timeout=WAIT_S)

    def quiet(self, seconds: float = 0.4) -> list[Change]:
        """What arrived within ``seconds`` (expected: nothing)."""
        time.sleep(seconds)
        found = []
        while not self.changes.empty():
            found.append(self.changes.get_nowait())
        return found


@pytest.fixture
def pair(pg_url):
    """Store A (which follows) and store B (a teammate), on two connections, and A's feed."""
    a, b = PostgresStore.open(pg_url), PostgresStore.open(pg_url)
    follower = Follower()
    feed = a.follow_changes(follower.on_change, follower.on_state)
    assert feed is not None
    try:
        yield a, b, follower, feed
    finally:
        feed.close()
        a.close()
        b.close()


def test_a_teammates_add_note_claim_and_intent_reach_the_feed_with_their_ids(pair) -> None:
    a, b, follower, feed = pair
    assert feed.connected and a.connected
    b.add(["up_1", "up_2"], log=True)
    assert follower.next_change() == Change(("up_1", "up_2"))
    b.set_note("up_2", "looking at it", log=True)
    assert follower.next_change() == Change(("up_2",))
    b.claim(["up_1"])
    assert follower.next_change() == Change(("up_1",))
    # an intent being opened (with its "sending" entry) is no news: its end is, with both
    intent = b.begin_intent("up_2", "complete", Holder.this_process("B's TUI"),
                            log_message="complete being sent")
    assert b.heartbeat_intent(intent)  # nor is a heartbeat
    assert follower.quiet() == []
    b.settle_intent(intent, "sent", http_status=200)
    assert follower.next_change() == Change(("up_2",))
    b.record_snapshot("up_1", {"id": "up_1", "status": "complete"})
    assert follower.next_change() == Change(("up_1",))
    b.record_snapshot("up_1", {"id": "up_1", "status": "complete"})  # only fetched_at moved
    assert follower.quiet() == []
    b.remove(["up_1"])
    assert follower.next_change() == Change(("up_1",))
    assert follower.threads == {"scenario-tui change feed"}


def test_a_notification_carries_the_ids_only(pg_url) -> None:
    """What goes over the wire: a JSON list of IDs, never the note or the status."""
    with psycopg.connect(pg_url, autocommit=True) as listener, \
            PostgresStore.open(pg_url) as store:
        listener.execute(f"LISTEN {CHANNEL}")
        store.add(["up_1"])
        store.set_note("up_1", "secret customer detail")
        store.record_snapshot("up_1", {"id": "up_1", "status": "failed"})
        heard = [n.payload for n in listener.notifies(timeout=2, stop_after=3)]
    assert heard == ['["up_1"]'] * 3
    assert all(json.loads(p) == ["up_1"] for p in heard)


def test_a_burst_arrives_as_one_change_and_too_many_ids_as_everything(pair, pg_url) -> None:
    """Twenty statements committed at once: one Change with all their IDs, in order. A
    statement touching more IDs than a notification should carry: Change(()) (re-read all)."""
    _, b, follower, _ = pair
    ids = [f"up_{n:02d}" for n in range(20)]
    with psycopg.connect(pg_url) as conn:  # one transaction, twenty notifications
        for upload_id in ids:
            conn.execute("INSERT INTO uploads (id, seq, added_at)"
                         " VALUES (%s, nextval('upload_seq'), 'x')", (upload_id,))
    assert follower.next_change() == Change(tuple(ids))
    assert follower.quiet() == []
    many = [f"up_{'x' * 30}{n:04d}" for n in range(300)]
    b.add(many)
    assert follower.next_change() == Change(())


def test_a_killed_feed_connection_says_so_comes_back_and_asks_for_a_reread(pair, pg_url) -> None:
    a, b, follower, feed = pair
    backend = PostgresBackend(pg_url)
    killed = backend.rows(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname ="
        f" current_database() AND query = 'LISTEN {CHANNEL}'")
    assert killed == [(True,)]
    assert follower.next_state() is False
    assert follower.next_state() is True
    assert follower.next_change() == Change(())
    assert feed.connected
    b.add(["up_9"])  # the feed hears again
    assert follower.next_change() == Change(("up_9",))
    assert a.connected


def test_close_ends_the_thread_and_nothing_arrives_after_it(pair) -> None:
    _, b, follower, feed = pair
    started = time.monotonic()
    feed.close()
    assert time.monotonic() - started < 2
    assert not any(t.name == "scenario-tui change feed" and t.is_alive()
                   for t in threading.enumerate())
    b.add(["up_1"])
    assert follower.quiet() == []
    feed.close()  # again: nothing


class RefusesListen(psycopg.Connection):
    """A connection to a server that refuses LISTEN, as a read-only standby does."""

    def execute(self, query, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        if str(query).startswith("LISTEN"):
            raise psycopg.errors.ReadOnlySqlTransaction("cannot execute LISTEN during recovery")
        return super().execute(query, *args, **kwargs)


def test_where_listen_is_refused_the_feed_reads_the_change_counter(pg_url) -> None:
    """The counter moves once per committed transaction with news (however many rows, and
    written by a member too, whose role may only read it), and the feed that cannot LISTEN,
    a member's, says "everything" when it moved."""
    backend = PostgresBackend(pg_url)
    backend.execute(grants_sql())
    backend.execute("DROP ROLE IF EXISTS feed_member")
    backend.execute("CREATE ROLE feed_member LOGIN IN ROLE scenario_team")
    member_url = pg_url.replace("postgres@", "feed_member@", 1)
    try:
        with PostgresStore.open(member_url) as b:
            before = backend.rows(f"SELECT counter FROM {COUNTER_TABLE}")[0][0]
            b.add(["up_1", "up_2", "up_3"], log=True)
            assert backend.rows(f"SELECT counter FROM {COUNTER_TABLE}") == [(before + 1,)]
            # an intent opened is no news (its settlement is): the counter stays
            b.begin_intent("up_3", "complete", Holder.this_process("B"), log_message="sending")
            assert backend.rows(f"SELECT counter FROM {COUNTER_TABLE}") == [(before + 1,)]
            follower = Follower()
            feed = PostgresFeed.start(
                lambda: RefusesListen.connect(member_url, autocommit=True),
                follower.on_change, follower.on_state, poll_s=0.1)
            try:
                assert feed.connected and follower.quiet(0.3) == []
                b.set_note("up_1", "seen")
                assert follower.next_change() == Change(())
                assert follower.quiet(0.3) == []
            finally:
                feed.close()
    finally:
        backend.execute("DROP OWNED BY feed_member")
        backend.execute("DROP ROLE feed_member")


def test_a_local_store_follows_nothing_and_is_always_connected(tmp_path) -> None:
    with Store.open(tmp_path / "store.db") as store:
        assert store.follow_changes(lambda change: None, lambda up: None) is None
        assert store.connected is True
