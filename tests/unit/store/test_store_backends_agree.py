"""The two backends hand out the same values: one script of verbs run on a SQLite file and on a
PostgreSQL database, with the same clock, gives equal answers, call by call (``KnownUpload``,
``AddResult``, ``ActivityEvent``, ``Intent``, the refusals' words...). Only who acted differs:
nobody in a local store, the database session user in a team store (checked, then set aside)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from scenario_tui.core.errors import IntentHeldError, ScenarioTuiError
from scenario_tui.store.activity import ActivityEvent
from scenario_tui.store.intents import Holder, Intent
from scenario_tui.store.parts import SourceFile
from scenario_tui.store.protocol import StoreProtocol
from scenario_tui.store.rows import KnownUpload
from scenario_tui.store.search import SORT_KEYS
from tests.unit.store.backends import Backend, FixedClock, PostgresBackend, SQLiteBackend

pytestmark = pytest.mark.postgres

SECRET = "X-Amz-Signature=c0ffeec0ffee5ecret"
AT = datetime(2026, 2, 1, 12, 0, tzinfo=timezone.utc)


def wire(upload_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {"id": upload_id, "status": status, "fileName": f"{upload_id}.PNG", "kind": "image",
            "source": "multipart", **extra}


class Recorder:
    """Runs each step on the store, the clock one second further each time, and keeps what it
    answered (or the error it raised: its class, title and message), who-acted set aside."""

    def __init__(self, store: StoreProtocol, clock: FixedClock, actor: str | None) -> None:
        self.store, self.clock, self.actor = store, clock, actor
        self.answers: list[tuple[str, object]] = []

    def __call__(self, label: str, step: Callable[[StoreProtocol], object]) -> object:
        self.clock.now += timedelta(seconds=1)
        try:
            answer = step(self.store)
        except ScenarioTuiError as exc:
            message = exc.message
            if self.actor:  # a team store names whose process holds an intent
                assert f"{self.actor}'s process" in message or "read it again" in message, message
                message = message.replace(f"{self.actor}'s process", "process")
            answer = (type(exc).__name__, exc.title, message)
        self.answers.append((label, self.plain(answer)))
        return answer

    def plain(self, value: object) -> object:
        """``value`` with every actor / note_by checked against the backend's, then None."""
        if isinstance(value, ActivityEvent):
            assert value.actor == self.actor, value
            return value._replace(actor=None)
        if isinstance(value, Intent):
            assert value.actor == self.actor, value
            return dataclasses.replace(value, actor=None)
        if isinstance(value, KnownUpload):
            assert value.note_by in (None, self.actor), value
            return dataclasses.replace(value, note_by=None)
        if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
            return type(value)(self.plain(v) for v in value)
        if isinstance(value, dict):
            return {k: self.plain(v) for k, v in value.items()}
        return value


def script(run: Recorder) -> None:
    """Every verb of the protocol, through the cases the suite checks one by one."""
    me = Holder.this_process("scenario-tui complete")
    run("add", lambda s: s.add(["up_a", "up_b", "up_a", "up_c"], note="first", log=True,
                               profile="p"))
    run("add again", lambda s: s.add(["up_d", "up_a"], note="other"))
    run("snapshot", lambda s: s.record_snapshot("up_a", wire(
        "up_a", "pending", fileSize=1234.0, updatedAt="2026-01-05T00:00:00.000Z",
        url=f"https://bucket.example/a.png?{SECRET}", extraField={"kept": [1, "é"]}), AT))
    run("snapshots", lambda s: s.record_snapshots([
        ("up_b", wire("up_b", "failed", errorMessage="bad file", fileSize=7)),
        ("up_gone", wire("up_gone", "pending")),
        ("up_c", {"id": "up_c", "status": {"not": "a string"}})], AT))
    run("not found", lambda s: s.record_not_found("up_d", AT))
    run("note", lambda s: s.set_note("up_b", "Ticket 7: 100% ✓", log=True, profile="p"))
    run("note on unknown", lambda s: s.set_note("up_z", "x"))
    for sort in SORT_KEYS:
        for descending in (True, False):
            run(f"list {sort} {descending}", lambda s, k=sort, d=descending: s.list(
                sort=k, descending=d))
            run(f"ids {sort} {descending}", lambda s, k=sort, d=descending: s.ids(
                sort=k, descending=d))
    run("list page", lambda s: s.list(limit=2, offset=1, snapshots=False))
    for search in ("UP_", "ticket", "png", "100%", "_b", "failed", "nothing"):
        run(f"search {search}", lambda s, q=search: (
            s.ids(search=q), s.count(search=q), s.search_seqs(search=q, limit=3)))
    run("status", lambda s: (s.ids(status="failed"), s.count(status="pending")))
    run("rows by seq", lambda s: s.rows_by_seq([*s.search_seqs(search="up"), 999]))
    run("to refresh", lambda s: s.ids_to_refresh(10))
    run("get", lambda s: [s.get(i) for i in ("up_a", "up_b", "up_c", "up_d", "up_z")])
    run("contains", lambda s: [s.contains(i) for i in ("up_a", "up_z")])
    removed = run("remove", lambda s: s.remove(["up_b", "up_x", "up_a"], log=True, profile="p"))
    run("after remove", lambda s: s.list())
    run("add a removed one", lambda s: s.add(["up_a"], note="re-added"))
    run("restore", lambda s: s.restore(removed, log=True, profile="p"))  # type: ignore[arg-type]
    run("after restore", lambda s: s.list())
    run("bulk entry", lambda s: s.log_event(action="complete", outcome="ok", message="2 sent",
                                            upload_ids=["up_b", "up_a"], profile="p"))
    run("entry", lambda s: s.log_event(action="complete", outcome="error", upload_id="up_a",
                                       http_status=409, message="already validating"))
    intent = run("begin", lambda s: s.begin_intent("up_a", "complete", me, profile="p",
                                                   log_message="complete being sent"))
    assert isinstance(intent, Intent)
    run("held", lambda s: s.begin_intent("up_a", "transfer", Holder.this_process("other")))
    run("heartbeat", lambda s: s.heartbeat_intent(intent))
    run("latest open", lambda s: s.latest_intent("up_a"))
    run("settle", lambda s: s.settle_intent(intent, "sent", message="Complete accepted.",
                                            http_status=200))
    run("changed", lambda s: s.begin_intent("up_a", "complete", me, after=0))
    run("transfer", lambda s: s.begin_intent("up_b", "transfer", me))
    run("intents", lambda s: (s.intents(), s.intents(upload_id="up_a", limit=1),
                              s.latest_intent("up_a"), s.latest_intent("up_none")))
    run("parts", lambda s: (s.record_part("up_b", 2, 5), s.record_part("up_b", 1, 10, "aa" * 32),
                            s.record_part("up_b", 2, 6), s.parts_sent("up_b"),
                            s.part_digests("up_b"), s.parts_sent("up_none")))
    run("source", lambda s: (s.record_source_file("up_b", SourceFile(16, 111, "bb" * 32)),
                             s.record_source_file("up_b", SourceFile(16, 222, "cc" * 32)),
                             s.source_file("up_b"), s.source_file("up_none")))
    run("events", lambda s: (s.events(), s.events(limit=2), s.events(upload_id="up_b")))


def answers(backend: Backend) -> list[tuple[str, object]]:
    clock = FixedClock()
    store = backend.open(clock=clock)
    try:
        run = Recorder(store, clock, backend.actor)
        script(run)
        return run.answers
    finally:
        store.close()


def test_both_backends_answer_every_verb_alike(tmp_path, pg_url) -> None:
    sqlite, postgres = answers(SQLiteBackend(tmp_path / "store.db")), answers(
        PostgresBackend(pg_url))
    assert [label for label, _ in postgres] == [label for label, _ in sqlite]
    differ = [(label, mine, theirs) for (label, mine), (_, theirs)
              in zip(sqlite, postgres, strict=True) if mine != theirs]
    assert differ == []
    assert any(isinstance(a, tuple) and a and a[0] == IntentHeldError.__name__
               for _, a in sqlite), "the script reaches a refusal"
