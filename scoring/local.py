"""The local engine: stream the inputs in chunks, score each chunk, append it to the output with a
checkpoint, so that a run killed at any point resumes to the same output (``--resume``)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from classifier.articles import MAX_TEXT_CHARS, Scorer, error_record, output_record
from scoring.outputs import PART_RECORDS, Prepared, output_for, prepare
from scoring.progress import Reporter
from scoring.readers import NO_LIMITS, Item, Limits, Source
from scoring.records import RunError, Summary, json_line, score_items

MAX_CHUNK_CHARS = 4 * MAX_TEXT_CHARS  # a chunk also ends when its texts reach this many characters


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
    limits: Limits = NO_LIMITS,
    outside_links: bool = False,
    prepared: Prepared | None = None,
) -> tuple[Summary, Summary]:
    """Score ``inputs`` into ``output_path``; returns (the whole output's summary, this run's summary).

    ``prepared``: the output already checked and locked by ``scoring.outputs.prepare`` (the CLIs do it
    before loading the model); otherwise it is done here. The lock is released when the run ends.
    """
    prepared = prepared or prepare(output_path, resume)
    try:
        return _run(
            inputs, output_path, scorer, prepared.state, batch_size, resume, fmt, log, log_every, part_records,
            limits, outside_links,
        )  # fmt: skip
    finally:
        prepared.lock.release()


def _run(
    inputs, output_path, scorer, state, batch_size, resume, fmt, log, log_every, part_records, limits, outside_links
) -> tuple[Summary, Summary]:
    log = log or sys.stderr
    if batch_size < 1:
        raise RunError("--batch-size must be positive")
    source = Source(inputs, fmt, limits=limits, outside_links=outside_links)
    output = output_for(output_path, scorer, part_records)
    header = run_header(inputs, source, scorer, output)
    if state is not None:
        mismatch = [key for key in header if state.get(key) != header[key]]
        if mismatch == ["fingerprints"]:
            raise RunError(
                f"the input has changed since {output.checkpoint} was written (its content differs): "
                "rerun without --resume"
            )
        if mismatch:
            raise RunError(
                f"{output.checkpoint} was written for another run ({', '.join(mismatch)} differ): rerun without --resume"
            )
    try:
        total = Summary(**state["summary"]) if state else Summary()
    except TypeError:
        raise RunError(f"{output.checkpoint} holds no valid summary: rerun without --resume") from None
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
            output.write(
                [safe_json_line(r, scorer) for r in records] if output.kind == "jsonl" else records, done, total
            )
            reporter.update(this_run)
        if source.stopped:
            output.stop(done, total)
            raise RunError(f"{source.stopped}; raise the limit and add --resume to go on")
        output.close(done, total)
    except BaseException:
        output.abort()
        raise
    finally:
        reporter.close()
    this_run.seconds = time.perf_counter() - started
    return total, this_run


def safe_json_line(record: dict, scorer: Scorer) -> bytes:
    """The record as a JSON line; a record that cannot be written (whatever fails) becomes an error record."""
    try:
        return json_line(record)
    except Exception as error:  # noqa: BLE001 - one record's failure is that record's
        message = f"the record cannot be written as JSON: {type(error).__name__}: {error}"
        return json_line(output_record(error_record(_plain_id(record.get("id")), message, scorer)))


def _plain_id(value):
    return value if isinstance(value, (str, int, float)) or value is None else repr(value)[:200]
