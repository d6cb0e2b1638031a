"""Writes of evacuation information: draft, edit, submit, approve (publish) or reject.

Two-person rule: the staff member who drafted an order can never approve it (checked here and by
the database constraint disaster_evacuation_approver_is_not_drafter). Publishing is a conditional
UPDATE pending → published, so of two approvers acting at the same moment exactly one publishes.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shapely
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import shape

from kurashi.core.audit import record_audit
from kurashi.core.demo import ensure_demo_account
from kurashi.core.geo import boundary_index
from kurashi.core.models import Municipality, Organisation, Role, User
from kurashi.core.permissions import has_permission
from kurashi.core.services import RoleSpec, add_membership, ensure_role
from kurashi.modules.disaster.models import Alert, EvacuationOrder, Hazard
from kurashi.modules.disaster.selectors.evacuation import (
    APPROVE_PERMISSION,
    DRAFT_PERMISSION,
    area_description_ja,
    municipality_names,
    public_texts,
)
from kurashi.modules.disaster.services.alerts import record_alert

# A drawn area may overlap the (simplified, ~100 m) municipal boundary by this much, in degrees
# (about 500 m at Saga's latitude): staff draw by hand on a map.
AREA_TOLERANCE_DEGREES = 0.005
MAX_AREA_VERTICES = 5000
MAX_AREA_JSON_CHARS = 500_000


class EvacuationOrderError(Exception):
    """A workflow step that cannot happen now (e.g. the order was already approved)."""


@dataclass(frozen=True)
class OrderContent:
    """What a drafter writes; validated by validate_order_content()."""

    municipality_code: str
    level: int
    hazard: str
    is_whole_municipality: bool
    districts: str = ""
    area_geojson: dict[str, Any] | None = None
    households: int | None = None
    people: int | None = None
    message_ja: str = ""
    message_easy_ja: str = ""
    message_en: str = ""
    is_exercise: bool = False


def parse_area_geojson(raw: str | dict[str, Any] | None) -> dict[str, Any] | None:
    """GeoJSON text or object → a Polygon/MultiPolygon geometry dict (a Feature or a
    FeatureCollection of one feature is unwrapped); None when empty."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, str):
        if len(raw) > MAX_AREA_JSON_CHARS:
            raise ValidationError(
                _("The drawn area is too large (more than %(limit)s characters of GeoJSON).")
                % {"limit": MAX_AREA_JSON_CHARS},
                code="area_too_large",
            )
        try:
            data = json.loads(raw)
        except ValueError as error:
            raise ValidationError(
                _("The drawn area is not valid GeoJSON: %(error)s") % {"error": error},
                code="area_not_json",
            ) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise ValidationError(_("The drawn area must be a GeoJSON object."), code="area_type")
    if data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise ValidationError(
                _("The drawn area must be one Polygon or MultiPolygon, not %(count)s features.")
                % {"count": len(features)},
                code="area_type",
            )
        data = features[0]
    if data.get("type") == "Feature":
        data = data.get("geometry") or {}
    if data.get("type") not in ("Polygon", "MultiPolygon"):
        raise ValidationError(
            _("The drawn area must be a GeoJSON Polygon or MultiPolygon, not %(type)s.")
            % {"type": data.get("type") or _("nothing")},
            code="area_type",
        )
    return {"type": data["type"], "coordinates": data.get("coordinates")}


def validate_area_geojson(geometry: dict[str, Any], *, municipality_code: str) -> None:
    """The polygon is well formed and lies inside the municipality (with a tolerance)."""
    try:
        polygon = shape(geometry)
    except Exception:  # shapely raises several types for malformed coordinates
        raise ValidationError(
            _(
                "The drawn area has malformed coordinates (expected rings of [longitude, latitude] pairs)."
            ),
            code="area_coordinates",
        ) from None
    if polygon.is_empty:
        raise ValidationError(_("The drawn area is empty."), code="area_empty")
    if shapely.get_num_coordinates(polygon) > MAX_AREA_VERTICES:
        raise ValidationError(
            _("The drawn area has more than %(limit)s points; simplify it.")
            % {"limit": MAX_AREA_VERTICES},
            code="area_too_large",
        )
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ValidationError(
            _("The drawn area's coordinates are not longitude/latitude (WGS84)."),
            code="area_coordinates",
        )
    if not polygon.is_valid:
        raise ValidationError(
            _("The drawn area crosses itself: %(reason)s")
            % {"reason": shapely.is_valid_reason(polygon)},
            code="area_invalid",
        )
    if polygon.area == 0:
        raise ValidationError(_("The drawn area is empty."), code="area_empty")
    boundary = boundary_index().geometry_of(municipality_code)
    if boundary is None:
        raise ValidationError(
            _("No boundary is known for municipality %(code)s.") % {"code": municipality_code},
            code="area_no_boundary",
        )
    if not boundary.buffer(AREA_TOLERANCE_DEGREES).contains(polygon):
        outside = polygon.difference(boundary).area / polygon.area
        raise ValidationError(
            _(
                "The drawn area is not inside %(name)s: %(percent)s%% of it lies outside the "
                "municipality's boundary."
            )
            % {
                "name": municipality_names(municipality_code).ja,
                "percent": f"{outside * 100:.0f}",
            },
            code="area_outside",
        )


def validate_order_content(
    content: OrderContent, *, replaces: EvacuationOrder | None
) -> dict[str, Any]:
    """Field values ready for the model, or ValidationError with a message per field."""
    errors: dict[str, list[str]] = {}
    if not Municipality.objects.filter(code=content.municipality_code).exists():
        errors.setdefault("municipality_code", []).append(_("Choose a municipality."))
    if content.level not in EvacuationOrder.Level.values:
        errors.setdefault("level", []).append(_("Choose a level."))
    if content.hazard not in Hazard.values:
        errors.setdefault("hazard", []).append(_("Choose a hazard."))
    if not content.message_ja.strip():
        errors.setdefault("message_ja", []).append(_("The Japanese message is required."))
    districts = "\n".join(line.strip() for line in content.districts.splitlines() if line.strip())
    geometry = content.area_geojson
    if content.level == EvacuationOrder.Level.LIFTED and replaces is None:
        errors.setdefault("level", []).append(
            _("解除 (lifting) needs the published order it lifts.")
        )
    if replaces is not None:
        if replaces.municipality_code != content.municipality_code:
            errors.setdefault("municipality_code", []).append(
                _("An order can only update or lift an order of the same municipality.")
            )
        if replaces.state != EvacuationOrder.State.PUBLISHED:
            errors.setdefault("replaces", []).append(
                _("Only an order in force can be updated or lifted; this one is %(state)s.")
                % {"state": replaces.get_state_display()}
            )
        if replaces.level == EvacuationOrder.Level.LIFTED:
            errors.setdefault("replaces", []).append(_("A lifted order cannot be updated."))
        if replaces.is_exercise != content.is_exercise:
            errors.setdefault("is_exercise", []).append(
                _("An update must keep the exercise flag of the order it replaces.")
            )
    if content.is_whole_municipality:
        districts, geometry = "", None
    elif not districts and geometry is None:
        errors.setdefault("districts", []).append(
            _("Name at least one district or draw the area, or choose the whole municipality.")
        )
    if geometry is not None and "municipality_code" not in errors:
        try:
            validate_area_geojson(geometry, municipality_code=content.municipality_code)
        except ValidationError as error:
            errors.setdefault("area_geojson", []).extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return {
        "municipality_code": content.municipality_code,
        "level": content.level,
        "hazard": content.hazard,
        "is_whole_municipality": content.is_whole_municipality,
        "districts": districts,
        "area_geojson": geometry,
        "households": content.households,
        "people": content.people,
        "message_ja": content.message_ja.strip(),
        "message_easy_ja": content.message_easy_ja.strip(),
        "message_en": content.message_en.strip(),
        "is_exercise": content.is_exercise,
    }


def _audit(
    *,
    actor: User,
    action: str,
    order: EvacuationOrder,
    request: HttpRequest | None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_audit(
        actor=actor,
        action=f"disaster.evacuation.{action}",
        obj=order,
        municipality_code=order.municipality_code,
        request=request,
        detail={"level": order.level, "state": order.state, **(detail or {})},
    )


def _require(user: User, permission: str, municipality_code: str) -> None:
    if not has_permission(user, permission, municipality_code=municipality_code):
        raise PermissionDenied(permission)


def draft_evacuation_order(
    *,
    actor: User,
    content: OrderContent,
    replaces: EvacuationOrder | None = None,
    request: HttpRequest | None = None,
) -> EvacuationOrder:
    """Save a new draft (state draft). `replaces`: the published order it updates or lifts."""
    _require(actor, DRAFT_PERMISSION, content.municipality_code)
    if replaces is not None:
        _require(actor, DRAFT_PERMISSION, replaces.municipality_code)
    values = validate_order_content(content, replaces=replaces)
    with transaction.atomic():
        order = EvacuationOrder(
            **values,
            replaces=replaces,
            chain_root_id=replaces.chain_root_pk if replaces else None,
            drafted_by=actor,
        )
        order.full_clean(exclude=["replaces", "chain_root", "drafted_by"])
        order.save()
        _audit(
            actor=actor,
            action="draft",
            order=order,
            request=request,
            detail={"replaces": replaces.pk if replaces else None},
        )
    return order


def edit_evacuation_order(
    *,
    actor: User,
    order: EvacuationOrder,
    content: OrderContent,
    request: HttpRequest | None = None,
) -> EvacuationOrder:
    """Change a draft or a rejected order (it becomes a draft again). Only its drafter may."""
    _require(actor, DRAFT_PERMISSION, order.municipality_code)
    if order.drafted_by_id != actor.pk:
        raise PermissionDenied(_("Only the staff member who drafted an order can edit it."))
    if content.municipality_code != order.municipality_code:
        raise ValidationError(
            {"municipality_code": [_("The municipality of an order cannot be changed.")]}
        )
    values = validate_order_content(content, replaces=order.replaces)
    with transaction.atomic():
        editable = (EvacuationOrder.State.DRAFT, EvacuationOrder.State.REJECTED)
        changed = EvacuationOrder.objects.filter(pk=order.pk, state__in=editable).update(
            **values, state=EvacuationOrder.State.DRAFT, updated_at=timezone.now()
        )
        if changed != 1:
            raise EvacuationOrderError(
                _("This order can no longer be edited: it was submitted or decided meanwhile.")
            )
        order.refresh_from_db()
        _audit(actor=actor, action="edit", order=order, request=request)
    return order


def submit_evacuation_order(
    *, actor: User, order: EvacuationOrder, request: HttpRequest | None = None
) -> EvacuationOrder:
    """draft → pending: ask a second staff member to approve."""
    _require(actor, DRAFT_PERMISSION, order.municipality_code)
    if order.drafted_by_id != actor.pk:
        raise PermissionDenied(_("Only the staff member who drafted an order can submit it."))
    with transaction.atomic():
        changed = EvacuationOrder.objects.filter(
            pk=order.pk, state=EvacuationOrder.State.DRAFT
        ).update(state=EvacuationOrder.State.PENDING, submitted_at=timezone.now())
        if changed != 1:
            raise EvacuationOrderError(_("Only a draft can be submitted for approval."))
        order.refresh_from_db()
        _audit(actor=actor, action="submit", order=order, request=request)
    return order


def withdraw_evacuation_order(
    *, actor: User, order: EvacuationOrder, request: HttpRequest | None = None
) -> EvacuationOrder:
    """pending → draft: the drafter takes an order back before anyone decided on it."""
    _require(actor, DRAFT_PERMISSION, order.municipality_code)
    if order.drafted_by_id != actor.pk:
        raise PermissionDenied(_("Only the staff member who drafted an order can withdraw it."))
    with transaction.atomic():
        changed = EvacuationOrder.objects.filter(
            pk=order.pk, state=EvacuationOrder.State.PENDING
        ).update(state=EvacuationOrder.State.DRAFT, submitted_at=None)
        if changed != 1:
            raise EvacuationOrderError(_("Only an order waiting for approval can be withdrawn."))
        order.refresh_from_db()
        _audit(actor=actor, action="withdraw", order=order, request=request)
    return order


def _check_approver(actor: User, order: EvacuationOrder) -> None:
    _require(actor, APPROVE_PERMISSION, order.municipality_code)
    if order.drafted_by_id == actor.pk:
        raise PermissionDenied(
            _("You drafted this order: a second staff member must approve or reject it.")
        )


@transaction.atomic
def approve_evacuation_order(
    *, actor: User, order: EvacuationOrder, request: HttpRequest | None = None
) -> Alert:
    """pending → published, by a second staff member; records the public Alert revision (Alert,
    Update, or Cancel for 解除) and supersedes the order it replaces. Returns the Alert."""
    _check_approver(actor, order)
    now = timezone.now()
    # The conditional UPDATE is the lock: of two approvers at the same moment one changes the row,
    # the other changes nothing and stops here (SQLite serialises writers; PostgreSQL re-checks
    # the WHERE clause after the first transaction commits).
    published = (
        EvacuationOrder.objects.filter(pk=order.pk, state=EvacuationOrder.State.PENDING)
        .exclude(drafted_by=actor)
        .update(state=EvacuationOrder.State.PUBLISHED, approved_by=actor, published_at=now)
    )
    if published != 1:
        raise EvacuationOrderError(
            _("This order is no longer waiting for approval: someone else decided on it.")
        )
    order.refresh_from_db()
    replaced = order.replaces
    if replaced is not None:
        superseded = EvacuationOrder.objects.filter(
            pk=replaced.pk, state=EvacuationOrder.State.PUBLISHED
        ).update(state=EvacuationOrder.State.SUPERSEDED, superseded_at=now)
        if superseded != 1:
            # Raising rolls the publication back: the order stays pending.
            raise EvacuationOrderError(
                _(
                    "The order this one replaces is no longer in force (it was updated or lifted "
                    "meanwhile); reject this order and draft a new one."
                )
            )
    names = municipality_names(order.municipality_code)
    alert = record_alert(
        source=Alert.Source.EVACUATION,
        event_key=order.event_key,
        identifier=order.alert_identifier,
        status=Alert.Status.EXERCISE if order.is_exercise else Alert.Status.ACTUAL,
        sent=now,
        effective=now,
        hazard=order.hazard,
        area_levels={order.municipality_code: order.level},
        texts=public_texts(order),
        sender_name_ja=names.ja,
        cancel=order.is_lift,
        evacuation_order=order,
        area_geojson=order.area_geojson,
        area_description_ja=area_description_ja(order, names=names),
    )
    _audit(
        actor=actor,
        action="approve",
        order=order,
        request=request,
        detail={
            "alert": alert.identifier,
            "msg_type": alert.msg_type,
            "replaces": replaced.pk if replaced else None,
        },
    )
    return alert


def reject_evacuation_order(
    *, actor: User, order: EvacuationOrder, reason: str, request: HttpRequest | None = None
) -> EvacuationOrder:
    """pending → rejected with a reason the drafter reads; they may edit and submit again."""
    _check_approver(actor, order)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the order is rejected.")]})
    with transaction.atomic():
        changed = (
            EvacuationOrder.objects.filter(pk=order.pk, state=EvacuationOrder.State.PENDING)
            .exclude(drafted_by=actor)
            .update(
                state=EvacuationOrder.State.REJECTED,
                rejected_by=actor,
                rejected_at=timezone.now(),
                rejection_reason=reason[:2000],
            )
        )
        if changed != 1:
            raise EvacuationOrderError(
                _("This order is no longer waiting for approval: someone else decided on it.")
            )
        order.refresh_from_db()
        _audit(
            actor=actor, action="reject", order=order, request=request, detail={"reason": reason}
        )
    return order


# --- demo data ------------------------------------------------------------------------------

DEMO_ROLES = (
    RoleSpec(
        "evacuation-drafter",
        "避難情報 起案者",
        "Evacuation information drafter",
        (DRAFT_PERMISSION, "disaster.export_lalert"),
        "Drafts evacuation information (高齢者等避難, 避難指示, 緊急安全確保, 解除) for approval.",
    ),
    RoleSpec(
        "evacuation-approver",
        "避難情報 承認者",
        "Evacuation information approver",
        (DRAFT_PERMISSION, APPROVE_PERMISSION, "disaster.export_lalert"),
        "Approves and publishes evacuation information drafted by another staff member.",
    ),
)
# username, display name (new accounts only), organisation slug, role code
DEMO_MEMBERSHIPS = (
    ("saga-city-staff", "", "municipality-412015", "evacuation-drafter"),
    ("karatsu-staff", "", "municipality-412023", "evacuation-drafter"),
    ("bousai-staff", "", "pref-fire-and-disaster-prevention-division", "evacuation-approver"),
    ("saga-city-chief", "佐賀市 防災課長", "municipality-412015", "evacuation-approver"),
)


@transaction.atomic
def load_evacuation_demo(progress: Callable[[int, int], None]) -> int:
    """Roles evacuation-drafter / evacuation-approver and the demo memberships; the extra demo
    account saga-city-chief gets the shared demo password (idempotent)."""
    steps = len(DEMO_ROLES) + len(DEMO_MEMBERSHIPS)
    roles = {}
    for done, spec in enumerate(DEMO_ROLES, start=1):
        roles[spec.code] = ensure_role(spec)
        progress(done, steps)
    staff_role = Role.objects.filter(code="staff").first()
    for done, (username, display_name, slug, role_code) in enumerate(
        DEMO_MEMBERSHIPS, start=len(DEMO_ROLES) + 1
    ):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            progress(done, steps)
            continue
        user = User.objects.filter(username=username).first()
        if user is None and display_name:
            user = ensure_demo_account(username=username, display_name=display_name)
            if staff_role is not None:
                add_membership(actor=None, user=user, organisation=organisation, role=staff_role)
        if user is not None:
            add_membership(actor=None, user=user, organisation=organisation, role=roles[role_code])
        progress(done, steps)
    return steps
