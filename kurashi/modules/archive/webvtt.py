"""A small, strict WebVTT reader: the cues (start, end, text) shown as a transcript and indexed
for search. Pure functions."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

_TIMING = re.compile(
    r"^((?:\d+:)?\d{2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{2}:\d{2}\.\d{3})(?:\s+.*)?$"
)
_TAG = re.compile(r"<[^>]*>")


class WebVttError(ValueError):
    pass


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def _seconds(stamp: str) -> float:
    parts = stamp.split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def parse_vtt(text: str) -> list[Cue]:
    """Cues of a WebVTT file; WebVttError when it is not one (no header, bad timing)."""
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise WebVttError("missing WEBVTT header")
    cues: list[Cue] = []
    index = 1
    while index < len(lines):
        line = lines[index].strip()
        if "-->" not in line:
            index += 1
            continue
        match = _TIMING.match(line)
        if match is None:
            raise WebVttError(f"bad cue timing on line {index + 1}")
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        if end <= start:
            raise WebVttError(f"cue ends before it starts on line {index + 1}")
        index += 1
        text_lines = []
        while index < len(lines) and lines[index].strip():
            text_lines.append(_TAG.sub("", lines[index]).strip())
            index += 1
        cues.append(Cue(start, end, "\n".join(text_lines)))
    return cues


class _Timed(Protocol):
    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...

    @property
    def text(self) -> str: ...


def _stamp(seconds: float) -> str:
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_vtt(cues: Sequence[_Timed]) -> str:
    """A WebVTT file of `cues` (text is plain: "-->" and tags cannot appear in a cue line)."""
    blocks = ["WEBVTT", ""]
    for cue in cues:
        text = cue.text.replace("-->", "→").replace("<", "＜").replace(">", "＞")
        blocks += [f"{_stamp(cue.start)} --> {_stamp(cue.end)}", text, ""]
    return "\n".join(blocks)


def open_cues[C: _Timed](cues: Sequence[C], hidden: Sequence[tuple[float, float]]) -> list[C]:
    """The cues that overlap none of the `hidden` (start, end) spans: what the public may read,
    hear about or find. The one rule for the page, the WebVTT file, the JSON-LD and the
    search index, so a closed (sacred) or unconsented part never leaks through one of them."""
    return [
        cue for cue in cues if not any(start < cue.end and cue.start < end for start, end in hidden)
    ]
