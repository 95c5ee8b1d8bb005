"""The key map is written once (``tui/keymap.py``): the main screen's bindings, the help screen,
the command palette and the README's key table all say the same."""

from __future__ import annotations

from pathlib import Path

from scenario_tui.tui.keymap import MAIN_KEYS, help_rows, key_display
from scenario_tui.tui.screens.main_screen import MainScreen
from scenario_tui.tui.widgets.upload_table import UploadTable
from tests.conftest import make_app, settle

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_key_rows() -> list[tuple[str, str]]:
    """(key, what it does) of each row of the README's table headed ``| key | what it does |``,
    backticks removed."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| key | what it does |") + 2  # after the heading and its rule
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        key, text = (cell.strip() for cell in line.strip().strip("|").split("|", 1))
        rows.append((key.replace("`", ""), text.strip()))
    return rows


def test_the_readme_key_table_matches_the_bindings():
    """Every key the help screen lists is in the README with the same words, in the same
    order, and the README lists no other."""
    expected = help_rows(UploadTable.BINDINGS)
    documented = readme_key_rows()
    missing = [row for row in expected if row not in documented]
    extra = [row for row in documented if row not in expected]
    assert (missing, extra) == ([], []), (
        f"README.md's key table differs from the bindings (tui/keymap.py).\n"
        f"not in the README (or worded otherwise): {missing}\n"
        f"only in the README: {extra}")
    assert documented == expected, "same rows, another order"


def test_the_bindings_are_the_key_tables_and_carry_ids():
    """``MainScreen.BINDINGS`` is ``MAIN_KEYS``; each binding has a ``main.`` id (keymaps) and
    help text, no key is bound twice, and the list's cursor keys are in help."""
    assert MainScreen.BINDINGS == [key.binding for key in MAIN_KEYS]
    assert all(key.binding.id and key.binding.id.startswith("main.") and key.help
               for key in MAIN_KEYS)
    keys = [key.binding.key for key in MAIN_KEYS]
    assert len(keys) == len(set(keys))
    shown = dict(help_rows(UploadTable.BINDINGS))
    for key in ("↑ / k", "↓ / j", "home / g", "end / G", "ctrl+p", "?", "/", "*", "space", "esc"):
        assert key in shown, key


def test_key_display_follows_the_footer():
    bindings = {key.binding.action: key.binding for key in MAIN_KEYS}
    assert key_display(bindings["filter"]) == "/"
    assert key_display(bindings["help"]) == "?"
    assert key_display(bindings["cancel"]) == "esc"
    assert key_display(bindings["refresh_all"]) == "R"


async def test_the_palette_offers_every_action_once(fake, tmp_path):
    """One command per key of the main screen, titled with its key; Textual's own "Keys" and
    "Quit" are left out (the main screen's help lists every key, its quit asks first)."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for key in MAIN_KEYS:
            title = f"{key.binding.description} ({key_display(key.binding)})"
            assert titles.count(title) == 1, title
        assert "Keys" not in titles and "Quit" not in titles
        assert sum("help" in title.lower() for title in titles) == 1
        for title in ("Upload file (U)", "Import by URL (I)", "Mark (space)",
                      "Mark all / clear (*)",
                      "Details (i)"):
            assert title in titles


async def test_the_palette_in_read_only_mode_has_no_mutating_command(fake, tmp_path):
    app = make_app(fake, tmp_path, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Refresh (r)" in titles and "Help (?)" in titles
        assert not any(title.startswith(("Complete", "Add IDs", "Upload", "Remove"))
                       for title in titles)


async def test_help_lists_every_key_of_the_screen_and_the_list(fake, tmp_path):
    """``?`` opens the help screen with the rows of ``help_rows``, cursor keys included."""
    app = make_app(fake, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        assert app.screen.keys == help_rows(UploadTable.BINDINGS)


def test_the_readme_status_legend_matches_the_app():
    """Every status the list can show, as the app draws it (symbol and word), is in the README's
    legend, and so is the sign of a status the app does not know yet."""
    from scenario_tui.core.present import STATUS_SYMBOLS, status_label

    text = " ".join(README.read_text(encoding="utf-8").split())
    for status in STATUS_SYMBOLS:
        assert f"`{status_label(status)}`" in text, status_label(status)
    assert f"`{status_label('archived')[0]}`" in text
