"""Text that crosses the insole boundary: names checked before they are written to it,
strings read from it made safe to print; and counts in words (`plural`)."""
from __future__ import annotations

import html
import unicodedata

from host.command import UserError

MAX_NAME = 32  # firmware/core/config.py SCHEMA["runner_id"]: characters, as MicroPython counts them
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}  # can reorder what a terminal shows


def _unsafe(ch: str) -> bool:
    """Control characters, line separators, lone surrogates and bidi overrides; emoji and
    their joiners (format characters) are fine."""
    return unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") or ch in _BIDI


def check_name(what: str, value: str, limit: int = MAX_NAME) -> str:
    """A name the host writes to the insole: any printable Unicode (emoji included), no
    control characters, at most `limit` characters. Returns it unchanged."""
    bad = [ch for ch in value if _unsafe(ch)]
    if bad:
        raise UserError(f"{what} {shown(value)!s}: contains control character(s) {', '.join(repr(c) for c in bad[:3])}")
    if not value.strip():
        raise UserError(f"{what}: empty")
    if len(value) > limit:
        raise UserError(f"{what} {shown(value)}: {len(value)} characters, at most {limit}")
    return value


def shown(value: object) -> str:
    """A string from the insole (or the store) as it may be printed: control characters
    and bidi overrides escaped, everything else as is."""
    text = str(value)
    if not any(_unsafe(ch) for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _unsafe(ch) else ch for ch in text)


def plural(k: int, noun: str, many: str | None = None) -> str:
    """'1 step', '2 steps' (`many`: an irregular plural)."""
    return f"{k} {noun if k == 1 else many or noun + 's'}"


def clock(ms: float) -> str:
    """A run time as minutes:seconds, e.g. 25:30."""
    return f"{int(ms // 60000)}:{int(ms // 1000 % 60):02d}"


def shown_text(text: str) -> str:
    """Text made of lines (a report, an error), each line as shown() would print it: its line
    breaks kept, any other control character escaped."""
    return "\n".join(shown(line) for line in text.split("\n"))


def escaped_html(value: object) -> str:
    """shown(), then HTML-escaped: what an HTML report writes of a string."""
    return html.escape(shown(value))


def repair(value: str) -> str:
    """Text as json decoded it from a header. Firmware before this fix stored a non-BMP
    character (an emoji) the host sent as \\uD83C\\uDFC3 escapes as two surrogates: joined
    back here. A lone surrogate left over makes the text unreadable (ValueError)."""
    if not any("\ud800" <= ch <= "\udfff" for ch in value):
        return value
    try:
        return value.encode("utf-16", "surrogatepass").decode("utf-16")
    except UnicodeDecodeError:
        raise ValueError("text that is not valid Unicode (a lone surrogate)") from None


def name_key(name: str) -> str:
    """A runner's name as the store compares it: NFKC-normalised, case-folded (then NFKC again, as
    Unicode's NFKC_Casefold), spaces trimmed and collapsed. NFKC rather than NFC: a name typed
    once with full-width letters (a CJK keyboard: `Ａｎａ`) or a ligature is the same runner; it
    keeps every letter and emoji apart that a coach would tell apart."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def width(text: str) -> int:
    """Columns a terminal gives the text: wide characters (CJK, most emoji) two; combining marks,
    variation selectors, joiners, skin tones and what a zero-width joiner joins on none (an emoji
    sequence is drawn as one)."""
    columns, joined = 0, False
    for ch in text:
        if not (joined or unicodedata.category(ch) in ("Mn", "Me", "Cf") or "\U0001f3fb" <= ch <= "\U0001f3ff"):
            columns += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        joined = ch == "\u200d"
    return columns


def ljust(text: str, columns: int) -> str:
    """text padded with spaces to `columns` terminal columns (str.ljust counts characters)."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    return " " * max(0, columns - width(text)) + text
