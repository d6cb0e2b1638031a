"""URLs of the access module (app_name "access")."""

from django.urls import path
from django.views.decorators.cache import never_cache

from kurashi.modules.access.views import captions, dispatch, home, relay, text119, videos

app_name = "access"

urlpatterns = [
    path("", home.home_view, name="home"),
    # text 119
    path("119/", text119.caller_home_view, name="text119"),
    path("119/register/", text119.register_view, name="text119-register"),
    path("119/call/", text119.start_call_view, name="text119-start"),
    path("119/where.json", text119.where_view, name="text119-where"),
    path("119/calls/<uuid:public_id>/", text119.caller_call_view, name="text119-call"),
    path(
        "119/calls/<uuid:public_id>/messages/", text119.caller_message_view, name="text119-message"
    ),
    path("119/calls/<uuid:public_id>/events/", text119.caller_events_view, name="text119-events"),
    path("119/console/", text119.console_view, name="console"),
    path("119/console/calls/", text119.console_calls_view, name="console-calls"),
    path("119/console/events/", text119.console_events_view, name="console-events"),
    path("119/console/calls/<uuid:public_id>/", text119.console_call_view, name="console-call"),
    path(
        "119/console/calls/<uuid:public_id>/transfer/",
        text119.console_transfer_view,
        name="console-transfer",
    ),
    path(
        "119/console/calls/<uuid:public_id>/receive/",
        text119.console_receive_view,
        name="console-receive",
    ),
    path(
        "119/console/calls/<uuid:public_id>/messages/",
        text119.console_message_view,
        name="console-message",
    ),
    path(
        "119/console/calls/<uuid:public_id>/close/",
        text119.console_close_view,
        name="console-close",
    ),
    path(
        "119/console/calls/<uuid:public_id>/ems-case/",
        text119.console_ems_case_view,
        name="console-ems-case",
    ),
    path(
        "119/console/calls/<uuid:public_id>/events/",
        text119.console_call_events_view,
        name="console-call-events",
    ),
    # live captions
    path("captions/", captions.sessions_view, name="captions"),
    path("captions/<slug:slug>/", captions.viewer_view, name="captions-viewer"),
    path("captions/<slug:slug>/type/", captions.type_view, name="captions-type"),
    path("captions/<slug:slug>/lines/", captions.post_caption_view, name="captions-post"),
    path(
        "captions/<slug:slug>/corrections/", captions.correct_caption_view, name="captions-correct"
    ),
    path("captions/<slug:slug>/turn/", captions.take_turn_view, name="captions-turn"),
    path("captions/<slug:slug>/end/", captions.end_view, name="captions-end"),
    path("captions/<slug:slug>/events/", captions.events_view, name="captions-events"),
    path(
        "captions/<slug:slug>/transcript.<str:fmt>",
        captions.transcript_view,
        name="captions-transcript",
    ),
    # text relay
    path("relay/", relay.relay_home_view, name="relay"),
    path("relay/<uuid:public_id>/", relay.chat_view, name="relay-chat"),
    path("relay/<uuid:public_id>/messages/", relay.message_view, name="relay-message"),
    path("relay/<uuid:public_id>/close/", relay.close_view, name="relay-close"),
    path("relay/<uuid:public_id>/events/", relay.events_view, name="relay-events"),
    path("relay/<uuid:public_id>/transcript.txt", relay.transcript_view, name="relay-transcript"),
    # dispatch
    path("requests/", dispatch.my_requests_view, name="requests"),
    path("requests/new/", dispatch.new_request_view, name="request-new"),
    path(
        "easy/requests/new/",
        dispatch.new_request_view,
        {"variant": "easy"},
        name="request-new-easy",
    ),
    path("requests/<uuid:public_id>/", dispatch.request_detail_view, name="request"),
    path("requests/<uuid:public_id>/cancel/", dispatch.cancel_request_view, name="request-cancel"),
    path("requests/<uuid:public_id>/assign/", dispatch.assign_view, name="request-assign"),
    path("coordinate/", dispatch.coordinate_view, name="coordinate"),
    path("statistics/", dispatch.statistics_view, name="statistics"),
    # sign-language video notices
    path("videos/", videos.videos_view, name="videos"),
    path("videos/new/", videos.upload_view, name="video-upload"),
    path("videos/<int:pk>/", videos.video_view, name="video"),
    path("videos/<int:pk>/review/", videos.review_view, name="video-review"),
    path("videos/<int:pk>/<str:part>", videos.video_file_view, name="video-file"),
]

# Calls, conversations and requests are personal: no browser or proxy may keep them.
_PUBLIC = {
    "home",
    "captions",
    "captions-viewer",
    "captions-transcript",
    "videos",
    "video",
    "video-file",
    "text119-where",
}
for _pattern in urlpatterns:
    if _pattern.name not in _PUBLIC and not (_pattern.name or "").endswith("events"):
        _pattern.callback = never_cache(_pattern.callback)
