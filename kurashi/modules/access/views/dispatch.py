"""Dispatch of interpreters and captioners: written requests (also in やさしい日本語), the
coordinators' matching, changes and cancellations, monthly statistics."""

import csv
from contextlib import nullcontext
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kurashi.core.models import User
from kurashi.modules.access import selectors, services
from kurashi.modules.access.easy import easy_japanese, render_easy
from kurashi.modules.access.forms import SupportRequestForm
from kurashi.modules.access.models import Interpreter, SupportRequest


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # noqa: S101 (login_required ran)
    return user


def _input(data: dict[str, Any]) -> services.RequestInput:
    return services.RequestInput(
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        municipality_code=data["municipality_code"],
        purpose=data["purpose"],
        mode=data["mode"],
        is_online=data["is_online"],
        place=data["place"],
        people=data["people"],
        interpreters_needed=data["interpreters_needed"],
        on_behalf_of=data["on_behalf_of"],
        notes=data["notes"],
    )


@login_required
def my_requests_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "access/dispatch/my_requests.html",
        {
            "requests": selectors.own_requests(request.user).order_by("-starts_at")[:50],
            "notifications": selectors.list_notifications(request.user),
            "assignments": selectors.interpreter_assignments(request.user),
        },
    )


@login_required
def new_request_view(request: HttpRequest, variant: str = "") -> HttpResponse:
    easy = variant == "easy"
    with easy_japanese() if easy else nullcontext():
        form = SupportRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.submit_support_request(
                    requester=_user(request),
                    data=_input(form.cleaned_data),
                    easy_japanese=easy,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your request was sent. The centre will answer soon."))
                return redirect("access:requests")
        context = {"form": form, "is_easy": easy}
        if easy:
            return render_easy(request, "access/dispatch/new_request.html", context)
        return render(request, "access/dispatch/new_request.html", context)


def _visible_request(request: HttpRequest, public_id: UUID) -> SupportRequest:
    support_request = SupportRequest.objects.filter(public_id=public_id).first()
    if support_request is None:
        raise Http404
    if support_request.requester_id != request.user.pk and not selectors.can_coordinate(
        request.user, support_request
    ):
        raise Http404  # a resident sees only their own requests
    return support_request


@login_required
def request_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    support_request = _visible_request(request, public_id)
    is_coordinator = selectors.can_coordinate(request.user, support_request)
    form = SupportRequestForm(
        initial={name: getattr(support_request, name) for name in services.TRACKED_FIELDS}
    )
    if request.method == "POST":
        form = SupportRequestForm(request.POST)
        if form.is_valid():
            try:
                services.change_support_request(
                    actor=_user(request),
                    support_request=support_request,
                    data=_input(form.cleaned_data),
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("The request was changed."))
                return redirect("access:request", public_id=support_request.public_id)
    return render(
        request,
        "access/dispatch/request_detail.html",
        {
            "support_request": support_request,
            "form": form,
            "changes": support_request.changes.select_related("actor"),
            "assignments": support_request.assignments.select_related("interpreter"),
            "candidates": selectors.match_candidates(support_request) if is_coordinator else [],
            "is_coordinator": is_coordinator,
            "municipality_name": selectors.municipality_names().get(
                support_request.municipality_code, ""
            ),
        },
    )


@login_required
@require_POST
def cancel_request_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    support_request = _visible_request(request, public_id)
    services.cancel_support_request(
        actor=_user(request),
        support_request=support_request,
        reason=request.POST.get("reason", ""),
        request=request,
    )
    messages.success(request, _("The request was cancelled."))
    return redirect("access:request", public_id=support_request.public_id)


@login_required
@require_POST
def assign_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    support_request = _visible_request(request, public_id)
    interpreter = Interpreter.objects.filter(pk=request.POST.get("interpreter") or 0).first()
    if interpreter is None:
        raise Http404
    try:
        services.assign_interpreter(
            actor=_user(request),
            support_request=support_request,
            interpreter=interpreter,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(name)s is assigned.") % {"name": interpreter.name})
    return redirect(reverse("access:request", kwargs={"public_id": support_request.public_id}))


@login_required
def coordinate_view(request: HttpRequest) -> HttpResponse:
    if not selectors.can_coordinate(request.user):
        raise PermissionDenied(selectors.COORDINATE)
    requests = selectors.coordinator_requests(request.user).filter(
        starts_at__gte=timezone.now() - timedelta(days=1)
    )
    return render(
        request,
        "access/dispatch/coordinate.html",
        {
            "waiting": requests.filter(state=SupportRequest.State.SUBMITTED).order_by("starts_at")[
                :100
            ],
            "confirmed": requests.filter(state=SupportRequest.State.CONFIRMED).order_by(
                "starts_at"
            )[:100],
            "municipality_names": selectors.municipality_names(),
        },
    )


def _month(request: HttpRequest) -> tuple[int, int]:
    raw = request.GET.get("month", "")
    try:
        year, month = (int(part) for part in raw.split("-", 1))
        if 1 <= month <= 12 and 2000 <= year <= 2100:
            return year, month
    except ValueError:
        pass
    now = timezone.localtime()
    return now.year, now.month


@login_required
def statistics_view(request: HttpRequest) -> HttpResponse:
    if not selectors.can_coordinate(request.user):
        raise PermissionDenied(selectors.COORDINATE)
    year, month = _month(request)
    rows = selectors.monthly_statistics(year, month)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="access-{year}-{month:02d}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "municipality_code",
                "municipality",
                "mode",
                "requests",
                "confirmed",
                "cancelled",
                "hours",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row.municipality_code,
                    row.municipality_name,
                    row.mode,
                    row.requests,
                    row.confirmed,
                    row.cancelled,
                    row.hours,
                ]
            )
        return response
    return render(
        request,
        "access/dispatch/statistics.html",
        {"rows": rows, "month": f"{year}-{month:02d}", "total": sum(r.requests for r in rows)},
    )
