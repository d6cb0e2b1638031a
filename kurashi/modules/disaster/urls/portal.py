from django.urls import path

from kurashi.modules.disaster.views import portal

urlpatterns = [
    path("", portal.portal_view, name="portal"),
]
