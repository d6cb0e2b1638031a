import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kurashi.settings")

application = get_asgi_application()

if settings.MICROCACHE_ENABLED:
    from kurashi.core.microcache import from_settings

    # Repeat GETs of public, max-age pages (the light emergency page above all) are answered from
    # memory without entering Django; see kurashi/core/microcache.py for what is eligible.
    application = from_settings(application)  # type: ignore[assignment]
