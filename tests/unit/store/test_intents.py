"""The intent ledger and the parts ledger of the store (RELIABILITY.md, promise 8), on every
backend (``any_store``): one open intent per upload whoever holds it, committed with its
'sending' log entry before anything is sent; settled with its outcome; a holder that is gone (pid
gone, reused, a zombie, or no heartbeat from another host) is stale, and the next read of the
upload reconciles its intent (never a live one). Each store implements every verb of
``StoreProtocol``. (A SQLite file locked when the intent is written: test_store.py; connections
racing for one upload on PostgreSQL: tests/reliability/test_team_exactly_once.py.)"""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from scenario_tui.core.errors import IntentHeldError, StoreError, UploadChangedError
from scenario_tui.store.intents import Holder, process_start
from scenario_tui.store.parts import SourceFile
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.sqlite import Store
from tests.pg_cluster import unavailable
from tests.unit.store.backends import Backend, FixedClock


@pytest.fixture
def clock() -> FixedClock:
    """Intents are stamped with this clock's time, which stays where a test puts it."""
    return FixedClock()


@pytest.fixture
def store(any_store):
    return any_store


def other_live_holder(label: str = "scenario-tui complete") -> Holder:
    """A process other than this one that is alive: our parent."""
    pid = os.getppid()
    return Holder(pid, socket.gethostname(), process_start(pid), label)


def dead_holder() -> Holder:
    """A process that ran on this machine and is gone (exited and reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return Holder(child.pid, socket.gethostname(), "12345", "scenario-tui complete")


def whose(backend: Backend) -> str:
    """How a refusal names whose process holds the intent: a team store says which database
    user opened it ("ann's process 1234 ..."), a local store just "process 1234 ..."."""
    return f"{backend.actor}'s " if backend.actor else ""


# --- one holder --------------------------------------------------------------------------------


def test_one_open_intent_per_upload_and_the_loser_is_told_who_holds_it(store, backend: Backend):
    """A second intent for the same upload, of either action, is refused with the holder's pid,
    label, machine and start time; another upload is free."""
    holder = other_live_holder()
    first = store.begin_intent("up_1", "complete", holder, profile="p")
    assert first.is_open and first.holder == holder
    for action in ("complete", "transfer"):
        with pytest.raises(IntentHeldError) as caught:
            store.begin_intent("up_1", action, Holder.this_process("me"))
        message = caught.value.message
        assert message.startswith(f"up_1 is being completed by {whose(backend)}process ")
        assert f"process {holder.pid} (scenario-tui complete) on this machine since 10:02 UTC" \
            in message and "Nothing was sent" in message
        assert caught.value.title == "Already being completed"
    assert store.begin_intent("up_2", "complete", holder).is_open
    assert backend.rows("SELECT count(*) FROM intents WHERE state = 'open'") == [(2,)]


def test_a_transfer_refuses_a_complete_saying_the_parts_are_being_sent(store, backend):
    holder = other_live_holder("scenario-tui upload")
    store.begin_intent("up_1", "transfer", holder)
    with pytest.raises(IntentHeldError, match=r"up_1: its parts are still being sent by "
                       rf"{whose(backend)}process {holder.pid} \(scenario-tui upload\) on this "
                       "machine"):
        store.begin_intent("up_1", "complete", Holder.this_process("me"))


def test_another_host_is_named(store, backend):
    holder = Holder(4242, "ws-7.example", None, "the TUI")
    store.begin_intent("up_1", "complete", holder)
    with pytest.raises(IntentHeldError, match=f"by {whose(backend)}process 4242 \\(the TUI\\)"
                                              " on host ws-7.example since 10:02 UTC"):
        store.begin_intent("up_1", "complete", Holder.this_process("me"))


def test_begin_commits_the_intent_and_its_sending_entry_before_it_returns(store, backend: Backend):
    """Another connection sees both at once: the row and the log entry are one committed
    transaction, so a crash right after ``begin_intent`` (mid-POST) keeps both."""
    intent = store.begin_intent("up_1", "complete", Holder.this_process("scenario-tui complete"),
                                profile="p", log_message="complete being sent by me")
    assert backend.rows("SELECT upload_id, action, state, holder_pid, holder_label, profile"
                           " FROM intents") == [
        ("up_1", "complete", "open", os.getpid(), "scenario-tui complete", "p")]
    assert backend.rows("SELECT upload_id, action, outcome, message FROM activity") == [
        ("up_1", "complete", "sending", "complete being sent by me")]
    store.settle_intent(intent, "sent", message="Complete accepted: now validating.",
                        http_status=200)
    latest = store.latest_intent("up_1")
    assert (latest.state, latest.http_status, latest.message) == (
        "sent", 200, "Complete accepted: now validating.")
    assert latest.settled_at is not None
    assert [(e.action, e.outcome) for e in store.events()] == [
        ("complete", "sent"), ("complete", "sending")]
    # settled: the upload is free again
    assert store.begin_intent("up_1", "complete", Holder.this_process("me")).is_open


def test_the_latest_intents_of_many_uploads_are_one_read(store):
    """``latest_intents``: for each upload that has intents, its newest (open or settled,
    as ``latest_intent`` gives it); none for one without, nor for an ID asked twice."""
    first = store.begin_intent("up_1", "complete", Holder.this_process("me"))
    store.settle_intent(first, "sent", http_status=200)
    newest = store.begin_intent("up_1", "complete", Holder.this_process("me"))
    held = store.begin_intent("up_2", "transfer", other_live_holder())
    found = store.latest_intents(["up_2", "up_1", "up_3", "up_1"])
    assert sorted(found) == ["up_1", "up_2"]
    assert found["up_1"] == store.latest_intent("up_1") and found["up_1"].id == newest.id
    assert found["up_2"] == store.latest_intent("up_2") and found["up_2"].id == held.id
    assert found["up_1"].is_open and not found["up_2"].stale
    assert store.latest_intents([]) == {}
    many = [f"up_{n}" for n in range(1200)]  # more than one statement's worth of IDs
    assert sorted(store.latest_intents(many)) == ["up_1", "up_2"]


def test_settle_can_name_its_own_log_action_and_outcome(store):
    intent = store.begin_intent("up_1", "transfer", Holder.this_process("me"))
    assert store.events() == []  # a transfer logs when it ends
    store.settle_intent(intent, "rejected", message="Part upload failed", log_outcome="failed")
    assert [(e.action, e.outcome) for e in store.events()] == [("upload-parts", "failed")]
    with pytest.raises(ValueError):
        store.settle_intent(intent, "maybe")


def test_an_intent_newer_than_the_callers_read_is_a_change_and_nothing_is_written(
        store, backend: Backend):
    """The caller read the upload when the newest intent was ``after``; one settled since means
    another process may have completed it meanwhile: read again, do not send."""
    before = store.latest_intent("up_1")
    assert before is None
    other = store.begin_intent("up_1", "complete", other_live_holder())
    store.settle_intent(other, "sent", http_status=200)
    with pytest.raises(UploadChangedError, match="read it again"):
        store.begin_intent("up_1", "complete", Holder.this_process("me"), after=0,
                           log_message="sending")
    assert backend.rows("SELECT count(*) FROM intents") == [(1,)]
    assert [e.outcome for e in store.events()] == ["sent"]
    assert store.begin_intent("up_1", "complete", Holder.this_process("me"),
                              after=other.id).is_open


def test_the_read_and_the_answer_ride_with_the_intent_or_not_at_all(store, backend: Backend):
    """``begin_intent(snapshot=...)`` saves the read the decision rests on in the intent's own
    transaction, and ``settle_intent(snapshot=...)`` the API's answer in the settlement's: a
    refused intent saves neither the intent nor the read."""
    store.add(["up_1"])
    read = {"id": "up_1", "status": "pending", "fileName": "a.png", "kind": "image"}
    answer = {**read, "status": "validating"}
    blocker = store.begin_intent("up_1", "complete", other_live_holder())
    with pytest.raises(IntentHeldError):
        store.begin_intent("up_1", "complete", Holder.this_process("me"), snapshot=read)
    assert store.get("up_1").status is None  # the refused read was not saved either
    store.settle_intent(blocker, "rejected", message="no")
    intent = store.begin_intent("up_1", "complete", Holder.this_process("me"),
                                after=blocker.id, snapshot=read)
    assert backend.rows("SELECT status, file_name FROM uploads") == [("pending", "a.png")]
    assert backend.rows("SELECT count(*) FROM intents WHERE state = 'open'") == [(1,)]
    store.settle_intent(intent, "sent", http_status=200, snapshot=answer)
    assert store.get("up_1").status == "validating"
    assert store.latest_intent("up_1").state == "sent"


def test_a_settlement_can_end_the_actors_claim_all_or_nothing(store, backend: Backend):
    """``settle_intent(release_claim=True)`` ends the actor's claim on the intent's upload in
    the settlement's own transaction (no log entry of its own): a settlement that fails ends
    nothing, one without it leaves the claim."""
    store.add(["up_1", "up_2"])
    store.claim(["up_1", "up_2"], 30)
    one = store.begin_intent("up_1", "complete", Holder.this_process("me"))
    two = store.begin_intent("up_2", "complete", Holder.this_process("me"))
    backend.refuse("no_log", "INSERT", "activity", "the log refuses")
    with pytest.raises(StoreError):
        store.settle_intent(one, "sent", http_status=200, release_claim=True)
    backend.allow("no_log", "activity")
    assert sorted(store.claims()) == ["up_1", "up_2"]
    assert store.latest_intent("up_1").is_open
    store.settle_intent(one, "sent", http_status=200, release_claim=True)
    store.settle_intent(two, "sent", http_status=200)
    assert sorted(store.claims()) == ["up_2"]
    assert [e.action for e in store.events()] == ["complete", "complete", "claim"]


# --- stale holders and reconciliation ------------------------------------------------------------


def test_liveness_of_holders_on_this_machine():
    """Alive: this process, our parent. Gone: a reaped pid, a zombie, a pid reused by another
    process (its start time differs)."""
    now = datetime.now(timezone.utc)
    assert Holder.this_process("me").alive(None, now)
    assert other_live_holder().alive(None, now)
    assert not dead_holder().alive(None, now)
    me = Holder.this_process("me")
    assert me.started is not None  # /proc is there on the machines the tests run on
    assert not Holder(me.pid, me.host, str(int(me.started) + 1), "me").alive(None, now)
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    os.waitid(os.P_PID, zombie.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
    try:
        assert not Holder(zombie.pid, me.host, process_start(zombie.pid), "z").alive(None, now)
    finally:
        zombie.wait()


def test_a_holder_on_another_host_is_stale_after_ten_minutes_without_a_heartbeat(store, clock):
    away = Holder(4242, "ws-7.example", None, "the TUI")
    intent = store.begin_intent("up_1", "transfer", away)
    clock.now += timedelta(minutes=9)
    assert not store.latest_intent("up_1").stale
    store.heartbeat_intent(intent)
    clock.now += timedelta(minutes=9)
    assert not store.latest_intent("up_1").stale
    clock.now += timedelta(minutes=2)
    assert store.latest_intent("up_1").stale
    assert "seems to be gone" in store.latest_intent("up_1").refusal(clock.now)


def test_a_read_reconciles_the_intent_of_a_dead_holder_and_never_a_live_ones(store):
    """The next snapshot of each upload settles a dead holder's intent from the status read
    (with an activity entry), and leaves a live holder's open."""
    store.add(["up_dead", "up_live", "up_dead_pending"])
    store.begin_intent("up_dead", "complete", dead_holder())
    store.begin_intent("up_dead_pending", "complete", dead_holder())
    store.begin_intent("up_live", "complete", other_live_holder())
    assert store.latest_intent("up_dead").stale and not store.latest_intent("up_live").stale
    store.record_snapshots([("up_dead", {"id": "up_dead", "status": "validating"}),
                            ("up_live", {"id": "up_live", "status": "pending"})])
    store.record_snapshot("up_dead_pending", {"id": "up_dead_pending", "status": "pending"})
    dead, live = store.latest_intent("up_dead"), store.latest_intent("up_live")
    assert dead.state == "reconciled" and "validating, so the complete went through" \
        in dead.message
    assert live.is_open
    pending = store.latest_intent("up_dead_pending")
    assert pending.state == "reconciled"
    assert "most likely did not arrive" in pending.message and "complete it again" \
        in pending.message
    assert sorted((e.upload_id, e.outcome) for e in store.events()) == [
        ("up_dead", "reconciled"), ("up_dead_pending", "reconciled")]


def test_a_read_of_an_unknown_upload_reconciles_too(store):
    """``complete ID`` on an ID not in the list stores no snapshot, but its intent is settled."""
    store.begin_intent("up_unknown", "transfer", dead_holder())
    assert store.record_snapshot("up_unknown", {"id": "up_unknown", "status": "pending"}) is False
    latest = store.latest_intent("up_unknown")
    assert latest.state == "reconciled" and "--resume up_unknown" in latest.message


# --- the parts ledger ---------------------------------------------------------------------------


def test_parts_keep_their_hash_and_the_first_source_file_is_kept(store):
    store.record_part("up_1", 1, 10, "aa" * 32)
    store.record_part("up_1", 2, 5)
    assert store.parts_sent("up_1") == {1: 10, 2: 5}
    assert store.part_digests("up_1") == {1: "aa" * 32}
    assert store.source_file("up_1") is None
    store.record_source_file("up_1", SourceFile(15, 111, "bb" * 32))
    store.record_source_file("up_1", SourceFile(15, 222, "cc" * 32))
    assert store.source_file("up_1") == SourceFile(15, 111, "bb" * 32)


# --- one interface -------------------------------------------------------------------------------


def _verbs(cls: type) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in inspect.getmembers(cls)
            if inspect.isfunction(member) and not name.startswith("_")}


def _store_class(name: str) -> type:
    if name == "sqlite":
        return Store
    try:
        from scenario_tui.store.postgres.store import PostgresStore
    except ImportError as exc:
        if exc.name is None or exc.name.partition(".")[0] != "psycopg":
            raise
        unavailable("psycopg is not installed (the 'team' extra)")
    return PostgresStore


@pytest.mark.parametrize("name", ["sqlite", "postgres"])
def test_each_store_implements_every_verb_of_the_protocol(name):
    """Same names, same parameters (kinds and defaults): the SQLite and the PostgreSQL store
    implement the same list (and pass the same tests)."""
    wanted, found = _verbs(StoreProtocol), _verbs(_store_class(name))
    assert "begin_intent" in wanted and "record_snapshot" in wanted
    missing = sorted(set(wanted) - set(found))
    assert missing == []
    differ = {name: (str(sig), str(found[name])) for name, sig in wanted.items()
              if [(p.name, p.kind, p.default) for p in sig.parameters.values()]
              != [(p.name, p.kind, p.default) for p in found[name].parameters.values()]}
    assert differ == {}


def test_this_process_is_read_once_but_a_forked_child_is_a_holder_of_its_own():
    import json

    me = Holder.this_process("me")
    assert Holder.this_process("me") == me and me.pid == os.getpid()
    assert me.started == process_start(os.getpid()) and me.host == socket.gethostname()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its own pid and start time, not the parent's remembered ones
        holder = Holder.this_process("child")
        os.write(writer, json.dumps([holder.pid, holder.started,
                                     process_start(os.getpid())]).encode())
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        pid, started, own_start = json.loads(pipe.read())
    os.waitpid(child, 0)
    assert pid == child != me.pid and started == own_start
