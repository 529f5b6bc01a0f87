"""One loader per corpus. Each yields ``Row`` records: a paragraph with its mapped labels.

Label values: 1.0 (voices the label), 0.0 (does not), ``None`` (the source says nothing about it).
``reported`` holds the same for the paragraph reporting on the framing from a distance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from classifier.labels import LABELS


class CorpusMissing(FileNotFoundError):
    """A corpus directory or file is not where the build expects it."""


@dataclass
class Row:
    source: str
    lang: str
    doc_id: str
    index: int
    start: int
    end: int
    text: str
    origin: str
    labels: dict[str, float | None]
    reported: dict[str, float | None] = field(default_factory=lambda: {label: None for label in LABELS})
    weak: bool = False
    group: str = ""

    def __post_init__(self) -> None:
        if not self.group:
            self.group = self.doc_id


def require(path: Path, what: str) -> Path:
    if not path.exists():
        raise CorpusMissing(f"{what} not found at {path}")
    return path
