"""An ensemble: the average of its members' probabilities, per output column.

Members are logged models: any MLflow model URI (``models:/narrative-classifier/1``,
``runs:/<id>/model``) or ``experiment:<name>``, the model of the newest finished run of the project
experiment ``<name>`` (``experiments/<name>.yaml``) in the current tracking store. They are loaded with
their own (calibrated) estimators when the ensemble is fitted; nothing is retrained, so an ensemble run
costs one scoring pass per member. A target is averaged over the members that output it (a two-column
member adds nothing to the ``*_reported`` columns); every target needs at least one member.
Saved as a folder: ``members/<i>/`` in each member's own format and ``ensemble.json``, which also
records the run each member came from.
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
EXPERIMENT_PREFIX = "experiment:"


def resolve_member(uri: str) -> str:
    """A loadable model URI for ``uri``: ``experiment:<name>`` becomes ``runs:/<id>/model`` of the
    newest finished run tagged ``experiment=<name>``; other URIs are returned as they are."""
    if not uri.startswith(EXPERIMENT_PREFIX):
        return uri
    from mlflow import MlflowClient

    from training.tracking import EXPERIMENT

    name = uri.removeprefix(EXPERIMENT_PREFIX)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(EXPERIMENT)
    runs = [] if experiment is None else client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.experiment = '{name}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        raise ValueError(f"ensemble member {uri}: no finished run of experiment {name!r} in this store; train it first (make train EXP={name})")
    return f"runs:/{runs[0].info.run_id}/model"


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
        self.resolved_ = [resolve_member(uri) for uri in self.members]
        for uri in self.resolved_:
            wrapper = mlflow.pyfunc.load_model(uri).unwrap_python_model()
            self.estimators_.append(wrapper.estimator)
            self.kinds_.append(wrapper.meta["kind"])
            self.columns_.append(list(wrapper.columns))
        self._check_columns()
        return self

    def _check_columns(self) -> None:
        missing = [t for t in self.targets if not any(t in columns for columns in self.columns_)]
        if missing:
            raise ValueError(f"no member of {list(self.members)} outputs {missing}")

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        weights = np.asarray(self.weights if self.weights else [1.0] * len(self.estimators_), dtype=np.float64)
        total = np.zeros((len(texts), len(self.targets)))
        weight_sums = np.zeros(len(self.targets))
        for weight, estimator, columns in zip(weights, self.estimators_, self.columns_):
            probs = estimator.predict_proba(texts)
            present = [j for j, target in enumerate(self.targets) if target in columns]
            total[:, present] += weight * probs[:, [columns.index(self.targets[j]) for j in present]]
            weight_sums[present] += weight
        return total / weight_sums

    def save(self, directory: Path) -> Path:
        from classifier.models.registry import save_estimator

        directory = Path(directory)
        paths = [
            save_estimator(estimator, kind, directory / MEMBERS_DIR / str(i)).relative_to(directory).as_posix()
            for i, (estimator, kind) in enumerate(zip(self.estimators_, self.kinds_))
        ]
        saved = {"kind": self.kind, "targets": list(self.targets), "members": list(self.members), "resolved": list(getattr(self, "resolved_", self.members)), "weights": list(self.weights), "kinds": self.kinds_, "columns": self.columns_, "paths": paths}
        (directory / PARAMS_FILE).write_text(json.dumps(saved, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> "Ensemble":
        from classifier.pyfunc import load_estimator

        directory = Path(directory)
        saved = json.loads((directory / PARAMS_FILE).read_text())
        model = cls(targets=tuple(saved["targets"]), members=tuple(saved["members"]), weights=tuple(saved["weights"]))
        model.kinds_, model.columns_ = saved["kinds"], saved["columns"]
        model.resolved_ = saved.get("resolved", list(saved["members"]))
        model.estimators_ = [load_estimator(kind, directory / path) for kind, path in zip(saved["kinds"], saved["paths"])]
        return model
