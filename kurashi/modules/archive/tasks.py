"""Background work of the archive: rendering IIIF tiles, releasing embargoes. Tasks take ids and
call services through the module object (services ↔ tasks cycle)."""

from django.tasks import task

from kurashi.modules.archive import services


@task(queue_name="bulk")
def render_tiles_task(media_id: int) -> int:
    return services.render_tiles(media_id=media_id)


@task()
def release_embargoes_task() -> int:
    return services.release_embargoes()
