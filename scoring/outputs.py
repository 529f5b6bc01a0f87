"""Outputs and checkpoints: JSONL appended chunk by chunk, or a directory of Parquet parts; each with a
checkpoint that ``--resume`` starts from."""

from __future__ import annotations

import fcntl
import json
import os
import signal
from dataclasses import asdict, dataclass
from pathlib import Path

from classifier.articles import Scorer, error_record, output_record, score_articles
from scoring.records import RunError, Summary

PART_RECORDS = 20_000  # Parquet output: records per part file, the unit of resume
CRASH_ENV = "CLASSIFIER_SCORE_CRASH"  # tests only: "<chunk>:<torn|written|committed>" kills the run there


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


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def checkpoint_path(path: Path) -> Path:
    """Where an output's checkpoint lives: ``OUTPUT.checkpoint``, or ``OUTPUT/_checkpoint.json`` for Parquet."""
    return path / "_checkpoint.json" if is_parquet(path) else path.with_name(path.name + ".checkpoint")


def load_checkpoint(checkpoint: Path) -> dict | None:
    """The checkpoint's state, None when there is none; a checkpoint that cannot be read is the run's error."""
    try:
        state = json.loads(checkpoint.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise RunError(
            f"{checkpoint} cannot be read ({type(error).__name__}: {error}): rerun without --resume"
        ) from None
    needed = {"records", "summary", "complete"}
    if not isinstance(state, dict) or not needed <= set(state):
        raise RunError(f"{checkpoint} is not a checkpoint (fields {sorted(needed)} missing): rerun without --resume")
    return state


class OutputLock:
    """An exclusive lock on an output and its checkpoint for a whole run (``OUTPUT.lock`` beside it).

    The lock is the kernel's (flock), so a run killed with -9 leaves no stale lock behind.
    """

    def __init__(self, output: Path):
        self.output = output
        self.path = output.with_name(output.name + ".lock")
        self.descriptor: int | None = None

    def acquire(self) -> OutputLock:
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RunError(f"cannot write beside {self.output}: {error.strerror} ({self.path})") from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(descriptor, 64).decode("ascii", "replace").strip()
            os.close(descriptor)
            raise RunError(
                f"{self.output} is being written by another run (pid {holder or '?'}); wait for it or write elsewhere"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        self.descriptor = descriptor
        return self

    def release(self) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing drops the flock
            self.descriptor = None


@dataclass
class Prepared:
    """What ``prepare`` checked before any model is loaded: the output's lock and its checkpoint state."""

    lock: OutputLock
    state: dict | None


def prepare(path: Path, resume: bool) -> Prepared:
    """Check that the output can be written, lock it, and read its checkpoint (with ``resume``): every
    run-level failure of the output shows here, before the model loads. Raises RunError."""
    path = Path(path)
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise RunError(f"cannot write {path}: {parent} is a file, not a directory")
            break
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunError(f"cannot create the directory of {path}: {error.strerror}") from None
    if is_parquet(path) and path.exists() and not path.is_dir():
        raise RunError(f"{path} exists and is not a directory (Parquet output is a directory of parts)")
    if not is_parquet(path) and path.is_dir():
        raise RunError(f"{path} is a directory; a JSONL output must be a file")
    target = path if path.exists() else path.parent
    if not os.access(target, os.W_OK):
        raise RunError(f"cannot write {path}: permission denied")
    lock = OutputLock(path).acquire()
    try:
        state = load_checkpoint(checkpoint_path(path)) if resume else None
    except RunError:
        lock.release()
        raise
    return Prepared(lock, state)


class _Checkpointed:
    """An output with a checkpoint file (``self.checkpoint``) that ``--resume`` starts from."""

    def load(self) -> dict | None:
        return load_checkpoint(self.checkpoint)


class JsonlOutput(_Checkpointed):
    """JSONL output, appended chunk by chunk; the checkpoint holds the records done and the byte offset."""

    kind = "jsonl"

    def __init__(self, path: Path):
        self.path = path
        self.checkpoint = checkpoint_path(path)
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
        if not isinstance(state.get("offset"), int) or state["offset"] < 0:
            raise RunError(f"{self.checkpoint} holds no valid offset: rerun without --resume")
        if not self.path.exists() or self.path.stat().st_size < state["offset"]:
            raise RunError(
                f"{self.path} is shorter than its checkpoint says ({state['offset']:,} bytes): rerun without --resume"
            )
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
        state = {
            **self.header,
            "records": done,
            "offset": self.handle.tell(),
            "summary": asdict(summary),
            "complete": complete,
        }
        write_json_atomic(self.checkpoint, state)

    def close(self, done: int, summary: Summary) -> None:
        self._commit(done, summary, complete=True)
        self.handle.close()

    def stop(self, done: int, summary: Summary) -> None:
        """End early (a limit): what is written stays committed, the checkpoint not complete."""
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
        self.checkpoint = checkpoint_path(path)
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
        if state is not None and not isinstance(state.get("parts"), list):
            raise RunError(f"{self.checkpoint} lists no parts: rerun without --resume")
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

    def stop(self, done: int, summary: Summary) -> None:
        """End early (a limit): the records buffered are written as a part, the checkpoint not complete."""
        self._flush(done, summary)

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
    probe = score_articles(
        [{"id": "p", "title": "Probe", "text": "A probe.\nAnother."}, {"id": "e", "text": ""}], stand_in
    )
    records = [output_record(r) for r in probe]
    records.append(output_record(error_record("x", "probe", scorer)))
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


def output_for(path: Path, scorer: Scorer, part_records: int = PART_RECORDS):
    if is_parquet(path):
        return ParquetOutput(path, scorer, part_records)
    return JsonlOutput(path)
