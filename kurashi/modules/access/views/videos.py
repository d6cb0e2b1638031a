"""Sign-language video notices with WebVTT captions and their full text. Uploads wait for a
second publisher's review (access/services.review_video_notice) before they are public."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kurashi.modules.access import selectors, services
from kurashi.modules.access.forms import VideoNoticeForm, VideoReviewForm
from kurashi.modules.access.models import VideoNotice


def videos_view(request: HttpRequest) -> HttpResponse:
    can_publish = selectors.can_publish_videos(request.user)
    return render(
        request,
        "access/videos/list.html",
        {
            "videos": selectors.published_videos()[:50],
            "can_publish": can_publish,
            "for_review": list(selectors.videos_for_review()[:50]) if can_publish else [],
        },
    )


def video_view(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.visible_video(request.user, pk)
    if notice is None:
        raise Http404
    can_review = (
        notice.state == VideoNotice.State.PENDING
        and selectors.can_publish_videos(request.user)
        and notice.created_by_id != request.user.pk
    )
    response = render(
        request,
        "access/videos/detail.html",
        {"notice": notice, "can_review": can_review, "review_form": VideoReviewForm()},
    )
    if notice.state != VideoNotice.State.PUBLISHED:
        response["Cache-Control"] = "private, no-store"
    return response


def video_file_view(request: HttpRequest, pk: int, part: str) -> FileResponse:
    """The video or its captions, served by the app (media files are not public otherwise);
    an unreviewed upload only to publishers, never from a shared cache."""
    notice = selectors.visible_video(request.user, pk)
    if notice is None:
        raise Http404
    field = notice.captions if part == "captions" else notice.video
    content_type = (
        "text/vtt; charset=utf-8"
        if part == "captions"
        else ("video/webm" if (field.name or "").endswith(".webm") else "video/mp4")
    )
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    if notice.state == VideoNotice.State.PUBLISHED:
        response["Cache-Control"] = "public, max-age=3600"
    else:
        response["Cache-Control"] = "private, no-store"
    return response


@login_required
def upload_view(request: HttpRequest) -> HttpResponse:
    if not selectors.can_publish_videos(request.user):
        raise PermissionDenied(selectors.PUBLISH_VIDEOS)
    form = VideoNoticeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice: VideoNotice = services.publish_video_notice(
                actor=request.user,  # type: ignore[arg-type]
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Uploaded. Another publisher must review it before it is public.")
            )
            return redirect("access:video", pk=notice.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "access/videos/upload.html", {"form": form}, status=status)


@login_required
@require_POST
def review_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.can_publish_videos(request.user):
        raise PermissionDenied(selectors.PUBLISH_VIDEOS)
    notice = selectors.visible_video(request.user, pk)
    if notice is None:
        raise Http404
    form = VideoReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose publish or reject."))
        return redirect("access:video", pk=pk)
    try:
        services.review_video_notice(
            actor=request.user,  # type: ignore[arg-type]
            notice=notice,
            approve=form.cleaned_data["decision"] == "publish",
            note=form.cleaned_data["note"],
            request=request,
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect("access:video", pk=pk)
    messages.success(request, _("Review saved."))
    return redirect("access:video", pk=pk)
