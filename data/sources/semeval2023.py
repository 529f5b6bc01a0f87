"""SemEval-2023 Task 3: news paragraphs with persuasion techniques, six languages.

No narrative labels: its paragraphs are weak negatives for both labels, voiced and reported (news
text, some of it propagandistic, none of it labelled for these narratives). Paragraph numbers are line numbers of the
article file, which gives the offsets.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from classifier.labels import LABELS
from data.sources import Row, require

NAME = "semeval2023"
LANGUAGES = {"en": "en", "fr": "fr", "ge": "de", "it": "it", "po": "pl", "ru": "ru"}


def load(root: Path) -> Iterator[Row]:
    base = require(root / "semeval2023_task3" / "data", "SemEval-2023 Task 3 data")
    for folder, lang in LANGUAGES.items():
        for part in ("train", "dev"):
            template = base / folder / f"{part}-labels-subtask-3.template"
            articles = base / folder / f"{part}-articles-subtask-3"
            if not template.exists():
                continue
            yield from _load_part(template, articles, lang)


def _load_part(template: Path, articles: Path, lang: str) -> Iterator[Row]:
    line_offsets: dict[str, list[int]] = {}
    with template.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t", 2)
            if len(parts) < 3 or not parts[2].strip():
                continue
            article_id, number, text = parts[0], int(parts[1]), parts[2]
            if article_id not in line_offsets:
                line_offsets[article_id] = _line_starts(articles / f"article{article_id}.txt")
            starts = line_offsets[article_id]
            start = starts[number - 1] if 0 < number <= len(starts) else -1
            yield Row(
                source=NAME,
                lang=lang,
                doc_id=article_id,
                index=number,
                start=start,
                end=start + len(text) if start >= 0 else -1,
                text=text,
                origin="paragraph",
                labels={label: 0.0 for label in LABELS},
                reported={label: 0.0 for label in LABELS},
                weak=True,
            )


def _line_starts(path: Path) -> list[int]:
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    starts, position = [], 0
    for line in text.split("\n"):
        starts.append(position)
        position += len(line) + 1
    return starts
