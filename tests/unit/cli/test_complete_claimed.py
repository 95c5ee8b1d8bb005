"""Issue 18: ``complete`` of an upload another member has claimed is refused for that upload
(exit 1, "claimed by ann (.. min left); pass --take-over ...") unless ``--take-over``; the
others are sent as usual, and my own claims never stop me."""

from __future__ import annotations

import json
import re

from scenario_tui.fake.seeds import seeded_pending_ids
from scenario_tui.store.sqlite import Store
from tests.kit import cli_environment, run_cli

PENDING = seeded_pending_ids(include_bad_file=False)


def claim_as(path, name: str, upload_id: str) -> None:
    with Store.open(path) as store:
        store.actor = name
        store.claim([upload_id], minutes=20)


def test_complete_refuses_an_upload_another_holds(server, fake, tmp_path, monkeypatch, capsys):
    path = cli_environment(monkeypatch, tmp_path, server.base_url)
    assert run_cli(capsys, monkeypatch, "add", PENDING[0], PENDING[1]).code == 0
    claim_as(path, "ann", PENDING[0])
    run = run_cli(capsys, monkeypatch, "complete", PENDING[0], PENDING[1], "--yes", "--json")
    assert run.code == 1
    assert re.search(rf"{PENDING[0]}: Claimed by someone else: claimed by ann \(\d+ min left\); "
                     r"pass --take-over to complete it anyway\.", run.err)
    outcomes = {e["id"]: e["outcome"] for e in json.loads(run.out)}
    assert outcomes == {PENDING[0]: "failed", PENDING[1]: "sent"}
    assert fake.complete_count(PENDING[0]) == 0
    assert fake.complete_count(PENDING[1]) == 1


def test_take_over_completes_it_anyway(server, fake, tmp_path, monkeypatch, capsys):
    path = cli_environment(monkeypatch, tmp_path, server.base_url)
    assert run_cli(capsys, monkeypatch, "add", PENDING[0]).code == 0
    claim_as(path, "ann", PENDING[0])
    run = run_cli(capsys, monkeypatch, "complete", PENDING[0], "--yes", "--take-over")
    assert run.code == 0, run.err
    assert fake.complete_count(PENDING[0]) == 1
    with Store.open(path) as store:
        assert store.claims()[PENDING[0]].holder == "ann"  # taking over sends; it takes nothing


def test_my_own_claim_does_not_stop_me(server, fake, tmp_path, monkeypatch, capsys):
    cli_environment(monkeypatch, tmp_path, server.base_url)
    assert run_cli(capsys, monkeypatch, "add", PENDING[0]).code == 0
    assert run_cli(capsys, monkeypatch, "claim", PENDING[0]).code == 0
    run = run_cli(capsys, monkeypatch, "complete", PENDING[0], "--yes")
    assert run.code == 0, run.err
    assert fake.complete_count(PENDING[0]) == 1
