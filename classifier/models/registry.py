"""Model kinds by name: what an experiment's ``model.kind`` refers to."""

from __future__ import annotations

import inspect
from pathlib import Path

from classifier.models.tfidf import TfidfLogReg


def _transformer():
    from classifier.models.transformer import TransformerClassifier  # torch loads only when asked for

    return TransformerClassifier


def _embedding_logreg():
    from classifier.models.embeddings import EmbeddingLogReg

    return EmbeddingLogReg


def _ensemble():
    from classifier.models.ensemble import Ensemble

    return Ensemble


MODEL_KINDS = {"tfidf_logreg": lambda: TfidfLogReg, "transformer": _transformer, "embedding_logreg": _embedding_logreg, "ensemble": _ensemble}
# Kinds saved as a folder by their own ``save`` and read back by their class's ``load`` (Hugging Face
# weights are not scikit-learn objects); the others are saved whole with skops.
FOLDER_KINDS = frozenset({"transformer", "embedding_logreg", "ensemble"})


def model_class(kind: str):
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {', '.join(sorted(MODEL_KINDS))}")
    return MODEL_KINDS[kind]()


def model_defaults(kind: str) -> dict:
    """The parameters a kind accepts, with their defaults (``targets`` is set by training)."""
    signature = inspect.signature(model_class(kind).__init__)
    return {name: p.default for name, p in signature.parameters.items() if name not in ("self", "targets")}


def save_estimator(model, kind: str, path: Path) -> Path:
    """Save a (calibrated) estimator where ``classifier.pyfunc.load_estimator`` finds it: ``path`` is
    a folder for ``FOLDER_KINDS``, else ``path`` with the suffix ``.skops``. Returns what was written."""
    from classifier.models.persist import save_skops

    if kind in FOLDER_KINDS:
        return model.save(Path(path))
    return save_skops(model, Path(path).with_suffix(".skops"))
