"""Alert delivery: a routing file, channels (webhook, email, Alertmanager), a durable outbox.

routing = load_routing("deploy/routing.toml")
dispatcher = Dispatcher(routing, Path(".worksignals/outbox.sqlite"))
await dispatcher.start()
await dispatcher.submit(alert)   # one SQLite insert; delivery happens in the background
await dispatcher.stop()
"""

from sinks.notify.channels import DeliveryError, MemoryNotifier, Notifier
from sinks.notify.dispatcher import Backoff, Dispatcher
from sinks.notify.outbox import Outbox
from sinks.notify.routing import (
    AlertmanagerChannel,
    EmailChannel,
    Routing,
    RoutingError,
    WebhookChannel,
    load_routing,
    parse_routing,
)

__all__ = [
    "AlertmanagerChannel",
    "Backoff",
    "DeliveryError",
    "Dispatcher",
    "EmailChannel",
    "MemoryNotifier",
    "Notifier",
    "Outbox",
    "Routing",
    "RoutingError",
    "WebhookChannel",
    "load_routing",
    "parse_routing",
]
