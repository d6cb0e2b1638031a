from django.contrib import admin

from kurashi.modules.access.models import Availability, Interpreter


class AvailabilityInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Availability
    extra = 1


@admin.register(Interpreter)
class InterpreterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "email", "is_active", "max_per_month")
    search_fields = ("name", "email")
    inlines = (AvailabilityInline,)
