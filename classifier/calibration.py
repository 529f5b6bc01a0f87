"""Calibrate a fitted model's probabilities on held-out data, one calibrator per target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from classifier.models.persist import load_skops, save_skops
from classifier.models.targets import as_target_matrix

_EPS = 1e-6
CALIBRATION_FILE = "calibration.skops"
ESTIMATOR_DIR = "estimator"


class Calibrated(BaseEstimator):
    """Wrap a fitted estimator; ``fit`` learns, on held-out data, a map from its scores to probabilities.

    ``method="sigmoid"`` (Platt scaling on the logit of the score) is the default: it needs few
    positives. ``"isotonic"`` is available for large held-out sets. A target with one class in the
    held-out data keeps the estimator's score unchanged.
    """

    def __init__(self, estimator=None, method: str = "sigmoid"):
        self.estimator = estimator
        self.method = method

    @property
    def targets(self) -> Sequence[str]:
        return self.estimator.targets

    @property
    def kind(self) -> str:
        return self.estimator.kind

    def fit(self, texts: Sequence[str], Y) -> Calibrated:
        if self.method not in ("sigmoid", "isotonic"):
            raise ValueError(f"method must be 'sigmoid' or 'isotonic', not {self.method!r}")
        return self.fit_scores(self.estimator.predict_proba(texts), Y)

    def fit_scores(self, scores: np.ndarray, Y) -> Calibrated:
        """``fit`` on the estimator's scores of the held-out texts, already computed."""
        if self.method not in ("sigmoid", "isotonic"):
            raise ValueError(f"method must be 'sigmoid' or 'isotonic', not {self.method!r}")
        Y = as_target_matrix(Y, len(self.targets))
        scores = np.asarray(scores, dtype=np.float64)
        self.calibrators_ = []
        for column in range(Y.shape[1]):
            known = ~np.isnan(Y[:, column])
            y = Y[known, column].astype(int)
            if len(np.unique(y)) < 2:
                self.calibrators_.append(None)
                continue
            if self.method == "sigmoid":
                calibrator = LogisticRegression(C=1e4).fit(_logit(scores[known, column])[:, None], y)
            else:
                calibrator = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
                    scores[known, column], y
                )
            self.calibrators_.append(calibrator)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return self.calibrate(self.estimator.predict_proba(texts))

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        out = np.array(scores, dtype=np.float64, copy=True)
        for column, calibrator in enumerate(self.calibrators_):
            if calibrator is None:
                continue
            if isinstance(calibrator, LogisticRegression):
                out[:, column] = calibrator.predict_proba(_logit(scores[:, column])[:, None])[:, 1]
            else:
                out[:, column] = calibrator.predict(scores[:, column])
        return out

    # Saving as a folder, for estimators that are not scikit-learn objects (transformers): the
    # estimator saves itself under ``estimator/``, the calibrators go to ``calibration.skops``.
    # TF-IDF models keep being saved whole with skops by training and never use this.

    def save(self, directory: Path) -> Path:
        if not hasattr(self.estimator, "save"):
            raise TypeError(f"{type(self.estimator).__name__} has no save(); save the Calibrated model with skops")
        directory = Path(directory)
        self.estimator.save(directory / ESTIMATOR_DIR)
        shell = Calibrated(None, method=self.method)
        shell.calibrators_ = self.calibrators_
        save_skops(shell, directory / CALIBRATION_FILE)
        return directory

    @staticmethod
    def saved_in(directory: Path) -> bool:
        return (Path(directory) / CALIBRATION_FILE).exists()

    @classmethod
    def load(cls, directory: Path, load_estimator: Callable[[Path], object]) -> Calibrated:
        directory = Path(directory)
        model = load_skops(directory / CALIBRATION_FILE)
        model.estimator = load_estimator(directory / ESTIMATOR_DIR)
        return model


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))
