"""Designated shelters (指定避難所) and emergency evacuation sites (指定緊急避難場所) from the GSI
open data, keyed by the national 共通ID, with their live status."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The GSI hazard columns of 指定緊急避難場所 (mergeFromCity_2.csv), in file order, and the flag
# each one sets.
HAZARD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("for_flood", "洪水"),
    ("for_landslide", "崖崩れ、土石流及び地滑り"),
    ("for_storm_surge", "高潮"),
    ("for_earthquake", "地震"),
    ("for_tsunami", "津波"),
    ("for_fire", "大規模な火事"),
    ("for_inland_flood", "内水氾濫"),
    ("for_volcano", "火山現象"),
)
HAZARD_FLAG_FIELDS: tuple[str, ...] = tuple(field for field, _column in HAZARD_COLUMNS)

# Column order of the national files (hinanmap.gsi.go.jp).
SHELTER_COLUMNS: tuple[str, ...] = (
    "NO",
    "共通ID",
    "都道府県名及び市町村名",
    "施設・場所名",
    "住所",
    "指定緊急避難場所との住所同一",
    "その他市町村長が必要と認める事項",
    "受入対象者",
    "緯度",
    "経度",
    "備考",
)
EMERGENCY_SITE_COLUMNS: tuple[str, ...] = (
    "NO",
    "共通ID",
    "都道府県名及び市町村名",
    "施設・場所名",
    "住所",
    *(column for _field, column in HAZARD_COLUMNS),
    "指定避難所との住所同一",
    "緯度",
    "経度",
    "備考",
)

# Crowding suggested from headcount / capacity: below CROWDED_RATIO 空き, below 1 混雑, else 定員一杯.
CROWDED_RATIO = 0.8


class Shelter(models.Model):
    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Designated shelter (指定避難所)")
        EMERGENCY_SITE = (
            "emergency_site",
            _("Designated emergency evacuation site (指定緊急避難場所)"),
        )

    class OpenState(models.TextChoices):
        NOT_OPEN = "not_open", _("Not open (未開設)")
        OPEN = "open", _("Open (開設)")
        CLOSED = "closed", _("Closed (閉鎖)")

    class Crowding(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown (不明)")
        AVAILABLE = "available", _("Space available (空き)")
        CROWDED = "crowded", _("Crowded (混雑)")
        FULL = "full", _("Full (定員一杯)")

    common_id = models.CharField(_("common ID (共通ID)"), max_length=14, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    municipality_code = models.CharField(max_length=6, db_index=True)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    # GSI hazard flags. 指定緊急避難場所: as published. 指定避難所 (no such columns in the GSI
    # file): the union of the flags of the 指定緊急避難場所 at the same address (same 共通ID
    # municipality + facility serial), recomputed after every import; none if there is none.
    for_flood = models.BooleanField(default=False)
    for_landslide = models.BooleanField(default=False)
    for_storm_surge = models.BooleanField(default=False)
    for_earthquake = models.BooleanField(default=False)
    for_tsunami = models.BooleanField(default=False)
    for_fire = models.BooleanField(default=False)
    for_inland_flood = models.BooleanField(default=False)
    for_volcano = models.BooleanField(default=False)
    is_welfare = models.BooleanField(_("welfare shelter (福祉避難所)"), default=False)
    same_address_as_other_kind = models.BooleanField(default=False)
    accepted_people = models.CharField(max_length=200, blank=True)  # 受入対象者
    other_matters = models.CharField(max_length=300, blank=True)  # その他市町村長が必要と認める事項
    note = models.TextField(blank=True)
    source_no = models.CharField(max_length=20, blank=True)  # NO column of the GSI CSV
    # Live status, updated by shelter staff; an import never touches these fields.
    open_state = models.CharField(
        max_length=10, choices=OpenState.choices, default=OpenState.NOT_OPEN
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    crowding = models.CharField(max_length=10, choices=Crowding.choices, default=Crowding.UNKNOWN)
    # True once staff chose the crowding themselves; until then it follows headcount / capacity.
    crowding_manual = models.BooleanField(default=False)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("municipality_code", "name")
        verbose_name = _("shelter")
        verbose_name_plural = _("shelters")
        permissions = (("update_shelter_status", "Can update the live status of shelters"),)
        indexes = (
            models.Index(
                fields=("open_state", "municipality_code"), name="disaster_shelter_state_idx"
            ),
        )
        constraints = (
            models.CheckConstraint(
                condition=models.Q(
                    latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180
                ),
                name="disaster_shelter_coordinates",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=("shelter", "emergency_site")),
                name="disaster_shelter_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(open_state__in=("not_open", "open", "closed")),
                name="disaster_shelter_open_state_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(crowding__in=("unknown", "available", "crowded", "full")),
                name="disaster_shelter_crowding_valid",
            ),
        )

    def __str__(self) -> str:
        return f"{self.name} ({self.common_id})"

    @property
    def is_open(self) -> bool:
        return self.open_state == self.OpenState.OPEN

    @property
    def hazard_flags(self) -> dict[str, bool]:
        return {field: bool(getattr(self, field)) for field in HAZARD_FLAG_FIELDS}

    @property
    def occupancy_percent(self) -> int | None:
        if not self.capacity or self.headcount is None:
            return None
        return round(100 * self.headcount / self.capacity)

    @property
    def suggested_crowding(self) -> str:
        """空き / 混雑 / 定員一杯 from headcount and capacity; 不明 without both."""
        return suggest_crowding(headcount=self.headcount, capacity=self.capacity)


def suggest_crowding(*, headcount: int | None, capacity: int | None) -> str:
    if headcount is None or not capacity:
        return Shelter.Crowding.UNKNOWN
    ratio = headcount / capacity
    if ratio >= 1:
        return Shelter.Crowding.FULL
    if ratio >= CROWDED_RATIO:
        return Shelter.Crowding.CROWDED
    return Shelter.Crowding.AVAILABLE


class ShelterStatusChange(models.Model):
    """History of live status updates (who set what, when)."""

    shelter = models.ForeignKey(Shelter, on_delete=models.CASCADE, related_name="status_changes")
    # What the staff member did, e.g. "open", "full", "headcount" (see services.shelters.Action).
    action = models.CharField(max_length=20, blank=True)
    open_state = models.CharField(max_length=10)
    capacity = models.PositiveIntegerField(null=True, blank=True)
    headcount = models.PositiveIntegerField(null=True, blank=True)
    crowding = models.CharField(max_length=10)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-changed_at", "-id")
        verbose_name = _("shelter status change")
        verbose_name_plural = _("shelter status changes")

    def __str__(self) -> str:
        return f"{self.shelter_id} {self.open_state} {self.changed_at:%Y-%m-%d %H:%M}"
