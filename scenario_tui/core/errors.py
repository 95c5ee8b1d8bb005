"""One error tree for the whole app.

Every failure the user can meet is a ``ScenarioTuiError`` with a short ``title`` (what kind of
problem) and a ``message`` (what happened and what to do). The API client, the store and the
config loader translate their low-level exceptions into these at their boundary; the UI and the
CLI only ever show ``title`` and ``message``.
"""

from __future__ import annotations


class ScenarioTuiError(Exception):
    """Base of every expected failure. ``exit_code`` is what the CLI exits with."""

    title = "Error"
    exit_code = 1

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return f"{self.title}: {self.message}"


# --- usage and configuration -------------------------------------------------------------------


class ConfigError(ScenarioTuiError):
    title = "Configuration error"
    exit_code = 2


class InvalidUploadIdError(ScenarioTuiError):
    title = "Invalid upload ID"


class ReadOnlyError(ScenarioTuiError):
    title = "Read-only mode"


class OutputFileError(ScenarioTuiError):
    """A file the user asked for (``--output``) could not be written; nothing was left half
    written."""

    title = "Cannot write the file"


class UploadGoneError(ScenarioTuiError):
    """The upload is no longer in the list (another window, process or teammate removed it), so
    what was asked of it was not done."""

    title = "Not in the list"


# --- local store -------------------------------------------------------------------------------


class StoreError(ScenarioTuiError):
    title = "Local store error"


class StoreCorruptError(StoreError):
    title = "Local store is damaged"


class StoreVersionError(StoreError):
    title = "Local store is too new"


class StoreLockedError(StoreError):
    title = "Local store is busy"


class StoreWriteError(StoreError):
    title = "Cannot write the local store"


# a team store (PostgreSQL): each names the cause and the database, never the password


class TeamStoreUnreachableError(StoreError):
    title = "Team store unreachable"


class TeamStoreAuthError(StoreError):
    title = "Team store: wrong password"


class TeamStoreMissingError(StoreError):
    title = "Team store: database missing"


class TeamStoreRightsError(StoreError):
    title = "Team store: no rights"


class TeamStoreConnectionLostError(StoreError):
    title = "Team store connection lost"


class TeamStoreConnectingError(StoreError):
    """Asked of a team store that is still connecting at start-up (``store.connecting``)."""

    title = "Team store connecting"


# --- the API -----------------------------------------------------------------------------------


class ApiError(ScenarioTuiError):
    """A failure talking to the Scenario API. ``status`` is the HTTP status when there was one."""

    title = "API error"
    retryable = False
    #: seconds the server asked us to wait (Retry-After, retry-after-ms), if any
    wait_hint: float | None = None
    #: the server's own x-should-retry verdict, when it sent one
    should_retry: bool | None = None
    #: False only when the request certainly never reached the server (connection refused)
    maybe_sent: bool = True

    def __init__(
        self,
        message: str,
        *,
        title: str | None = None,
        status: int | None = None,
        trace_id: str | None = None,
    ) -> None:
        if trace_id:
            message = f"{message} (trace ID {trace_id})"
        super().__init__(message, title=title)
        self.status = status
        self.trace_id = trace_id


class AuthError(ApiError):
    title = "Bad credentials"


class ForbiddenError(ApiError):
    title = "Forbidden"


class NotFoundError(ApiError):
    title = "Not found"


class ConflictError(ApiError):
    """The upload is not in a state that allows the action (e.g. complete after validating)."""

    title = "Invalid state"
    retryable = True


class IntentHeldError(ConflictError):
    """Another actor (a process, or this one) holds the upload's intent: it is completing the
    upload or sending its parts. Nothing was sent. The message says who and since when."""

    title = "Busy elsewhere"
    retryable = False


class UploadChangedError(ConflictError):
    """Another process acted on the upload between our read of it and our intent: read it
    again before deciding (raised by the store's ``begin_intent``; the service re-reads)."""

    title = "Changed meanwhile"
    retryable = False


class EarlierCompleteInterruptedError(ConflictError):
    """An earlier complete (or transfer) was interrupted before its outcome was known; it was
    reconciled by a read, and the upload still reads pending. Not sent: asking again sends it."""

    title = "Earlier attempt interrupted"
    retryable = False


class RequestRejectedError(ApiError):
    title = "Request rejected"


class RateLimitedError(ApiError):
    title = "Rate limited"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        if retry_after is not None:
            message = f"{message} Try again in {retry_after:.0f} s."
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class PlanLimitError(ApiError):
    """A 429 that names a limit of the plan (``details.actionName`` / ``actionLimit``): not a
    rate limit, so waiting or retrying does not help, and nothing slows down for it."""

    title = "Plan limit reached"


class ServerError(ApiError):
    title = "Server error"
    retryable = True


class ApiTimeoutError(ApiError):
    title = "Timed out"
    retryable = True


class ApiConnectionError(ApiError):
    title = "Cannot connect"
    retryable = True


class BadResponseError(ApiError):
    title = "Unexpected response"
