from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve

from kurashi.api import api
from kurashi.core.views import favicon_view
from kurashi.portal.views import healthz_view

urlpatterns = [
    path("healthz", healthz_view, name="healthz"),
    path("favicon.ico", favicon_view),
    path("api/", api.urls),
    path("fhir/R4/", include("kurashi.modules.records.fhir_urls")),
]

urlpatterns += i18n_patterns(
    path("", include("kurashi.portal.urls")),
    path("", include("kurashi.core.urls")),
    path("plan/", include("kurashi.modules.plan.urls")),
    path("disaster/", include("kurashi.modules.disaster.urls")),
    path("notify/", include("kurashi.modules.notify.urls")),
    path("ems/", include("kurashi.modules.ems.urls")),
    path("records/", include("kurashi.modules.records.urls")),
    path("access/", include("kurashi.modules.access.urls")),
    path("archive/", include("kurashi.modules.archive.urls")),
    path("forms/", include("kurashi.modules.forms.urls")),
    # The admin signs in through Kurashi's own login (password, then TOTP when enabled).
    path("admin/login/", RedirectView.as_view(pattern_name="core:login", query_string=True)),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
