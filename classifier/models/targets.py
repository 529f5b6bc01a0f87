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


def stance_pairs(targets) -> list[tuple[int, int]]:
    """(voiced, reported) indices of ``targets`` for each label that has both outputs."""
    from classifier.labels import LABELS, REPORTED_SUFFIX

    targets = list(targets)
    return [
        (targets.index(label), targets.index(label + REPORTED_SUFFIX))
        for label in LABELS
        if label in targets and label + REPORTED_SUFFIX in targets
    ]


def fit_joint_stances(make: Callable[[], object], features, Y: np.ndarray, pairs, sample_weight=None):
    """Per (voiced, reported) pair, ``make()`` fitted as one three-class model over none (0), voiced (1)
    and reported (2) on the rows where both are known. Returns ``[(voiced, reported, model), ...]`` and
    ``Y`` with those columns set unknown, for ``fit_per_target`` to leave alone."""
    weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    joint = []
    for voiced, reported in pairs:
        known = ~np.isnan(Y[:, voiced]) & ~np.isnan(Y[:, reported])
        stances = np.where(Y[known, voiced] == 1, 1, np.where(Y[known, reported] == 1, 2, 0))
        model = make().fit(features[known], stances, sample_weight=None if weights is None else weights[known])
        joint.append((voiced, reported, model))
    rest = Y.copy()
    rest[:, [index for pair in pairs for index in pair]] = np.nan
    return joint, rest


def predict_joint_stances(joint, features, probs: np.ndarray) -> np.ndarray:
    """Write each three-class model's voiced and reported probabilities into ``probs``."""
    for voiced, reported, model in joint:
        stance = np.zeros((features.shape[0], 3))
        stance[:, model.classes_] = model.predict_proba(features)
        probs[:, voiced], probs[:, reported] = stance[:, 1], stance[:, 2]
    return probs


def f1_by_threshold(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and F1 at each candidate threshold of scores ``p`` for binary ``y`` (both classes
    present), with the thresholds: the points of the precision-recall curve."""
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p)
    precision, recall = precision[:-1], recall[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return precision, f1, thresholds
