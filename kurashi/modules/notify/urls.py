from django.urls import URLPattern, path

from kurashi.modules.notify import views

app_name = "notify"

urlpatterns: list[URLPattern] = [
    path("", views.subscribe, name="subscribe"),
    path("confirm/<str:signed>/", views.confirm, name="confirm"),
    path("manage/<str:signed>/", views.manage, name="manage"),
    path("unsubscribe/<str:signed>/", views.unsubscribe, name="unsubscribe"),
    path("staff/", views.staff_notices, name="staff-notices"),
    path("staff/<int:notice_id>/", views.staff_notice, name="staff-notice"),
]
