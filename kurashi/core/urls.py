from django.urls import path

from kurashi.core import views

app_name = "core"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/verify/", views.login_verify_view, name="login-verify"),
    path("accounts/logout/", views.logout_view, name="logout"),
    path("accounts/", views.account_view, name="account"),
    path("accounts/two-factor/", views.two_factor_view, name="two-factor"),
    path("accounts/two-factor/disable/", views.two_factor_disable_view, name="two-factor-disable"),
    path(
        "organisations/<slug:slug>/members/",
        views.organisation_members_view,
        name="organisation-members",
    ),
    path(
        "organisations/<slug:slug>/members/<int:membership_id>/remove/",
        views.organisation_member_remove_view,
        name="organisation-member-remove",
    ),
]
