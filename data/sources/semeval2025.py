"""SemEval-2025 Task 10 subtask 2: narratives per news article, five languages.

Labels are per article; every paragraph of an article inherits them, so positives are weak (a positive
article holds some positive paragraphs, not only positive ones). Articles labelled ``Other`` are
negatives for both labels. No paragraph is taken to report on a narrative (weak negatives for the
``*_reported`` outputs): the corpus is labelled for the narratives articles push.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from classifier.text import split_paragraphs
from data.mapping import semeval2025_labels
from data.sources import Row, require

NAME = "semeval2025"


def load(root: Path) -> Iterator[Row]:
    base = require(root / "semeval2025_task10" / "train_data", "SemEval-2025 Task 10 train_data")
    for lang_dir in sorted(path for path in base.iterdir() if path.is_dir()):
        annotations = lang_dir / "subtask-2-annotations.txt"
        if not annotations.exists():
            continue
        for file_name, narratives, subnarratives in read_annotations(annotations):
            document = lang_dir / "raw-documents" / file_name
            if not document.exists():
                continue
            labels = semeval2025_labels(narratives, subnarratives)
            weak = any(labels.values())
            text = document.read_text(encoding="utf-8", errors="replace")
            for paragraph in split_paragraphs(text):
                yield Row(
                    source=NAME,
                    lang=lang_dir.name.lower(),
                    doc_id=file_name.removesuffix(".txt"),
                    index=paragraph.index,
                    start=paragraph.start,
                    end=paragraph.end,
                    text=paragraph.text,
                    origin="title" if paragraph.index == 0 else "paragraph",
                    labels=dict(labels),
                    reported={label: 0.0 for label in labels},
                    weak=weak,
                )


def read_annotations(path: Path) -> Iterator[tuple[str, set[str], set[str]]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[0]:
                continue
            narratives = {item.strip() for item in parts[1].split(";") if item.strip()}
            subnarratives = {item.strip() for item in parts[2].split(";") if item.strip()} if len(parts) > 2 else set()
            yield parts[0], narratives, subnarratives
