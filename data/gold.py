"""Join the project's paragraph annotations (ids, hashes and stances) to the corpus rows.

Annotations live in ``data/annotations/*.csv`` (see ``data/GUIDELINES.md``): ``gold*.csv``, the first
annotated sets, and ``read.csv``, the bulk reading of every paragraph (``data/reading.py``). A read
paragraph's stance sets its labels: ``voiced`` -> label 1; ``reported`` -> ``*_reported`` 1; both 0
otherwise. Splits are set by ``data.build`` (the frozen test split and the hashed train/dev split).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from classifier.labels import LABELS, STANCES
from classifier.text import text_hash
from data.corpora import REPO_ROOT

ANNOTATIONS_DIR = REPO_ROOT / "data" / "annotations"
GOLD_FILE_GLOB = "*.csv"
GOLD_FRACTIONS = (0.6, 0.2, 0.2)  # the split of gold articles before the test split was frozen (data.annotate)
STANCE_COLUMNS = tuple(f"{label}_stance" for label in LABELS)


class AnnotationMismatch(ValueError):
    """An annotation no longer matches the corpus text it was made on."""


def read_annotations(directory: Path = ANNOTATIONS_DIR) -> pd.DataFrame:
    records = []
    for path in sorted(directory.glob(GOLD_FILE_GLOB)):
        with path.open(encoding="utf-8", newline="") as handle:
            for line, record in enumerate(csv.DictReader(handle), start=2):
                for label in LABELS:
                    if record.get(label) not in STANCES:
                        raise ValueError(f"{path}:{line}: {label} must be one of {STANCES}, got {record.get(label)!r}")
                record["file"] = f"{path.name}:{line}"
                records.append(record)
    columns = ["source", "doc_id", "index", "text_hash", *LABELS, "note", "file"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["index"] = frame["index"].astype(int)
    duplicated = frame.duplicated(["source", "doc_id", "index"], keep=False)
    if duplicated.any():
        raise ValueError(f"paragraphs annotated twice: {frame.loc[duplicated, 'file'].tolist()[:5]}")
    return frame


def apply_annotations(frame: pd.DataFrame, annotations: pd.DataFrame) -> pd.DataFrame:
    """Set gold labels and stances on ``frame`` (the table before de-duplication)."""
    frame = frame.copy()
    frame["gold"] = False
    for column in STANCE_COLUMNS:
        frame[column] = pd.Series([None] * len(frame), dtype="object")
    if annotations.empty:
        return frame
    key = ["source", "doc_id", "index"]
    joined = annotations.merge(frame[[*key, "text"]].reset_index(names="row"), on=key, how="left")
    missing = joined["row"].isna()
    if missing.any():
        raise AnnotationMismatch(
            f"{int(missing.sum())} annotated paragraphs are not in the corpora (first: {joined.loc[missing, 'file'].tolist()[:3]}); "
            "the corpora changed or the paragraph splitting did"
        )
    hashes = joined["text"].map(text_hash)
    changed = hashes != joined["text_hash"]
    if changed.any():
        raise AnnotationMismatch(
            f"{int(changed.sum())} annotated paragraphs no longer match their text hash (first: {joined.loc[changed, 'file'].tolist()[:3]}); "
            "re-check them against data/GUIDELINES.md before building"
        )
    rows = joined["row"].astype(int).to_numpy()
    frame.loc[rows, "gold"] = True
    frame.loc[rows, "weak"] = False
    for label, stance_column in zip(LABELS, STANCE_COLUMNS):
        stances = joined[label].to_numpy()
        frame.loc[rows, stance_column] = stances
        frame.loc[rows, label] = (stances == "voiced").astype(float)
        frame.loc[rows, label + "_reported"] = (stances == "reported").astype(float)
    return frame
