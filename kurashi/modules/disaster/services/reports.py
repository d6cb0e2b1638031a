"""Writes of field reports: submission (with photo re-encoding), moderation, merging, demo data.

Where a report is (documented for residents on the form, for operators in the report):
  1. latitude + longitude given (browser location, a pin, or typed) → that point;
  2. else, with the reporter's consent, the GPS position recorded in the photo;
  3. else the chosen municipality plus a described place: the position is a point inside the
     municipality (shapely's representative point), flagged approximate everywhere it is shown.
The municipality is always the one the point lies in (kurashi.core.geo); outside Saga → error.
"""

import hashlib
import hmac
import io
import json
import secrets
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from kurashi.core.audit import record_audit
from kurashi.core.geo import boundary_index, municipality_at
from kurashi.core.models import Membership, Municipality, Organisation, User
from kurashi.core.permissions import require_permission
from kurashi.core.services import RoleSpec, add_membership, ensure_role
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.selectors.reports import (
    OPEN_FOR_MERGE as OPEN_FOR_MERGE,
)
from kurashi.modules.disaster.selectors.reports import count_recent_submissions

MODERATE = "disaster.moderate_report"
TEXT_MIN_LENGTH = 10
TEXT_MAX_LENGTH = 2000
QUANTITY_MAX = 1_000_000
JPEG_QUALITY = 85
READABLE_FORMATS = ("JPEG", "PNG", "WEBP")  # JPEG includes MPO (multi-picture) files
DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "reports"

State = FieldReport.State


# --- settings (read at call time) --------------------------------------------------------------


def photo_max_bytes() -> int:
    return int(getattr(settings, "DISASTER_REPORT_PHOTO_MAX_BYTES", 10 * 1024 * 1024))


def photo_max_dimension() -> int:
    return int(getattr(settings, "DISASTER_REPORT_PHOTO_MAX_DIMENSION", 2048))


def photo_max_pixels() -> int:
    return int(getattr(settings, "DISASTER_REPORT_PHOTO_MAX_PIXELS", 60_000_000))


def rate_limit() -> tuple[int, int]:
    """(reports, seconds): at most this many reports per client address per window."""
    return (
        int(getattr(settings, "DISASTER_REPORT_RATE_LIMIT", 5)),
        int(getattr(settings, "DISASTER_REPORT_RATE_WINDOW_SECONDS", 600)),
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


# --- the submission form (shared by the HTML page and the JSON API) ----------------------------


def _clean_plain_text(value: str) -> str:
    """Report text is plain text: kept as typed (HTML is just characters, escaped on every
    output), with line breaks normalised and control characters removed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in value if ch in "\n\t" or ch.isprintable()).strip()


class ReportForm(forms.Form):
    """Parses a submission. What the values mean together (position, photo) is checked by
    submit_report, so the page and the API give the same answers."""

    category = forms.ChoiceField(
        label=gettext_lazy("What happened?"), choices=FieldReport.Category.choices
    )
    text = forms.CharField(
        label=gettext_lazy("Description"),
        help_text=gettext_lazy(
            "What you see, and where exactly. 10 to 2,000 characters. Do not write other people's names."
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=TEXT_MAX_LENGTH,
    )
    photo = forms.FileField(
        label=gettext_lazy("Photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    keeps_photo_location = forms.BooleanField(
        label=gettext_lazy(
            "Keep the location recorded in the photo, and use it as the report's position when I give no other."
        ),
        help_text=gettext_lazy(
            "Without this, all camera data (EXIF) including the location is removed from the photo."
        ),
        required=False,
    )
    latitude = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    location_source = forms.ChoiceField(
        choices=[
            (choice.value, choice.label)
            for choice in (
                FieldReport.LocationSource.GPS,
                FieldReport.LocationSource.MAP,
                FieldReport.LocationSource.TYPED,
            )
        ],
        required=False,
        widget=forms.HiddenInput,
    )
    municipality = forms.ChoiceField(
        label=gettext_lazy("Municipality"),
        help_text=gettext_lazy("Choose it if you cannot give coordinates."),
        required=False,
    )
    place_description = forms.CharField(
        label=gettext_lazy("Place"),
        help_text=gettext_lazy(
            "A landmark, address or crossing. Needed when you give no coordinates."
        ),
        max_length=200,
        required=False,
    )
    people_affected = forms.IntegerField(
        label=gettext_lazy("People affected (optional)"),
        min_value=0,
        max_value=QUANTITY_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    houses_damaged = forms.IntegerField(
        label=gettext_lazy("Houses damaged (optional)"),
        min_value=0,
        max_value=QUANTITY_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reporter_contact = forms.CharField(
        label=gettext_lazy("Your phone number or e-mail (optional)"),
        help_text=gettext_lazy(
            "Only municipal staff see it, to ask you about the report. It is never published."
        ),
        max_length=200,
        required=False,
    )
    # Honeypot: hidden from people (display: none), filled in by form-filling bots.
    website = forms.CharField(label=gettext_lazy("Leave this field empty"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        municipality = cast(forms.ChoiceField, self.fields["municipality"])
        municipality.choices = [("", _("— Choose —"))] + [
            (m.code, m.name_ja if _is_japanese() else m.name_en or m.name_ja)
            for m in Municipality.objects.order_by("code")
        ]
        self.fields["photo"].help_text = _("JPEG, PNG or WebP, at most %(limit)s MB.") % {
            "limit": megabytes(photo_max_bytes())
        }
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_text(self) -> str:
        text = _clean_plain_text(self.cleaned_data["text"])
        if len(text) < TEXT_MIN_LENGTH:
            raise ValidationError(
                _("Please describe what happened in at least %(count)d characters.")
                % {"count": TEXT_MIN_LENGTH},
                code="too_short",
            )
        return text

    def clean_place_description(self) -> str:
        return _clean_plain_text(self.cleaned_data["place_description"]).replace("\n", " ")

    def clean_reporter_contact(self) -> str:
        return _clean_plain_text(self.cleaned_data["reporter_contact"]).replace("\n", " ")

    def clean_photo(self) -> File[Any] | None:
        photo: File[Any] | None = self.cleaned_data.get("photo")
        if photo:
            check_photo_size(photo.size or 0)
        return photo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("website"):
            raise ValidationError(
                _(
                    "Your report could not be accepted: the field “Leave this field empty” was filled in."
                ),
                code="honeypot",
            )
        return cleaned

    def submission(self) -> dict[str, Any]:
        """Keyword arguments for submit_report from the cleaned data."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "text": data["text"],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "location_source": data.get("location_source") or FieldReport.LocationSource.TYPED,
            "municipality_code": data.get("municipality") or "",
            "place_description": data.get("place_description") or "",
            "photo": data.get("photo"),
            "keeps_photo_location": bool(data.get("keeps_photo_location")),
            "people_affected": data.get("people_affected"),
            "houses_damaged": data.get("houses_damaged"),
            "reporter_contact": data.get("reporter_contact") or "",
        }


def _is_japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


# --- upload limits -----------------------------------------------------------------------------

# Room for the form fields around the photo before a body is refused unread.
FORM_OVERHEAD_BYTES = 512 * 1024


class PhotoSizeLimit(FileUploadHandler):
    """Stops storing an uploaded file once it passes the photo limit, so a request without a
    Content-Length (chunked) cannot make us keep more than the limit either."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False
        self.received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def body_too_large(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > photo_max_bytes() + FORM_OVERHEAD_BYTES


# --- photos ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessedPhoto:
    content: bytes
    extension: str  # "jpg" or "webp"
    width: int
    height: int
    location: tuple[float, float] | None  # (lat, lon) read from EXIF GPS, whatever the consent


def check_photo_size(size: int) -> None:
    limit = photo_max_bytes()
    if size > limit:
        raise ValidationError(
            _("The photo is too large (%(size)s MB). The limit is %(limit)s MB.")
            % {"size": megabytes(size), "limit": megabytes(limit)},
            code="photo_too_large",
        )


def _degrees(value: Any) -> float:
    degrees, minutes, seconds = (float(Fraction(str(part))) for part in value)
    return degrees + minutes / 60 + seconds / 3600


def _exif_location(exif: Image.Exif) -> tuple[float, float] | None:
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    try:
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude])
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude])
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if str(gps.get(ExifTags.GPS.GPSLatitudeRef, "N")).upper().startswith("S"):
        latitude = -latitude
    if str(gps.get(ExifTags.GPS.GPSLongitudeRef, "E")).upper().startswith("W"):
        longitude = -longitude
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _location_exif(exif: Image.Exif) -> Image.Exif:
    """A new EXIF block holding only the GPS position tags (no time, device or direction)."""
    kept = Image.Exif()
    source = exif.get_ifd(ExifTags.IFD.GPSInfo)
    target = kept.get_ifd(ExifTags.IFD.GPSInfo)
    for tag in (
        ExifTags.GPS.GPSVersionID,
        ExifTags.GPS.GPSLatitudeRef,
        ExifTags.GPS.GPSLatitude,
        ExifTags.GPS.GPSLongitudeRef,
        ExifTags.GPS.GPSLongitude,
    ):
        if tag in source:
            target[tag] = source[tag]
    return kept


def process_photo(upload: File[Any], *, keep_location: bool) -> ProcessedPhoto:
    """Re-encode an uploaded photo: size and pixel limits, orientation applied, at most
    photo_max_dimension() px, JPEG (WebP when it has transparency), every metadata block dropped
    (EXIF, XMP, comments) except — with consent — the GPS position."""
    check_photo_size(upload.size or 0)
    not_a_photo = ValidationError(
        _("This file is not a photo we can read. Please send a JPEG, PNG or WebP image."),
        code="photo_invalid",
    )
    limit = photo_max_pixels()
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(upload, formats=READABLE_FORMATS)
            if image.width * image.height > limit:
                raise Image.DecompressionBombError(f"{image.width}x{image.height}")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _(
                "The photo has too many pixels to process (the limit is %(limit)s megapixels). Please send a smaller photo."
            )
            % {"limit": limit // 1_000_000},
            code="photo_too_many_pixels",
        ) from None
    except UnidentifiedImageError:
        raise not_a_photo from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("The photo file is damaged or incomplete. Please send it again."),
            code="photo_damaged",
        ) from None

    exif = image.getexif()
    location = _exif_location(exif)
    icc_profile = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)  # the EXIF orientation is about to go
    has_alpha = image.mode in {"RGBA", "LA", "PA"} or (
        image.mode == "P" and "transparency" in image.info
    )
    image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((photo_max_dimension(), photo_max_dimension()), Image.Resampling.LANCZOS)
    image.info = {}  # Pillow would otherwise carry comments and XMP over into the new file
    options: dict[str, Any] = {}
    if icc_profile:
        options["icc_profile"] = icc_profile
    if keep_location and location is not None:
        options["exif"] = _location_exif(exif)
    output = io.BytesIO()
    if has_alpha:
        image.save(output, "WEBP", quality=JPEG_QUALITY, **options)
        extension = "webp"
    else:
        image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, **options)
        extension = "jpg"
    return ProcessedPhoto(
        content=output.getvalue(),
        extension=extension,
        width=image.width,
        height=image.height,
        location=location,
    )


# --- submission --------------------------------------------------------------------------------


class ReportRateLimitError(Exception):
    """Too many reports from one client address; nothing was stored."""

    def __init__(self, *, limit: int, window_seconds: int) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return _(
            "You have sent %(limit)d reports in the last %(minutes)d minutes, the most we accept from one connection. Please wait a few minutes and send it again."
        ) % {"limit": self.limit, "minutes": max(1, self.window_seconds // 60)}


@dataclass(frozen=True)
class SubmittedReport:
    report: FieldReport
    receipt_token: str  # shown to the reporter once; only its hash is stored


def hash_receipt_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_fingerprint(client_address: str | None) -> str:
    if not client_address:
        return ""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"report:{client_address}".encode(), hashlib.sha256
    ).hexdigest()


def _is_staff(user: User | None) -> bool:
    return user is not None and Membership.objects.filter(user=user).exists()


def _check_rate_limit(*, fingerprint: str) -> None:
    limit, window = rate_limit()
    if not fingerprint or limit <= 0:
        return
    since = timezone.now() - timedelta(seconds=window)
    if count_recent_submissions(fingerprint=fingerprint, since=since) >= limit:
        raise ReportRateLimitError(limit=limit, window_seconds=window)


def _outside_saga() -> str:
    return _(
        "This position is outside Saga Prefecture. Reports can only be made for places in the prefecture's 20 municipalities."
    )


def _resolve_position(
    *,
    latitude: float | None,
    longitude: float | None,
    location_source: str,
    municipality_code: str,
    place_description: str,
    photo_location: tuple[float, float] | None,
    errors: dict[str, list[str]],
) -> tuple[float, float, str, str] | None:
    """(lat, lon, source, municipality code) following the rules in the module docstring."""
    if (latitude is None) != (longitude is None):
        field = "longitude" if longitude is None else "latitude"
        errors.setdefault(field, []).append(_("Give both latitude and longitude, or neither."))
        return None
    if latitude is not None and longitude is not None:
        ref = municipality_at(latitude, longitude)
        if ref is None:
            errors.setdefault("latitude", []).append(_outside_saga())
            return None
        source = location_source if location_source in {"gps", "map", "typed"} else "typed"
        return latitude, longitude, source, ref.code
    if photo_location is not None:
        ref = municipality_at(*photo_location)
        if ref is None:
            errors.setdefault("photo", []).append(
                _("The location recorded in the photo is outside Saga Prefecture.")
            )
            return None
        return (*photo_location, FieldReport.LocationSource.PHOTO, ref.code)
    if municipality_code:
        geometry = boundary_index().geometry_of(municipality_code)
        if geometry is None:
            errors.setdefault("municipality", []).append(_("Choose one of the 20 municipalities."))
            return None
        if not place_description:
            errors.setdefault("place_description", []).append(
                _(
                    "Describe the place (a landmark, address or crossing) when you give no coordinates."
                )
            )
            return None
        point = geometry.representative_point()
        return point.y, point.x, FieldReport.LocationSource.MUNICIPALITY, municipality_code
    errors.setdefault("latitude", []).append(
        _(
            "Tell us where: use your location, put a pin on the map, type the coordinates, or choose the municipality and describe the place."
        )
    )
    return None


def submit_report(
    *,
    category: str,
    text: str,
    latitude: float | None = None,
    longitude: float | None = None,
    location_source: str = FieldReport.LocationSource.TYPED,
    municipality_code: str = "",
    place_description: str = "",
    photo: File[Any] | None = None,
    keeps_photo_location: bool = False,
    people_affected: int | None = None,
    houses_damaged: int | None = None,
    reporter_contact: str = "",
    reporter: User | None = None,
    client_address: str | None = None,
) -> SubmittedReport:
    """Store a resident's or staff member's report as RECEIVED and return it with its receipt
    token. Raises ReportRateLimitError, or ValidationError (a dict by field) — then nothing is
    stored. Staff (any membership) are not rate-limited: they report from shared office
    addresses."""
    fingerprint = client_fingerprint(client_address)
    if not _is_staff(reporter):
        _check_rate_limit(fingerprint=fingerprint)

    errors: dict[str, list[str]] = {}
    processed: ProcessedPhoto | None = None
    if photo:
        try:
            processed = process_photo(photo, keep_location=keeps_photo_location)
        except ValidationError as error:
            errors.setdefault("photo", []).extend(error.messages)
    photo_location = processed.location if processed and keeps_photo_location else None
    position = _resolve_position(
        latitude=latitude,
        longitude=longitude,
        location_source=location_source,
        municipality_code=municipality_code,
        place_description=place_description,
        photo_location=photo_location,
        errors=errors,
    )
    text = _clean_plain_text(text)
    if len(text) < TEXT_MIN_LENGTH:
        errors.setdefault("text", []).append(
            _("Please describe what happened in at least %(count)d characters.")
            % {"count": TEXT_MIN_LENGTH}
        )
    if errors or position is None:
        raise ValidationError(errors)

    token = secrets.token_urlsafe(18)
    lat, lon, source, code = position
    report = FieldReport(
        category=category,
        text=text,
        latitude=lat,
        longitude=lon,
        location_source=source,
        municipality_code=code,
        place_description=place_description,
        keeps_photo_location=keeps_photo_location and processed is not None,
        people_affected=people_affected,
        houses_damaged=houses_damaged,
        combined_people_affected=people_affected,
        combined_houses_damaged=houses_damaged,
        reporter=reporter,
        reporter_contact=reporter_contact,
        submitter_fingerprint=fingerprint,
        receipt_token_hash=hash_receipt_token(token),
    )
    report.full_clean(exclude=["photo"])
    stored_name = ""
    try:
        with transaction.atomic():
            if processed is not None:
                report.photo.save(
                    f"photo.{processed.extension}", ContentFile(processed.content), save=False
                )
                stored_name = report.photo.name or ""
            report.save()
    except BaseException:
        if stored_name:
            report.photo.storage.delete(stored_name)
        raise
    return SubmittedReport(report=report, receipt_token=token)


# --- moderation --------------------------------------------------------------------------------

# action → (states it applies to, resulting state)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "verify": (frozenset({State.RECEIVED}), State.VERIFIED),
    "reject": (frozenset({State.RECEIVED, State.VERIFIED}), State.REJECTED),
    "publish": (frozenset({State.VERIFIED}), State.PUBLISHED),
    "unpublish": (frozenset({State.PUBLISHED}), State.VERIFIED),
    "reopen": (frozenset({State.REJECTED}), State.RECEIVED),
}


def available_actions(report: FieldReport) -> list[str]:
    return [action for action, (sources, _target) in TRANSITIONS.items() if report.state in sources]


def _locked(report_id: int) -> FieldReport:
    try:
        return FieldReport.objects.select_for_update().get(pk=report_id)
    except FieldReport.DoesNotExist:
        raise ValidationError(_("There is no report %(id)s.") % {"id": report_id}) from None


def _audit(
    *,
    actor: User,
    action: str,
    report: FieldReport,
    request: HttpRequest | None,
    detail: dict[str, Any],
) -> None:
    record_audit(
        actor=actor,
        action=f"disaster.report.{action}",
        obj=report,
        municipality_code=report.municipality_code,
        request=request,
        detail=detail,
    )


@transaction.atomic
def moderate_report(
    *,
    actor: User,
    report_id: int,
    action: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> FieldReport:
    """Move a report along received → verified / rejected → published (and back: unpublish,
    reopen). Only moderators of the report's municipality; audited with the note."""
    report = _locked(report_id)
    require_permission(actor, MODERATE, municipality_code=report.municipality_code)
    if action not in TRANSITIONS:
        raise ValidationError(_("Unknown moderation action “%(action)s”.") % {"action": action})
    sources, target = TRANSITIONS[action]
    if report.state not in sources:
        raise ValidationError(
            _("A report that is “%(state)s” cannot be changed this way.")
            % {"state": report.get_state_display()}
        )
    before = report.state
    note = _clean_plain_text(note)
    report.state = target
    report.moderated_by = actor
    report.moderated_at = timezone.now()
    if note:
        report.moderation_note = note
    if target == State.PUBLISHED:
        report.published_at = timezone.now()
    elif before == State.PUBLISHED:
        report.published_at = None
    report.full_clean(exclude=["photo"])
    report.save()
    _audit(
        actor=actor,
        action=action,
        report=report,
        request=request,
        detail={"from": before, "to": target, "note": note},
    )
    return report


def _recompute_combined(report: FieldReport) -> None:
    """combined_* = the maximum of the report's own figures and those of reports merged into it."""
    merged = report.merged_reports.aggregate(
        people=Max("people_affected"), houses=Max("houses_damaged")
    )
    people = [v for v in (report.people_affected, merged["people"]) if v is not None]
    houses = [v for v in (report.houses_damaged, merged["houses"]) if v is not None]
    report.combined_people_affected = max(people) if people else None
    report.combined_houses_damaged = max(houses) if houses else None
    report.save(update_fields=["combined_people_affected", "combined_houses_damaged"])


@transaction.atomic
def merge_report(
    *,
    actor: User,
    report_id: int,
    into_id: int,
    note: str = "",
    request: HttpRequest | None = None,
) -> FieldReport:
    """Mark report `report_id` as a duplicate of `into_id`: it becomes MERGED (no longer shown by
    itself), its photo is shown with the original, the original's public figures become the
    maximum over both, and reports already merged into the duplicate move to the original.
    Undo with unmerge_report. The moderator needs the permission for both municipalities."""
    if report_id == into_id:
        raise ValidationError(_("A report cannot be merged into itself."))
    first, second = sorted((report_id, into_id))  # lock in id order: no deadlock between merges
    locked = {first: _locked(first), second: _locked(second)}
    duplicate, original = locked[report_id], locked[into_id]
    require_permission(actor, MODERATE, municipality_code=duplicate.municipality_code)
    require_permission(actor, MODERATE, municipality_code=original.municipality_code)
    open_states = OPEN_FOR_MERGE
    if duplicate.state not in open_states or original.state not in open_states:
        raise ValidationError(
            _(
                "Only received, verified or published reports can be merged (report %(id)s is “%(state)s”)."
            )
            % (
                {"id": duplicate.pk, "state": duplicate.get_state_display()}
                if duplicate.state not in open_states
                else {"id": original.pk, "state": original.get_state_display()}
            )
        )
    moved = list(duplicate.merged_reports.values_list("pk", flat=True))
    FieldReport.objects.filter(pk__in=moved).update(merged_into=original)
    before = duplicate.state
    note = _clean_plain_text(note)
    duplicate.state_before_merge = before
    duplicate.state = State.MERGED
    duplicate.merged_into = original
    duplicate.published_at = None
    duplicate.moderated_by = actor
    duplicate.moderated_at = timezone.now()
    if note:
        duplicate.moderation_note = note
    duplicate.full_clean(exclude=["photo"])
    duplicate.save()
    _recompute_combined(duplicate)
    _recompute_combined(original)
    detail = {"from": before, "duplicate": duplicate.pk, "original": original.pk, "note": note}
    if moved:
        detail["also_moved"] = moved
    _audit(actor=actor, action="merge", report=duplicate, request=request, detail=detail)
    _audit(actor=actor, action="merge_received", report=original, request=request, detail=detail)
    return original


@transaction.atomic
def unmerge_report(
    *, actor: User, report_id: int, note: str = "", request: HttpRequest | None = None
) -> FieldReport:
    """Undo merge_report: the report returns to the state it had and the original's figures are
    recomputed. (Reports that were moved along with it stay with the original.)"""
    report = _locked(report_id)
    require_permission(actor, MODERATE, municipality_code=report.municipality_code)
    if report.state != State.MERGED or report.merged_into_id is None:
        raise ValidationError(_("This report is not merged into another report."))
    original = _locked(report.merged_into_id)
    require_permission(actor, MODERATE, municipality_code=original.municipality_code)
    restored = report.state_before_merge or State.RECEIVED
    if restored == State.PUBLISHED:
        restored = State.VERIFIED  # it must be published again on purpose
    report.state = restored
    report.state_before_merge = ""
    report.merged_into = None
    report.moderated_by = actor
    report.moderated_at = timezone.now()
    note = _clean_plain_text(note)
    if note:
        report.moderation_note = note
    report.full_clean(exclude=["photo"])
    report.save()
    _recompute_combined(report)
    _recompute_combined(original)
    detail = {"to": restored, "duplicate": report.pk, "original": original.pk, "note": note}
    _audit(actor=actor, action="unmerge", report=report, request=request, detail=detail)
    _audit(actor=actor, action="unmerge_received", report=original, request=request, detail=detail)
    return report


# --- demo data ---------------------------------------------------------------------------------

REPORT_MODERATOR_ROLE = RoleSpec(
    code="report-moderator",
    name_ja="被害報告モデレーター",
    name_en="Field report moderator",
    permissions=(MODERATE,),
    description="Checks, publishes, rejects and merges field reports of the municipality.",
)
DEMO_MODERATORS = (
    ("saga-city-staff", "municipality-412015"),
    ("karatsu-staff", "municipality-412023"),
)


@transaction.atomic
def load_demo_moderators(progress: Callable[[int, int], None]) -> int:
    """The report-moderator role, held by the demo staff of 佐賀市 and 唐津市 (idempotent)."""
    role = ensure_role(REPORT_MODERATOR_ROLE)
    done = 0
    for done, (username, slug) in enumerate(DEMO_MODERATORS, start=1):
        user = User.objects.filter(username=username).first()
        organisation = Organisation.objects.filter(slug=slug).first()
        if user is not None and organisation is not None:
            add_membership(actor=None, user=user, organisation=organisation, role=role)
        progress(done, len(DEMO_MODERATORS))
    return done


@transaction.atomic
def load_demo_reports(progress: Callable[[int, int], None]) -> int:
    """Demo reports from data/reports/demo_reports.json (invented examples at real Saga places),
    keyed by their demo key so a second run updates instead of duplicating."""
    entries = json.loads((DATA_DIR / "demo_reports.json").read_text(encoding="utf-8"))["reports"]
    now = timezone.now()
    for done, entry in enumerate(entries, start=1):
        ref = municipality_at(entry["latitude"], entry["longitude"])
        if ref is None:
            raise ValidationError(f"demo report {entry['key']} is outside Saga")
        created_at = now - timedelta(minutes=entry["minutes_ago"])
        published = entry["state"] == State.PUBLISHED
        defaults = {
            "category": entry["category"],
            "text": entry["text"],
            "latitude": entry["latitude"],
            "longitude": entry["longitude"],
            "location_source": entry.get("location_source", FieldReport.LocationSource.MAP),
            "place_description": entry.get("place_description", ""),
            "municipality_code": ref.code,
            "people_affected": entry.get("people_affected"),
            "houses_damaged": entry.get("houses_damaged"),
            "combined_people_affected": entry.get("people_affected"),
            "combined_houses_damaged": entry.get("houses_damaged"),
            "state": entry["state"],
            "created_at": created_at,
            "published_at": created_at + timedelta(minutes=20) if published else None,
        }
        FieldReport.objects.update_or_create(
            receipt_token_hash=hash_receipt_token(f"demo:{entry['key']}"), defaults=defaults
        )
        progress(done, len(entries))
    return len(entries)
