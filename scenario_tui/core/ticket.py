"""Upload IDs out of a pasted ticket: prose, bullets and URLs in, ID-shaped tokens out.

A support ticket holds IDs among words ("Hi team, up_abc123 failed on Friday:"), inside URLs
(``https://app.scenario.com/.../up_abc123?x=1``) and before punctuation ("(up_abc123).").
``harvest_ids`` cuts the text into runs of the characters an ID may hold (``ids.ID_CHARACTERS``:
so a URL falls apart at ``/``, ``?``, ``=`` and ``&``), trims the dots, colons, hyphens and
underscores that end a sentence or a bullet, and keeps a word only if the ``id_pattern`` setting
matches all of it; a word that does not match is tried again cut at its dots and colons
(``up_abc123.Thanks``). The rest is ignored, and said to be. What is kept is then validated like
any other ID (``ids.parse_ids``), so the pattern can never let a hostile token through.

The default pattern (``DEFAULT_ID_PATTERN``) fits every ID the API is known to return, and no
ordinary word:

- a lower-case prefix, an underscore and letters, digits, ``_`` or ``-``: ``up_...``,
  ``asset_...``, ``model_...``, ``job_...`` (Scenario's IDs are a prefix, ``_`` and 22 letters or
  digits, so an upload ID has 25 characters; the fake and the tests also use shorter ones, such as
  ``up_demo_pending_1``). New prefixes need no change: the API's list of kinds grows.
- or 20 to 40 letters and digits with at least one of each: the 22 characters of a real ID whose
  prefix was lost (a copy that started after the ``_``).

No word, number ("12345"), weekday ("Friday:") or bullet ("-") has that shape. A snake_case word
("file_name") or a long hash does, and shows in the preview before anything is added. IDs given as
separate command-line arguments never go through this: they are taken as given (and validated).
"""

from __future__ import annotations

import re
from functools import lru_cache

from scenario_tui.core.errors import ConfigError

DEFAULT_ID_PATTERN = (
    r"[a-z][a-z0-9]*_[A-Za-z0-9][A-Za-z0-9_-]*"
    r"|(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{20,40}"
)
#: why an ignored word was not taken (the preview and ``add -`` say it)
NOT_ID_SHAPED = "not shaped like an upload ID (see the id_pattern setting)"

_INNER = re.compile(r"[.:]")
_EDGES = "._:-"


@lru_cache(maxsize=8)
def id_shape(pattern: str) -> re.Pattern[str]:
    """``pattern`` (the ``id_pattern`` setting) compiled, or a ConfigError naming the setting."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"Setting 'id_pattern' is not a valid regular expression: {exc}.") from None


class TicketIds:
    """What a pasted text holds: ID-shaped tokens and the words that were ignored. (A plain
    class, and imports inside the functions: ``config`` imports this module at every start.)"""

    def __init__(self) -> None:
        #: ID-shaped, in the order found, duplicates kept (``ids.parse_ids`` reports them)
        self.tokens: list[str] = []
        #: the words that are not ID-shaped, each once, in the order found
        self.ignored: list[str] = []


def harvest_ids(text: str, pattern: str = DEFAULT_ID_PATTERN) -> TicketIds:
    """The ID-shaped tokens of ``text`` and the words ignored (see the module's docstring)."""
    from scenario_tui.core.ids import ID_CHARACTERS  # here: ``config`` imports this module

    shape = id_shape(pattern)
    found = TicketIds()
    ignored: dict[str, None] = {}
    for run in re.findall(f"[{ID_CHARACTERS}]+", text):
        word = run.strip(_EDGES)
        if not word:
            continue  # a bullet, a dash, an ellipsis
        if shape.fullmatch(word):
            found.tokens.append(word)
            continue
        pieces = [piece.strip(_EDGES) for piece in _INNER.split(word)]
        shaped = [piece for piece in pieces if piece and shape.fullmatch(piece)]
        if not shaped:
            ignored.setdefault(word)
            continue
        found.tokens.extend(shaped)
        for piece in pieces:
            if piece and piece not in shaped:
                ignored.setdefault(piece)
    found.ignored = list(ignored)
    return found


def ignored_summary(ignored: list[str], shown: int = 6) -> str:
    """'Ignored 3 words, not shaped like an upload ID (...): Hi, team, Friday'; '' for none."""
    from scenario_tui.core.inert import inert_text  # only when there is something to say
    from scenario_tui.core.wording import plural

    if not ignored:
        return ""
    words = ", ".join(inert_text(word, one_line=True, limit=30) for word in ignored[:shown])
    more = f" and {len(ignored) - shown} more" if len(ignored) > shown else ""
    return f"Ignored {plural(len(ignored), 'word')}, {NOT_ID_SHAPED}: {words}{more}"
