"""An ensemble: the average of its members' probabilities, per output column.

Members are registered model versions (``members: ["models:/narrative-classifier/1", ...]``), loaded
with their own (calibrated) estimators when the ensemble is fitted; nothing is retrained, so an
ensemble run costs one scoring pass per member. Each member must output every target of the ensemble.
Saved as a folder: ``members/<i>/`` in each member's own format and ``ensemble.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from classifier.labels import LABELS

PARAMS_FILE = "ensemble.json"
MEMBERS_DIR = "members"


class Ensemble(BaseEstimator):
    kind = "ensemble"

    def __init__(self, targets: Sequence[str] = LABELS, members: Sequence[str] = (), weights: Sequence[float] = ()):
        self.targets = targets
        self.members = members
        self.weights = weights

    def fit(self, texts=None, Y=None, sample_weight=None) -> "Ensemble":
        """Load the member versions (the training data is not used)."""
        import mlflow

        if not self.members:
            raise ValueError("an ensemble needs members (registered model URIs)")
        if self.weights and len(self.weights) != len(self.members):
            raise ValueError("weights must have one value per member")
        self.estimators_, self.kinds_, self.columns_ = [], [], []
        for uri in self.members:
            wrapper = mlflow.pyfunc.load_model(uri).unwrap_python_model()
            self.estimators_.append(wrapper.estimator)
            self.kinds_.append(wrapper.meta["kind"])
            self.columns_.append(list(wrapper.columns))
        self._check_columns()
        return self

    def _check_columns(self) -> None:
        for uri, columns in zip(self.members, self.columns_):
            missing = [t for t in self.targets if t not in columns]
            if missing:
                raise ValueError(f"member {uri} has no output for {missing}")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        weights = np.asarray(self.weights if self.weights else [1.0] * len(self.estimators_), dtype=np.float64)
        total = np.zeros((len(texts), len(self.targets)))
        for weight, estimator, columns in zip(weights, self.estimators_, self.columns_):
            probs = estimator.predict_proba(texts)
            total += weight * probs[:, [columns.index(t) for t in self.targets]]
        return total / weights.sum()

    def save(self, directory: Path) -> Path:
        from classifier.models.registry import save_estimator

        directory = Path(directory)
        paths = [
            save_estimator(estimator, kind, directory / MEMBERS_DIR / str(i)).relative_to(directory).as_posix()
            for i, (estimator, kind) in enumerate(zip(self.estimators_, self.kinds_))
        ]
        saved = {"kind": self.kind, "targets": list(self.targets), "members": list(self.members), "weights": list(self.weights), "kinds": self.kinds_, "columns": self.columns_, "paths": paths}
        (directory / PARAMS_FILE).write_text(json.dumps(saved, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> "Ensemble":
        from classifier.pyfunc import load_estimator

        directory = Path(directory)
        saved = json.loads((directory / PARAMS_FILE).read_text())
        model = cls(targets=tuple(saved["targets"]), members=tuple(saved["members"]), weights=tuple(saved["weights"]))
        model.kinds_, model.columns_ = saved["kinds"], saved["columns"]
        model.estimators_ = [load_estimator(kind, directory / path) for kind, path in zip(saved["kinds"], saved["paths"])]
        return model
