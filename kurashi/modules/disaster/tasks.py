"""Background tasks of the disaster module (thin: they call services)."""

from typing import Any

from django.tasks import task

from kurashi.modules.disaster.services import jma as jma_services


@task(queue_name="emergency")
def poll_jma_feeds_task() -> dict[str, Any]:
    """One JMA feed polling cycle (for installations that schedule it instead of `kurashi jma poll`)."""
    return jma_services.poll_feeds().as_dict()


@task(queue_name="emergency")
def ingest_jma_document_task(*, xml: str, source_name: str = "") -> dict[str, Any]:
    """Ingest one JMA document handed over as text (e.g. from another intake channel)."""
    result = jma_services.ingest_document(
        data=xml.encode("utf-8"), source="task", source_name=source_name
    )
    return result.summary()
