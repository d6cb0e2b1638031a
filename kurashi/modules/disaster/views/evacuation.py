"""Staff pages for evacuation information: the list by state, the draft form (with standard texts
per level and hazard), the preview / approval page with the diff and the history."""

import json
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kurashi.core.auth import authenticated_user
from kurashi.core.permissions import has_permission, require_permission
from kurashi.modules.disaster.models import EvacuationOrder, Hazard
from kurashi.modules.disaster.selectors import evacuation as selectors
from kurashi.modules.disaster.services import evacuation as services

PAGE_SIZE = 25


class OrderForm(forms.Form):
    municipality_code = forms.ChoiceField(label=gettext_lazy("Municipality"))
    level = forms.TypedChoiceField(
        label=gettext_lazy("Level"),
        coerce=int,
        choices=EvacuationOrder.Level.choices,
        widget=forms.RadioSelect,
    )
    hazard = forms.ChoiceField(label=gettext_lazy("Hazard"), choices=Hazard.choices)
    is_whole_municipality = forms.TypedChoiceField(
        label=gettext_lazy("Area"),
        coerce=lambda value: value == "whole",
        choices=(
            ("whole", gettext_lazy("The whole municipality")),
            ("part", gettext_lazy("Named districts and/or an area drawn on the map")),
        ),
        widget=forms.RadioSelect,
        initial="whole",
    )
    districts = forms.CharField(
        label=gettext_lazy("Districts (one per line)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    area_geojson = forms.CharField(
        label=gettext_lazy("Drawn area (GeoJSON Polygon or MultiPolygon)"),
        help_text=gettext_lazy(
            "Draw on the map (click to add points) or paste GeoJSON with [longitude, latitude] "
            "coordinates. Leave empty when you name districts only."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "geojson-input"}),
    )
    households = forms.IntegerField(
        label=gettext_lazy("Households covered"), required=False, min_value=0
    )
    people = forms.IntegerField(label=gettext_lazy("People covered"), required=False, min_value=0)
    message_ja = forms.CharField(
        label=gettext_lazy("Message in Japanese (required)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "ja"}),
    )
    message_easy_ja = forms.CharField(
        label=gettext_lazy("Message in easy Japanese (やさしい日本語)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "ja"}),
    )
    message_en = forms.CharField(
        label=gettext_lazy("Message in English"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "lang": "en"}),
    )
    is_exercise = forms.BooleanField(
        label=gettext_lazy("This is an exercise (訓練): never shown to residents"),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        municipality_choices: list[tuple[str, str]],
        replaces: EvacuationOrder | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["municipality_code"])
        field.choices = municipality_choices
        level = cast(forms.ChoiceField, self.fields["level"])
        if replaces is None:
            level.choices = [c for c in EvacuationOrder.Level.choices if c[0] != 0]
        if replaces is not None:
            # Disabled fields take their value from `initial`, never from the submitted data.
            field.disabled = True
            self.initial.setdefault("municipality_code", replaces.municipality_code)

    def clean_area_geojson(self) -> dict[str, Any] | None:
        try:
            return services.parse_area_geojson(self.cleaned_data.get("area_geojson") or "")
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from None

    def content(self) -> services.OrderContent:
        data = self.cleaned_data
        return services.OrderContent(
            municipality_code=data["municipality_code"],
            level=data["level"],
            hazard=data["hazard"],
            is_whole_municipality=data["is_whole_municipality"],
            districts=data.get("districts") or "",
            area_geojson=data.get("area_geojson"),
            households=data.get("households"),
            people=data.get("people"),
            message_ja=data.get("message_ja") or "",
            message_easy_ja=data.get("message_easy_ja") or "",
            message_en=data.get("message_en") or "",
            is_exercise=bool(data.get("is_exercise")),
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for rejecting (the drafter reads this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _order_or_404(order_id: int) -> EvacuationOrder:
    try:
        return selectors.get_order(order_id)
    except EvacuationOrder.DoesNotExist:
        raise Http404(_("No such evacuation information.")) from None


def _require_view(request: HttpRequest, order: EvacuationOrder) -> None:
    user = request.user
    code = order.municipality_code
    if not (
        has_permission(user, selectors.DRAFT_PERMISSION, municipality_code=code)
        or has_permission(user, selectors.APPROVE_PERMISSION, municipality_code=code)
    ):
        raise PermissionDenied(selectors.DRAFT_PERMISSION)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_errors)
    else:
        form.add_error(None, error.messages)


@login_required
def order_list_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.can_see_orders(user):
        raise PermissionDenied(selectors.DRAFT_PERMISSION)
    municipality_code = request.GET.get("municipality", "")
    state = request.GET.get("state", "")
    if state not in EvacuationOrder.State.values:
        state = ""
    choices = dict(
        selectors.list_municipality_choices(user=user, permission=selectors.DRAFT_PERMISSION)
    ) | dict(
        selectors.list_municipality_choices(user=user, permission=selectors.APPROVE_PERMISSION)
    )
    if municipality_code not in choices:
        municipality_code = ""
    orders = selectors.list_orders(user=user, municipality_code=municipality_code, state=state)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    total = orders.count()
    page_orders = list(orders[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE])
    return render(
        request,
        "disaster/evacuation/list.html",
        {
            "orders": page_orders,
            "levels": selectors.LEVELS,
            "counts": selectors.count_orders_by_state(
                user=user, municipality_code=municipality_code
            ),
            "states": EvacuationOrder.State.choices,
            "state": state,
            "municipality_code": municipality_code,
            "municipality_choices": sorted(choices.items()),
            "municipality_names": choices,
            "can_draft": has_permission_anywhere_draft(request),
            "page": page_number,
            "has_previous": page_number > 1,
            "has_next": page_number * PAGE_SIZE < total,
            "total": total,
        },
    )


def has_permission_anywhere_draft(request: HttpRequest) -> bool:
    return bool(
        selectors.list_municipality_choices(
            user=request.user, permission=selectors.DRAFT_PERMISSION
        )
    )


def _form_page(
    request: HttpRequest,
    form: OrderForm,
    *,
    order: EvacuationOrder | None,
    replaces: EvacuationOrder | None,
    status: int = 200,
) -> HttpResponse:
    municipality_code = (
        replaces.municipality_code
        if replaces
        else (order.municipality_code if order else form["municipality_code"].value())
    )
    return render(
        request,
        "disaster/evacuation/form.html",
        {
            "form": form,
            "order": order,
            "replaces": replaces,
            "levels": selectors.LEVELS,
            "boundaries": selectors.boundaries_for_map(
                [code for code, _name in form.fields["municipality_code"].choices]  # type: ignore[attr-defined]
            ),
            "selected_municipality": municipality_code or "",
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
        status=status,
    )


def _fill_defaults(data: Any, *, replaces: EvacuationOrder | None) -> dict[str, Any]:
    """The submitted form with the three messages replaced by the standard texts."""
    values = {key: data.get(key, "") for key in OrderForm.base_fields}
    try:
        level = int(values.get("level") or (replaces.level if replaces else 4))
    except ValueError:
        level = 4
    code = replaces.municipality_code if replaces else str(values.get("municipality_code") or "")
    geometry_text = str(values.get("area_geojson") or "").strip()
    values.update(
        selectors.default_messages(
            municipality_code=code,
            level=level,
            hazard=str(values.get("hazard") or (replaces.hazard if replaces else "heavy_rain")),
            is_whole_municipality=values.get("is_whole_municipality", "whole") == "whole",
            districts=[
                d.strip() for d in str(values.get("districts") or "").splitlines() if d.strip()
            ],
            has_polygon=bool(geometry_text),
            previous_level=replaces.level if replaces else None,
        )
    )
    if replaces is not None:
        values["municipality_code"] = replaces.municipality_code
    return values


def _initial_from(order: EvacuationOrder, *, lift: bool = False) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "municipality_code": order.municipality_code,
        "level": 0 if lift else order.level,
        "hazard": order.hazard,
        "is_whole_municipality": "whole" if order.is_whole_municipality else "part",
        "districts": order.districts,
        "area_geojson": json.dumps(order.area_geojson, ensure_ascii=False)
        if order.area_geojson
        else "",
        "households": order.households,
        "people": order.people,
        "message_ja": order.message_ja,
        "message_easy_ja": order.message_easy_ja,
        "message_en": order.message_en,
        "is_exercise": order.is_exercise,
    }
    if lift:
        initial.update(
            selectors.default_messages(
                municipality_code=order.municipality_code,
                level=0,
                hazard=order.hazard,
                is_whole_municipality=order.is_whole_municipality,
                districts=order.district_list,
                has_polygon=bool(order.area_geojson),
                previous_level=order.level,
            )
        )
    return initial


@login_required
def order_new_view(request: HttpRequest) -> HttpResponse:
    user = authenticated_user(request)
    replaces: EvacuationOrder | None = None
    replaces_id = request.POST.get("replaces") or request.GET.get("replaces")
    if replaces_id:
        try:
            replaces = selectors.get_order(int(replaces_id))
        except (ValueError, EvacuationOrder.DoesNotExist):
            raise Http404(_("No such evacuation information.")) from None
        require_permission(
            user, selectors.DRAFT_PERMISSION, municipality_code=replaces.municipality_code
        )
    choices = selectors.list_municipality_choices(user=user, permission=selectors.DRAFT_PERMISSION)
    if not choices:
        raise PermissionDenied(selectors.DRAFT_PERMISSION)
    form_kwargs: dict[str, Any] = {"municipality_choices": choices, "replaces": replaces}
    if request.method == "POST":
        if request.POST.get("action") == "fill":
            form = OrderForm(initial=_fill_defaults(request.POST, replaces=replaces), **form_kwargs)
            return _form_page(request, form, order=None, replaces=replaces)
        data = request.POST.copy()
        if replaces is not None:
            data["municipality_code"] = replaces.municipality_code
        form = OrderForm(data, **form_kwargs)
        if form.is_valid():
            try:
                order = services.draft_evacuation_order(
                    actor=user, content=form.content(), replaces=replaces, request=request
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The draft was saved. Check the preview, then submit it for approval."),
                )
                return redirect("disaster:evacuation-detail", order_id=order.pk)
        return _form_page(request, form, order=None, replaces=replaces, status=400)
    if replaces is not None:
        initial = _initial_from(replaces, lift=request.GET.get("lift") == "1")
    else:
        initial = _fill_defaults(
            {
                "municipality_code": request.GET.get("municipality") or choices[0][0],
                "level": request.GET.get("level") or "4",
                "hazard": request.GET.get("hazard") or Hazard.HEAVY_RAIN,
                "is_whole_municipality": "whole",
            },
            replaces=None,
        )
    form = OrderForm(initial=initial, **form_kwargs)
    return _form_page(request, form, order=None, replaces=replaces)


@login_required
def order_edit_view(request: HttpRequest, order_id: int) -> HttpResponse:
    user = authenticated_user(request)
    order = _order_or_404(order_id)
    require_permission(user, selectors.DRAFT_PERMISSION, municipality_code=order.municipality_code)
    if order.drafted_by_id != user.pk:
        raise PermissionDenied(_("Only the staff member who drafted an order can edit it."))
    if order.state not in (EvacuationOrder.State.DRAFT, EvacuationOrder.State.REJECTED):
        messages.error(request, _("Only a draft or a rejected order can be edited."))
        return redirect("disaster:evacuation-detail", order_id=order.pk)
    names = selectors.municipality_names(order.municipality_code)
    form_kwargs: dict[str, Any] = {
        "municipality_choices": [(order.municipality_code, names.ja)],
        "replaces": order.replaces,
    }
    if request.method == "POST":
        if request.POST.get("action") == "fill":
            values = _fill_defaults(request.POST, replaces=order.replaces)
            values["municipality_code"] = order.municipality_code
            form = OrderForm(initial=values, **form_kwargs)
            return _form_page(request, form, order=order, replaces=order.replaces)
        data = request.POST.copy()
        data["municipality_code"] = order.municipality_code
        form = OrderForm(data, **form_kwargs)
        if form.is_valid():
            try:
                services.edit_evacuation_order(
                    actor=user, order=order, content=form.content(), request=request
                )
            except ValidationError as error:
                _apply_errors(form, error)
            except services.EvacuationOrderError as error:
                messages.error(request, str(error))
                return redirect("disaster:evacuation-detail", order_id=order.pk)
            else:
                messages.success(request, _("The draft was saved."))
                return redirect("disaster:evacuation-detail", order_id=order.pk)
        return _form_page(request, form, order=order, replaces=order.replaces, status=400)
    form = OrderForm(initial=_initial_from(order), **form_kwargs)
    return _form_page(request, form, order=order, replaces=order.replaces)


@login_required
def order_detail_view(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order_or_404(order_id)
    _require_view(request, order)
    user = request.user
    code = order.municipality_code
    is_drafter = order.drafted_by_id == user.pk
    can_draft = has_permission(user, selectors.DRAFT_PERMISSION, municipality_code=code)
    can_approve = (
        has_permission(user, selectors.APPROVE_PERMISSION, municipality_code=code)
        and not is_drafter
    )
    return render(
        request,
        "disaster/evacuation/detail.html",
        {
            "order": order,
            "preview": selectors.order_preview(order),
            "history": selectors.list_order_history(order),
            "chain": selectors.list_chain(order),
            "is_drafter": is_drafter,
            "can_edit": is_drafter
            and can_draft
            and order.state in (EvacuationOrder.State.DRAFT, EvacuationOrder.State.REJECTED),
            "can_submit": is_drafter and can_draft and order.state == EvacuationOrder.State.DRAFT,
            "can_withdraw": is_drafter
            and can_draft
            and order.state == EvacuationOrder.State.PENDING,
            "can_decide": can_approve and order.state == EvacuationOrder.State.PENDING,
            "waits_for_other": is_drafter and order.state == EvacuationOrder.State.PENDING,
            "can_replace": can_draft
            and order.state == EvacuationOrder.State.PUBLISHED
            and not order.is_lift,
            "can_export": has_permission(user, selectors.EXPORT_PERMISSION, municipality_code=code)
            and order.state in (EvacuationOrder.State.PUBLISHED, EvacuationOrder.State.SUPERSEDED),
            "reject_form": RejectForm(),
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


def _step(request: HttpRequest, order: EvacuationOrder, step: str) -> None:
    """Run one workflow step; a step that cannot happen now becomes an error message."""
    user = authenticated_user(request)
    try:
        if step == "submit":
            services.submit_evacuation_order(actor=user, order=order, request=request)
            messages.success(request, _("Submitted. A second staff member must now approve it."))
        elif step == "withdraw":
            services.withdraw_evacuation_order(actor=user, order=order, request=request)
            messages.success(request, _("Withdrawn: the order is a draft again."))
        elif step == "approve":
            alert = services.approve_evacuation_order(actor=user, order=order, request=request)
            if alert.is_public:
                messages.success(request, _("Approved and published to residents."))
            else:
                messages.success(request, _("Approved and published as an exercise."))
        elif step == "reject":
            form = RejectForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Say why the order is rejected."))
                return
            services.reject_evacuation_order(
                actor=user, order=order, reason=form.cleaned_data["reason"], request=request
            )
            messages.success(request, _("Rejected; the drafter has been told why."))
    except services.EvacuationOrderError as error:
        messages.error(request, str(error))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))


@login_required
@require_POST
def order_step_view(request: HttpRequest, order_id: int, step: str) -> HttpResponse:
    if step not in ("submit", "withdraw", "approve", "reject"):
        raise Http404(step)
    order = _order_or_404(order_id)
    _require_view(request, order)
    _step(request, order, step)
    return redirect("disaster:evacuation-detail", order_id=order.pk)
