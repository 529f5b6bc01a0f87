"""Pure text functions: paragraph splitting with character offsets, normalisation and hashing.

Offsets are Python string indices into the text as given (``text[start:end]`` is the paragraph), so
evidence can be highlighted in the original article whatever its line endings.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

MAX_PARAGRAPH_CHARS = 3000

_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0b|\x0c|\x85")
_BREAK = r"(?:\r\n|\r(?!\n)|\n|\u2028|\u2029)"  # a CRLF is one break, never a CR then an LF
_BLANK_RUN = re.compile(_BREAK + r"[ \t\u00a0]*(?:" + _BREAK + r"[ \t\u00a0]*)+")
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\u061f])[\"'\u201d\u2019)\]]*\s+")
_WORD_CHAR = re.compile(r"\w")
_NON_WORD_RUN = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: int
    end: int
    text: str


def split_paragraphs(text: str, *, mode: str = "line", max_chars: int = MAX_PARAGRAPH_CHARS) -> list[Paragraph]:
    """Split an article into paragraphs with offsets into ``text``.

    ``mode="line"`` (the default) makes every non-blank line a paragraph: scraped news puts one
    paragraph, headline or bullet on a line. ``mode="blank"`` splits on blank lines only, for
    hard-wrapped text. Surrounding whitespace is trimmed; pieces without a letter or digit (rules such
    as ``***``) are dropped; a paragraph longer than ``max_chars`` is cut at sentence ends, or at
    whitespace when a single sentence is longer, into pieces of at most ``max_chars``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    if mode not in ("line", "blank"):
        raise ValueError(f"mode must be 'line' or 'blank', not {mode!r}")
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    separator = _LINE_BREAK if mode == "line" else _BLANK_RUN
    spans: list[tuple[int, int]] = []
    position = 0
    for match in separator.finditer(text):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))

    paragraphs: list[Paragraph] = []
    for start, end in spans:
        start, end = _trim(text, start, end)
        if start == end or not _WORD_CHAR.search(text, start, end):
            continue
        for piece_start, piece_end in _cut(text, start, end, max_chars):
            paragraphs.append(Paragraph(len(paragraphs), piece_start, piece_end, text[piece_start:piece_end]))
    return paragraphs


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` into pieces of at most ``max_chars``, preferring sentence ends."""
    if end - start <= max_chars:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    while end - start > max_chars:
        limit = start + max_chars
        cut = None
        for match in _SENTENCE_END.finditer(text, start, limit + 1):
            if match.start() > start:
                cut = match.start()
        if cut is None:
            space = text.rfind(" ", start + 1, limit + 1)
            cut = space if space > start else limit
        piece_start, piece_end = _trim(text, start, cut)
        if piece_end > piece_start:
            pieces.append((piece_start, piece_end))
        start, _ = _trim(text, cut, end)
    if end > start:
        pieces.append((start, end))
    return pieces


def normalise(text: str) -> str:
    """Comparison key for near-exact duplicates: NFKC, case-folded, punctuation and spacing dropped."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD_RUN.sub(" ", folded).strip()


def text_hash(text: str) -> str:
    """Stable hash of a paragraph's exact text, stored with annotations instead of the text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
