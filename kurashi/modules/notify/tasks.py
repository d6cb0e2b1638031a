"""Task entry points; each lane's tasks are enqueued on the lane's queue (emergency, default,
bulk) so that dedicated workers (`kurashi worker --queues emergency`) keep bulk from delaying
emergencies."""

from django.tasks import task

from kurashi.modules.notify import services


@task(queue_name="default")
def fan_out_notice_task(*, notice_id: int) -> int:
    return services.pipeline.fan_out_notice(notice_id=notice_id)


@task(queue_name="default")
def drain_lane_task(*, lane: str) -> int:
    return services.pipeline.drain_lane(lane=lane)


@task(queue_name="default")
def send_direct_message_task(
    *, key: str, to: str, subject: str, body: str, language: str, attempt: int
) -> bool:
    return services.direct.deliver_direct_message(
        key=key, to=to, subject=subject, body=body, language=language, attempt=attempt
    )
