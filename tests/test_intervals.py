import numpy as np

from training.intervals import draws, f1_difference, f1_interval, rate_interval


def test_f1_interval_holds_the_point_and_narrows_with_more_articles():
    rng = np.random.default_rng(0)
    truth = rng.random(400) < 0.3
    predicted = truth ^ (rng.random(400) < 0.1)
    few = f1_interval(truth[:40], predicted[:40], draws(np.arange(40)))
    many = f1_interval(truth, predicted, draws(np.arange(400)))
    assert few.holds(few.value) and many.holds(many.value)
    assert many.high - many.low < few.high - few.low


def test_articles_are_the_resampling_unit():
    weights = draws(["a", "a", "b", "b"], replicates=50)
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 2] == weights[:, 3]).all()
    assert (weights.sum(axis=1) == 4).all()


def test_a_difference_of_identical_predictions_is_exactly_zero_and_a_real_gap_excludes_zero():
    truth = np.array([1, 0] * 200, dtype=bool)
    weights = draws(np.arange(400))
    same = f1_difference(truth, truth, truth, weights)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
    worse = truth.copy()
    worse[:100] = ~worse[:100]
    gap = f1_difference(truth, truth, worse, weights)
    assert gap.low > 0


def test_rate_interval_over_a_mask():
    flags = np.array([1, 0, 1, 1])
    mask = np.array([True, True, False, False])
    assert rate_interval(flags, draws(np.arange(4)), mask).value == 0.5
