"""Frozen sentence embeddings (mean pooling) with one logistic regression per target (SetFit-like,
without the contrastive step).

The encoder (all-MiniLM-L6-v2 by default, ``model_path`` for another local folder) is not trained: a
paragraph's embedding is the attention-masked mean of the last hidden states, L2-normalised; a
paragraph longer than ``max_length`` tokens is cut into windows overlapping by ``stride`` tokens and
its embedding is the mean of the window embeddings. Windows are encoded in length-sorted batches with
dynamic padding under ``torch.inference_mode()``. ``max_train_rows`` (0: all) caps the training rows
as in :mod:`classifier.models.transformer` (every row with a positive, then a seeded sample); the
logistic regressions are fitted per target on the rows where it is known, with ``class_weight``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import LogisticRegression

from classifier.labels import LABELS
from classifier.models.targets import as_target_matrix, fit_per_target, predict_per_target
from classifier.models.transformer import (
    capped_rows,
    default_model_path,
    set_threads,
    window_batches,
)

ENCODER_DIR = "encoder"
HEADS_FILE = "heads.skops"
PARAMS_FILE = "embedding_logreg.json"


class EmbeddingLogReg(BaseEstimator):
    kind = "embedding_logreg"

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        model_path: str = "",
        max_length: int = 128,
        stride: int = 32,
        batch_size: int = 64,
        C: float = 1.0,
        class_weight: str | None = "balanced",
        max_iter: int = 2000,
        max_train_rows: int = 0,
        threads: int = 0,
        random_state: int = 0,
    ):
        self.targets = targets
        self.model_path = model_path
        self.max_length = max_length
        self.stride = stride
        self.batch_size = batch_size
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.max_train_rows = max_train_rows
        self.threads = threads
        self.random_state = random_state

    def fit(self, texts: Sequence[str], Y, sample_weight=None) -> EmbeddingLogReg:
        texts = list(texts)
        Y = as_target_matrix(Y, len(self.targets))
        rows = capped_rows(Y, self.max_train_rows, np.random.RandomState(self.random_state))
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[rows]
        self._load_encoder(self.model_path or default_model_path())
        features = self.embed([texts[i] for i in rows])
        self.train_rows_ = len(rows)
        self.estimators_, self.priors_ = fit_per_target(
            lambda: LogisticRegression(
                C=self.C, class_weight=self.class_weight, max_iter=self.max_iter, random_state=self.random_state
            ),
            features,
            Y[rows],
            weights,
        )
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return predict_per_target(self.estimators_, self.priors_, self.embed(list(texts)))

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised mean-pooled embeddings, one row per text (windows averaged)."""
        import torch

        set_threads(self.threads)
        encoder, tokenizer = self.encoder_, self.tokenizer_
        size = encoder.config.hidden_size
        sums, counts = np.zeros((len(texts), size)), np.zeros(len(texts))
        with torch.inference_mode():
            for owners, input_ids, mask in window_batches(
                tokenizer, texts, self.max_length, self.stride, self.batch_size
            ):
                hidden = encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
                pooled = torch.nn.functional.normalize(pooled, dim=-1).float().numpy()
                np.add.at(sums, owners, pooled)
                np.add.at(counts, owners, 1.0)
        means = sums / np.maximum(counts, 1.0)[:, None]
        return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)

    def _load_encoder(self, path) -> None:
        from transformers import AutoModel, AutoTokenizer

        self.tokenizer_ = AutoTokenizer.from_pretrained(path)
        self.encoder_ = AutoModel.from_pretrained(path)
        self.encoder_.eval()

    def __getstate__(self):
        state = dict(super().__getstate__())
        for key in ("encoder_", "tokenizer_"):  # saved with Hugging Face, beside the skops heads
            state.pop(key, None)
        return state

    def save(self, directory: Path) -> Path:
        """A folder: ``encoder/`` (the Hugging Face encoder and tokenizer) and ``heads.skops``."""
        from classifier.models.persist import save_skops

        directory = Path(directory)
        self.encoder_.save_pretrained(directory / ENCODER_DIR)
        self.tokenizer_.save_pretrained(directory / ENCODER_DIR)
        heads = EmbeddingLogReg(
            **{**self.get_params(), "model_path": "", "threads": 0}
        )  # scores with the loader's threads
        heads.estimators_, heads.priors_, heads.train_rows_ = self.estimators_, self.priors_, self.train_rows_
        save_skops(heads, directory / HEADS_FILE)
        (directory / PARAMS_FILE).write_text(json.dumps({"kind": self.kind}))
        return directory

    @classmethod
    def load(cls, directory: Path) -> EmbeddingLogReg:
        from classifier.models.persist import load_skops

        directory = Path(directory)
        model = load_skops(directory / HEADS_FILE)  # the parameters as trained; the encoder from this folder
        model._load_encoder(directory / ENCODER_DIR)
        return model
