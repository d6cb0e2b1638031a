"""What an uploaded video really is: its container, codecs, size and length, read with PyAV (the
FFmpeg libraries, shipped in the wheel), and whether a first frame decodes. A file is accepted
only as what browsers play in <video>: MP4 with H.264 or AV1 (AAC, MP3 or Opus sound), or WebM
with VP8, VP9 or AV1 (Opus or Vorbis sound). The name of the file decides nothing."""

from dataclasses import dataclass
from typing import IO, Any

import av
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Container → (PyAV/FFmpeg format names, video codecs, audio codecs) browsers play.
CONTAINERS: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {
    "mp4": (
        frozenset({"mp4", "mov"}),
        frozenset({"h264", "av1"}),
        frozenset({"aac", "mp3", "opus"}),
    ),
    "webm": (
        frozenset({"webm", "matroska"}),
        frozenset({"vp8", "vp9", "av1"}),
        frozenset({"opus", "vorbis"}),
    ),
}


@dataclass(frozen=True)
class VideoProbe:
    container: str  # mp4 | webm
    video_codec: str
    audio_codec: str  # "" without sound (sign language needs none)
    width: int
    height: int
    duration_seconds: float


def max_bytes() -> int:
    return int(getattr(settings, "ACCESS_VIDEO_MAX_BYTES", 100 * 1024 * 1024))


def max_seconds() -> int:
    return int(getattr(settings, "ACCESS_VIDEO_MAX_SECONDS", 600))


def _not_a_video() -> ValidationError:
    return ValidationError(
        {"video": _("This file is not a video a browser can play (MP4 or WebM).")}
    )


def probe_video(file: IO[bytes], *, name: str, size: int | None) -> VideoProbe:
    """The facts of an upload, or a ValidationError saying in the user's language what is wrong
    (too large, not a video, a codec browsers do not play, too long, damaged)."""
    if size is None or size > max_bytes():
        raise ValidationError(
            {
                "video": _("The video is too large (at most %(mb)d MB).")
                % {"mb": max_bytes() // (1024 * 1024)}
            }
        )
    extension = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if extension not in CONTAINERS:
        raise ValidationError({"video": _("The video must be an MP4 or WebM file.")})
    formats, video_codecs, audio_codecs = CONTAINERS[extension]
    file.seek(0)
    try:
        with av.open(file, mode="r") as media:
            found = set(media.format.name.split(","))
            if not found & formats:
                raise _not_a_video()
            video = next(iter(media.streams.video), None)
            if video is None:
                raise ValidationError({"video": _("The file has no video picture.")})
            video_codec = video.codec_context.name
            if video_codec not in video_codecs:
                raise ValidationError(
                    {
                        "video": _(
                            "Browsers cannot play %(codec)s video in %(container)s: use "
                            "%(allowed)s."
                        )
                        % {
                            "codec": video_codec.upper(),
                            "container": extension.upper(),
                            "allowed": ", ".join(sorted(c.upper() for c in video_codecs)),
                        }
                    }
                )
            audio = next(iter(media.streams.audio), None)
            audio_codec = audio.codec_context.name if audio is not None else ""
            if audio_codec and audio_codec not in audio_codecs:
                raise ValidationError(
                    {
                        "video": _("Browsers cannot play %(codec)s sound in %(container)s.")
                        % {"codec": audio_codec.upper(), "container": extension.upper()}
                    }
                )
            duration = _duration(media, video)
            if duration > max_seconds():
                raise ValidationError(
                    {
                        "video": _("The video is too long (at most %(minutes)d minutes).")
                        % {"minutes": max_seconds() // 60}
                    }
                )
            width, height = video.codec_context.width, video.codec_context.height
            if not _first_frame_decodes(media, video):
                raise ValidationError({"video": _("The video is damaged: no picture decodes.")})
    except ValidationError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError) as error:
        raise _not_a_video() from error
    finally:
        file.seek(0)
    return VideoProbe(
        container=extension,
        video_codec=video_codec,
        audio_codec=audio_codec,
        width=int(width or 0),
        height=int(height or 0),
        duration_seconds=round(duration, 2),
    )


def _duration(media: Any, video: Any) -> float:
    if media.duration:
        return float(media.duration) / av.time_base
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return 0.0


def _first_frame_decodes(media: Any, video: Any) -> bool:
    for index, frame in enumerate(media.decode(video)):
        if frame.width and frame.height:
            return True
        if index > 30:
            break
    return False
