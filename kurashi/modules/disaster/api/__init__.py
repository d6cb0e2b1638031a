"""The disaster module's JSON API: one django-ninja Router, with one sub-router per area."""

from ninja import Router

from kurashi.modules.disaster.api import evacuation, jma, outputs, reports, shelters

router = Router()
router.add_router("/", jma.router)
router.add_router("/", evacuation.router)
router.add_router("/", shelters.router)
router.add_router("/", reports.router)
router.add_router("/", outputs.router)
