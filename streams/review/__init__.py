"""The weekly pattern review report (`worksignals review`): queries, charts, HTML and Markdown.

`data` reads what the report shows through a `query(sql, params)` callable (the worker's
endpoint, a direct ClickHouse connection or a test warehouse), only from ops-facing views and
project, route and team aggregates for the ops report; `charts` draws deterministic SVG charts;
`render` writes the HTML and Markdown; `commands` registers the CLI verb.
"""
