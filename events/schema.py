"""JSON Schemas of the event contract, generated from the models.

`python -m events.schema DIR` writes one `<type>.json` per event type; a unit test
fails when the checked-in schemas under docs/schemas/ differ from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from events.models import EVENT_TYPES


def schemas() -> dict[str, dict[str, object]]:
    """Event type -> JSON Schema (draft 2020-12) of its message value."""
    result: dict[str, dict[str, object]] = {}
    for name, model in EVENT_TYPES.items():
        schema = model.model_json_schema(mode="validation")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:worksignals:event:v1:{name}"
        result[name] = schema
    return result


def render(schema: dict[str, object]) -> str:
    """The canonical text of a schema file."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    """Write every schema into directory; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / f"{name}.json"
        path.write_text(render(schema), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
    for path in write(target):
        print(path)
