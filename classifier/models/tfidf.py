"""TF-IDF word and character n-grams with one logistic regression per target."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from classifier.labels import LABELS, reported_column
from classifier.models.targets import as_target_matrix, fit_per_target, predict_per_target


class CompactTfidfVectorizer(TfidfVectorizer):
    """A TfidfVectorizer that saves its vocabulary as one string, not a dict of 10^5 entries.

    skops writes a dict entry by entry (seconds per 100k terms, each way); one newline-joined string
    in index order loads in well under a second. Terms never hold a newline: word tokens are ``\\w+``
    runs joined by spaces and ``char_wb`` n-grams are taken within whitespace-split words. The pruned
    terms (``stop_words_``) are dropped, as scikit-learn's documentation allows.
    """

    def __getstate__(self):
        state = dict(super().__getstate__())
        state.pop("stop_words_", None)
        vocabulary = state.pop("vocabulary_", None)
        if vocabulary is not None:
            terms = [""] * len(vocabulary)
            for term, index in vocabulary.items():
                terms[index] = term
            state["vocabulary_terms_"] = "\n".join(terms)
        return state

    def __setstate__(self, state):
        state = dict(state)
        terms = state.pop("vocabulary_terms_", None)
        if terms is not None:
            state["vocabulary_"] = {term: index for index, term in enumerate(terms.split("\n"))}
        super().__setstate__(state)


class TfidfLogReg(BaseEstimator):
    """Word (1..word_ngram_max) and char_wb (char_ngram_min..char_ngram_max) TF-IDF, then a logistic
    regression per target, trained on the rows where that target is known. liblinear is the default
    solver: on ~35k paragraphs and ~400k features it converges in about 10 s, lbfgs and saga in minutes.

    A target with a single class in the training data (e.g. no positives) predicts its training prior.

    ``stance_gate``: also fit one logistic regression, pooled over the labels, that tells a paragraph
    reporting on a framing from one voicing it, on the rows that do either (voiced label 1 against
    ``*_reported`` 1: EUvsDisinfo claims against their disproofs, and the gold stances). A label's
    reported output is then the larger of its own head's and ``voiced x gate``: a paragraph that
    carries the framing's words with the marks of reporting (attribution, rebuttal) scores as reported,
    and the stance rule (``classifier.stance``) resolves it so. The voiced outputs are unchanged.
    """

    kind = "tfidf_logreg"

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        word_ngram_max: int = 2,
        char_ngram_min: int = 2,
        char_ngram_max: int = 5,
        max_features: int = 200_000,
        min_df: int = 2,
        C: float = 4.0,
        class_weight: str | None = "balanced",
        solver: str = "liblinear",
        max_iter: int = 1000,
        stance_gate: bool = False,
    ):
        self.targets = targets
        self.word_ngram_max = word_ngram_max
        self.char_ngram_min = char_ngram_min
        self.char_ngram_max = char_ngram_max
        self.max_features = max_features
        self.min_df = min_df
        self.C = C
        self.class_weight = class_weight
        self.solver = solver
        self.max_iter = max_iter
        self.stance_gate = stance_gate

    def _make_estimator(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, class_weight=self.class_weight, solver=self.solver, max_iter=self.max_iter)

    def _stance_pairs(self) -> list[tuple[int, int]]:
        """(voiced index, reported index) of each label that has both outputs."""
        targets = list(self.targets)
        return [(targets.index(label), targets.index(reported_column(label))) for label in LABELS if label in targets and reported_column(label) in targets]

    def _fit_gate(self, features, Y: np.ndarray, sample_weight) -> LogisticRegression | None:
        weights = np.ones(len(Y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        rows, ys = [], []
        for voiced, reported in self._stance_pairs():
            either = np.flatnonzero((Y[:, voiced] == 1) | (Y[:, reported] == 1))
            rows.append(either)
            ys.append((Y[either, reported] == 1).astype(int))
        if not rows:
            raise ValueError("stance_gate needs voiced and *_reported targets")
        rows_all, y = np.concatenate(rows), np.concatenate(ys)
        if len(np.unique(y)) < 2:
            return None
        return self._make_estimator().fit(features[rows_all], y, sample_weight=weights[rows_all])

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> "TfidfLogReg":
        Y = as_target_matrix(Y, len(self.targets))
        self.vectorizer_ = FeatureUnion(
            [
                (
                    "word",
                    CompactTfidfVectorizer(
                        ngram_range=(1, self.word_ngram_max),
                        min_df=self.min_df,
                        max_features=self.max_features,
                        sublinear_tf=True,
                        dtype=np.float32,
                    ),
                ),
                (
                    "char",
                    CompactTfidfVectorizer(
                        analyzer="char_wb",
                        ngram_range=(self.char_ngram_min, self.char_ngram_max),
                        min_df=self.min_df,
                        max_features=self.max_features,
                        sublinear_tf=True,
                        dtype=np.float32,
                    ),
                ),
            ]
        )
        features = self.vectorizer_.fit_transform(list(texts))
        self.estimators_, self.priors_ = fit_per_target(self._make_estimator, features, Y, sample_weight)
        self.gate_ = self._fit_gate(features, Y, sample_weight) if self.stance_gate else None
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.vectorizer_.transform(list(texts))
        probs = predict_per_target(self.estimators_, self.priors_, features)
        if getattr(self, "gate_", None) is not None:
            gate = self.gate_.predict_proba(features)[:, 1]
            for voiced, reported in self._stance_pairs():
                probs[:, reported] = np.maximum(probs[:, reported], probs[:, voiced] * gate)
        return probs
