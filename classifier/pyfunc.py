"""The MLflow model wrapper: a DataFrame with a ``text`` column in, one probability column per output.

Contract: the output has exactly as many rows as the input, in the same order, and the columns
``model_columns`` (the labels, then the ``*_reported`` columns where the model has them), each a float
probability. A missing or null text gives NaN in every column of its row; it never shifts the rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

try:
    import mlflow.pyfunc

    _PythonModel = mlflow.pyfunc.PythonModel
except ImportError:  # the library imports without MLflow; only logging and loading need it
    _PythonModel = object

from classifier.models.registry import load_estimator

TEXT_COLUMN = "text"
META_ARTIFACT = "meta"
MODEL_ARTIFACT = "model"


def texts_from(model_input) -> tuple[list[str], np.ndarray]:
    """Texts to score and a mask of the rows that have one. Accepts a DataFrame, a Series or a list."""
    if isinstance(model_input, pd.DataFrame):
        if TEXT_COLUMN not in model_input.columns:
            raise ValueError(f"input needs a {TEXT_COLUMN!r} column; got columns {list(model_input.columns)}")
        values = model_input[TEXT_COLUMN].tolist()
    elif isinstance(model_input, pd.Series):
        values = model_input.tolist()
    elif isinstance(model_input, (list, tuple)):
        values = list(model_input)
    else:
        raise TypeError(f"input must be a DataFrame with a {TEXT_COLUMN!r} column, not {type(model_input).__name__}")
    present = np.array([isinstance(v, str) for v in values], dtype=bool)
    return [v for v in values if isinstance(v, str)], present


def score_frame(estimator, columns: Sequence[str], model_input, batch_size: int = 4096) -> pd.DataFrame:
    texts, present = texts_from(model_input)
    out = np.full((len(present), len(columns)), np.nan)
    if texts:
        parts = [estimator.predict_proba(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        out[present] = np.vstack(parts)
    index = model_input.index if isinstance(model_input, (pd.DataFrame, pd.Series)) else None
    return pd.DataFrame(out, columns=list(columns), index=index)


class NarrativeModel(_PythonModel):
    """Loads the estimator saved by ``training`` and scores DataFrames by the contract above.

    The ``meta`` artifact gives the kind and the output columns; the decision thresholds live in the
    logged model's metadata (``MLmodel``), read by ``classifier.articles.Scorer``."""

    def load_context(self, context) -> None:
        meta = json.loads(Path(context.artifacts[META_ARTIFACT]).read_text())
        self.meta = meta
        self.columns = list(meta["columns"])
        self.estimator = load_estimator(meta["kind"], Path(context.artifacts[MODEL_ARTIFACT]))

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        # The DataFrame hint is the contract; MLflow infers no schema from it (the logged signature is
        # the schema) and no longer warns, on every load, that ``predict`` lacks type hints.
        return score_frame(self.estimator, self.columns, model_input)
