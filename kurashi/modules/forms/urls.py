from django.urls import path

from kurashi.modules.forms.views import public, sme, staff

app_name = "forms"

urlpatterns = [
    path("", public.catalogue_view, name="catalogue"),
    path("postal/<str:code>/", public.postal_view, name="postal"),
    path("fill/<uuid:public_id>/review/", public.review_view, name="review"),
    path("fill/<uuid:public_id>/save/", public.save_view, name="save"),
    path("fill/<uuid:public_id>/identity/", public.identity_start_view, name="identity"),
    path("fill/<uuid:public_id>/pay/", public.pay_view, name="pay"),
    path("fill/<uuid:public_id>/done/", public.done_view, name="done"),
    path("fill/<uuid:public_id>/<slug:page_key>/", public.fill_view, name="fill"),
    path("resume/<uuid:public_id>/<str:token>/", public.resume_view, name="resume"),
    path("status/<uuid:public_id>/", public.status_view, name="my_status"),
    path("status/<uuid:public_id>/<str:token>/", public.status_view, name="status"),
    path(
        "status/<uuid:public_id>/<str:token>/documents/<slug:kind>/",
        public.document_view,
        name="document",
    ),
    path("my/", public.my_view, name="my"),
    path("my/<uuid:public_id>/documents/<slug:kind>/", public.document_view, name="my_document"),
    path("verify/<str:code>/", public.verify_view, name="verify"),
    path("fake/identity/<slug:provider_name>/", public.fake_identity_view, name="fake_identity"),
    path("fake/pay/<str:reference>/", public.fake_pay_view, name="fake_pay"),
    path("sme/", sme.sme_view, name="sme"),
    path("sme/programmes/<int:pk>/remind/", sme.remind_view, name="remind"),
    path("staff/", staff.dashboard_view, name="staff"),
    path("staff/new/", staff.new_form_view, name="new"),
    path("staff/templates/", staff.templates_view, name="templates"),
    path("staff/cases/", staff.queue_view, name="queue"),
    path("staff/cases/<int:pk>/", staff.case_view, name="case"),
    path("staff/files/<int:pk>/", staff.file_view, name="file"),
    path("staff/dead-letters/", staff.dead_letters_view, name="dead_letters"),
    path("staff/payments/", staff.reconciliation_view, name="reconciliation"),
    path("staff/deletions/", staff.deletions_view, name="deletions"),
    path("staff/batches/<int:pk>/", staff.batch_download_view, name="batch"),
    path("staff/<int:pk>/", staff.builder_view, name="builder"),
    path("staff/<int:pk>/pages/", staff.page_add_view, name="page_add"),
    path("staff/<int:pk>/pages/<slug:page_key>/", staff.page_edit_view, name="page_edit"),
    path(
        "staff/<int:pk>/pages/<slug:page_key>/sections/", staff.section_add_view, name="section_add"
    ),
    path("staff/<int:pk>/questions/", staff.field_edit_view, name="field_add"),
    path("staff/<int:pk>/questions/<slug:field_key>/", staff.field_edit_view, name="field_edit"),
    path("staff/<int:pk>/settings/", staff.settings_view, name="settings"),
    path("staff/<int:pk>/publish/", staff.publish_view, name="publish"),
    path("staff/<int:pk>/export.csv", staff.export_view, name="export"),
    path("staff/<int:pk>/batches/", staff.batches_view, name="batches"),
    path("<str:tenant_code>/<slug:slug>/", public.start_view, name="start"),
]
