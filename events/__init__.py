"""The worksignals event contract v1: models, parsing and JSON Schemas."""

from events.models import EVENT_MODELS, EVENT_TYPES, BaseEvent, Event
from events.parse import Accepted, Parsed, Reason, Rejected, Source, parse, parse_many

__all__ = [
    "EVENT_MODELS",
    "EVENT_TYPES",
    "Accepted",
    "BaseEvent",
    "Event",
    "Parsed",
    "Reason",
    "Rejected",
    "Source",
    "parse",
    "parse_many",
]
