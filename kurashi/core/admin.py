from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from kurashi.core.models import (
    AuditEvent,
    Heartbeat,
    Membership,
    Municipality,
    Organisation,
    Prefecture,
    Role,
    User,
)


@admin.register(User)
class KurashiUserAdmin(UserAdmin):  # type: ignore[type-arg]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Kurashi", {"fields": ("display_name", "preferred_language")}),
    )
    list_display = ("username", "email", "display_name", "is_staff", "is_active")


@admin.register(Prefecture)
class PrefectureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_ja", "name_en")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_ja", "name_kana", "name_en", "kind")
    search_fields = ("code", "name_ja", "name_kana", "name_en")
    exclude = ("boundary_geojson",)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "slug",
        "name_ja",
        "kind",
        "municipality",
        "covers_whole_prefecture",
        "is_active",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("slug", "name_ja", "name_kana", "name_en")
    filter_horizontal = ("jurisdiction",)
    inlines = (MembershipInline,)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name_ja", "name_en")
    filter_horizontal = ("permissions",)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "actor_label", "action", "object_type", "object_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "action", "object_type", "object_id", "object_label")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "last_seen_at")


# TOTP devices through the sealed proxy only: django-otp's own admin would read the sealed key
# as hex (its QR code page would fail).
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from kurashi.core.otp import SealedTOTPDevice  # noqa: E402

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(SealedTOTPDevice, TOTPDeviceAdmin)
