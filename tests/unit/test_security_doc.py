"""docs/security.md's settings table names real settings with their real defaults."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path

from pinconsole.settings import DATA_DIR, Settings

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| `([a-z_]+)` \| (.+?) \| .+ \|$")


def _render_default() -> Callable[..., str]:
    """The README table's rendering of a default (scripts/settings_table.py), so both agree."""
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts/settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._default


def test_the_security_settings_table_matches_the_model() -> None:
    default = _render_default()
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    rows = [m.groups() for line in doc.splitlines() if (m := ROW.match(line))]
    assert len(rows) > 20
    unknown = [name for name, _ in rows if name not in Settings.model_fields]
    assert not unknown
    # A default written as code is the model's; prose (catalog_rules) is read by people.
    stale = {
        name: (shown, wanted)
        for name, shown in rows
        if shown.startswith(("`", "("))
        and shown != (wanted := default(Settings.model_fields[name], str(DATA_DIR)))
    }
    assert not stale
