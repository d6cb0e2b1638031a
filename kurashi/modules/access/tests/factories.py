"""Builders of the access tests."""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.crypto import get_random_string

from kurashi.core.models import User
from kurashi.modules.access import services
from kurashi.modules.access.models import Availability, Interpreter, SupportRequest, Text119Call

SAGA_CITY_HALL = (33.2494, 130.2988)
KARATSU_CITY_HALL = (33.4500, 129.9681)


def make_call(
    caller: User, *, kind: str = "ambulance", position: tuple[float, float] | None = SAGA_CITY_HALL
) -> Text119Call:
    call, _created = services.start_text119_call(
        caller=caller,
        kind=kind,
        client_key=get_random_string(20),
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        accuracy_m=20,
    )
    return call


def next_day(hour: int = 10, days: int = 3) -> datetime:
    base = timezone.localtime() + timedelta(days=days)
    return base.replace(hour=hour, minute=0, second=0, microsecond=0)


def make_interpreter(
    name: str | None = None,
    *,
    modes: tuple[str, ...] = ("sign",),
    region: tuple[str, ...] = ("412015",),
    available_from: datetime | None = None,
    available_hours: int = 12,
    max_per_month: int = 20,
    user: User | None = None,
) -> Interpreter:
    interpreter = Interpreter.objects.create(
        name=name or f"通訳者 {get_random_string(4)}",
        email=f"{get_random_string(6).lower()}@example.test",
        modes=list(modes),
        municipality_codes=list(region),
        max_per_month=max_per_month,
        user=user,
    )
    start = available_from or next_day(hour=8)
    Availability.objects.create(
        interpreter=interpreter, starts_at=start, ends_at=start + timedelta(hours=available_hours)
    )
    return interpreter


def make_request(
    requester: User,
    *,
    starts_at: datetime | None = None,
    hours: int = 2,
    mode: str = "sign",
    municipality_code: str = "412015",
    is_online: bool = False,
    interpreters_needed: int = 1,
) -> SupportRequest:
    start = starts_at or next_day()
    return services.submit_support_request(
        requester=requester,
        data=services.RequestInput(
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            municipality_code=municipality_code,
            purpose="病院の受診",
            mode=mode,
            is_online=is_online,
            place="" if is_online else "佐賀県医療センター好生館",
            interpreters_needed=interpreters_needed,
        ),
    )


def make_video(container: str = "mp4", *, seconds: float = 1.0, codec: str = "") -> bytes:
    """A real, tiny video (64×48, 10 fps) encoded with PyAV: H.264 in MP4, VP9 in WebM (or the
    given codec, e.g. "mpeg4", which browsers do not play)."""
    import io

    import av
    import numpy

    codec = codec or {"mp4": "libx264", "webm": "libvpx-vp9"}[container]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for index in range(max(1, int(seconds * 10))):
            picture = numpy.full((48, 64, 3), (index * 20) % 255, dtype=numpy.uint8)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return buffer.getvalue()
