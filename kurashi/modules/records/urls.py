"""URLs of the records module (app_name "records")."""

from django.urls import URLPattern, path

from kurashi.modules.records.views import pages

app_name = "records"

urlpatterns: list[URLPattern] = [
    path("", pages.index, name="index"),
    path("me/", pages.my_consent, name="my-consent"),
    path("me/withdraw/", pages.withdraw, name="withdraw"),
    path("me/accesses/", pages.my_accesses, name="my-accesses"),
    path("patients/", pages.patients, name="patients"),
    path("patients/<int:person_id>/", pages.summary, name="summary"),
    path("patients/<int:person_id>/comments/", pages.comment, name="comment"),
    path("patients/<int:person_id>/consent/", pages.consent_form, name="consent"),
    path("emergency/", pages.emergency, name="emergency"),
    path("break-glass/<int:glass_id>/document/", pages.document_break_glass, name="document"),
    path("overdue/", pages.overdue, name="overdue"),
    path("reviews/", pages.reviews, name="reviews"),
    path("reviews/<int:review_id>/", pages.decide_review, name="decide-review"),
    path("merges/<int:merge_id>/undo/", pages.undo_merge, name="undo-merge"),
    path("comments/", pages.comments, name="comments"),
    path("access-review/", pages.access_review, name="access-review"),
]
