import numpy as np
import pandas as pd

from training.metrics import binary_metrics, choose_threshold, evaluate, worst_errors


def test_threshold_maximises_f1_and_prefers_higher_on_ties():
    y = np.array([0, 0, 1, 1, 0, 1], dtype=float)
    p = np.array([0.1, 0.2, 0.7, 0.8, 0.3, 0.9])
    assert choose_threshold(y, p) == 0.7  # separates perfectly; the highest such threshold
    assert choose_threshold(np.zeros(4), np.ones(4)) == 0.5


def test_threshold_respects_min_precision():
    y = np.array([1, 0, 1, 0, 0, 1], dtype=float)
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    assert choose_threshold(y, p, min_precision=0.99) == 0.9


def test_metrics_skip_unknown_labels():
    y = np.array([1, 0, np.nan, 1])
    p = np.array([0.9, 0.1, 0.9, 0.2])
    m = binary_metrics(y, p, 0.5)
    assert m["n"] == 3 and m["precision"] == 1.0 and m["recall"] == 0.5


def test_evaluate_per_source_and_errors():
    frame = pd.DataFrame({
        "source": ["a", "a", "b", "b"], "uid": list("wxyz"), "text": list("wxyz"), "weak": [False] * 4,
        "conspiracy_framing": [1.0, 0.0, 1.0, 0.0], "anti_foreign_rhetoric": [np.nan, np.nan, 1.0, 0.0],
    })
    probs = np.array([[0.9, 0.5], [0.6, 0.5], [0.2, 0.8], [0.1, 0.1]])
    thresholds = {"conspiracy_framing": 0.5, "anti_foreign_rhetoric": 0.5}
    metrics = evaluate(frame, probs, ["conspiracy_framing", "anti_foreign_rhetoric"], thresholds, "test")
    assert metrics["test/a/conspiracy_framing/precision"] == 0.5
    assert "test/a/anti_foreign_rhetoric/f1" not in metrics
    assert metrics["test/b/anti_foreign_rhetoric/f1"] == 1.0
    errors = worst_errors(frame, probs, ["conspiracy_framing"], thresholds)
    assert set(errors["error"]) == {"false_positive", "false_negative"}


def test_macro_f1_is_over_the_voiced_labels_and_reported_columns_have_their_own():
    columns = ["conspiracy_framing", "anti_foreign_rhetoric", "conspiracy_framing_reported", "anti_foreign_rhetoric_reported"]
    frame = pd.DataFrame({"source": ["a"] * 4, "text": list("wxyz"), **{c: [1.0, 0.0, 0.0, 0.0] for c in columns}})
    probs = np.array([[0.9, 0.9, 0.1, 0.9], [0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]])
    metrics = evaluate(frame, probs, columns, dict.fromkeys(columns, 0.5), "gold")
    assert metrics["gold/macro_f1"] == 1.0
    assert metrics["gold/reported_macro_f1"] == 0.5


def test_promotion_rule_breaks_a_gold_tie_on_reported_paragraphs_called_voiced():
    from training.promote import decide

    champion = {"test": 0.57, "gold": 0.42, "reported_as_voiced": 0.09}
    assert decide({"test": 0.57, "gold": 0.43, "reported_as_voiced": 0.2}, champion)[0]
    assert not decide({"test": 0.55, "gold": 0.43, "reported_as_voiced": 0.0}, champion)[0]  # mapped test too low
    assert not decide({"test": 0.57, "gold": 0.41, "reported_as_voiced": 0.0}, champion)[0]
    won, reason = decide({"test": 0.57, "gold": 0.42, "reported_as_voiced": 0.05}, champion)
    assert won and "tie on gold" in reason
    assert not decide({"test": 0.57, "gold": 0.42, "reported_as_voiced": 0.09}, champion)[0]
    assert not decide({"test": 0.57, "gold": 0.42, "reported_as_voiced": None}, champion)[0]
    assert decide({"test": 0.6, "gold": None}, None)[0]
