"""Issue 17, done when: a scripted triage of a 25-ID ticket — one paste, the diagnosis read,
the pending ones completed in bulk, the summary copied — takes at most 30 keys. The test drives
the real app on the in-process fake with Pilot and counts every key it presses."""

from __future__ import annotations

from textual import events
from textual.widgets import TextArea

from scenario_tui.core.diagnosis import diagnose_row
from scenario_tui.fake.seeds import SEEDED_IDS, SEEDED_STATUSES
from scenario_tui.tui.clipboard import Clipboard, Ran
from scenario_tui.tui.internals import notifications
from scenario_tui.tui.screens.add_screen import AddIdsScreen
from scenario_tui.tui.widgets.count_line import CountLine
from tests.conftest import make_app, settle
from tests.kit import clone_pending, posts
from tests.tui.test_screens import rendered

KEY_BUDGET = 30


def ticket(ids: list[str]) -> str:
    """A customer's ticket as support staff paste it: prose, bullets, URLs, punctuation."""
    first, second, *rest = ids
    bullets = "\n".join(
        f"- {i}." if n % 3 == 0 else f"* ({i}), see https://app.scenario.com/uploads/{i}?tab=1"
        if n % 3 == 1 else f"  {n + 3}) {i}: still spinning!"
        for n, i in enumerate(rest))
    return (f"Hi team,\n\nCustomer 12345 (Acme Ltd.) says these uploads never finished since "
            f"Friday: {first}, {second};\n{bullets}\nThanks a lot!\n-- Bob\n")


class Keys:
    """Presses keys through Pilot and counts them."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)


async def test_a_25_id_ticket_is_triaged_in_at_most_30_keys(fake, tmp_path, monkeypatch):
    ids = [*SEEDED_IDS, *clone_pending(fake, 25 - len(SEEDED_IDS))]
    assert len(ids) == 25
    copied: list[str] = []

    def run(argv, stdin) -> Ran:
        copied.append(stdin)
        return Ran(0)

    app = make_app(fake, tmp_path, ids=[])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.clipboard = Clipboard({"TMUX": "/tmp/tmux-0/default,1,0"}, run=run)
        keys = Keys(pilot)

        # one paste: the ticket's 25 IDs, none of its prose
        await keys.press("a")
        assert isinstance(app.screen, AddIdsScreen)
        app.screen.query_one(TextArea).post_message(events.Paste(ticket(ids)))
        keys.count += 1  # the paste itself
        await pilot.pause()
        await keys.press("enter")
        await settle(app, pilot)
        store = screen.service.store
        assert sorted(store.ids()) == sorted(ids)

        # the diagnosis, read from the list: page through it once; each row's line carries
        # the start of its diagnosis beside its (uncut) ID
        pending = [i for i in ids if store.get(i).status == "pending"]
        diagnoses = {row.id: diagnose_row(row, screen.table.now) for row in store.list()}
        lines = {}
        while True:
            for line in rendered(screen.table):
                lines.update({i: line for i in ids if f" {i} " in f" {line} "})
            if len(lines) == len(ids):
                break
            await keys.press("pagedown")
            await pilot.pause()
            assert keys.count < KEY_BUDGET, sorted(set(ids) - set(lines))
        failed = [i for i in ids if SEEDED_STATUSES.get(i) == "failed"]
        assert failed and all(diagnoses[i].code.startswith("failed") for i in failed)
        for i in ids:
            assert diagnoses[i].short[:6] in lines[i], (i, diagnoses[i].short, lines[i])
        count_line = " ".join(rendered(screen.query_one(CountLine)))
        assert f"{len(failed)} failed" in count_line

        # the pending ones, completed in bulk: mark them, complete, confirm
        await keys.press("p")
        assert sorted(screen.table.marked) == sorted(pending)
        await keys.press("c")
        await pilot.pause()
        await keys.press("enter")
        await settle(app, pilot)
        assert all(posts(fake, i) == 1 for i in pending)
        assert sum(posts(fake, i) for i in ids) == len(pending)
        summaries = [n.message for n in notifications(app) if "sent:" in n.message]
        assert len(summaries) == 1 and summaries[0].startswith(f"{len(pending)} sent:")

        # the summary of the whole ticket, copied for the reply
        if screen.table.marked:
            await keys.press("asterisk")  # clears the marks of the completed ones
        await keys.press("asterisk", "Y")
        await settle(app, pilot)
        assert copied and all(i in copied[-1] for i in ids)

    assert keys.count <= KEY_BUDGET, keys.count
