"""Output records for chunks of input items, and the run's summary: every article command writes
these records (``classifier.articles.output_record``), one per input record, in order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from classifier.articles import Scorer, error_record, output_record, score_articles
from scoring.readers import Item


class RunError(Exception):
    """The run cannot proceed (exit status 2)."""


@dataclass
class Summary:
    read: int = 0
    ok: int = 0
    empty: int = 0
    error: int = 0
    unsupported_language: int = 0  # scored, in a language the model does not declare supported
    paragraphs: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, record: dict, paragraphs: int) -> None:
        self.read += 1
        status = record.get("status")
        if status in ("ok", "empty", "error", "unsupported_language"):
            setattr(self, status, getattr(self, status) + 1)
        self.paragraphs += paragraphs
        for label, flag in (record.get("flags") or {}).items():
            self.flagged.setdefault(label, 0)
            if flag:
                self.flagged[label] += 1


def score_items(items: list[Item], scorer: Scorer) -> list[tuple[dict, int]]:
    """Output records (with their paragraph counts) for a chunk of items, in order."""
    articles = [item.article for item in items if item.error is None]
    scored = iter(_score_guarded(articles, scorer))
    out = []
    for item in items:
        if item.error is not None:
            out.append((output_record(error_record(item.id, item.error, scorer)), 0))
            continue
        record = next(scored)
        out.append((output_record(record), len(record.get("paragraphs") or [])))
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
