"""The languages a model declares supported: measured on the read test split at training time.

Per language (the table's ``lang``): the read test paragraphs, and the voiced macro-F1 on them (per
label, the F1 of the ``voiced`` stance the model's thresholds give against the read stance; their
mean over the labels that have read-voiced paragraphs in that language). A language is supported
when it has at least ``MIN_PARAGRAPHS`` read test paragraphs and a voiced macro-F1 of at least
``MIN_VOICED_MACRO_F1``. The result goes in the logged model's metadata (``languages``), where
``classifier.articles`` reads it to mark records in other languages ``unsupported_language``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from classifier.labels import LABELS
from training.metrics import predicted_stances

MIN_PARAGRAPHS = 100  # fewer read test paragraphs than this: the figure is too uncertain to declare
MIN_VOICED_MACRO_F1 = 0.5  # below this, the model's verdicts in the language are not worth giving as measured


def language_support(
    frame: pd.DataFrame,
    probs: np.ndarray,
    columns: Sequence[str],
    thresholds: dict[str, float],
    min_paragraphs: int | None = None,
    min_f1: float | None = None,
) -> dict[str, dict]:
    """``{lang: {paragraphs, voiced_macro_f1, supported}}`` over the read rows of ``frame``; the minimums
    default to ``MIN_PARAGRAPHS`` and ``MIN_VOICED_MACRO_F1``. A language without read-voiced
    paragraphs has no figure (null) and is supported only when the minimum quality is 0."""
    min_paragraphs = MIN_PARAGRAPHS if min_paragraphs is None else min_paragraphs
    min_f1 = MIN_VOICED_MACRO_F1 if min_f1 is None else min_f1
    read = frame["gold"].to_numpy(dtype=bool) if "gold" in frame else np.ones(len(frame), dtype=bool)
    frame, probs = frame[read], probs[read]
    if frame.empty:
        return {}
    stances = predicted_stances(probs, columns, thresholds)
    out = {}
    for lang in sorted(frame["lang"].dropna().astype(str).unique()):
        rows = (frame["lang"].astype(str) == lang).to_numpy()
        scores = []
        for label in LABELS:
            truth = frame[f"{label}_stance"].to_numpy()[rows] == "voiced"
            if truth.any():
                scores.append(f1_score(truth, stances[label][rows] == "voiced", zero_division=0))
        f1 = round(float(np.mean(scores)), 4) if scores else None
        paragraphs = int(rows.sum())
        out[lang] = {
            "paragraphs": paragraphs,
            "voiced_macro_f1": f1,
            "supported": bool(paragraphs >= min_paragraphs and (f1 if f1 is not None else 0.0) >= min_f1),
        }
    return out
