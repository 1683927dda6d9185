"""Renders the README's configuration table from the Settings model, so the docs cannot drift.

    python scripts/settings_table.py           print the table
    python scripts/settings_table.py --write   replace the table between the README's markers
    python scripts/settings_table.py --check   exit 1 when the README's table is out of date

tests/unit/test_readme.py runs the check as part of the suite.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START = "<!-- settings-table:start (scripts/settings_table.py --write) -->"
END = "<!-- settings-table:end -->"

# Read outside the Settings model: by settings.py itself before the model and by rxconfig.py.
EXTRA = [
    ("PINCONSOLE_DATA_DIR", "`./data`", "Where the embedded SQLite database and local files live"),
    ("PINCONSOLE_CONFIG", "`pinconsole.toml`", "Optional TOML file with any key below"),
    (
        "PINCONSOLE_API_URL",
        "`http://localhost:<port>`",
        "Backend URL the browser connects to (rxconfig.py; `serve` sets it for its port)",
    ),
]


def _default(field: FieldInfo, data_dir: str) -> str:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
    elif field.default is PydanticUndefined:
        return "(required)"
    else:
        value = field.default
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, str):
        text = value.replace(data_dir, "$PINCONSOLE_DATA_DIR")
    else:
        text = json.dumps(value)
    return f"`{text}`"


def render() -> str:
    """The Markdown table: one row per environment variable."""
    sys.path.insert(0, str(ROOT))
    from pinconsole.settings import DATA_DIR, Settings

    prefix = Settings.model_config.get("env_prefix", "")
    rows = ["| Key | Environment variable | Default | What it does |", "|---|---|---|---|"]
    rows += [f"| - | `{env}` | {default} | {text} |" for env, default, text in EXTRA]
    for name, field in Settings.model_fields.items():
        env = f"{prefix}{name}".upper()
        text = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | `{env}` | {_default(field, str(DATA_DIR))} | {text} |")
    return "\n".join(rows)


def readme_with_table(readme: str, table: str) -> str:
    head, sep, rest = readme.partition(START)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"README.md lacks the markers {START!r} ... {END!r}")
    return f"{head}{START}\n{table}\n{END}{tail}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="update README.md in place")
    mode.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()
    table = render()
    if not (args.write or args.check):
        print(table)
        return 0
    current = README.read_text(encoding="utf-8")
    wanted = readme_with_table(current, table)
    if args.check:
        if current != wanted:
            print("README.md's settings table is stale: run `make settings-table`")
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
