"""Bootstrap confidence intervals over articles: for one model's figures and for the difference of two.

Paragraphs of one article are not independent, so the resampling unit is the article (``groups``):
each replicate draws as many articles as there are, with replacement, and recomputes the figure from
the summed counts of the drawn articles. The same draws serve every figure and both models of a
comparison (a paired bootstrap), so a difference whose interval holds 0 is within noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REPLICATES = 1000
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"

    def holds(self, number: float) -> bool:
        return self.low <= number <= self.high


def draws(groups, replicates: int = REPLICATES, seed: int = 0) -> np.ndarray:
    """Weights (replicates x paragraphs): how often each paragraph's article was drawn."""
    codes, _ = _codes(groups)
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    rng = np.random.default_rng(seed)
    counts = (
        rng.multinomial(n_groups, np.full(n_groups, 1.0 / n_groups), size=replicates)
        if n_groups
        else np.zeros((replicates, 0))
    )
    return counts[:, codes].astype(np.float64)


def _codes(groups) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray([str(g) for g in groups], dtype=object)
    uniques, codes = np.unique(values, return_inverse=True)
    return codes.astype(np.int64), uniques


def f1_counts(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Per paragraph: (true positive, false positive, false negative) as a (n, 3) array."""
    truth, predicted = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    return np.stack([truth & predicted, ~truth & predicted, truth & ~predicted], axis=1).astype(np.float64)


def _f1(tp, fp, fn):
    denominator = 2 * tp + fp + fn
    return np.divide(
        2 * tp, denominator, out=np.zeros_like(np.asarray(denominator, dtype=float)), where=denominator > 0
    )


def _interval(point: float, replicates: np.ndarray) -> Interval:
    tail = (1 - LEVEL) / 2 * 100
    low, high = np.percentile(replicates, [tail, 100 - tail]) if len(replicates) else (point, point)
    return Interval(float(point), float(low), float(high))


def f1_replicates(truth, predicted, weights: np.ndarray) -> tuple[float, np.ndarray]:
    """F1 on the rows, and its value in each bootstrap replicate."""
    counts = f1_counts(truth, predicted)
    summed = weights @ counts
    return float(_f1(*counts.sum(axis=0))), _f1(summed[:, 0], summed[:, 1], summed[:, 2])


def f1_interval(truth, predicted, weights: np.ndarray) -> Interval:
    return _interval(*f1_replicates(truth, predicted, weights))


def mean_interval(parts: list[tuple[float, np.ndarray]]) -> Interval:
    """The mean of several figures (e.g. a macro-F1) with its interval, from their replicates."""
    return _interval(float(np.mean([p for p, _ in parts])), np.mean([r for _, r in parts], axis=0))


def difference_interval(first: tuple[float, np.ndarray], second: tuple[float, np.ndarray]) -> Interval:
    """``first`` minus ``second``, both computed over the same draws (paired)."""
    return _interval(first[0] - second[0], first[1] - second[1])


def rate_replicates(flags, weights: np.ndarray, mask=None) -> tuple[float, np.ndarray]:
    """A proportion over the rows in ``mask`` and its value in every draw."""
    flags = np.asarray(flags, dtype=np.float64)
    mask = np.ones(len(flags), dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    numerator, denominator = flags * mask, mask.astype(np.float64)
    point = float(numerator.sum() / denominator.sum()) if denominator.sum() else float("nan")
    top, bottom = weights @ numerator, weights @ denominator
    return point, np.divide(top, bottom, out=np.zeros_like(top), where=bottom > 0)


def rate_interval(flags, weights: np.ndarray, mask=None) -> Interval:
    """A proportion (e.g. reported paragraphs called voiced) over the rows in ``mask``."""
    return _interval(*rate_replicates(flags, weights, mask))


def f1_difference(truth, first, second, weights: np.ndarray) -> Interval:
    """F1 of ``first`` minus F1 of ``second`` on the same paragraphs, paired over the same draws."""
    a, b = f1_counts(truth, first), f1_counts(truth, second)
    point = float(_f1(*a.sum(axis=0)) - _f1(*b.sum(axis=0)))
    sa, sb = weights @ a, weights @ b
    return _interval(point, _f1(sa[:, 0], sa[:, 1], sa[:, 2]) - _f1(sb[:, 0], sb[:, 1], sb[:, 2]))
