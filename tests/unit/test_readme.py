"""The README documents every setting and the two commands it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_settings_table_matches_the_settings_model() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "settings_table.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_setting_appears_with_its_environment_name() -> None:
    from pinconsole.settings import Settings

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [
        name for name in Settings.model_fields if f"`PINCONSOLE_{name.upper()}`" not in readme
    ]
    assert not missing


def test_the_two_commands_are_make_targets_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert "\ndemo:" in makefile and "\ntest:" in makefile
    assert "make --no-print-directory test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
