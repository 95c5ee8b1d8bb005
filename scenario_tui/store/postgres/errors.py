"""Every psycopg failure as a ``StoreError`` a user can act on: the cause (unreachable, wrong
password, missing database, no rights, connection lost, read-only, a schema from elsewhere)
and the database it happened on, never the password."""

from __future__ import annotations

import re

import psycopg
from psycopg import errors as pg

from scenario_tui.core.errors import (
    StoreError,
    StoreLockedError,
    StoreVersionError,
    StoreWriteError,
    TeamStoreAuthError,
    TeamStoreConnectionLostError,
    TeamStoreMissingError,
    TeamStoreRightsError,
    TeamStoreUnreachableError,
)
from scenario_tui.core.inert import inert_text

GRANTS_HINT = ("ask the team store's owner to run the grants that `scenario-tui team init` "
               "prints")
INIT_HINT = "run `scenario-tui team init`"
_PASSWORD = re.compile(r"(password\s*=\s*)\S+", re.IGNORECASE)


def detail(exc: BaseException, secret: str | None = None) -> str:
    """The server's or libpq's words for ``exc``: its first line, on one line, without the
    "connection failed:" prefix and never holding ``secret`` (the password, if one was given)."""
    text = str(exc) or type(exc).__name__
    if secret:
        text = text.replace(secret, "***")
    text = _PASSWORD.sub(r"\1***", text)
    for prefix in ("connection failed: ", "connection is bad: "):
        text = text.removeprefix(prefix)
    text = text.replace("FATAL:  ", "").strip()
    return inert_text(text.splitlines()[0] if text else "", one_line=True, limit=300)


def connect_error(exc: psycopg.Error, where: str, secret: str | None = None) -> StoreError:
    """A failure to connect to the team store at ``where`` ("db on host")."""
    said = detail(exc, secret)
    low = said.lower()
    if "password authentication failed" in low or "no password supplied" in low \
            or "authentication failed" in low:
        return TeamStoreAuthError(
            f"The team store {where} refused the password ({said}). Set it in ~/.pgpass or "
            "PGPASSWORD (never in the URL), or ask its owner to reset it with \\password.")
    if re.search(r'role ".*" does not exist', low):
        return TeamStoreAuthError(
            f"The team store {where} does not know this user ({said}). Ask its owner to add "
            "you: CREATE ROLE <you> LOGIN IN ROLE scenario_team.",
            title="Team store: unknown user")
    if re.search(r'database ".*" does not exist', low):
        return TeamStoreMissingError(
            f"There is no database {where} ({said}). Check the name in the URL, or create it "
            f"(createdb) and {INIT_HINT}.")
    if "permission denied" in low or "not permitted to log in" in low:
        return TeamStoreRightsError(f"The team store {where} refused this user ({said}); "
                                    f"{GRANTS_HINT}.")
    return TeamStoreUnreachableError(
        f"Could not connect to the team store {where}: {said}. Check that the server is "
        "running and the host, port and network are right.")


def translate(exc: BaseException, where: str, action: str, *, lost: bool = False,
              committing: bool = False, secret: str | None = None) -> StoreError:
    """The StoreError that explains ``exc``, raised while trying to ``action`` ("save a note")
    in the team store at ``where``. ``lost``: the connection broke; ``committing``: it broke
    while the transaction was being committed, so the change may or may not be saved."""
    said = detail(exc, secret)
    if lost or isinstance(exc, (pg.AdminShutdown, pg.CrashShutdown, pg.CannotConnectNow)):
        if committing:
            fate = ("it broke while the change was being committed, so it may or may not have "
                    "been saved: look before doing it again")
        else:
            fate = "nothing of it was saved"
        return TeamStoreConnectionLostError(
            f"The connection to the team store {where} was lost while trying to {action} "
            f"({said}); {fate}. It reconnects at the next action.")
    if isinstance(exc, pg.InsufficientPrivilege):
        return TeamStoreRightsError(
            f"Could not {action}: this database user has no rights for it in {where} ({said}); "
            f"{GRANTS_HINT}.")
    if isinstance(exc, pg.ReadOnlySqlTransaction):
        return StoreWriteError(f"Could not {action}: the team store {where} is open read-only "
                               f"here ({said}).")
    if isinstance(exc, (pg.UndefinedTable, pg.UndefinedColumn, pg.UndefinedFunction)):
        return StoreVersionError(
            f"Could not {action}: the team store {where} does not have the tables this "
            f"version of scenario-tui expects ({said}); {INIT_HINT}.",
            title="Team store schema missing")
    if isinstance(exc, (pg.LockNotAvailable, pg.QueryCanceled, pg.DeadlockDetected,
                        pg.SerializationFailure)):
        return StoreLockedError(
            f"Could not {action}: the team store {where} was busy ({said}). Try again.",
            title="Team store busy")
    if isinstance(exc, (pg.DiskFull, pg.OutOfMemory, pg.ProgramLimitExceeded)):
        return StoreWriteError(f"Could not {action}: the team store {where} is out of room "
                               f"({said}). Ask its owner.")
    if isinstance(exc, psycopg.OperationalError):
        return TeamStoreUnreachableError(
            f"Could not {action}: the team store {where} cannot be reached ({said}).")
    return StoreError(f"Could not {action} in the team store {where}: {said}",
                      title="Team store error")
