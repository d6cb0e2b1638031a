from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from kurashi.core import views
from kurashi.core.forms import QueuedPasswordResetForm

app_name = "core"

urlpatterns = [
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/login/verify/", views.login_verify_view, name="login-verify"),
    path(
        "accounts/login/passkey/options/",
        views.passkey_login_options_view,
        name="passkey-login-options",
    ),
    path("accounts/login/passkey/", views.passkey_login_view, name="passkey-login"),
    path("accounts/passkeys/", views.passkeys_view, name="passkeys"),
    path(
        "accounts/passkeys/register/options/",
        views.passkey_register_options_view,
        name="passkey-register-options",
    ),
    path("accounts/passkeys/register/", views.passkey_register_view, name="passkey-register"),
    path(
        "accounts/passkeys/<int:passkey_id>/delete/",
        views.passkey_delete_view,
        name="passkey-delete",
    ),
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

urlpatterns += [
    path(
        "accounts/password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=QueuedPasswordResetForm,
            template_name="core/password_reset_form.html",
            email_template_name="core/email/password_reset.txt",
            subject_template_name="core/email/password_reset_subject.txt",
            success_url=reverse_lazy("core:password-reset-done"),
        ),
        name="password-reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="core/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="core/password_reset_confirm.html",
            success_url=reverse_lazy("core:password-reset-complete"),
        ),
        name="password-reset-confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="core/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
]
