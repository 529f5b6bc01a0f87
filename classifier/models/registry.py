"""Model kinds by name: what an experiment's ``model.kind`` refers to."""

from __future__ import annotations

import inspect

from classifier.models.tfidf import TfidfLogReg


MODEL_KINDS = {"tfidf_logreg": lambda: TfidfLogReg}


def model_class(kind: str):
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}; known kinds: {', '.join(sorted(MODEL_KINDS))}")
    return MODEL_KINDS[kind]()


def model_defaults(kind: str) -> dict:
    """The parameters a kind accepts, with their defaults (``targets`` is set by training)."""
    signature = inspect.signature(model_class(kind).__init__)
    return {name: p.default for name, p in signature.parameters.items() if name not in ("self", "targets")}
