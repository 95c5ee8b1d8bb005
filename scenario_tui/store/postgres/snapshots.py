"""How the team store saves an API answer in an upload's row, as a piece of SQL with named
parameters, so that one statement can save it together with what rests on it (the intent opened
from the read, the intent settled with the answer: ``ledger``) or on its own (``uploads``)."""

from __future__ import annotations

#: the SET clause of an UPDATE of ``uploads`` (the columns ``rows.snapshot_values`` gives, in
#: its order; the row's ID is ``%(s_id)s``)
SET = ("snapshot = %(s_snapshot)s::text, fetched_at = %(s_fetched_at)s::text,"
       " status = %(s_status)s::text, file_name = %(s_file_name)s::text,"
       " kind = %(s_kind)s::text, file_size = %(s_file_size)s::bigint,"
       " updated_at = %(s_updated_at)s::text, error_message = %(s_error_message)s::text,"
       " not_found_at = NULL")
_NAMES = ("s_snapshot", "s_fetched_at", "s_status", "s_file_name", "s_kind", "s_file_size",
          "s_updated_at", "s_error_message", "s_id")


def params(row: tuple) -> dict[str, object]:
    """The parameters of ``SET`` (and ``s_id``) for a ``rows.snapshot_values`` row."""
    return dict(zip(_NAMES, row, strict=True))
