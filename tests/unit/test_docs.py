"""The docs describe what is built: every setting, command, table and column."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sinks.clickhouse import MIGRATIONS_DIR
from streams.cli import _parser
from streams.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_cli_doc_lists_every_command_and_setting() -> None:
    text = (DOCS / "cli.md").read_text()
    subparsers = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for verb in subparsers.choices:
        assert f"`worksignals {verb}" in text, verb
    for name in Settings.model_fields:
        assert f"`WORKSIGNALS_{name.upper()}`" in text, name


def ddl_columns() -> dict[str, list[str]]:
    tables: dict[str, list[str]] = {}
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        for table, body in re.findall(
            r"CREATE TABLE IF NOT EXISTS (\w+)\s*\((.*?)\)\s*ENGINE", path.read_text(), flags=re.S
        ):
            tables[table] = re.findall(r"^\s*(\w+)\s+\w", body, flags=re.M)
    return tables


def test_tables_doc_documents_every_table_and_column() -> None:
    text = (DOCS / "tables.md").read_text()
    tables = ddl_columns()
    assert {"events", "rejected_events", "contributor_daily", "alerts"} <= set(tables)
    for table, columns in tables.items():
        section = text.split(f"## `{table}`", 1)
        assert len(section) == 2, f"no section for {table}"
        body = section[1].split("\n## ", 1)[0]
        for column in columns:
            assert re.search(rf"\b{column}\b", body), f"{table}.{column} is not documented"
