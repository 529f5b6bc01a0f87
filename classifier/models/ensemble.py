"""An ensemble: a weighted average of its members' probabilities, per output column.

Members are fitted estimators given as ``(name, estimator)`` pairs, as scikit-learn's
``VotingClassifier`` takes them: training loads them from their logged models (``training.members``)
before it builds the ensemble; nothing is retrained, so an ensemble run costs one scoring pass per
member. A member's outputs are its ``targets``. A target is averaged over the members that output it
(a two-column member adds nothing to the ``*_reported`` columns); every target needs at least one
member. Saved as a folder: ``members/<i>/`` in each member's own format and ``ensemble.json``, which
also records each member's name (the model URI it was loaded from).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator

from classifier.labels import LABELS
from classifier.models.registry import load_estimator, save_estimator
from classifier.models.targets import as_target_matrix, f1_by_threshold

PARAMS_FILE = "ensemble.json"
MEMBERS_DIR = "members"


class Ensemble(BaseEstimator):
    """Weighted mean of the members' probabilities, per target.

    ``members``: ``(name, fitted estimator)`` pairs. ``weights``: empty for equal weights; one number
    per member; or ``"dev"``: per target, the weights on a grid over the members that output it (steps
    of ``weight_step``, summing to 1) whose mean reaches the highest F1 on dev at its best threshold,
    ties going to the weights closest to equal. The weights are kept per target (``weights_``) and
    saved with the model.
    """

    kind = "ensemble"
    uses_dev = True

    def __init__(
        self,
        targets: Sequence[str] = LABELS,
        members: Sequence = (),
        weights: Sequence[float] | str = (),
        weight_step: float = 0.1,
    ):
        self.targets = targets
        self.members = members
        self.weights = weights
        self.weight_step = weight_step

    def fit(self, texts=None, Y=None, sample_weight=None, dev=None) -> Ensemble:
        """Check the members (the training data is not used); with ``weights="dev"``, choose the
        weights on ``dev`` = (texts, Y)."""
        if not self.members:
            raise ValueError("an ensemble needs members: (name, fitted estimator) pairs")
        if any(
            not (isinstance(m, (tuple, list)) and len(m) == 2 and hasattr(m[1], "predict_proba")) for m in self.members
        ):
            raise ValueError(
                "ensemble members must be (name, fitted estimator) pairs; training loads them from their model URIs"
            )
        by_dev = isinstance(self.weights, str)
        if by_dev and self.weights != "dev":
            raise ValueError(f"weights must be numbers, one per member, or 'dev', not {self.weights!r}")
        if not by_dev and self.weights and len(self.weights) != len(self.members):
            raise ValueError("weights must have one value per member")
        if by_dev and dev is None:
            raise ValueError("weights 'dev' needs the dev split")
        self.columns_ = [list(estimator.targets) for _, estimator in self.members]
        self._check_columns()
        self.weights_ = self._dev_weights(*dev) if by_dev else self._fixed_weights()
        return self

    def _check_columns(self) -> None:
        missing = [t for t in self.targets if not any(t in columns for columns in self.columns_)]
        if missing:
            raise ValueError(f"no member of {[name for name, _ in self.members]} outputs {missing}")

    def _present(self) -> np.ndarray:
        """(targets x members): whether the member outputs the target."""
        return np.array([[target in columns for columns in self.columns_] for target in self.targets])

    def _fixed_weights(self) -> np.ndarray:
        given = np.asarray(self.weights if self.weights else [1.0] * len(self.columns_), dtype=np.float64)
        weights = self._present() * given[None, :]
        sums = weights.sum(axis=1, keepdims=True)
        if (sums <= 0).any():
            raise ValueError("every target needs a member with a positive weight")
        return weights / sums

    def _dev_weights(self, texts, Y) -> np.ndarray:
        Y = as_target_matrix(Y, len(self.targets))
        member_probs = self._member_probs(list(texts))
        present = self._present()
        weights = np.zeros(present.shape)
        for j in range(len(self.targets)):
            members = np.flatnonzero(present[j])
            known = ~np.isnan(Y[:, j])
            stack = np.column_stack([member_probs[m][:, j] for m in members])[known]
            best = None
            for grid in simplex_grid(len(members), self.weight_step):
                key = (round(best_f1(Y[known, j], stack @ grid), 4), -float(np.abs(grid - 1 / len(members)).sum()))
                if best is None or key > best[0]:
                    best = (key, grid)
            weights[j, members] = best[1]
        return weights

    def _member_probs(self, texts: list[str]) -> list[np.ndarray]:
        """Each member's probabilities in the ensemble's target order (0 where it has no output)."""
        out = []
        for (_, estimator), columns in zip(self.members, self.columns_):
            probs = estimator.predict_proba(texts)
            out.append(
                np.column_stack(
                    [probs[:, columns.index(t)] if t in columns else np.zeros(len(texts)) for t in self.targets]
                )
            )
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        total = np.zeros((len(texts), len(self.targets)))
        for m, probs in enumerate(self._member_probs(texts)):
            total += probs * self.weights_[:, m][None, :]
        return total

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        kinds = [estimator.kind for _, estimator in self.members]
        paths = [
            save_estimator(estimator, kind, directory / MEMBERS_DIR / str(i)).relative_to(directory).as_posix()
            for i, ((_, estimator), kind) in enumerate(zip(self.members, kinds))
        ]
        names = [name for name, _ in self.members]
        saved = {"kind": self.kind, "targets": list(self.targets), "members": names, "resolved": names,
            "weights": self.weights if isinstance(self.weights, str) else list(self.weights), "weight_step": self.weight_step,
            "target_weights": self.weights_.tolist(), "kinds": kinds, "columns": self.columns_, "paths": paths}  # fmt: skip
        (directory / PARAMS_FILE).write_text(json.dumps(saved, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> Ensemble:
        """An ensemble saved by ``save``; ``members`` named by the URIs they were loaded from."""
        directory = Path(directory)
        saved = json.loads((directory / PARAMS_FILE).read_text())
        weights = saved["weights"] if isinstance(saved["weights"], str) else tuple(saved["weights"])
        names = saved.get("resolved", saved["members"])
        members = tuple(
            (name, load_estimator(kind, directory / path))
            for name, kind, path in zip(names, saved["kinds"], saved["paths"])
        )
        model = cls(
            targets=tuple(saved["targets"]), members=members, weights=weights, weight_step=saved.get("weight_step", 0.1)
        )
        model.columns_ = [list(columns) for columns in saved["columns"]]
        target_weights = saved.get("target_weights")
        model.weights_ = (
            model._fixed_weights() if target_weights is None else np.asarray(target_weights, dtype=np.float64)
        )
        return model


def simplex_grid(n: int, step: float) -> list[np.ndarray]:
    """Every weight vector of length ``n`` with entries in multiples of ``step`` summing to 1."""
    units = int(round(1 / step))
    return [
        np.array(c, dtype=np.float64) / units for c in itertools.product(range(units + 1), repeat=n) if sum(c) == units
    ]


def best_f1(y: np.ndarray, p: np.ndarray) -> float:
    """The highest F1 over thresholds (0 without a positive)."""
    y = y.astype(int)
    if y.sum() == 0 or y.sum() == len(y):
        return 0.0
    return float(f1_by_threshold(y, p)[1].max())
