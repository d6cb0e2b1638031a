"""Staff pages: the item list with bulk edit, the cataloguing form (with image upload), the
publish/embargo/withdraw/delete workflow. Every action is checked and audited by services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kurashi.core.auth import authenticated_user
from kurashi.modules.archive import selectors, services
from kurashi.modules.archive.forms import BulkEditForm, ItemForm, StatusForm
from kurashi.modules.archive.imaging import ImageRejectedError
from kurashi.modules.archive.models import Item

IMAGE_ERRORS = {
    "too_large": gettext_lazy("The image file is too large."),
    "too_many_pixels": gettext_lazy(
        "The image has too many pixels (a possible decompression bomb)."
    ),
    "unsupported_format": gettext_lazy("Only JPEG, PNG, TIFF and WebP images are accepted."),
    "not_an_image": gettext_lazy("The file is not a readable image."),
}


def _require_staff(request: HttpRequest) -> None:
    if not selectors.is_archive_staff(request.user):
        raise PermissionDenied(selectors.CATALOGUE)


@login_required
@never_cache
@require_http_methods(["GET"])
def staff_list_view(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    query = request.GET.get("q", "")[:100]
    status = request.GET.get("status", "")
    status = status if status in Item.Status.values else ""
    items = list(selectors.staff_items(request.user, query=query, status=status)[:200])
    form = BulkEditForm(items=selectors.staff_items(request.user))
    return render(
        request,
        "archive/staff/list.html",
        {
            "items": items,
            "form": form,
            "query": query,
            "status": status,
            "statuses": Item.Status.choices,
        },
    )


def _attach_upload(form: ItemForm, item: Item) -> bool:
    upload = form.cleaned_data.get("image")
    if not upload:
        return True
    try:
        media = services.ingest_image(data=upload.read(), filename=upload.name)
    except ImageRejectedError as error:
        form.add_error("image", IMAGE_ERRORS.get(error.code, IMAGE_ERRORS["not_an_image"]))
        return False
    services.attach_media(item=item, media=media, label=form.cleaned_data["title"])
    return True


def _save(request: HttpRequest, form: ItemForm, item: Item | None) -> Item | None:
    """Save the item and its upload together: a rejected image saves nothing."""
    user = authenticated_user(request)
    collection = form.cleaned_data["collection"]
    try:
        with transaction.atomic():
            saved = services.save_item(
                actor=user,
                collection=collection,
                source_key=item.source_key if item else f"staff-{get_random_string(12)}",
                item=item,
                data=form.item_data(),
                request=request,
            )
            if not _attach_upload(form, saved):
                raise ValidationError("image rejected")
    except ValidationError as error:
        if not form.errors:
            for message in error.messages:
                form.add_error(None, message)
        return None
    return saved


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def item_create_view(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    collections = selectors.staff_collections(request.user)
    form = ItemForm(request.POST or None, request.FILES or None, collections=collections)
    if request.method == "POST" and form.is_valid():
        item = _save(request, form, None)
        if item is not None:
            messages.success(request, _("The item was saved as a draft."))
            return redirect("archive:staff-edit", pk=item.pk)
    return render(request, "archive/staff/edit.html", {"form": form, "item": None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def item_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    collections = selectors.staff_collections(request.user)
    item = get_object_or_404(Item, pk=pk, collection__in=collections, is_deleted=False)
    if request.method == "POST":
        form = ItemForm(request.POST, request.FILES, collections=collections)
        if form.is_valid() and _save(request, form, item) is not None:
            messages.success(request, _("The changes were saved."))
            return redirect("archive:staff-edit", pk=item.pk)
    else:
        form = ItemForm(initial=ItemForm.initial_for(item), collections=collections)
    return render(
        request,
        "archive/staff/edit.html",
        {
            "form": form,
            "item": item,
            "status_form": StatusForm(),
            "can_publish": selectors.can_publish(request.user, item.collection),
            "media": selectors.media_of(item),
        },
    )


def _apply_status(request: HttpRequest, item: Item, action: str, until: object) -> None:
    user = authenticated_user(request)
    if action == "publish":
        services.publish_item(actor=user, item=item, request=request)
    elif action == "embargo":
        services.embargo_item(actor=user, item=item, until=until, request=request)  # type: ignore[arg-type]
    elif action == "withdraw":
        services.withdraw_item(actor=user, item=item, request=request)
    elif action == "delete":
        services.delete_item(actor=user, item=item, request=request)


@login_required
@require_POST
def item_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    _require_staff(request)
    item = get_object_or_404(
        Item, pk=pk, collection__in=selectors.staff_collections(request.user), is_deleted=False
    )
    if not selectors.can_publish(request.user, item.collection):
        raise PermissionDenied(selectors.PUBLISH)
    form = StatusForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("archive:staff-edit", pk=item.pk)
    try:
        _apply_status(
            request, item, form.cleaned_data["action"], form.cleaned_data["embargo_until"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("archive:staff-edit", pk=item.pk)
    messages.success(request, _("The status was changed."))
    if form.cleaned_data["action"] == "delete":
        return redirect("archive:staff")
    return redirect("archive:staff-edit", pk=item.pk)


@login_required
@require_POST
def bulk_edit_view(request: HttpRequest) -> HttpResponse:
    _require_staff(request)
    form = BulkEditForm(request.POST, items=selectors.staff_items(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("archive:staff")
    items = list(form.cleaned_data["items"])
    action = form.cleaned_data["action"]
    if action and any(not selectors.can_publish(request.user, item.collection) for item in items):
        raise PermissionDenied(selectors.PUBLISH)
    try:
        count = services.bulk_edit_items(
            actor=authenticated_user(request),
            items=items,
            action=action,
            embargo_until=form.cleaned_data["embargo_until"],
            add_subject=form.cleaned_data["add_subject"].strip(),
            rights=form.cleaned_data["rights"],
            request=request,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("archive:staff")
    messages.success(request, _("%(count)d items were updated.") % {"count": count})
    return redirect("archive:staff")
