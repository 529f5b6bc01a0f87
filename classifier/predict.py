"""Score articles paragraph by paragraph with a loaded model: paragraph scores, flags, article scores.

    python -m classifier.predict INPUT.jsonl -o OUTPUT.jsonl [--model models:/narrative-classifier@champion]

Article score per output column: the highest paragraph probability (an article voices a framing when
any of its paragraphs does; the maximum keeps the paragraph's calibrated probability). The article is
flagged for a column when that score reaches the column's threshold, i.e. when any paragraph is
flagged. Each paragraph gets a stance per label (voiced, reported, none) and the article a verdict per
label (voices, reports, none) by the rule in ``classifier.stance``; ``evidence`` lists the paragraphs
behind the verdicts with their stances and a snippet. The title, when given, is scored as a paragraph
of its own (``field: "title"``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.labels import LABELS
from classifier.stance import NONE, article_verdict, paragraph_stances
from classifier.text import split_paragraphs

DEFAULT_MODEL_URI = "models:/narrative-classifier@champion"
MAX_TEXT_CHARS = 2_000_000
SNIPPET_CHARS = 300


@dataclass
class Scorer:
    """A model with its output columns and thresholds, from MLflow or in memory."""

    predict_frame: object  # callable: DataFrame[text] -> DataFrame[columns]
    columns: list[str]
    thresholds: dict[str, float]
    name: str = ""

    @classmethod
    def from_mlflow(cls, uri: str = DEFAULT_MODEL_URI) -> "Scorer":
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow

        from classifier.store import tracking_uri

        mlflow.set_tracking_uri(tracking_uri())
        model = mlflow.pyfunc.load_model(uri)
        metadata = model.metadata.metadata or {}
        if "columns" not in metadata or "thresholds" not in metadata:
            raise ValueError(f"{uri} carries no columns/thresholds metadata: not a narrative-classifier model")
        name = uri
        if uri.startswith("models:/"):
            name = _registry_name(uri) or uri
        return cls(model.predict, list(metadata["columns"]), {k: float(v) for k, v in metadata["thresholds"].items()}, name)


def _registry_name(uri: str) -> str | None:
    from mlflow import MlflowClient

    body = uri.removeprefix("models:/")
    try:
        if "@" in body:
            name, alias = body.split("@", 1)
            version = MlflowClient().get_model_version_by_alias(name, alias)
        else:
            name, number = body.rsplit("/", 1)
            version = MlflowClient().get_model_version(name, number)
    except Exception:  # noqa: BLE001 - the name is informative only
        return None
    return f"{version.name}/{version.version}"


def article_record(article_id, paragraphs: list[dict], scorer: Scorer, texts: list[str] | None = None) -> dict:
    """Aggregate scored paragraphs into the article record of the output schema."""
    if not paragraphs:
        return _record(article_id, "empty", scorer)
    scores = {c: max(p["scores"][c] for p in paragraphs) for c in scorer.columns}
    flags = {c: bool(scores[c] >= scorer.thresholds[c]) for c in scorer.columns}
    verdicts = {label: article_verdict(p["stances"][label] for p in paragraphs) for label in LABELS}
    evidence = []
    for number, paragraph in enumerate(paragraphs):
        stances = {label: stance for label, stance in paragraph["stances"].items() if stance != NONE}
        if stances:
            item = {key: paragraph[key] for key in ("index", "field", "start", "end", "scores")}
            item["stances"] = stances
            if texts is not None:
                item["snippet"] = texts[number][:SNIPPET_CHARS]
            evidence.append(item)
    return _record(article_id, "ok", scorer, scores=scores, flags=flags, verdicts=verdicts, evidence=evidence, paragraphs=paragraphs)


def error_record(article_id, message: str, scorer: Scorer) -> dict:
    return _record(article_id, "error", scorer, error=message)


def _record(article_id, status: str, scorer: Scorer, **fields) -> dict:
    record = {"id": article_id, "status": status, "scores": {}, "flags": {}, "verdicts": {}, "evidence": [], "paragraphs": [], "model": scorer.name}
    record.update(fields)
    return record


def validate_article(article) -> tuple[str, str | None]:
    """The article's text and title, or raise ValueError with a message for the output record."""
    if not isinstance(article, dict):
        raise ValueError(f"record must be a JSON object, got {type(article).__name__}")
    text = article.get("text")
    if text is None:
        raise ValueError("missing 'text'")
    if not isinstance(text, str):
        raise ValueError(f"'text' must be a string, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"'text' has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}")
    if "\x00" in text:
        raise ValueError("'text' contains NUL bytes")
    title = article.get("title")
    if title is not None and not isinstance(title, str):
        raise ValueError(f"'title' must be a string, got {type(title).__name__}")
    return text, title or None


def score_articles(articles: Iterable[dict], scorer: Scorer) -> list[dict]:
    """Score a batch of articles: one record per article, in order; bad articles become error records."""
    prepared: list[tuple[object, list[tuple[str, object]] | str]] = []
    texts: list[str] = []
    for number, article in enumerate(articles):
        article_id = article.get("id", number) if isinstance(article, dict) else number
        try:
            text, title = validate_article(article)
        except ValueError as error:
            prepared.append((article_id, str(error)))
            continue
        pieces = []
        if title and title.strip():
            pieces.append(("title", _whole(title)))
        pieces += [("text", p) for p in split_paragraphs(text)]
        prepared.append((article_id, pieces))
        texts += [p.text for _, p in pieces]

    probs = _predict(scorer, texts)
    records, row = [], 0
    for article_id, pieces in prepared:
        if isinstance(pieces, str):
            records.append(error_record(article_id, pieces, scorer))
            continue
        paragraphs = []
        for field, paragraph in pieces:
            scores = {c: float(probs[row, j]) for j, c in enumerate(scorer.columns)}
            row += 1
            paragraphs.append(
                {
                    "index": len(paragraphs),
                    "field": field,
                    "start": paragraph.start,
                    "end": paragraph.end,
                    "scores": scores,
                    "flags": {c: bool(scores[c] >= scorer.thresholds[c]) for c in scorer.columns},
                    "stances": paragraph_stances(scores, scorer.thresholds),
                }
            )
        records.append(article_record(article_id, paragraphs, scorer, [p.text for _, p in pieces]))
    return records


def _whole(title: str):
    from classifier.text import Paragraph

    stripped = title.strip()
    start = title.index(stripped[0]) if stripped else 0
    return Paragraph(0, start, start + len(stripped), stripped)


def _predict(scorer: Scorer, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.empty((0, len(scorer.columns)))
    out = scorer.predict_frame(pd.DataFrame({"text": texts}))
    return out[scorer.columns].to_numpy(dtype=float)


def read_jsonl(path: Path) -> Iterator[dict]:
    """Articles from a JSONL file; a line that is not valid JSON becomes an error marker, never dropped.
    Lone surrogates (JSON escapes such as ``\\udc80``) in a text or title become U+FFFD, as in the dump
    readers, so that the article is scored and its record can be written."""
    from classifier.readers import with_id  # readers imports this module

    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                yield {"id": f"{path.name}:{number}", "_error": f"line {number}: not valid JSON/UTF-8: {error}"}
                continue
            if isinstance(record, dict):
                record = with_id(record, f"{path.name}:{number}")
            yield record


def score_jsonl(input_path: Path, output_path: Path, scorer: Scorer, batch_size: int = 64) -> dict[str, int]:
    summary = {"read": 0, "ok": 0, "empty": 0, "error": 0}
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with output_path.open("w", encoding="utf-8") as out:
        batch: list[dict] = []

        def flush() -> None:
            good = [a for a in batch if not (isinstance(a, dict) and "_error" in a)]
            scored = iter(score_articles(good, scorer))
            for article in batch:
                record = error_record(article["id"], article["_error"], scorer) if isinstance(article, dict) and "_error" in article else next(scored)
                summary[record["status"]] += 1
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            batch.clear()

        for article in read_jsonl(input_path):
            summary["read"] += 1
            batch.append(article)
            if len(batch) >= batch_size:
                flush()
        flush()
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", type=Path, help="JSONL: one article a line with id, text and optional title")
    parser.add_argument("-o", "--output", type=Path, required=True, help="JSONL output, one line per input article")
    parser.add_argument("--model", default=DEFAULT_MODEL_URI, help=f"MLflow model URI (default {DEFAULT_MODEL_URI})")
    args = parser.parse_args(argv)
    scorer = Scorer.from_mlflow(args.model)
    summary = score_jsonl(args.input, args.output, scorer)
    print(f"{args.output}: {summary['read']} read, {summary['ok']} ok, {summary['empty']} empty, {summary['error']} error ({scorer.name})")
    with args.output.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            verdicts = ", ".join(f"{label} {verdict}" for label, verdict in record["verdicts"].items())
            print(f"  {record['id']}: {record['status']}" + (f" ({verdicts})" if verdicts else f": {record.get('error', '')}" if record["status"] == "error" else ""))
    return 1 if summary["error"] else 0


if __name__ == "__main__":
    sys.exit(main())
