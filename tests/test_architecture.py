"""The boundaries STYLE.md promises: the core never imports Textual; the UI never imports httpx
or sqlite3; --version and the scripting subcommands start without Textual."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "scenario_tui"
# every module outside tui/
CORE = sorted(
    ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    for path in PACKAGE.rglob("*.py")
    if "tui" not in path.relative_to(PACKAGE).parts[:1] and path.name != "__main__.py"
)


def test_core_modules_do_not_import_textual():
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in CORE)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_version_does_not_import_textual():
    code = (
        "import sys\nfrom scenario_tui.cli.main import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'textual' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "scenario-tui" in result.stdout


def test_ui_modules_do_not_touch_httpx_or_sqlite():
    ui = list(PACKAGE.glob("tui/**/*.py"))
    offenders = [
        str(path.name) for path in ui
        if re.search(r"^\s*(import|from)\s+(httpx|sqlite3)\b", path.read_text(), re.M)
    ]
    assert ui and offenders == []


def test_tui_builds_its_first_screen_without_pydantic_or_httpx():
    """Start-up cost: the app, its service and the client are made (and the store read) without
    importing pydantic or httpx; those load in a thread after the first frame."""
    code = (
        "import sys, tempfile\nfrom pathlib import Path\n"
        "from scenario_tui.cli.parser import tui_only_args\n"
        "from scenario_tui.cli.wiring import build_service\n"
        "from scenario_tui.core.config import Settings\n"
        "from scenario_tui.tui.app import ScenarioApp\n"
        "from scenario_tui.store.listing import Listing\n"
        "tmp = Path(tempfile.mkdtemp())\n"
        "settings = Settings(base_url='http://127.0.0.1:9', api_key='k', api_secret='s',"
        " store_path=tmp / 's.db')\n"
        "service = build_service(settings)\n"
        "service.store.add(['up_a', 'up_b'])\n"
        "service.store.record_snapshot('up_a', {'id': 'up_a', 'status': 'pending'})\n"
        "app = ScenarioApp(service, settings)\n"
        "rows = [Listing(service.store).row(i) for i in range(2)]\n"
        "assert [r.status for r in rows] == [None, 'pending'], rows\n"
        "assert tui_only_args(['--store', 'x']) is not None\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'httpx'))\n"
        "assert not bad, bad\n"
        "service.warm_up()\n"
        "assert 'pydantic' in sys.modules and 'httpx' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_scenario_tui_starts_the_app_without_the_api_client_or_the_service(tmp_path):
    """``scenario-tui`` starts the app with only the store: the API client's and the service's
    code load after the first frame (``cli.wiring.DeferredService``), and work when they do.
    A local store loads nothing of a team store's (psycopg, the front page kept for it)."""
    code = (
        "import sys\n"
        "from scenario_tui.cli import main as cli\n"
        "from scenario_tui.cli.commands import app as app_command\n"
        "app_command.has_terminal = lambda: True\n"
        "from scenario_tui.tui.app import ScenarioApp\n"
        "def run(app):\n"
        "    loaded = sorted(m for m in sys.modules if m in ('scenario_tui.api.client',"
        " 'scenario_tui.service.uploads', 'httpx', 'pydantic', 'psycopg', 'hashlib',"
        " 'scenario_tui.store.front_page', 'scenario_tui.store.connecting'))\n"
        "    assert not loaded and not app.service.built, loaded\n"
        "    assert app.service.store.count() == 0\n"
        "    assert app.service.profile == 'default' and app.service.built\n"
        "    assert 'scenario_tui.service.uploads' in sys.modules\n"
        "    print('ran')\n"
        "ScenarioApp.run = run\n"
        f"raise SystemExit(cli.main(['--new-store', '--store', {str(tmp_path / 's.db')!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "ran\n", result.stderr
