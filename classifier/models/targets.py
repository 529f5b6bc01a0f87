"""Shared plumbing for per-target binary models over a label matrix with unknowns (NaN)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def as_target_matrix(Y, n_targets: int) -> np.ndarray:
    matrix = np.asarray(Y, dtype=np.float64)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[1] != n_targets:
        raise ValueError(f"Y must have shape (n_samples, {n_targets}), got {matrix.shape}")
    known = matrix[~np.isnan(matrix)]
    if not np.isin(known, (0.0, 1.0)).all():
        raise ValueError("Y must hold 0, 1 or NaN")
    return matrix


def fit_per_target(make: Callable[[], object], features, Y: np.ndarray, sample_weight=None):
    """Fit ``make()`` per column of ``Y`` on its known rows; a one-class column keeps only its prior."""
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    estimators, priors = [], []
    for column in range(Y.shape[1]):
        known = ~np.isnan(Y[:, column])
        y = Y[known, column]
        priors.append(float(y.mean()) if len(y) else 0.0)
        if len(np.unique(y)) < 2:
            estimators.append(None)
            continue
        estimator = make()
        estimator.fit(features[known], y.astype(int), sample_weight=None if weights is None else weights[known])
        estimators.append(estimator)
    return estimators, np.asarray(priors)


def predict_per_target(estimators, priors: np.ndarray, features) -> np.ndarray:
    n = features.shape[0]
    columns = [
        np.full(n, prior) if estimator is None else estimator.predict_proba(features)[:, 1]
        for estimator, prior in zip(estimators, priors)
    ]
    return np.column_stack(columns) if columns else np.empty((n, 0))


def f1_by_threshold(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and F1 at each candidate threshold of scores ``p`` for binary ``y`` (both classes
    present), with the thresholds: the points of the precision-recall curve."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, f1, thresholds
