"""Task entry points of the ems module: thin, idempotent, by id, calling services."""

from django.tasks import task

from kurashi.modules.ems import services


@task(queue_name="emergency")
def push_request_task(*, inquiry_id: int, attempt: int = 1) -> dict[str, int]:
    """Web Push of a new transport request to the hospital's registered devices."""
    return services.push_request(inquiry_id=inquiry_id, attempt=attempt)
