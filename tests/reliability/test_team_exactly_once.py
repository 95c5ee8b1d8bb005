"""Team-wide exactly once (issue 18): the intent ledger on PostgreSQL, where the database itself
keeps a second intent for an upload from being opened, whoever asks.

Team members are database roles of their own, with only the rights ``team init`` prints for the
team's group role: 2 and 20 of them, each on a connection of its own, race ``begin_intent`` for
the same upload; then two ``scenario-tui complete --yes`` processes, as two members, complete the
same upload on the served fake at once. Each time exactly one wins (one POST at the fake), and
the others are told whose process holds it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scenario_tui.core.errors import IntentHeldError
from scenario_tui.store.intents import Holder, Intent
from tests.kit import clone_pending

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
GROUP = "scenario_team"


def rows(url: str, sql: str, *params: object) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


def member_url(url: str, role: str) -> str:
    """``url`` (the superuser's) for another role of the same cluster."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{role}@{rest.partition('@')[2]}"


@pytest.fixture
def members(pg_url):
    """A URL per team member (roles ``member_0``, ``member_1``...), each a login role in the
    team's group, which has the grants ``team init`` prints, on this test's database."""
    import psycopg

    from scenario_tui.store.postgres.team import grants_sql

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(grants_sql(GROUP))  # the SQL team init prints
        for i in range(20):  # roles belong to the cluster: made by the first test that asks
            conn.execute(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname ="
                         f" 'member_{i}') THEN CREATE ROLE member_{i} LOGIN IN ROLE {GROUP};"
                         " END IF; END $$")
    return [member_url(pg_url, f"member_{i}") for i in range(20)]


def race(stores: list, upload_id: str) -> list[object]:
    """Each store (a member) opens an intent for ``upload_id`` at once (released together at a
    barrier); what each got: an Intent, or the error it raised."""
    barrier = threading.Barrier(len(stores))
    results: list[object] = [None] * len(stores)

    def member(i: int) -> None:
        barrier.wait()
        try:
            results[i] = stores[i].begin_intent(
                upload_id, "complete", Holder.this_process(f"member {i}'s TUI"),
                profile="team", log_message=f"complete being sent by member {i}")
        except Exception as exc:  # noqa: BLE001 - IntentHeldError, or what the test reports
            results[i] = exc

    threads = [threading.Thread(target=member, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.parametrize("count", [2, 20])
def test_members_racing_for_one_upload_one_wins_the_others_are_told_who(count, pg_url, members):
    """Ten rounds: ``count`` members released at one barrier, each on its own connection, open
    an intent for the same upload. Exactly one gets it; every other one gets IntentHeldError
    naming the winner (its database user and its process's label); the ledger holds one open
    intent and one 'sending' entry, written as the winner."""
    from scenario_tui.store.postgres.store import PostgresStore

    stores = [PostgresStore.open(url) for url in members[:count]]
    try:
        for round_ in range(10):
            upload_id = f"up_team{count}x{round_}"
            results = race(stores, upload_id)
            winners = [i for i, result in enumerate(results) if isinstance(result, Intent)]
            assert len(winners) == 1, (round_, results)
            (winner,) = winners
            intent = results[winner]
            assert isinstance(intent, Intent) and intent.actor == f"member_{winner}"
            for i, result in enumerate(results):
                if i == winner:
                    continue
                assert isinstance(result, IntentHeldError), (round_, i, result)
                assert (f"{upload_id} is being completed by member_{winner}'s process "
                        f"{intent.holder.pid} (member {winner}'s TUI) on this machine"
                        in result.message), result.message
            assert rows(pg_url, "SELECT action, holder_label FROM intents WHERE upload_id = %s"
                                " AND state = 'open'", upload_id) == [
                ("complete", f"member {winner}'s TUI")]
            assert rows(pg_url, "SELECT outcome, message, actor FROM activity"
                                " WHERE upload_id = %s", upload_id) == [
                ("sending", f"complete being sent by member {winner}", f"member_{winner}")]
    finally:
        for store in stores:
            store.close()


def test_two_members_completing_one_upload_at_once_post_once(server, cli_env, members, pg_url):
    """Two ``scenario-tui complete --yes ID --store postgresql://...`` at once, as two members
    (five times, a slow API widening the window): one POST each time; the other exits 0
    (skipped: already validating) or 1 saying whose process is completing it. The ledger holds
    one settled 'sent' intent and its 'sending' entry, by the member whose POST went out."""
    fake = server.fake
    env = {**cli_env, "PYTHONPATH": str(ROOT)}
    fake.latency = 0.2
    ann, bob = members[0], members[1]
    for trial, upload_id in enumerate(clone_pending(fake, 5, prefix="up_teampair")):
        kids = [subprocess.Popen([sys.executable, "-m", "scenario_tui", "complete", "--yes",
                                  upload_id, "--store", url], env=env, cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for url in (ann, bob)]
        results = [(kid.wait(timeout=60), *kid.communicate()) for kid in kids]
        assert fake.complete_count(upload_id) == 1, (trial, results)
        assert sorted(code for code, _, _ in results)[0] == 0, results
        for code, _out, err in results:
            assert code in (0, 1), err
            if code == 1:
                assert f"{upload_id} is being completed by member_" in err, err
        assert rows(pg_url, "SELECT state FROM intents WHERE upload_id = %s", upload_id) == [
            ("sent",)], results
        sending = rows(pg_url, "SELECT actor FROM activity WHERE upload_id = %s"
                               " AND outcome = 'sending'", upload_id)
        assert len(sending) == 1 and sending[0][0] in ("member_0", "member_1"), sending
