"""JSON API of the access module, mounted at /api/v1/access/.

- GET captions/{slug}/ — a caption session's lines with corrections applied (venue screens,
  archives); public like the viewer page.
- GET statistics/{year}/{month}/ — requests per municipality and mode (coordinators only).
"""

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.errors import HttpError
from ninja.security import django_auth

from kurashi.modules.access import selectors
from kurashi.modules.access.models import CaptionSession
from kurashi.modules.access.schemas import (
    CaptionLineOut,
    CaptionSessionOut,
    StatisticsRowOut,
)

router = Router(tags=["access"])


@router.get("/captions/{slug}/", response=CaptionSessionOut)
def caption_session(request: HttpRequest, slug: str) -> CaptionSessionOut:
    session = CaptionSession.objects.filter(slug=slug).first()
    if session is None:
        raise Http404
    return CaptionSessionOut(
        slug=session.slug,
        title=session.title,
        state=session.state,
        lines=[
            CaptionLineOut(seq=line.seq, at=line.at, text=line.text, is_corrected=line.is_corrected)
            for line in selectors.caption_lines(session)
        ],
    )


# Session authentication, so that the OpenAPI document says it is not open (it answered 403).
@router.get("/statistics/{year}/{month}/", response=list[StatisticsRowOut], auth=django_auth)
def statistics(request: HttpRequest, year: int, month: int) -> list[StatisticsRowOut]:
    if not selectors.can_coordinate(request.user):
        raise HttpError(403, "access.coordinate_dispatch required")
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        raise Http404
    return [
        StatisticsRowOut(
            municipality_code=row.municipality_code,
            municipality_name=row.municipality_name,
            mode=row.mode,
            requests=row.requests,
            confirmed=row.confirmed,
            cancelled=row.cancelled,
            hours=row.hours,
        )
        for row in selectors.monthly_statistics(year, month)
    ]
