"""TF-IDF word and character n-grams with one logistic regression per target."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from classifier.labels import LABELS
from classifier.models.targets import (
    as_target_matrix,
    fit_joint_stances,
    fit_per_target,
    predict_joint_stances,
    predict_per_target,
    stance_pairs,
)


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

    ``stance="joint"``: for each label whose voiced and ``*_reported`` targets are both present, one
    multinomial logistic regression over the three stances (none, voiced, reported) instead of two
    independent binary ones; its voiced and reported probabilities are the two outputs. The stances
    exclude each other, so the model learns what separates voicing from reporting rather than two
    unrelated scores (lbfgs: a few minutes on ~40k paragraphs).
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
        stance: str = "binary",
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
        self.stance = stance

    def _pairs(self) -> list[tuple[int, int]]:
        """(voiced, reported) target indices fitted jointly."""
        if self.stance == "binary":
            return []
        if self.stance != "joint":
            raise ValueError(f"stance must be 'binary' or 'joint', got {self.stance!r}")
        return stance_pairs(self.targets)

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> TfidfLogReg:
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
        joint_model = lambda: LogisticRegression(  # noqa: E731
            C=self.C, class_weight=self.class_weight, solver="lbfgs", max_iter=self.max_iter
        )
        self.joint_, Y = fit_joint_stances(joint_model, features, Y, self._pairs(), sample_weight)
        self.estimators_, self.priors_ = fit_per_target(
            lambda: LogisticRegression(
                C=self.C, class_weight=self.class_weight, solver=self.solver, max_iter=self.max_iter
            ),
            features,
            Y,
            sample_weight,
        )
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        features = self.vectorizer_.transform(list(texts))
        probs = predict_per_target(self.estimators_, self.priors_, features)
        return predict_joint_stances(getattr(self, "joint_", []), features, probs)
