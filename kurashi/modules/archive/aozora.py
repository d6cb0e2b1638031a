"""Aozora Bunko text notation → a readable structure (and HTML with <ruby>), plain text and reading
text for the search index. Pure functions, no Django models.

Handled: ruby 《》 with the ｜ start marker (otherwise the ruby covers the preceding run of kanji,
or of katakana / hiragana / Latin), gaiji ※［＃…、第3水準1-85-13］ / ［＃…、U+5D12…］ (resolved
through JIS X 0213 or the code point; unresolved ones keep their description), emphasis
［＃「X」に傍点］ / 傍線, ruby-like notes ［＃「X」に「Y」の注記］ / ［＃「X」に「Y」のルビ］,
headings (大/中/小見出し, 同行中見出し), indents (［＃２字下げ］, ここから…字下げ … ここで字下げ終わり),
地付き, 改ページ, small text, 返り点 and 訓点送り仮名; everything else stays as an editor's note.
The header (title, author), the notation legend and the 底本 footer (the volunteers' credits,
which Aozora asks users to keep) are separated out."""

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Part = dict[str, str]
Block = dict[str, Any]

_TOKEN = re.compile(r"｜|《[^》]*》|※［＃[^］]*］|［＃[^］]*］")
_KANJI = r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff々〆〇ヶ仝〻]"
_RUBY_BASE_PATTERNS = (
    re.compile(rf"{_KANJI}+$"),
    re.compile(r"[\u30a1-\u30ffー]+$"),
    re.compile(r"[A-Za-zＡ-Ｚａ-ｚ0-9０-９]+$"),
    re.compile(r"[\u3041-\u309fー]+$"),
)
_JIS_CODE = re.compile(r"第([34])水準(\d+)-(\d+)-(\d+)")
_UNICODE_CODE = re.compile(r"U\+([0-9A-Fa-f]{4,6})")
_EMPHASIS = {
    "傍点": "sesame",
    "白ゴマ傍点": "sesame",
    "丸傍点": "sesame",
    "白丸傍点": "sesame",
    "黒三角傍点": "sesame",
    "白三角傍点": "sesame",
    "二重丸傍点": "sesame",
    "蛇の目傍点": "sesame",
    "ばつ傍点": "sesame",
    "傍線": "underline",
    "二重傍線": "double-underline",
    "鎖線": "underline",
    "破線": "underline",
    "点線": "underline",
    "波線": "underline",
}
_HEADINGS = {"大見出し": "h2", "中見出し": "h3", "小見出し": "h4"}


def resolve_gaiji(description: str) -> str | None:
    """The character an Aozora gaiji note describes, if it names a JIS X 0213 position or a
    Unicode code point; None otherwise."""
    if match := _UNICODE_CODE.search(description):
        return chr(int(match.group(1), 16))
    if match := _JIS_CODE.search(description):
        plane, row, cell = int(match.group(2)), int(match.group(3)), int(match.group(4))
        raw = bytes([0xA0 + row, 0xA0 + cell])
        if plane == 2:
            raw = b"\x8f" + raw
        try:
            return raw.decode("euc_jis_2004")
        except UnicodeDecodeError:
            return None
    return None


def _number(text: str) -> int:
    digits = unicodedata.normalize("NFKC", text)
    return int(digits) if digits.isdigit() else 0


@dataclass
class ParsedText:
    title: str
    subtitle: str
    author: str
    blocks: list[Block]
    footer: list[str]
    ruby_count: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def plain_text(self) -> str:
        """The text as printed (ruby bases, no readings)."""
        return "\n".join(_block_text(block, reading=False) for block in self.blocks)

    @property
    def reading_text(self) -> str:
        """The text with every ruby base replaced by its reading (for reading search)."""
        return "\n".join(_block_text(block, reading=True) for block in self.blocks)

    @property
    def readings(self) -> list[str]:
        return [
            part["rt"]
            for block in self.blocks
            for part in block["parts"]
            if part.get("k") in {"r", "rg"}
        ]


def _block_text(block: Block, *, reading: bool) -> str:
    pieces = []
    for part in block["parts"]:
        kind = part["k"]
        if kind in {"t", "e"}:
            pieces.append(part["s"])
        elif kind == "r":
            pieces.append(part["rt"] if reading else part["s"])
        elif kind == "rg" and reading:  # the gaiji's reading; the gaiji itself has no text
            pieces.append(part["rt"])
    return "".join(pieces)


class _LineParser:
    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.parts: list[Part] = []
        self.buffer = ""
        self.ruby_start: int | None = None
        self.kind = "p"
        self.indent = state["indent"]
        self.align_end = False
        self.ruby_count = 0

    def flush(self) -> None:
        if self.buffer:
            part = {"k": "t", "s": self.buffer}
            if self.state["small"]:
                part["c"] = "small"
            self.parts.append(part)
        self.buffer = ""
        self.ruby_start = None

    def ruby(self, reading: str) -> None:
        if self.ruby_start is not None:
            base = self.buffer[self.ruby_start :]
            self.buffer = self.buffer[: self.ruby_start]
        else:
            base = ""
            for pattern in _RUBY_BASE_PATTERNS:
                if match := pattern.search(self.buffer):
                    base = match.group(0)
                    self.buffer = self.buffer[: match.start()]
                    break
        if not base and self.ruby_start is None and self.parts and self.parts[-1]["k"] == "g":
            # a reading right after an unresolved gaiji (小※［＃…］《つじ》) reads the gaiji
            gaiji = self.parts.pop()
            self.parts.append({"k": "rg", "s": gaiji["s"], "rt": reading})
            self.ruby_count += 1
            return
        if not base:  # a reading with nothing to attach to: keep it visible as text
            self.buffer += f"《{reading}》"
            return
        self.flush()
        self.parts.append({"k": "r", "s": base, "rt": reading})
        self.ruby_count += 1

    def mark_preceding(self, target: str, part: Part) -> bool:
        index = self.buffer.rfind(target)
        if index < 0:
            if self.parts and self.parts[-1].get("s") == target and self.parts[-1]["k"] == "t":
                self.parts[-1] = {**part, "s": target}
                return True
            return False
        before, after = self.buffer[:index], self.buffer[index + len(target) :]
        self.buffer = before
        self.flush()
        self.parts.append({**part, "s": target})
        self.buffer = after
        return True

    def annotation(self, note: str) -> None:
        if match := re.fullmatch(r"「(.+?)」に(.+)", note):
            target, rest = match.group(1), match.group(2)
            if rest in _EMPHASIS:
                if self.mark_preceding(target, {"k": "e", "c": _EMPHASIS[rest]}):
                    return
            elif (ruby := re.fullmatch(r"「(.+?)」の(?:注記|ルビ)", rest)) and self.mark_preceding(
                target, {"k": "r", "rt": ruby.group(1)}
            ):
                self.ruby_count += 1
                return
        if match := re.fullmatch(r"「(.+?)」は(?:同行)?(大見出し|中見出し|小見出し)", note):
            self.kind = _HEADINGS[match.group(2)]
            return
        if note in _HEADINGS:
            self.kind = _HEADINGS[note]
            return
        if note.endswith("見出し終わり") or note in {"改行", "ここで罫囲み終わり"}:
            return
        if note in {"改ページ", "改丁", "改段", "改見開き"}:
            self.state["page_break"] = True
            return
        if match := re.fullmatch(r"ここから([０-９0-9]+)字下げ.*", note):
            self.state["indent"] = _number(match.group(1))
            self.indent = self.state["indent"]
            return
        if note.startswith("ここで字下げ終わり"):
            self.state["indent"] = 0
            return
        if match := re.fullmatch(r"([０-９0-9]+)字下げ", note):
            self.indent = _number(match.group(1))
            return
        if note == "地付き" or re.fullmatch(r"地から[０-９0-9]+字上げ", note):
            self.align_end = True
            return
        if re.fullmatch(r"[０-９0-9]+段階(小さな|大きな)文字", note):
            self.flush()
            self.state["small"] = True
            return
        if note.endswith(("小さな文字終わり", "大きな文字終わり")):
            self.flush()
            self.state["small"] = False
            return
        if note.startswith("ここで") and note.endswith("終わり"):
            return
        if re.fullmatch(r"[一二三四上中下甲乙丙丁天地人レ]+(?:レ)?", note):
            self.flush()
            self.parts.append({"k": "kaeri", "s": note})
            return
        if match := re.fullmatch(r"（(.+)）", note):
            self.flush()
            self.parts.append({"k": "okuri", "s": match.group(1)})
            return
        if re.fullmatch(r"「.+」は縦中横", note) or note.startswith("ここから"):
            return
        self.flush()
        self.parts.append({"k": "n", "s": note})

    def parse(self, line: str) -> Block:
        position = 0
        for match in _TOKEN.finditer(line):
            self.buffer += line[position : match.start()]
            position = match.end()
            mark = match.group(0)
            if mark == "｜":
                self.ruby_start = len(self.buffer)
            elif mark.startswith("《"):
                self.ruby(mark[1:-1])
            elif mark.startswith("※［＃"):
                description = mark[3:-1]
                character = resolve_gaiji(description)
                if character is not None:
                    self.buffer += character
                else:
                    self.flush()
                    self.parts.append({"k": "g", "s": description})
            else:
                self.annotation(mark[2:-1])
        self.buffer += line[position:]
        self.flush()
        block: Block = {"kind": self.kind, "parts": self.parts}
        if self.indent:
            block["indent"] = min(self.indent, 10)
        if self.align_end:
            block["end"] = True
        return block


def parse(text: str) -> ParsedText:
    """Parse a whole Aozora text file (UTF-8, Aozora notation)."""
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    header: list[str] = []
    index = 0
    while index < len(lines) and lines[index].strip():
        header.append(lines[index].strip())
        index += 1
    # The notation legend between two rules of dashes.
    probe = index
    while probe < len(lines) and not lines[probe].strip():
        probe += 1
    if probe < len(lines) and lines[probe].startswith("-----"):
        probe += 1
        while probe < len(lines) and not lines[probe].startswith("-----"):
            probe += 1
        index = probe + 1
    footer_start = next(
        (number for number in range(len(lines)) if lines[number].startswith("底本：")),
        len(lines),
    )
    state: dict[str, Any] = {"indent": 0, "small": False, "page_break": False}
    blocks: list[Block] = []
    ruby_count = 0
    for line in lines[index:footer_start]:
        if not line.strip():
            if blocks and blocks[-1]["parts"]:
                blocks.append({"kind": "p", "parts": []})
            continue
        parser = _LineParser(state)
        block = parser.parse(line.rstrip())
        ruby_count += parser.ruby_count
        if state["page_break"]:
            blocks.append({"kind": "hr", "parts": []})
            state["page_break"] = False
        if block["parts"]:
            blocks.append(block)
    blocks = [block for block in blocks if block["parts"] or block["kind"] == "hr"]
    title = header[0] if header else ""
    author = header[-1] if len(header) >= 2 else ""
    subtitle = " ".join(header[1:-1]) if len(header) > 2 else ""
    footer = [line for line in lines[footer_start:] if line.strip()]
    return ParsedText(
        title=title,
        subtitle=subtitle,
        author=author,
        blocks=blocks,
        footer=footer,
        ruby_count=ruby_count,
    )


def _render_part(part: Part) -> str:
    kind = part["k"]
    text = escape(part["s"])
    if kind == "t":
        return f'<span class="small">{text}</span>' if part.get("c") == "small" else str(text)
    if kind == "r":
        return f"<ruby>{text}<rp>（</rp><rt>{escape(part['rt'])}</rt><rp>）</rp></ruby>"
    if kind == "e":
        css = part.get("c", "sesame")
        return f'<em class="aozora-{css}">{text}</em>'
    if kind == "g":
        return f'<span class="aozora-gaiji" title="{text}">※<small>〔{text}〕</small></span>'
    if kind == "rg":
        gaiji = f'<span class="aozora-gaiji" title="{text}">※<small>〔{text}〕</small></span>'
        return f"<ruby>{gaiji}<rp>（</rp><rt>{escape(part['rt'])}</rt><rp>）</rp></ruby>"
    if kind == "kaeri":
        return f'<sub class="aozora-kaeriten">{text}</sub>'
    if kind == "okuri":
        return f'<sup class="aozora-okurigana">{text}</sup>'
    return f'<small class="aozora-note">［＃{text}］</small>'


def render_html(blocks: list[Block]) -> SafeString:
    """HTML of the parsed blocks; every piece of text is escaped."""
    html: list[str] = []
    for block in blocks:
        kind = block["kind"]
        if kind == "hr":
            html.append('<hr class="aozora-page">')
            continue
        classes = []
        if indent := block.get("indent"):
            classes.append(f"indent-{int(indent)}")
        if block.get("end"):
            classes.append("align-end")
        attribute = f' class="{" ".join(classes)}"' if classes else ""
        inner = "".join(_render_part(part) for part in block["parts"])
        html.append(f"<{kind}{attribute}>{inner}</{kind}>")
    return mark_safe("\n".join(html))
