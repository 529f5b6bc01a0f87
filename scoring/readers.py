"""Read article dumps as a stream of items: JSONL, CSV, Parquet, or a directory of .txt/.html files.

Every input record becomes exactly one ``Item``: either an article (a dict with at least ``id``, for
``classifier.articles.score_articles`` to validate and score) or an error with a message. Nothing is
dropped; blank JSONL lines are not records. Any file may be gzip-compressed (``.gz``); the format is
chosen by extension (after ``.gz``) unless one is given.

Stable ids for records that have none: ``<file name>:<line>`` for JSONL and CSV (the physical line the
record starts on; the CSV header is line 1), ``<file name>:<row>`` for Parquet (1-based), and the path
relative to the directory for .txt/.html files.

Text decoding: a JSONL line or CSV row that is not valid UTF-8 is an error record. A .txt/.html file
that is not valid UTF-8 (a legacy or mixed encoding) is decoded with U+FFFD replacement and scored.
Text that already holds U+FFFD is scored as it is; a lone surrogate (a JSON escape such as ``\udc80``,
which no encoder accepts) is replaced by U+FFFD, one character for one, so offsets still hold.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from classifier.articles import MAX_TEXT_CHARS

FORMATS = ("jsonl", "csv", "parquet", "dir")
ARTICLE_FIELDS = ("id", "text", "title", "url", "date", "lang", "source")
# A JSON line may spend up to 6 bytes per character on escapes; longer lines are refused unread.
MAX_LINE_BYTES = 8 * MAX_TEXT_CHARS
MAX_FILE_BYTES = 4 * MAX_TEXT_CHARS  # a .txt/.html file: UTF-8 needs at most 4 bytes a character
DOC_SUFFIXES = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html"}
_READ_ERRORS = (OSError, EOFError, zlib.error)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # from a JSON escape such as "\\udc80"; not encodable


class InputError(Exception):
    """The input cannot be read at all (missing, unknown format): the run cannot proceed."""


@dataclass
class Item:
    id: object
    article: dict | None = None
    error: str | None = None


@dataclass
class Skip:
    """How many leading records to skip (resume): readers skip cheaply, without parsing."""

    remaining: int = 0

    def take(self) -> bool:
        if self.remaining > 0:
            self.remaining -= 1
            return True
        return False


@dataclass
class Progress:
    """Bytes of input consumed, for the progress bar's percentage and ETA."""

    total: int = 0
    done: int = 0
    current: int = 0

    def fraction(self) -> float | None:
        return min(1.0, (self.done + self.current) / self.total) if self.total else None


def detect_format(path: Path, override: str | None = None) -> str:
    """``jsonl``, ``csv``, ``parquet``, ``dir`` or ``doc`` (one .txt/.html file)."""
    if not path.exists():
        raise InputError(f"{path}: no such file or directory")
    if path.is_dir():
        if override not in (None, "dir"):
            raise InputError(f"{path} is a directory; --format {override} needs a file")
        return "dir"
    if override == "dir":
        raise InputError(f"{path} is not a directory")
    if override:
        return override
    suffix = _suffix(path)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in DOC_SUFFIXES:
        return "doc"
    raise InputError(f"{path}: cannot tell the format from the extension {suffix or '(none)'}; pass --format")


def _suffix(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return Path(name).suffix


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def fingerprint(path: Path) -> list:
    """Size and file count of an input, so that a resume can tell the input has changed."""
    if path.is_dir():
        files = _doc_files(path)
        return [len(files), sum(_size(f) for f in files)]
    return [1, _size(path)]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class Source:
    """The inputs of one run, read in order as one stream of items."""

    def __init__(self, paths: list[Path], override: str | None = None):
        if override is not None and override not in FORMATS:
            raise InputError(f"unknown format {override!r}; formats are {', '.join(FORMATS)}")
        self.paths = [Path(p) for p in paths]
        self.formats = [detect_format(p, override) for p in self.paths]
        self.fingerprints = [fingerprint(p) for p in self.paths]
        self.progress = Progress(total=sum(size for _, size in self.fingerprints))

    def items(self, skip: int = 0) -> Iterator[Item]:
        skipper = Skip(skip)
        for path, fmt, (_, size) in zip(self.paths, self.formats, self.fingerprints):
            reader = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet, "dir": read_dir, "doc": read_doc}[
                fmt
            ]
            yield from reader(path, skipper, self.progress)
            self.progress.done += size
            self.progress.current = 0


def _open_binary(path: Path):
    """The file as a binary stream (decompressed if .gz) and the raw handle, whose position is progress."""
    raw = path.open("rb")
    if _is_gzip(path):
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def with_id(article: dict, default_id: str) -> dict:
    """The article with its stable id where it has none, and lone surrogates in its texts replaced."""
    if article.get("id") is None or article.get("id") == "":
        article["id"] = default_id
    for key in ("text", "title"):
        value = article.get(key)
        if isinstance(value, str) and _LONE_SURROGATE.search(value):
            article[key] = _LONE_SURROGATE.sub("\ufffd", value)
    return article


# --- JSONL -------------------------------------------------------------------------------------


def read_jsonl(path: Path, skip: Skip, progress: Progress) -> Iterator[Item]:
    number = 0
    try:
        stream, raw = _open_binary(path)
    except OSError as error:
        yield Item(f"{path.name}:1", error=f"cannot open {path}: {error}")
        return
    with raw, stream:
        try:
            for number, line, too_long in _lines(stream):
                progress.current = raw.tell()
                if not too_long and not line.strip():
                    continue
                if skip.take():
                    continue
                yield parse_jsonl_line(line, path.name, number, too_long)
        except _READ_ERRORS as error:
            if not skip.take():
                yield Item(
                    f"{path.name}:{number + 1}",
                    error=f"line {number + 1} on: cannot read the rest of {path.name}: {error}",
                )


def _lines(stream, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, bytes, int]]:
    """(line number, bytes, 0) per line; an over-long line gives (number, b"", its length) unread."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            length = len(line)
            while True:  # drain the rest of the line without keeping it
                rest = stream.readline(1 << 20)
                length += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, b"", length
            continue
        yield number, line, 0


def parse_jsonl_line(line: bytes, name: str, number: int, too_long: int = 0) -> Item:
    """One JSONL line as an item; the same parsing serves the local and the Spark engine."""
    default_id = f"{name}:{number}"
    if too_long:
        return Item(default_id, error=f"line {number}: {too_long:,} bytes; the limit is {MAX_LINE_BYTES:,} bytes")
    if number == 1 and line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]  # a byte order mark
    try:
        decoded = line.decode("utf-8")
    except UnicodeDecodeError as error:
        return Item(
            default_id, error=f"line {number}: not valid UTF-8 (byte 0x{line[error.start]:02x} at offset {error.start})"
        )
    try:
        record = json.loads(decoded)
    except json.JSONDecodeError as error:
        return Item(default_id, error=f"line {number}: not valid JSON: {error}")
    if not isinstance(record, dict):
        return Item(default_id, error=f"line {number}: record must be a JSON object, got {type(record).__name__}")
    record = with_id(record, default_id)
    return Item(record["id"], article=record)


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(path: Path, skip: Skip, progress: Progress) -> Iterator[Item]:
    csv.field_size_limit(MAX_LINE_BYTES)
    try:
        stream, raw = _open_binary(path)
    except OSError as error:
        yield Item(f"{path.name}:2", error=f"cannot open {path}: {error}")
        return
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape", newline="")
    with raw, text:
        reader = csv.reader(text)
        line = 1
        try:
            header = next(reader, None)
            if header is None:
                return
            header = [h.lstrip("\ufeff").strip() for h in header]
            line = reader.line_num
            while True:
                start = line + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    line = reader.line_num
                    if not skip.take():
                        yield Item(f"{path.name}:{start}", error=f"line {start}: not valid CSV: {error}")
                    continue
                line = reader.line_num
                progress.current = raw.tell()
                if skip.take():
                    continue
                yield csv_item(header, row, path.name, start)
        except _READ_ERRORS as error:
            if not skip.take():
                yield Item(
                    f"{path.name}:{line + 1}", error=f"line {line + 1} on: cannot read the rest of {path.name}: {error}"
                )


def csv_item(header: list[str], row: list[str], name: str, line: int) -> Item:
    default_id = f"{name}:{line}"
    if any(_has_surrogates(value) for value in row):
        return Item(default_id, error=f"line {line}: not valid UTF-8")
    if len(row) > len(header):
        return Item(default_id, error=f"line {line}: {len(row)} fields but the header has {len(header)}")
    article = {key: value for key, value in zip(header, row) if key}
    for key in ("title", "url", "date", "lang", "source"):
        if article.get(key) == "":
            article[key] = None
    article = with_id(article, default_id)
    return Item(article["id"], article=article)


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --- Parquet -----------------------------------------------------------------------------------


def read_parquet(path: Path, skip: Skip, progress: Progress, batch_rows: int = 1024) -> Iterator[Item]:
    import pyarrow.parquet as pq

    temporary = None
    row = 0
    try:
        if _is_gzip(path):  # Parquet needs random access: decompress to a temporary file first
            temporary = tempfile.NamedTemporaryFile(suffix=".parquet", delete=False)
            with gzip.open(path, "rb") as source, temporary:
                shutil.copyfileobj(source, temporary, 1 << 20)
            parquet = pq.ParquetFile(temporary.name)
        else:
            parquet = pq.ParquetFile(path)
        metadata = parquet.metadata
        columns = [c for c in ARTICLE_FIELDS if c in parquet.schema_arrow.names]
        groups = list(range(metadata.num_row_groups))
        while groups and skip.remaining >= metadata.row_group(groups[0]).num_rows:
            skip.remaining -= metadata.row_group(groups[0]).num_rows
            row += metadata.row_group(groups[0]).num_rows
            groups.pop(0)
        size = _size(path)
        total = max(metadata.num_rows, 1)
        if groups:
            for batch in parquet.iter_batches(batch_size=batch_rows, row_groups=groups, columns=columns):
                for values in batch.to_pylist():
                    row += 1
                    if skip.take():
                        continue
                    progress.current = size * row // total
                    yield mapping_item(values, f"{path.name}:{row}", f"row {row}")
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a corrupt file
        if not skip.take():
            yield Item(
                f"{path.name}:{row + 1}", error=f"row {row + 1} on: cannot read the rest of {path.name}: {error}"
            )
    finally:
        if temporary is not None:
            os.unlink(temporary.name)


def mapping_item(values: dict, default_id: str, where: str) -> Item:
    """An article from a table row (Parquet, or Spark's rows); binary text must be UTF-8."""
    article = {key: value for key, value in values.items() if value is not None}
    for key in ("text", "title"):
        if isinstance(article.get(key), bytes):
            try:
                article[key] = article[key].decode("utf-8")
            except UnicodeDecodeError:
                return Item(article.get("id", default_id), error=f"{where}: {key!r} is not valid UTF-8")
    article = with_id(article, default_id)
    return Item(article["id"], article=article)


# --- .txt / .html files ------------------------------------------------------------------------


def _doc_files(directory: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if not name.startswith(".") and _suffix(Path(name)) in DOC_SUFFIXES:
                found.append(Path(root) / name)
    return sorted(found, key=lambda p: p.relative_to(directory).as_posix())


def read_dir(directory: Path, skip: Skip, progress: Progress) -> Iterator[Item]:
    for path in _doc_files(directory):
        if not skip.take():
            yield doc_item(path, path.relative_to(directory).as_posix())
        progress.current += _size(path)


def read_doc(path: Path, skip: Skip, progress: Progress) -> Iterator[Item]:
    if not skip.take():
        yield doc_item(path, path.name)


def doc_item(path: Path, doc_id: str) -> Item:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES and not _is_gzip(path):
            return Item(doc_id, error=f"{doc_id}: {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        with gzip.open(path, "rb") if _is_gzip(path) else path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except _READ_ERRORS as error:
        return Item(doc_id, error=f"{doc_id}: cannot read: {error}")
    if len(data) > MAX_FILE_BYTES:
        return Item(doc_id, error=f"{doc_id}: more than {MAX_FILE_BYTES:,} bytes uncompressed")
    text = decode_document(data)
    if DOC_SUFFIXES[_suffix(path)] == "html":
        title, text = html_to_text(text)
        return Item(doc_id, article={"id": doc_id, "title": title, "text": text})
    return Item(doc_id, article={"id": doc_id, "text": text})


def decode_document(data: bytes) -> str:
    """UTF-8 (a BOM dropped); anything else, including mixed encodings, with U+FFFD replacement."""
    return data.decode("utf-8-sig", errors="replace")


# --- HTML to text ------------------------------------------------------------------------------

_SKIPPED = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "svg", "iframe", "form"}
_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section", "article",
    "main", "blockquote", "pre", "figure", "figcaption", "dd", "dt", "dl", "hr", "title", "body", "td", "th",
}  # fmt: skip


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skipping = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in _SKIPPED and self.skipping:
            self.skipping -= 1
        elif tag == "title":
            self.in_title = False
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[str | None, str]:
    """The page's <title> and its text: blocks separated by a blank line, <br> a line break; boilerplate dropped."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    lines = []
    for line in "".join(collector.parts).split("\n"):
        line = " ".join(line.split())
        if line or (lines and lines[-1]):
            lines.append(line)
    title = " ".join("".join(collector.title).split()) or None
    return title, "\n".join(lines).strip("\n")
