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
import hashlib
import io
import json
import os
import re
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
MAX_DEPTH = 64  # a JSON record nesting deeper is an error record (the output would have to nest it too)
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
    read_bytes: int = 0  # uncompressed bytes of records read so far (--max-bytes)

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


def fingerprint(path: Path) -> dict:
    """What a resume checks to know the input is the one the checkpoint was written for.

    Per file: its size, and a SHA-256 of its content: all of it up to ``FULL_HASH_BYTES``; beyond that,
    of its first and last ``EDGE_BYTES`` and its modification time. A directory's fingerprint is one
    digest over its files' relative paths and fingerprints (symlinks as they are read).
    """
    if path.is_dir():
        files = _doc_files(path)
        digest = hashlib.sha256()
        for file in files:
            size, content = _file_digest(file)
            digest.update(f"{file.relative_to(path).as_posix()}\0{size}\0{content}\n".encode("utf-8", "replace"))
        return {"files": len(files), "bytes": sum(_size(f) for f in files), "sha256": digest.hexdigest()}
    size, content = _file_digest(path)
    return {"files": 1, "bytes": size, "sha256": content}


FULL_HASH_BYTES = 64 << 20
EDGE_BYTES = 1 << 20


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    try:
        stat = path.stat()
        with path.open("rb") as handle:
            if stat.st_size <= FULL_HASH_BYTES:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            else:
                digest.update(handle.read(EDGE_BYTES))
                handle.seek(stat.st_size - EDGE_BYTES)
                digest.update(handle.read(EDGE_BYTES))
                digest.update(str(stat.st_mtime_ns).encode())
    except OSError as error:
        return 0, f"unreadable: {error.strerror}"
    return stat.st_size, digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class Limits:
    """Guards on what one run reads: records, and bytes of (uncompressed) input; ``None`` is no limit."""

    records: int | None = None
    bytes: int | None = None


NO_LIMITS = Limits()


class Source:
    """The inputs of one run, read in order as one stream of items.

    ``outside_links``: whether a symlink inside an input directory may point outside it (by default
    such a file is an error record, not read).
    """

    def __init__(
        self, paths: list[Path], override: str | None = None, *, limits: Limits = NO_LIMITS, outside_links=False
    ):
        if override is not None and override not in FORMATS:
            raise InputError(f"unknown format {override!r}; formats are {', '.join(FORMATS)}")
        self.paths = [Path(p) for p in paths]
        self.formats = [detect_format(p, override) for p in self.paths]
        for path, fmt in zip(self.paths, self.formats):
            if fmt == "parquet" and _is_gzip(path):
                raise InputError(
                    f"{path}: a gzip-compressed Parquet file would have to be inflated whole (Parquet needs random "
                    "access and compresses its own pages); decompress it first (gunzip -k) or write it with Parquet's "
                    "own compression"
                )
        self.limits = limits
        self.outside_links = outside_links
        self.sizes = [_input_size(p) for p in self.paths]
        self.progress = Progress(total=sum(self.sizes))
        self._fingerprints: list | None = None
        self.stopped: str | None = None  # why reading stopped early (a limit), once it has

    @property
    def fingerprints(self) -> list[dict]:
        if self._fingerprints is None:
            self._fingerprints = [fingerprint(p) for p in self.paths]
        return self._fingerprints

    def items(self, skip: int = 0) -> Iterator[Item]:
        skipper = Skip(skip)
        count = skip
        for path, fmt, size in zip(self.paths, self.formats, self.sizes):
            if fmt == "dir":
                items = read_dir(path, skipper, self.progress, outside_links=self.outside_links)
            else:
                reader = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet, "doc": read_doc}[fmt]
                items = reader(path, skipper, self.progress)
            for item in items:
                self.stopped = self._over_limit(count)
                if self.stopped:
                    return
                count += 1
                yield item
            self.progress.done += size
            self.progress.current = 0

    def _over_limit(self, count: int) -> str | None:
        """Why the record after ``count`` records must not be read, or None."""
        records, limit_bytes = self.limits.records, self.limits.bytes
        if records is not None and count >= records:
            return f"--max-records {records:,} reached: the output holds the first {count:,} records"
        if limit_bytes is not None and self.progress.read_bytes > limit_bytes:
            return (
                f"--max-bytes {limit_bytes:,} reached ({self.progress.read_bytes:,} bytes of input read): "
                f"the output holds the first {count:,} records"
            )
        return None


def _input_size(path: Path) -> int:
    if path.is_dir():
        return sum(_size(f) for f in _doc_files(path))
    return _size(path)


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
                progress.read_bytes += too_long or len(line)
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
    except RecursionError:
        return Item(default_id, error=f"line {number}: JSON nested too deeply to read")
    except Exception as error:  # noqa: BLE001 - whatever a line does, it fails alone
        return Item(default_id, error=f"line {number}: not readable as JSON: {type(error).__name__}: {error}")
    if not isinstance(record, dict):
        return Item(default_id, error=f"line {number}: record must be a JSON object, got {type(record).__name__}")
    record = with_id(record, default_id)
    if _too_deep(record):
        return Item(default_id, error=f"line {number}: JSON nested more than {MAX_DEPTH} levels deep")
    return Item(record["id"], article=record)


def _too_deep(value, depth: int = 0) -> bool:
    """Whether a parsed record nests deeper than ``MAX_DEPTH`` (its fields pass through to the output)."""
    if depth > MAX_DEPTH:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, depth + 1) for v in value)
    return False


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(path: Path, skip: Skip, progress: Progress, limit: int = MAX_LINE_BYTES) -> Iterator[Item]:
    """CSV read strictly, one record at a time, never holding more than ``limit`` bytes of one record.

    A quoted field may span lines. A quote that never closes properly (the record it starts does not
    parse strictly, runs past ``limit`` bytes or to the end of the file) is an error record at the line
    where it starts, and the lines after that line are read again as rows.
    """
    csv.field_size_limit(max(csv.field_size_limit(), limit))
    try:
        stream, raw = _open_binary(path)
    except OSError as error:
        yield Item(f"{path.name}:2", error=f"cannot open {path}: {error}")
        return
    number = 0
    with raw, stream:
        try:
            lines = _Replay(_lines(stream, limit))
            header = None
            for start, record, error in _csv_records(lines, limit):
                number = start
                progress.current = raw.tell()
                progress.read_bytes += len(record)
                if header is None:
                    if error:
                        yield Item(f"{path.name}:{start}", error=f"line {start}: the header is not valid CSV: {error}")
                        return
                    header = [h.lstrip("\ufeff").strip() for h in _parse_csv(record)[0]]
                    continue
                if skip.take():
                    continue
                if error:
                    yield Item(f"{path.name}:{start}", error=f"line {start}: not valid CSV: {error}")
                    continue
                yield csv_item(header, _parse_csv(record)[0], path.name, start)
        except _READ_ERRORS as error:
            if not skip.take():
                yield Item(
                    f"{path.name}:{number + 1}",
                    error=f"line {number + 1} on: cannot read the rest of {path.name}: {error}",
                )


class _Replay:
    """An iterator of lines that can be told to give some lines again (after an unbalanced quote)."""

    def __init__(self, lines: Iterator):
        self.lines = lines
        self.pending: list = []

    def __iter__(self):
        return self

    def __next__(self):
        return self.pending.pop(0) if self.pending else next(self.lines)

    def replay(self, lines: list) -> None:
        self.pending[:0] = lines


def _csv_records(lines: _Replay, limit: int) -> Iterator[tuple[int, bytes, str | None]]:
    """(first line number, the record's bytes, an error or None) per CSV record; blank lines skipped."""
    for number, line, too_long in lines:
        if too_long:
            yield number, b"", f"{too_long:,} bytes on one line; the limit is {limit:,} bytes"
            continue
        if not line.strip(b"\r\n"):
            continue
        taken = [(number, line, too_long)]
        record = line
        error = None
        while record.count(b'"') % 2:  # a quoted field continues on the next line
            following = next(lines, None)
            if following is None:
                error = "a quote opened here never closes"
                break
            taken.append(following)
            if following[2] or len(record) + len(following[1]) > limit:
                error = f"a quote opened here does not close within {limit:,} bytes"
                break
            record += following[1]
        if error is None and len(taken) > 1:
            try:
                _parse_csv(record)
            except csv.Error as strict:
                error = f"a quote opened here does not close properly ({strict})"
        if error is not None and len(taken) > 1:
            lines.replay(taken[1:])  # the quote was unbalanced: the lines after this one are rows
            record = line
        if error is None:
            try:
                _parse_csv(record)
            except csv.Error as strict:
                error = str(strict)
        yield number, record, error


def _parse_csv(record: bytes) -> list[list[str]]:
    """The rows of one record (strict quoting); bytes that are not UTF-8 kept as surrogates."""
    text = record.decode("utf-8", errors="surrogateescape")
    if text.endswith("\n"):
        text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    if len(rows) > 1:
        raise csv.Error("more than one record")
    return rows or [[]]


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

    row = 0
    try:
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
                    progress.read_bytes += sum(len(v) for v in values.values() if isinstance(v, (str, bytes)))
                    yield mapping_item(values, f"{path.name}:{row}", f"row {row}")
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a corrupt file
        if not skip.take():
            yield Item(
                f"{path.name}:{row + 1}", error=f"row {row + 1} on: cannot read the rest of {path.name}: {error}"
            )


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


def read_dir(directory: Path, skip: Skip, progress: Progress, outside_links: bool = False) -> Iterator[Item]:
    inside = directory.resolve()
    for path in _doc_files(directory):
        if not skip.take():
            doc_id = path.relative_to(directory).as_posix()
            if not outside_links and path.is_symlink() and not _within(path, inside):
                yield Item(doc_id, error=f"{doc_id}: a link to a file outside {directory} (not read)")
            else:
                item = doc_item(path, doc_id)
                progress.read_bytes += _chars_of(item)
                yield item
        progress.current += _size(path)


def _within(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory)
    except (OSError, RuntimeError, ValueError):  # a loop, or outside
        return False
    return True


def _chars_of(item: Item) -> int:
    return len((item.article or {}).get("text") or "")


def read_doc(path: Path, skip: Skip, progress: Progress) -> Iterator[Item]:
    if not skip.take():
        item = doc_item(path, path.name)
        progress.read_bytes += _chars_of(item)
        yield item


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
    if looks_binary(data):
        return Item(doc_id, error=f"{doc_id}: binary data, not text")
    text = decode_document(data)
    if DOC_SUFFIXES[_suffix(path)] == "html":
        title, text, extractor = extract_page(text)
        return Item(doc_id, article={"id": doc_id, "title": title, "text": text, "extractor": extractor})
    return Item(doc_id, article={"id": doc_id, "text": text})


_CONTROL = set(range(0, 9)) | {11} | set(range(14, 32)) | {127}


def looks_binary(data: bytes, sample: int = 8192) -> bool:
    """Binary, not text: a NUL byte, or (in the first ``sample`` bytes) more than 1% control characters
    (C0 controls other than tab, line breaks and form feed; DEL). Random or compressed bytes hold about
    10%; text in a legacy 8-bit encoding (Latin-1, Windows-1251) holds none and is still read."""
    head = data[:sample]
    if b"\0" in data:
        return True
    if not head:
        return False
    text = head.decode("utf-8", errors="replace")
    controls = sum(1 for c in text if ord(c) < 128 and ord(c) in _CONTROL)
    return controls > max(1, len(text) // 100)


def decode_document(data: bytes) -> str:
    """UTF-8 (a BOM dropped); anything else, including mixed encodings, with U+FFFD replacement."""
    return data.decode("utf-8-sig", errors="replace")


# --- HTML to text ------------------------------------------------------------------------------


def extract_page(html: str) -> tuple[str | None, str, str]:
    """The page's title, its main text and the extractor that gave it.

    The main text comes from trafilatura (precision first: cookie banners, bylines, advertisement
    labels, "Related"/"Trending" link blocks, menus and footers are left out), its blocks separated
    by a blank line so that each is a paragraph. A page trafilatura finds no main text in (a bare
    fragment, a list page) falls back to ``html_to_text``, which keeps every block outside the
    page's navigation. The article carries the extractor's name; its record carries the text, so
    that evidence offsets can be checked (``extracted_text[start:end]``).
    """
    try:
        import trafilatura

        document = trafilatura.bare_extraction(
            html, with_metadata=True, include_comments=False, include_tables=False, favor_precision=True
        )
    except Exception:  # noqa: BLE001 - any failure of the extractor falls back to the plain pass
        document = None
    blocks = [" ".join(line.split()) for line in (getattr(document, "text", None) or "").splitlines()]
    blocks = [block for block in blocks if block]
    if blocks:
        title = " ".join((document.title or "").split()) or html_to_text(html)[0]
        return title, "\n\n".join(blocks), "trafilatura"
    title, text = html_to_text(html)
    return title, text, "html.parser"


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
    """The fallback extractor: the page's <title> and its text, blocks separated by a blank line, <br> a
    line break; scripts, styles and the page's nav/header/footer/aside/form elements dropped."""
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
