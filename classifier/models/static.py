"""A fast student for dumps: static token embeddings (model2vec) and word TF-IDF, with one linear
(logistic) head per target fitted on soft targets.

The embedding model is a model2vec static model distilled offline from a sentence encoder
(``training.distil --static``; ``embedding_path`` relative to the repository when not absolute; it is
copied into the saved model): a paragraph's embedding is the mean of its tokens' vectors, computed
with numpy, no encoder at scoring time. ``tfidf_features`` (0: none) adds a word 1–2-gram TF-IDF of at
most that many features. The heads are logistic regressions fitted by L-BFGS on the cross-entropy to
targets in [0, 1]: read labels (0/1) or a teacher's probabilities (``training.distil``), with an L2
penalty ``alpha`` and per-row ``sample_weight``; a NaN target is left out of its head's loss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator

from classifier.labels import LABELS
from classifier.store import REPO_ROOT

STATIC_DIR = "static"
HEADS_FILE = "heads.npz"
TFIDF_FILE = "tfidf.json"  # the vocabulary and idf weights (skops is slow on a 100,000-term dict)
PARAMS_FILE = "static_linear.json"


class StaticLinear(BaseEstimator):
    kind = "static_linear"

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        embedding_path: str = "build/static/minilm",
        tfidf_features: int = 100_000,
        alpha: float = 1.0e-4,
        max_iter: int = 300,
        random_state: int = 0,
    ):
        self.targets = targets
        self.embedding_path = embedding_path
        self.tfidf_features = tfidf_features
        self.alpha = alpha
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> StaticLinear:
        from model2vec import StaticModel

        texts = list(texts)
        Y = np.asarray(Y, dtype=np.float64).reshape(len(texts), -1)
        if Y.shape[1] != len(self.targets):
            raise ValueError(f"Y must have shape (n_samples, {len(self.targets)}), got {Y.shape}")
        if np.nanmin(Y, initial=0.0) < 0 or np.nanmax(Y, initial=1.0) > 1:
            raise ValueError("targets must lie in [0, 1] (labels or probabilities)")
        weights = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        path = Path(self.embedding_path)
        path = path if path.is_absolute() else REPO_ROOT / path
        if not path.exists():
            raise FileNotFoundError(f"no static embedding model at {path}: build it with `make static-model`")
        self.static_ = StaticModel.from_pretrained(path)
        self.tfidf_ = None
        if self.tfidf_features > 0:
            self.tfidf_ = word_tfidf(min_df=2, max_features=self.tfidf_features).fit(texts)
            self.tfidf_.stop_words_ = None  # the terms cut by max_features: large, for introspection only
        X = self._features(texts)
        self.coef_ = np.zeros((len(self.targets), X.shape[1]))
        self.intercept_ = np.zeros(len(self.targets))
        for j in range(len(self.targets)):
            known = ~np.isnan(Y[:, j])
            self.coef_[j], self.intercept_[j] = soft_logistic(
                X[known], Y[known, j], weights[known], self.alpha, self.max_iter
            )
        return self

    def _features(self, texts: list[str]):
        embedded = self.static_.encode(texts, max_length=None, use_multiprocessing=False).astype(np.float32)
        if self.tfidf_ is None:
            return embedded
        return sparse.hstack([sparse.csr_matrix(embedded), self.tfidf_.transform(texts)], format="csr")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.targets)))
        logits = self._features(texts) @ self.coef_.T + self.intercept_
        return 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))

    def save(self, directory: Path) -> Path:
        """A folder: ``static/`` (the embedding model), ``heads.npz``, ``tfidf.skops`` when used, and
        ``static_linear.json`` (the parameters)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.static_.save_pretrained(str(directory / STATIC_DIR))
        np.savez(directory / HEADS_FILE, coef=self.coef_, intercept=self.intercept_)
        if self.tfidf_ is not None:
            vocabulary = {term: int(column) for term, column in self.tfidf_.vocabulary_.items()}
            (directory / TFIDF_FILE).write_text(
                json.dumps({"vocabulary": vocabulary, "idf": self.tfidf_.idf_.tolist()}, ensure_ascii=False)
            )
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        (directory / PARAMS_FILE).write_text(json.dumps({"kind": self.kind, "params": params}, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> StaticLinear:
        from model2vec import StaticModel

        directory = Path(directory)
        params = json.loads((directory / PARAMS_FILE).read_text())["params"]
        params["targets"] = tuple(params["targets"])
        model = cls(**params)
        model.static_ = StaticModel.from_pretrained(directory / STATIC_DIR)
        heads = np.load(directory / HEADS_FILE)
        model.coef_, model.intercept_ = heads["coef"], heads["intercept"]
        model.tfidf_ = None
        if (directory / TFIDF_FILE).exists():
            saved = json.loads((directory / TFIDF_FILE).read_text(encoding="utf-8"))
            model.tfidf_ = word_tfidf(vocabulary=saved["vocabulary"])
            model.tfidf_.idf_ = np.asarray(saved["idf"], dtype=np.float64)
        return model


def word_tfidf(**params):
    """The student's word 1-2-gram TF-IDF (sublinear tf, float32)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, dtype=np.float32, **params)


def soft_logistic(X, y: np.ndarray, weights: np.ndarray, alpha: float, max_iter: int) -> tuple[np.ndarray, float]:
    """Weights and bias of a logistic regression minimising the weighted mean cross-entropy to targets
    ``y`` in [0, 1] plus ``alpha`` × the squared norm of the weights (L-BFGS)."""
    from scipy.optimize import minimize

    n, d = X.shape
    if n == 0:
        return np.zeros(d), 0.0
    w_rows = weights / max(weights.sum(), 1e-12)

    def loss(theta):
        coef, bias = theta[:d], theta[d]
        z = np.asarray(X @ coef).ravel() + bias
        # cross-entropy with logits, stable: log(1 + e^z) - y z
        value = np.sum(w_rows * (np.logaddexp(0.0, z) - y * z)) + alpha * coef @ coef
        residual = w_rows * (1.0 / (1.0 + np.exp(-z)) - y)
        grad = np.concatenate([np.asarray(X.T @ residual).ravel() + 2 * alpha * coef, [residual.sum()]])
        return value, grad

    prior = float(np.clip(np.average(y, weights=weights), 1e-4, 1 - 1e-4))
    start = np.zeros(d + 1)
    start[d] = np.log(prior / (1 - prior))
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    return result.x[:d], float(result.x[d])
