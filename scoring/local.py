"""The local engine: stream the inputs in chunks, score each chunk, append it to the output with a
checkpoint, so that a run killed at any point resumes to the same output (``--resume``).

Workers (``workers`` > 1): the chunks are cut here, in this process, exactly as with one worker, and
scored in worker processes forked after the model is loaded (each inherits it). At most
``2 × workers`` chunks are in flight; their records are written and checkpointed here in input order,
so the output is the one a single worker writes, and a resume after a kill at any point is the same
as with one worker. A worker's memory is the model plus at most one chunk (``batch_size`` articles and
at most ``MAX_CHUNK_CHARS`` characters); each worker's peak RSS is reported at the end of the run.
torch and ONNX Runtime scorers get ``cores / workers`` threads per worker.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from classifier.articles import MAX_TEXT_CHARS, Scorer, error_record, output_record
from classifier.threads import machine_cores
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


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (reset by exec, unlike ``ru_maxrss``, which
    keeps the peak of the process that exec'd), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_chunk(chunk: list[Item], scorer: Scorer, kind: str) -> tuple[list, list[tuple[dict, int]]]:
    """The chunk's output (JSON lines, or records for Parquet) and, per record, what the summary needs."""
    scored = score_items(chunk, scorer)
    payload = [safe_json_line(r, scorer) for r, _ in scored] if kind == "jsonl" else [r for r, _ in scored]
    return payload, [({"status": r.get("status"), "flags": r.get("flags")}, n) for r, n in scored]


_WORKER: dict = {}  # in a worker process: the scorer it inherited and the output kind


def _worker_start(scorer: Scorer, kind: str, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # an interrupt is the main process's to handle
    try:  # Linux: die with the main process (a kill -9 of it must not leave workers holding its pipes)
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    _WORKER.update(scorer=scorer, kind=kind)
    os.environ["OMP_NUM_THREADS"] = str(threads)  # runtimes that size their thread pool when first used
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


def _worker_chunk(chunk: list[Item]) -> tuple[list, list[tuple[dict, int]], int, float]:
    payload, stats = score_chunk(chunk, _WORKER["scorer"], _WORKER["kind"])
    return payload, stats, os.getpid(), peak_rss_mb()


def _scored_in_workers(
    chunks_in: Iterator[list[Item]], scorer: Scorer, kind: str, workers: int, peaks: dict, forked=lambda: None
):
    """(chunk, payload, stats) in input order, scored by ``workers`` forked processes; ``forked()`` is
    called once they all exist (before it, this process starts no thread of its own)."""
    threads = max(1, machine_cores() // workers)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_start, initargs=(scorer, kind, threads)
    ) as pool:
        pool.submit(os.getpid).result()  # the first task forks every worker (fork context)
        forked()
        pending: deque = deque()
        try:
            for chunk in chunks_in:
                pending.append((chunk, pool.submit(_worker_chunk, chunk)))
                while len(pending) >= 2 * workers:
                    yield _collect(pending.popleft(), peaks)
            while pending:
                yield _collect(pending.popleft(), peaks)
        finally:
            for _, future in pending:
                future.cancel()


def _collect(entry, peaks: dict):
    chunk, future = entry
    payload, stats, pid, peak = future.result()
    peaks[pid] = max(peaks.get(pid, 0.0), peak)
    return chunk, payload, stats


def _scored_here(chunks_in: Iterator[list[Item]], scorer: Scorer, kind: str, started=lambda: None):
    started()
    for chunk in chunks_in:
        yield (chunk, *score_chunk(chunk, scorer, kind))


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
    workers: int = 1,
) -> tuple[Summary, Summary]:
    """Score ``inputs`` into ``output_path``; returns (the whole output's summary, this run's summary).

    ``prepared``: the output already checked and locked by ``scoring.outputs.prepare`` (the CLIs do it
    before loading the model); otherwise it is done here. The lock is released when the run ends.
    """
    prepared = prepared or prepare(output_path, resume)
    try:
        return _run(
            inputs, output_path, scorer, prepared.state, batch_size, resume, fmt, log, log_every, part_records,
            limits, outside_links, workers,
        )  # fmt: skip
    finally:
        prepared.lock.release()


def _run(
    inputs,
    output_path,
    scorer,
    state,
    batch_size,
    resume,
    fmt,
    log,
    log_every,
    part_records,
    limits,
    outside_links,
    workers,
) -> tuple[Summary, Summary]:
    log = log or sys.stderr
    if batch_size < 1:
        raise RunError("--batch-size must be positive")
    if workers < 1:
        raise RunError("--workers must be positive")
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        log.write("score: this platform cannot fork; scoring with one worker\n")
        workers = 1
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
    peaks: dict[int, float] = {}
    pieces = reporter.counting(chunks(source.items(skip=done), batch_size))
    if workers > 1:
        scored_chunks = _scored_in_workers(pieces, scorer, output.kind, workers, peaks, reporter.start)
    else:
        scored_chunks = _scored_here(pieces, scorer, output.kind, reporter.start)
    try:
        for chunk, payload, stats in scored_chunks:
            for record, paragraphs in stats:
                total.add(record, paragraphs)
                this_run.add(record, paragraphs)
            done += len(chunk)
            this_run.seconds = time.perf_counter() - started
            total.seconds = (state["summary"]["seconds"] if state else 0.0) + this_run.seconds
            output.write(payload, done, total)
            reporter.update(this_run)
        if source.stopped:
            output.stop(done, total)
            raise RunError(f"{source.stopped}; raise the limit and add --resume to go on")
        output.close(done, total)
    except BaseException:
        output.abort()
        raise
    finally:
        scored_chunks.close()
        reporter.close()
    this_run.seconds = time.perf_counter() - started
    main_peak = peak_rss_mb()
    each = ", ".join(f"{peak:,.0f}" for peak in sorted(peaks.values(), reverse=True))
    log.write(f"score: {workers} workers; peak RSS MB per worker {each}; main process {main_peak:,.0f}\n")
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
