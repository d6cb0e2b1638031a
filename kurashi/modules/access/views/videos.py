"""Sign-language video notices with WebVTT captions and their full text."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from kurashi.modules.access import selectors, services
from kurashi.modules.access.forms import VideoNoticeForm
from kurashi.modules.access.models import VideoNotice


def videos_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "access/videos/list.html",
        {
            "videos": selectors.published_videos()[:50],
            "can_publish": selectors.can_publish_videos(request.user),
        },
    )


def video_view(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.published_videos().filter(pk=pk).first()
    if notice is None:
        raise Http404
    return render(request, "access/videos/detail.html", {"notice": notice})


def video_file_view(request: HttpRequest, pk: int, part: str) -> FileResponse:
    """The video or its captions, served by the app (media files are not public otherwise)."""
    notice = selectors.published_videos().filter(pk=pk).first()
    if notice is None:
        raise Http404
    field = notice.captions if part == "captions" else notice.video
    content_type = (
        "text/vtt; charset=utf-8"
        if part == "captions"
        else ("video/webm" if (field.name or "").endswith(".webm") else "video/mp4")
    )
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
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
            return redirect("access:video", pk=notice.pk)
    return render(request, "access/videos/upload.html", {"form": form})
