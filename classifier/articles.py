"""Score articles paragraph by paragraph with a loaded model: validation, paragraph scores, stances,
article records. The one record builder behind every article command (``scoring``).

Article score per output column: the highest paragraph probability (an article voices a framing when
any of its paragraphs does; the maximum keeps the paragraph's calibrated probability). The article is
flagged for a column when that score reaches the column's threshold, i.e. when any paragraph is
flagged. Each paragraph gets a stance per label (voiced, reported, none) and the article a verdict per
label (voices, reports, none) by the rule in ``classifier.stance``; ``evidence`` lists the paragraphs
behind the verdicts with their stances and a snippet (the first ``SNIPPET_CHARS`` characters). The
title, when given, is scored as a paragraph of its own (``field: "title"``). The input fields in
``PASS_THROUGH`` (title, url, date, source, lang) are copied to every record, null when not given, so
that reports over the records can group by date, outlet and language and link to the article.
Thresholds come from the logged model's metadata, the one place they are stored; every record
carries them (``thresholds``), so a flag can be checked against its score. Probabilities are rounded
to ``DIGITS`` digits. Each evidence paragraph gives every label's stance (``none`` included);
``title_only`` says, per label, whether its verdict rests on the title alone (no paragraph of the
text voices or reports it).

Language: ``lang`` is the given language, else the one ``classifier.language`` detects
(``lang_detected`` says which). When the model declares the languages it was measured on (its
``languages`` metadata) and the article's is not a supported one, the record's status is
``unsupported_language``: its scores and verdicts are given, but nothing measured says they hold.

Web pages: an article read from HTML carries the text extracted from it (``extracted_text`` in the
record, null otherwise): evidence offsets point into that text, ``extracted_text[start:end]``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from classifier.labels import LABELS
from classifier.language import detect, normalise, supported
from classifier.stance import NONE, article_verdict, paragraph_stances
from classifier.store import DEFAULT_MODEL_URI, MODEL_NAME, use_store
from classifier.text import Paragraph, split_paragraphs

MAX_TEXT_CHARS = 2_000_000
SNIPPET_CHARS = 300
DIGITS = 4  # probabilities and thresholds in the records are rounded to this many digits
UNSUPPORTED = "unsupported_language"
# Input fields copied to every record (null when not given), for reports over the scored records.
PASS_THROUGH = ("title", "url", "date", "source", "lang")


@dataclass
class Scorer:
    """A model with its output columns and thresholds, from MLflow or in memory."""

    predict_frame: object  # callable: DataFrame[text] -> DataFrame[columns]
    columns: list[str]
    thresholds: dict[str, float]
    name: str = ""
    languages: dict | None = None  # {code: {paragraphs, voiced_macro_f1, supported}}; None: not declared

    @classmethod
    def from_mlflow(cls, uri: str = DEFAULT_MODEL_URI) -> Scorer:
        use_store()
        import mlflow

        model = mlflow.pyfunc.load_model(uri)
        metadata = model.metadata.metadata or {}
        if "columns" not in metadata or "thresholds" not in metadata:
            raise ValueError(f"{uri} carries no columns/thresholds metadata: not a {MODEL_NAME} model")
        name = uri
        if uri.startswith("models:/"):
            name = _registry_name(uri) or uri
        return cls(
            model.predict,
            list(metadata["columns"]),
            {k: float(v) for k, v in metadata["thresholds"].items()},
            name,
            metadata.get("languages") or None,
        )


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
    flags = {c: any(p["flags"][c] for p in paragraphs) for c in scorer.columns}  # from the unrounded scores
    verdicts = {label: article_verdict(p["stances"][label] for p in paragraphs) for label in LABELS}
    title_only = {
        label: verdicts[label] != "none"
        and all(p["field"] == "title" for p in paragraphs if p["stances"][label] != NONE)
        for label in LABELS
    }
    evidence = []
    for number, paragraph in enumerate(paragraphs):
        if any(stance != NONE for stance in paragraph["stances"].values()):
            item = {key: paragraph[key] for key in ("index", "field", "start", "end", "scores")}
            item["stances"] = dict(paragraph["stances"])  # every label's stance, none included
            if texts is not None:
                item["snippet"] = texts[number][:SNIPPET_CHARS]
            evidence.append(item)
    return _record(
        article_id,
        "ok",
        scorer,
        scores=rounded(scores),
        flags=flags,
        verdicts=verdicts,
        title_only=title_only,
        evidence=evidence,
        paragraphs=paragraphs,
    )


def rounded(values: dict[str, float]) -> dict[str, float]:
    """Probabilities as the records give them: ``DIGITS`` digits."""
    return {key: round(float(value), DIGITS) for key, value in values.items()}


def error_record(article_id, message: str, scorer: Scorer) -> dict:
    return _record(article_id, "error", scorer, error=message)


def output_record(record: dict) -> dict:
    """The record every article command writes: the record of ``score_articles`` without its bulky
    ``paragraphs`` list (``evidence`` keeps the paragraphs behind the verdicts, with snippets)."""
    return {key: value for key, value in record.items() if key != "paragraphs"}


def _record(article_id, status: str, scorer: Scorer, **fields) -> dict:
    record = {
        "id": article_id,
        "status": status,
        "lang": None,
        "lang_detected": False,
        "scores": {},
        "flags": {},
        "thresholds": rounded(scorer.thresholds),
        "verdicts": {},
        "title_only": {},
        "evidence": [],
        "paragraphs": [],
        "model": scorer.name,
        **dict.fromkeys(PASS_THROUGH),
        "extracted_text": None,
    }
    record.update(fields)
    return record


def pass_through(article) -> dict:
    """The article's pass-through fields that are given, as text (a date as ISO 8601)."""
    if not isinstance(article, dict):
        return {}
    out = {}
    for key in PASS_THROUGH:
        value = article.get(key)
        if value is None or value == "":
            continue
        out[key] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return out


def validate_article(article) -> tuple[str, str | None]:
    """The article's text and title, or raise ValueError with a message for the output record."""
    if not isinstance(article, dict):
        raise ValueError(f"record must be a JSON object, got {type(article).__name__}")
    text = article.get("text")
    if text is None:
        fields = ", ".join(sorted(map(str, article))) or "none"
        raise ValueError(f"missing 'text' (the record's fields: {fields})")
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
    prepared: list[tuple[object, list[tuple[str, object]] | str, dict]] = []
    texts: list[str] = []
    for number, article in enumerate(articles):
        article_id = article.get("id", number) if isinstance(article, dict) else number
        try:
            text, title = validate_article(article)
        except ValueError as error:
            prepared.append((article_id, str(error), pass_through(article)))
            continue
        pieces = []
        if title and title.strip():
            pieces.append(("title", _whole(title)))
        pieces += [("text", p) for p in split_paragraphs(text)]
        given = pass_through(article) | language(article, text, title)
        if article.get("extractor"):  # read from HTML: the text the offsets point into
            given["extracted_text"] = text
        prepared.append((article_id, pieces, given))
        texts += [p.text for _, p in pieces]

    probs = _predict(scorer, texts)
    records, row = [], 0
    for article_id, pieces, given in prepared:
        if isinstance(pieces, str):
            records.append(error_record(article_id, pieces, scorer) | given)
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
                    "scores": rounded(scores),
                    "flags": {c: bool(scores[c] >= scorer.thresholds[c]) for c in scorer.columns},
                    "stances": paragraph_stances(scores, scorer.thresholds),
                }
            )
        record = article_record(article_id, paragraphs, scorer, [p.text for _, p in pieces]) | given
        if record["status"] == "ok" and supported(scorer.languages, normalise(record["lang"])) is False:
            record["status"] = UNSUPPORTED
        records.append(record)
    return records


def language(article: dict, text: str, title: str | None) -> dict:
    """``lang`` as given, else detected from the title and text (``lang_detected``: which)."""
    given = article.get("lang")
    if isinstance(given, str) and given.strip():
        return {"lang": given.strip(), "lang_detected": False}
    return {"lang": detect(f"{title or ''}\n{text}"), "lang_detected": True}


def _whole(title: str) -> Paragraph:
    stripped = title.strip()
    start = title.index(stripped[0]) if stripped else 0
    return Paragraph(0, start, start + len(stripped), stripped)


def _predict(scorer: Scorer, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.empty((0, len(scorer.columns)))
    out = scorer.predict_frame(pd.DataFrame({"text": texts}))
    return out[scorer.columns].to_numpy(dtype=float)
