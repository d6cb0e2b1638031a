"""Remote live captions: the captioner team's page, the viewers' page and the transcripts."""

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kurashi.core.models import User
from kurashi.modules.access import selectors, services
from kurashi.modules.access.forms import CaptionSessionForm, CorrectionForm, MessageForm
from kurashi.modules.access.models import CaptionSession
from kurashi.modules.access.views.common import (
    channel_sse,
    labels_json,
    posted,
    rejected,
    run_and_release,
)

VIEWS = ("standard", "large", "contrast")


def _session(slug: str) -> CaptionSession:
    session = CaptionSession.objects.filter(slug=slug).select_related("active_captioner").first()
    if session is None:
        raise Http404
    return session


def sessions_view(request: HttpRequest) -> HttpResponse:
    form = None
    if selectors.can_caption(request.user):
        form = CaptionSessionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            names = [n.strip() for n in form.cleaned_data["team"].split(",") if n.strip()]
            team = list(User.objects.filter(username__in=names))
            session = services.start_caption_session(
                actor=request.user,  # type: ignore[arg-type]
                title=form.cleaned_data["title"],
                venue=form.cleaned_data["venue"],
                team=team,
                request=request,
            )
            return redirect("access:captions-type", slug=session.slug)
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "access/captions/sessions.html",
        {"sessions": selectors.list_caption_sessions(live_only=True)[:20], "form": form},
    )


def viewer_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    view = request.GET.get("view", "standard")
    if view not in VIEWS:
        view = "standard"
    lines = selectors.caption_lines(session)
    return render(
        request,
        "access/captions/viewer.html",
        {
            "session": session,
            "lines": lines,
            "last_seq": session.channel.last_seq,
            "view": view,
            "labels_json": labels_json(),
        },
    )


@login_required
def type_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    if not selectors.is_on_team(request.user, session):
        raise PermissionDenied
    return render(
        request,
        "access/captions/type.html",
        {
            "session": session,
            "lines": selectors.caption_lines(session)[-30:],
            "last_seq": session.channel.last_seq,
            "team": list(session.team.all()),
            "is_active": session.active_captioner_id == request.user.pk,
            "labels_json": labels_json(),
        },
    )


def _back(session: CaptionSession) -> str:
    return reverse("access:captions-type", kwargs={"slug": session.slug})


@login_required
@require_POST
def post_caption_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return rejected(request, _back(session), ValidationError(_("Write a message first.")))
    try:
        message = services.post_caption(
            actor=request.user,  # type: ignore[arg-type]
            session=session,
            text=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
        )
    except ValidationError as error:
        return rejected(request, _back(session), error)
    return posted(request, _back(session), seq=message.seq)


@login_required
@require_POST
def correct_caption_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        return rejected(
            request, _back(session), ValidationError(_("Choose a line and write the correction."))
        )
    try:
        message = services.correct_caption(
            actor=request.user,  # type: ignore[arg-type]
            session=session,
            target_seq=form.cleaned_data["target"],
            text=form.cleaned_data["body"],
            client_key=form.cleaned_data["client_key"],
        )
    except ValidationError as error:
        return rejected(request, _back(session), error)
    return posted(request, _back(session), seq=message.seq)


@login_required
@require_POST
def take_turn_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    services.take_caption_turn(actor=request.user, session=session)  # type: ignore[arg-type]
    messages.success(request, _("You are typing now."))
    return posted(request, _back(session))


@login_required
@require_POST
def end_view(request: HttpRequest, slug: str) -> HttpResponse:
    session = _session(slug)
    services.end_caption_session(actor=request.user, session=session, request=request)  # type: ignore[arg-type]
    return posted(request, reverse("access:captions-viewer", kwargs={"slug": session.slug}))


def transcript_view(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    session = _session(slug)
    if fmt == "vtt":
        response = HttpResponse(
            selectors.transcript_webvtt(session), content_type="text/vtt; charset=utf-8"
        )
    else:
        response = HttpResponse(
            selectors.transcript_text(session), content_type="text/plain; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="captions-{session.slug}.{fmt}"'
    return response


async def events_view(request: HttpRequest, slug: str) -> HttpResponseBase:
    def find() -> int | None:
        session = CaptionSession.objects.filter(slug=slug).only("channel_id").first()
        return session.channel_id if session else None

    channel_id = await sync_to_async(run_and_release)(find)
    if channel_id is None:
        return HttpResponseForbidden("access")
    return channel_sse(request, channel_id)
