"""The table of model kinds: what an experiment's ``model.kind`` names, and how each kind is saved and
loaded. Classes are named by import path and imported when asked for (torch loads only then)."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from classifier.calibration import Calibrated
from classifier.models.persist import load_skops, save_skops

MODEL_KINDS = {
    "tfidf_logreg": "classifier.models.tfidf:TfidfLogReg",
    "transformer": "classifier.models.transformer:TransformerClassifier",
    "embedding_logreg": "classifier.models.embeddings:EmbeddingLogReg",
    "multilingual_logreg": "classifier.models.multilingual:MultilingualLogReg",
    "ensemble": "classifier.models.ensemble:Ensemble",
    "static_linear": "classifier.models.static:StaticLinear",
}
# Kinds saved as a folder by their own ``save`` and read back by their class's ``load`` (Hugging Face
# weights are not scikit-learn objects); the others are saved whole with skops.
FOLDER_KINDS = frozenset({"transformer", "embedding_logreg", "ensemble", "static_linear"})


def model_class(kind: str):
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {', '.join(sorted(MODEL_KINDS))}")
    module, name = MODEL_KINDS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def model_defaults(kind: str) -> dict:
    """The parameters a kind accepts, with their defaults (``targets`` is set by training)."""
    signature = inspect.signature(model_class(kind).__init__)
    return {name: p.default for name, p in signature.parameters.items() if name not in ("self", "targets")}


def save_estimator(model, kind: str, path: Path) -> Path:
    """Save a (calibrated) estimator where ``load_estimator`` finds it: ``path`` is a folder for
    ``FOLDER_KINDS``, else ``path`` with the suffix ``.skops``. Returns what was written."""
    if kind in FOLDER_KINDS:
        return model.save(Path(path))
    return save_skops(model, Path(path).with_suffix(".skops"))


def load_estimator(kind: str, path: Path):
    """The estimator saved by ``save_estimator``: a folder for the kinds in ``FOLDER_KINDS`` (read by
    the kind's class ``load``, inside its ``Calibrated`` wrapper when it has one), otherwise one skops
    file."""
    if kind in FOLDER_KINDS:
        load = model_class(kind).load
        path = Path(path)
        return Calibrated.load(path, load) if Calibrated.saved_in(path) else load(path)
    return load_skops(path)
