"""Score article dumps at scale: streaming, one output record per input record, resumable.

    python -m classifier.score INPUT... -o OUTPUT [--model URI] [--batch-size N] [--resume]
        [--format jsonl|csv|parquet|dir] [--engine local|spark] [--spark-master URL]

Inputs: JSONL, CSV, Parquet, a .txt/.html file or a directory of them, any of them gzip-compressed;
the format comes from the extension unless --format names it (see ``classifier.readers``).
Output: JSONL, or Parquet when OUTPUT ends in .parquet (a directory of part files). One record per
input record, in input order: the record ``classifier.predict.score_articles`` builds, with its bulky
``paragraphs`` list replaced by ``evidence``: only the flagged paragraphs, each with a ``snippet`` of
its text (at most ~300 characters).

Resume: the output is written in order, chunk by chunk, and a checkpoint beside it (JSONL:
``OUTPUT.checkpoint``; Parquet: ``OUTPUT/_checkpoint.json``) records how many input records are done
and where the output ended, after an fsync. ``--resume`` cuts the output back to the checkpoint and
skips that many input records, so a run killed at any point ends like one never interrupted.

Exit status: 0 every record scored (ok or empty), 1 some records are errors, 2 the run could not proceed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from classifier.predict import DEFAULT_MODEL_URI, MAX_TEXT_CHARS, Scorer, error_record, score_articles
from classifier.readers import FORMATS, InputError, Item, Source

SNIPPET_CHARS = 300
MAX_CHUNK_CHARS = 4 * MAX_TEXT_CHARS  # a chunk also ends when its texts reach this many characters
PART_RECORDS = 20_000  # Parquet output: records per part file, the unit of resume
CRASH_ENV = "CLASSIFIER_SCORE_CRASH"  # tests only: "<chunk>:<torn|written|committed>" kills the run there


class RunError(Exception):
    """The run cannot proceed (exit status 2)."""


@dataclass
class Summary:
    read: int = 0
    ok: int = 0
    empty: int = 0
    error: int = 0
    paragraphs: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, record: dict, paragraphs: int) -> None:
        self.read += 1
        status = record.get("status")
        if status in ("ok", "empty", "error"):
            setattr(self, status, getattr(self, status) + 1)
        self.paragraphs += paragraphs
        for label, flag in (record.get("flags") or {}).items():
            self.flagged.setdefault(label, 0)
            if flag:
                self.flagged[label] += 1


# --- records -----------------------------------------------------------------------------------


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    """The paragraph text, cut at a word boundary to at most ``limit`` characters."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates from JSON escapes
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    if cut < limit // 2:
        cut = limit - 1
    return text[:cut].rstrip() + "\u2026"


def flagged_paragraphs(paragraphs: list[dict], article: dict | None) -> list[dict]:
    """Evidence for a record that has none of its own: the flagged paragraphs, each with a snippet."""
    found = []
    for paragraph in paragraphs:
        if not any((paragraph.get("flags") or {}).values()):
            continue
        item = dict(paragraph)
        source = (article or {}).get("title" if paragraph.get("field") == "title" else "text") or ""
        item["snippet"] = snippet(source[paragraph.get("start", 0) : paragraph.get("end", 0)])
        found.append(item)
    return found


def dump_record(record: dict, article: dict | None) -> dict:
    """The output record: every field score_articles gives but the full ``paragraphs`` list.

    ``evidence`` (the paragraphs behind the verdicts, with snippets) comes from score_articles; a
    record without it gets the flagged paragraphs, with snippets, in its place.
    """
    out = {key: value for key, value in record.items() if key != "paragraphs"}
    if "evidence" not in out:
        out["evidence"] = flagged_paragraphs(record.get("paragraphs") or [], article)
    return out


def score_items(items: list[Item], scorer: Scorer) -> list[tuple[dict, int]]:
    """Output records (with their paragraph counts) for a chunk of items, in order."""
    articles = [item.article for item in items if item.error is None]
    scored = iter(_score_guarded(articles, scorer))
    out = []
    for item in items:
        if item.error is not None:
            out.append((dump_record(error_record(item.id, item.error, scorer), None), 0))
            continue
        record = next(scored)
        out.append((dump_record(record, item.article), len(record.get("paragraphs") or [])))
    return out


def _score_guarded(articles: list[dict], scorer: Scorer) -> list[dict]:
    """score_articles; when the model fails on a chunk, score one by one so that one bad article fails alone."""
    if not articles:
        return []
    try:
        records = score_articles(articles, scorer)
        if len(records) != len(articles):
            raise RuntimeError(f"score_articles gave {len(records)} records for {len(articles)} articles")
        return records
    except Exception as error:  # noqa: BLE001 - isolate the failing article, keep the run going
        if len(articles) == 1:
            article = articles[0]
            return [error_record(article.get("id"), f"scoring failed: {type(error).__name__}: {error}", scorer)]
        return [record for article in articles for record in _score_guarded([article], scorer)]


def json_line(record: dict) -> bytes:
    try:
        return (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (from a JSON escape) in an id or error: escape it
        return (json.dumps(record) + "\n").encode("ascii")


def chunks(items: Iterable[Item], batch_size: int, max_chars: int = MAX_CHUNK_CHARS) -> Iterator[list[Item]]:
    """Chunks of at most ``batch_size`` items and, beyond one item, at most ``max_chars`` of text."""
    chunk, chars = [], 0
    for item in items:
        size = _chars(item)
        if chunk and (len(chunk) >= batch_size or chars + size > max_chars):
            yield chunk
            chunk, chars = [], 0
        chunk.append(item)
        chars += size
    if chunk:
        yield chunk


def _chars(item: Item) -> int:
    if item.article is None:
        return 0
    return sum(len(v) for v in (item.article.get("text"), item.article.get("title")) if isinstance(v, str))


# --- outputs and checkpoints -------------------------------------------------------------------


def _die(phase: str) -> None:
    """Tests: simulate a crash (kill -9) at a chosen point."""
    os.kill(os.getpid(), signal.SIGKILL)


class _Crash:
    def __init__(self) -> None:
        chunk, _, phase = os.environ.get(CRASH_ENV, "").partition(":")
        self.chunk = int(chunk) if chunk.isdigit() else None
        self.phase = phase or "written"

    def at(self, phase: str, chunk: int) -> bool:
        return self.chunk == chunk and self.phase == phase


def write_json_atomic(path: Path, data: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class _Checkpointed:
    """An output with a checkpoint file (``self.checkpoint``) that ``--resume`` starts from."""

    def load(self) -> dict | None:
        if not self.checkpoint.exists():
            return None
        return json.loads(self.checkpoint.read_text(encoding="utf-8"))


class JsonlOutput(_Checkpointed):
    """JSONL output, appended chunk by chunk; the checkpoint holds the records done and the byte offset."""

    kind = "jsonl"

    def __init__(self, path: Path):
        self.path = path
        self.checkpoint = path.with_name(path.name + ".checkpoint")
        self.handle = None
        self.chunk = 0
        self.crash = _Crash()

    def open(self, state: dict | None, header: dict) -> None:
        self.header = header
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if state is None:
            self.checkpoint.unlink(missing_ok=True)
            self.handle = self.path.open("wb")
            return
        if not self.path.exists() or self.path.stat().st_size < state["offset"]:
            raise RunError(f"{self.path} is shorter than its checkpoint says ({state['offset']:,} bytes): rerun without --resume")
        self.handle = self.path.open("r+b")
        self.handle.truncate(state["offset"])
        self.handle.seek(state["offset"])

    def write(self, lines: list[bytes], done: int, summary: Summary) -> None:
        self.chunk += 1
        data = b"".join(lines)
        if self.crash.at("torn", self.chunk):
            self.handle.write(data[: len(data) // 2])
            self.handle.flush()
            _die("torn")
        self.handle.write(data)
        self.handle.flush()
        os.fsync(self.handle.fileno())
        if self.crash.at("written", self.chunk):
            _die("written")
        self._commit(done, summary, complete=False)
        if self.crash.at("committed", self.chunk):
            _die("committed")

    def _commit(self, done: int, summary: Summary, complete: bool) -> None:
        state = {**self.header, "records": done, "offset": self.handle.tell(), "summary": asdict(summary), "complete": complete}
        write_json_atomic(self.checkpoint, state)

    def close(self, done: int, summary: Summary) -> None:
        self._commit(done, summary, complete=True)
        self.handle.close()

    def abort(self) -> None:
        if self.handle is not None:
            self.handle.close()


class ParquetOutput(_Checkpointed):
    """A directory of Parquet part files and a manifest (the checkpoint) listing the finished parts.

    A part is written whole (temporary name, fsync, rename) every ``part_records`` records; a resume
    redoes at most the records of the part that was being built.
    """

    kind = "parquet"

    def __init__(self, path: Path, scorer: Scorer, part_records: int = PART_RECORDS):
        self.path = path
        self.checkpoint = path / "_checkpoint.json"
        self.part_records = part_records
        self.schema = parquet_schema(scorer)
        self.tables: list = []
        self.buffered = 0
        self.parts: list[list] = []
        self.chunk = 0
        self.crash = _Crash()

    def open(self, state: dict | None, header: dict) -> None:
        self.header = header
        if self.path.exists() and not self.path.is_dir():
            raise RunError(f"{self.path} exists and is not a directory (Parquet output is a directory of parts)")
        self.path.mkdir(parents=True, exist_ok=True)
        self.parts = [list(p) for p in state["parts"]] if state else []
        keep = {name for name, _ in self.parts}
        for stale in list(self.path.glob("part-*.parquet")) + list(self.path.glob(".part-*")):
            if stale.name not in keep:
                stale.unlink()
        if state is None:
            self.checkpoint.unlink(missing_ok=True)

    def write(self, records: list[dict], done: int, summary: Summary) -> None:
        import pyarrow as pa

        self.chunk += 1
        self.tables.append(pa.Table.from_pylist([arrow_row(r, self.schema) for r in records], schema=self.schema))
        self.buffered += len(records)
        if self.buffered >= self.part_records:
            self._flush(done, summary)
        if self.crash.at("committed", self.chunk):
            _die("committed")

    def _flush(self, done: int, summary: Summary) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.tables:
            name = f"part-{len(self.parts):05d}.parquet"
            temporary = self.path / f".{name}.tmp"
            with temporary.open("wb") as handle:
                pq.write_table(pa.concat_tables(self.tables), handle, row_group_size=8192)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path / name)
            self.parts.append([name, self.buffered])
            self.tables, self.buffered = [], 0
        self._commit(done, summary, complete=False)

    def _commit(self, done: int, summary: Summary, complete: bool) -> None:
        state = {**self.header, "records": done, "parts": self.parts, "summary": asdict(summary), "complete": complete}
        write_json_atomic(self.checkpoint, state)

    def close(self, done: int, summary: Summary) -> None:
        self._flush(done, summary)
        self._commit(done, summary, complete=True)

    def abort(self) -> None:
        self.tables = []


def parquet_schema(scorer: Scorer):
    """The Arrow schema of the output records, inferred from probe records built by score_articles.

    The probe scores two articles with a stand-in model whose every paragraph is flagged, so that
    ``evidence`` has items; whatever fields score_articles adds pass through. Dicts become maps, lists
    of dicts lists of structs, ``id`` a string; a value of another shape is stored as JSON text.
    """
    import pandas as pd
    import pyarrow as pa

    def everything_flagged(frame):
        return pd.DataFrame(0.5, index=frame.index, columns=scorer.columns)

    stand_in = Scorer(everything_flagged, list(scorer.columns), {c: 0.0 for c in scorer.columns}, scorer.name)
    probe = score_articles([{"id": "p", "title": "Probe", "text": "A probe.\nAnother."}, {"id": "e", "text": ""}], stand_in)
    records = [dump_record(r, a) for r, a in zip(probe, [{"title": "Probe", "text": "A probe.\nAnother."}, {}])]
    records.append(dump_record(error_record("x", "probe", scorer), None))
    fields = {"id": pa.string()}
    for record in records:
        for key, value in record.items():
            if key not in fields or (fields[key] == pa.null()):
                fields[key] = _infer(value)
    return pa.schema([pa.field(k, pa.string() if t == pa.null() else t) for k, t in fields.items()])


def _infer(value):
    import pyarrow as pa

    if value is None:
        return pa.null()
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    if isinstance(value, str):
        return pa.string()
    if isinstance(value, dict):
        kinds = {_infer(v) for v in value.values()}
        if not value:
            return pa.null()  # decided by a later probe record that has values
        return pa.map_(pa.string(), kinds.pop() if len(kinds) == 1 else pa.string())
    if isinstance(value, list):
        items = [v for v in value if v is not None]
        if not items:
            return pa.null()
        if all(isinstance(v, dict) for v in items):
            keys: dict = {}
            for item in items:
                for key, inner in item.items():
                    if keys.get(key, pa.null()) == pa.null():
                        keys[key] = _infer(inner)
            return pa.list_(pa.struct([pa.field(k, pa.string() if t == pa.null() else t) for k, t in keys.items()]))
        return pa.list_(_infer(items[0]))
    return pa.string()


def arrow_row(record: dict, schema) -> dict:
    unknown = set(record) - set(schema.names)
    if unknown:
        raise RunError(f"record fields {sorted(unknown)} are not in the Parquet schema; write JSONL instead")
    return {f.name: _arrow_value(record.get(f.name), f.type) for f in schema}


def _arrow_value(value, kind):
    import pyarrow as pa

    if value is None:
        return None
    if pa.types.is_map(kind):
        return [(str(k), _arrow_value(v, kind.item_type)) for k, v in value.items()]
    if pa.types.is_list(kind):
        return [_arrow_value(v, kind.value_type) for v in value]
    if pa.types.is_struct(kind):
        return {f.name: _arrow_value(value.get(f.name), f.type) for f in kind}
    if pa.types.is_string(kind):
        if isinstance(value, str):
            return value.encode("utf-8", "replace").decode("utf-8")
        return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
    return value


# --- progress ----------------------------------------------------------------------------------


class Reporter:
    """A progress bar on a terminal; plain periodic log lines otherwise."""

    def __init__(self, stream, fraction, every: float = 30.0, clock=time.monotonic):
        self.stream = stream
        self.fraction = fraction
        self.clock = clock
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.every = 0.5 if self.tty else every
        self.started = clock()
        self.last = self.started
        self.baseline: tuple[float, float] | None = None  # (time, fraction) after the first chunk: a resume skips first

    def update(self, summary: Summary, force: bool = False) -> None:
        now = self.clock()
        fraction = self.fraction()
        if self.baseline is None:
            self.baseline = (now, fraction or 0.0)
        if not force and now - self.last < self.every:
            return
        self.last = now
        rate = summary.read / max(now - self.started, 1e-9)
        eta = ""
        since, start = self.baseline
        if fraction is not None and fraction > start and now > since:
            eta = f"ETA {_clock((now - since) * (1 - fraction) / (fraction - start))}"
        percent = f"{100 * fraction:5.1f}%" if fraction is not None else ""
        if self.tty:
            filled = int(20 * (fraction or 0))
            bar = "#" * filled + "-" * (20 - filled)
            line = f"\r[{bar}] {percent} {summary.read:,} articles {rate:,.0f}/s {eta} errors {summary.error:,}  "
            self.stream.write(line)
        else:
            self.stream.write(
                f"score: {summary.read:,} records ({summary.ok:,} ok, {summary.empty:,} empty, {summary.error:,} error), "
                f"{rate:,.0f} articles/s, {percent.strip() or '?'} of input, {eta or 'ETA ?'}\n"
            )
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


# --- the run -----------------------------------------------------------------------------------


def output_for(path: Path, scorer: Scorer, part_records: int = PART_RECORDS):
    if path.suffix.lower() in (".parquet", ".pq"):
        return ParquetOutput(path, scorer, part_records)
    return JsonlOutput(path)


def run_header(inputs: list[Path], source: Source, scorer: Scorer, output) -> dict:
    """What a checkpoint must match for a resume to continue it."""
    return {
        "inputs": [str(p.resolve()) for p in inputs],
        "formats": source.formats,
        "fingerprints": source.fingerprints,
        "model": scorer.name,
        "output_format": output.kind,
    }


def run(
    inputs: list[Path],
    output_path: Path,
    scorer: Scorer,
    *,
    batch_size: int = 256,
    resume: bool = False,
    fmt: str | None = None,
    log=None,
    log_every: float = 30.0,
    part_records: int = PART_RECORDS,
) -> tuple[Summary, Summary]:
    """Score ``inputs`` into ``output_path``; returns (the whole output's summary, this run's summary)."""
    log = log or sys.stderr
    if batch_size < 1:
        raise RunError("--batch-size must be positive")
    source = Source(inputs, fmt)
    output = output_for(output_path, scorer, part_records)
    header = run_header(inputs, source, scorer, output)
    state = output.load() if resume else None
    if state is not None:
        mismatch = [key for key in header if state.get(key) != header[key]]
        if mismatch:
            raise RunError(f"{output.checkpoint} was written for another run ({', '.join(mismatch)} differ): rerun without --resume")
    total = Summary(**state["summary"]) if state else Summary()
    this_run = Summary()
    if state is not None and state.get("complete"):
        log.write(f"score: {output_path} is complete ({total.read:,} records); nothing to resume\n")
        return total, this_run
    done = state["records"] if state else 0
    if state is not None:
        log.write(f"score: resuming {output_path} after {done:,} records\n")
    elif resume:
        log.write(f"score: no checkpoint for {output_path}; starting from the beginning\n")
    output.open(state, header)
    reporter = Reporter(log, source.progress.fraction, log_every)
    started = time.perf_counter()
    try:
        for chunk in chunks(source.items(skip=done), batch_size):
            scored = score_items(chunk, scorer)
            for record, paragraphs in scored:
                total.add(record, paragraphs)
                this_run.add(record, paragraphs)
            done += len(chunk)
            this_run.seconds = time.perf_counter() - started
            total.seconds = (state["summary"]["seconds"] if state else 0.0) + this_run.seconds
            records = [record for record, _ in scored]
            output.write([json_line(r) for r in records] if output.kind == "jsonl" else records, done, total)
            reporter.update(this_run)
        output.close(done, total)
    except BaseException:
        output.abort()
        raise
    finally:
        reporter.close()
    this_run.seconds = time.perf_counter() - started
    return total, this_run


def format_summary(output: Path, total: Summary, this_run: Summary, model: str) -> str:
    seconds = max(this_run.seconds, 1e-9)
    lines = [
        f"{output}: {total.read:,} records read, {total.ok:,} ok, {total.empty:,} empty, {total.error:,} error ({model})",
        "  flagged: " + (", ".join(f"{label} {count:,}" for label, count in total.flagged.items()) or "none"),
        (
            f"  this run: {this_run.read:,} records in {this_run.seconds:.1f} s "
            f"({this_run.read / seconds:,.0f} articles/s, {this_run.paragraphs / seconds:,.0f} paragraphs/s)"
        ),
    ]
    if total.read != this_run.read:
        lines.append(f"  whole output: {total.seconds:.1f} s of scoring over all runs")
    return "\n".join(lines)


def parse_args(argv: list[str] | None):
    parser = argparse.ArgumentParser(prog="python -m classifier.score", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL, CSV, Parquet, .txt/.html file or directory (.gz too)")
    parser.add_argument("-o", "--output", required=True, help="OUTPUT.jsonl, or OUTPUT.parquet (a directory of parts)")
    parser.add_argument("--model", default=DEFAULT_MODEL_URI, help=f"MLflow model URI (default {DEFAULT_MODEL_URI})")
    parser.add_argument("--batch-size", type=int, default=256, help="articles per chunk (default 256)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its checkpoint")
    parser.add_argument("--format", choices=FORMATS, help="input format, instead of guessing from the extension")
    parser.add_argument("--engine", choices=("local", "spark"), default="local", help="local (streaming) or spark")
    parser.add_argument("--spark-master", default="local[2]", help="Spark master URL (default local[2])")
    parser.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting (repeatable)")
    parser.add_argument("--log-every", type=float, default=30.0, help="seconds between log lines when stderr is not a terminal")
    parser.add_argument("--summary-json", type=Path, help="also write the summary as JSON here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.engine == "spark":
            from classifier.spark_score import run_spark

            if args.resume:
                raise RunError("--resume is for the local engine; Spark retries failed tasks and commits its output whole")
            total, this_run, model = run_spark(args.inputs, args.output, args.model, master=args.spark_master, fmt=args.format, conf=args.spark_conf)
        else:
            inputs, output = [Path(p) for p in args.inputs], Path(args.output)
            Source(inputs, args.format)  # fail on a missing input before loading the model
            scorer = _load(args.model)
            total, this_run = run(
                inputs, output, scorer, batch_size=args.batch_size, resume=args.resume, fmt=args.format, log_every=args.log_every
            )
            model = scorer.name
    except (RunError, InputError) as error:
        print(f"score: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("score: interrupted; run again with --resume to continue", file=sys.stderr)
        return 2
    print(format_summary(args.output, total, this_run, model))
    if args.summary_json:
        args.summary_json.write_text(json.dumps({"output": str(args.output), "model": model, "total": asdict(total), "run": asdict(this_run)}))
    return 1 if total.error else 0


def _load(uri: str) -> Scorer:
    try:
        return Scorer.from_mlflow(uri)
    except Exception as error:  # noqa: BLE001 - any failure to load is the run's, reported plainly
        raise RunError(f"cannot load the model {uri}: {type(error).__name__}: {error}") from error


if __name__ == "__main__":
    sys.exit(main())
