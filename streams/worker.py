"""Running the worker: topics, the Faust worker, logging."""

from __future__ import annotations

import asyncio
import logging

import faust

from streams.app import Pipeline
from streams.gc_tuning import collect_less_often
from streams.logs import configure_logging
from streams.settings import Settings
from streams.topics import ensure_topics

log = logging.getLogger(__name__)


def run_worker(settings: Settings) -> None:
    """Create missing topics, then run the Faust worker in the foreground until SIGTERM/SIGINT."""
    asyncio.run(ensure_topics(settings))
    collect_less_often()
    pipeline = Pipeline(settings)
    worker = faust.Worker(
        pipeline.app,
        loglevel=settings.log_level,
        quiet=True,
        logging_config=None,
        override_logging=False,
    )
    # Faust's start-up spinner writes terminal escapes even when quiet and not on a
    # terminal; the worker's output is a log file. Without it Faust logs "Ready" instead.
    worker.spinner = None
    configure_logging(settings)
    log.info(
        "worker starting: role=%s kafka=%s clickhouse=%s http=%s",
        settings.role,
        settings.kafka_bootstrap,
        settings.clickhouse if pipeline.warehouse else "-",
        settings.worker_url,
    )
    try:
        worker.execute_from_commandline()
    finally:
        if pipeline.warehouse is not None:
            pipeline.warehouse.close()
