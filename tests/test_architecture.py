"""The boundaries STYLE.md promises: the core never imports Textual; the UI never imports httpx
or sqlite3; --version and the scripting subcommands start without Textual."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "scenario_tui"
CORE = ["errors", "models", "ids", "inert", "redact", "config", "api", "store", "listing",
        "service", "present", "fake_api", "fake_server", "part_plan", "uploader", "upload_cli",
        "cli"]


def test_core_modules_do_not_import_textual():
    code = (
        "import sys\n"
        + "".join(f"import scenario_tui.{name}\n" for name in CORE)
        + "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        + "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_version_does_not_import_textual():
    code = (
        "import sys\nfrom scenario_tui.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "assert 'textual' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "scenario-tui" in result.stdout


def test_ui_modules_do_not_touch_httpx_or_sqlite():
    ui = [PACKAGE / "app.py", *PACKAGE.glob("screens/*.py"), *PACKAGE.glob("widgets/*.py")]
    offenders = [
        str(path.name) for path in ui
        if re.search(r"^\s*(import|from)\s+(httpx|sqlite3)\b", path.read_text(), re.M)
    ]
    assert ui and offenders == []
