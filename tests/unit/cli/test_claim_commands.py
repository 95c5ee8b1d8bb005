"""``claim`` and ``release`` from the command line (a local store: the holder is the login
name; the team store's holder is the database user, in the PostgreSQL tests)."""

from __future__ import annotations

import getpass
import json

import pytest

from scenario_tui.store.sqlite import Store
from tests.kit import run_cli

A, B = "up_claimaaaaaaaaaaaaaaaaaa", "up_claimbbbbbbbbbbbbbbbbbb"


@pytest.fixture
def store_path(tmp_path, monkeypatch, capsys):
    path = tmp_path / "uploads.db"
    assert run_cli(capsys, monkeypatch, "--store", str(path), "add", A, B).code == 0
    return path


def test_claim_then_release(store_path, monkeypatch, capsys) -> None:
    run = run_cli(capsys, monkeypatch, "--store", str(store_path), "claim", A, "--minutes", "5",
                  "--json")
    assert run.code == 0, run.err
    (claim,) = json.loads(run.out)
    assert claim["id"] == A and claim["holder"] == getpass.getuser() and claim["mine"] is True
    with Store.open(store_path) as store:
        assert set(store.claims()) == {A}
    run = run_cli(capsys, monkeypatch, "--store", str(store_path), "release", A, B)
    assert run.code == 0 and "1 released; 1 were not yours to release." in run.err
    with Store.open(store_path) as store:
        assert store.claims() == {}
        assert [e.action for e in store.events(limit=2)] == ["release", "claim"]


def test_anothers_claim_is_left_to_them_with_exit_1(store_path, monkeypatch, capsys) -> None:
    with Store.open(store_path) as store:
        store.actor = "ann"
        store.claim([A], minutes=20)
    run = run_cli(capsys, monkeypatch, "--store", str(store_path), "claim", A, B)
    assert run.code == 1
    lines = dict(line.split("\t", 1) for line in run.out.splitlines())
    assert lines[A].startswith("ann\t") and lines[B].startswith(getpass.getuser() + "\t")
    assert f"{A}: claimed by ann (" in run.err and "left to them" in run.err
    assert run_cli(capsys, monkeypatch, "--store", str(store_path), "release", A).code == 0
    with Store.open(store_path) as store:
        assert store.claims()[A].holder == "ann"  # not released by someone else


@pytest.mark.parametrize(("argv", "said"), [
    (["claim", "up_notknownxxxxxxxxxxxxxxx"], "not known: up_notknownxxxxxxxxxxxxxxx"),
    (["claim", A, "--minutes", "0"], "--minutes must be from 1 to 1440"),
    (["claim", "bad id!"], "invalid:"),
])
def test_claim_refuses_bad_input_clearly(store_path, monkeypatch, capsys, argv, said) -> None:
    run = run_cli(capsys, monkeypatch, "--store", str(store_path), *argv)
    assert run.code in (1, 2) and said in run.err and "Traceback" not in run.err
    with Store.open(store_path) as store:
        assert store.claims() == {}


def test_claim_on_a_read_only_session_is_refused(store_path, monkeypatch, capsys) -> None:
    run = run_cli(capsys, monkeypatch, "--store", str(store_path), "--read-only", "claim", A)
    assert run.code != 0 and "read-only" in run.err.lower()
    with Store.open(store_path) as store:
        assert store.claims() == {}
