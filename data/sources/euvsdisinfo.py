"""EUvsDisinfo: pro-Kremlin disinformation cases, in English.

Every case is disinformation: its title and summary voice a claim, and the analysts' keywords say which
labels the claim carries. The disproof talks *about* the claim from a distance: it never voices a label,
and it reports the labels the claim carries. A case is one group, so its title, summary and disproof
always fall in the same split; case_summaries rows are matched to claim_titles cases by title.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from classifier.labels import LABELS
from classifier.text import normalise
from data.mapping import euvsdisinfo_labels
from data.sources import Row, require

NAME = "euvsdisinfo"
MIN_DISPROOF_CHARS = 80
MAX_FIELD_CHARS = 1 << 30  # case summaries and disproofs run long


def load(root: Path) -> Iterator[Row]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    base = require(root / "euvsdisinfo", "EUvsDisinfo directory")
    titles = require(base / "claim_titles.csv", "EUvsDisinfo claim_titles.csv")
    summaries = require(base / "case_summaries.csv", "EUvsDisinfo case_summaries.csv")
    case_by_title: dict[str, str] = {}
    with titles.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            title = (record.get("title") or "").strip()
            case = (record.get("id") or "").strip()
            if not title or not case:
                continue
            case_by_title.setdefault(normalise(title), case)
            labels = euvsdisinfo_labels(set((record.get("keywords") or "").split("+")))
            yield _row(case, 0, title, "claim", labels, weak=not any(labels.values()))
    seen: dict[str, int] = {}
    with summaries.open(encoding="utf-8", newline="") as handle:
        for number, record in enumerate(csv.DictReader(handle)):
            title = (record.get("title") or "").strip()
            case = case_by_title.get(normalise(title)) or f"summary:{number}"
            # Paragraph indices 10, 11, 12 (title, summary, disproof); 20, 21, 22 for a second summary row of the case.
            first_index = 10 * (seen.get(case, 0) + 1)
            seen[case] = seen.get(case, 0) + 1
            labels = euvsdisinfo_labels(set((record.get("keywords") or "").split(",")))
            weak = not any(labels.values())
            if title:
                yield _row(case, first_index, title, "claim", labels, weak=weak)
            summary = _clean(record.get("summary") or "")
            if summary and normalise(summary) != normalise(title):
                yield _row(case, first_index + 1, summary, "summary", labels, weak=weak)
            disproof = _clean(record.get("disproof") or "")
            if len(disproof) >= MIN_DISPROOF_CHARS:
                yield _row(
                    case,
                    first_index + 2,
                    disproof,
                    "disproof",
                    {label: 0.0 for label in LABELS},
                    reported=dict(labels),
                    weak=weak,
                )


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _row(case: str, index: int, text: str, origin: str, labels: dict[str, float], *, weak: bool, reported=None) -> Row:
    return Row(
        source=NAME,
        lang="en",
        doc_id=case,
        index=index,
        start=-1,
        end=-1,
        text=text,
        origin=origin,
        labels=labels,
        reported=reported if reported is not None else {label: 0.0 for label in LABELS},
        weak=weak,
    )
