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
    frame = pd.DataFrame(
        {
            "source": ["a", "a", "b", "b"],
            "uid": list("wxyz"),
            "text": list("wxyz"),
            "weak": [False] * 4,
            "conspiracy_framing": [1.0, 0.0, 1.0, 0.0],
            "anti_foreign_rhetoric": [np.nan, np.nan, 1.0, 0.0],
        }
    )
    probs = np.array([[0.9, 0.5], [0.6, 0.5], [0.2, 0.8], [0.1, 0.1]])
    thresholds = {"conspiracy_framing": 0.5, "anti_foreign_rhetoric": 0.5}
    metrics = evaluate(frame, probs, ["conspiracy_framing", "anti_foreign_rhetoric"], thresholds, "test")
    assert metrics["test/a/conspiracy_framing/precision"] == 0.5
    assert "test/a/anti_foreign_rhetoric/f1" not in metrics
    assert metrics["test/b/anti_foreign_rhetoric/f1"] == 1.0
    errors = worst_errors(frame, probs, ["conspiracy_framing"], thresholds)
    assert set(errors["error"]) == {"false_positive", "false_negative"}


def test_macro_f1_is_over_the_voiced_labels_and_reported_columns_have_their_own():
    columns = [
        "conspiracy_framing",
        "anti_foreign_rhetoric",
        "conspiracy_framing_reported",
        "anti_foreign_rhetoric_reported",
    ]
    frame = pd.DataFrame({"source": ["a"] * 4, "text": list("wxyz"), **{c: [1.0, 0.0, 0.0, 0.0] for c in columns}})
    probs = np.array([[0.9, 0.9, 0.1, 0.9], [0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1]])
    metrics = evaluate(frame, probs, columns, dict.fromkeys(columns, 0.5), "gold")
    assert metrics["gold/macro_f1"] == 1.0
    assert metrics["gold/reported_macro_f1"] == 0.5


def _read_frame(n: int, seed: int = 0):
    """``n`` read paragraphs, one article each: a fifth voice each label, a tenth report on it."""
    from classifier.labels import LABELS

    rng = np.random.default_rng(seed)
    draw = rng.random((n, len(LABELS)))
    frame = pd.DataFrame({"source": "s", "group": [f"a{i}" for i in range(n)], "text": "x", "gold": True})
    for j, label in enumerate(LABELS):
        frame[f"{label}_stance"] = np.where(draw[:, j] < 0.2, "voiced", np.where(draw[:, j] < 0.3, "reported", "none"))
    return frame


def _probs(frame, voiced_errors: float, reported_errors: float, seed: int = 1):
    """Scores that give each read stance, with a share of paragraphs flipped to the wrong stance."""
    from classifier.labels import LABELS

    rng = np.random.default_rng(seed)
    columns = []
    for label in LABELS:
        stance = frame[f"{label}_stance"].to_numpy()
        voiced = (stance == "voiced") ^ (rng.random(len(frame)) < voiced_errors)
        reported = (stance == "reported") ^ (rng.random(len(frame)) < reported_errors)
        columns.append((label, np.where(voiced, 0.9, 0.1), np.where(reported & ~voiced, 0.9, 0.1)))
    names = [c[0] for c in columns] + [c[0] + "_reported" for c in columns]
    return names, np.column_stack([c[1] for c in columns] + [c[2] for c in columns])


def test_promotion_needs_a_difference_beyond_noise():
    from training.metrics import judgement
    from training.promote import decide

    frame = _read_frame(600)

    def figures(voiced_errors, reported_errors, seed=1):
        columns, probs = _probs(frame, voiced_errors, reported_errors, seed)
        intervals, replicates = judgement(frame, probs, columns, dict.fromkeys(columns, 0.5))
        return {"test": 0.0, "intervals": intervals, "replicates": replicates}

    good, poor = figures(0.0, 0.0), figures(0.2, 0.0)
    won, reason = decide(good, poor)
    assert won and "better beyond noise" in reason
    assert not decide(poor, good)[0]
    # One paragraph's difference is noise: the champion stays.
    nearly = figures(0.002, 0.0, seed=3)
    won, reason = decide(nearly, figures(0.003, 0.0, seed=4))
    assert not won and "within noise" in reason
    # A gain beyond noise but under MIN_GAIN does not change the champion either.
    large = _read_frame(3000, seed=5)
    columns, probs = _probs(large, 0.0, 0.0)
    slightly = probs.copy()
    flip = np.flatnonzero(large["conspiracy_framing_stance"].to_numpy() == "voiced")[:8]
    slightly[flip, 0] = 0.1  # eight of ~600 voiced paragraphs missed: macro-F1 about 0.003 lower
    best = judgement(large, probs, columns, dict.fromkeys(columns, 0.5))
    worse = judgement(large, slightly, columns, dict.fromkeys(columns, 0.5))
    won, reason = decide(
        {"test": 0.0, "intervals": best[0], "replicates": best[1]},
        {"test": 0.0, "intervals": worse[0], "replicates": worse[1]},
    )
    assert not won and "a gain under" in reason
    # Same voiced stances, reported stances better beyond noise: the candidate wins.
    won, reason = decide(figures(0.0, 0.0), figures(0.0, 0.3))
    assert won and "reported macro-F1 difference" in reason
    assert decide(good, None)[0]


def test_stance_metrics_and_promotion_on_the_sample_with_read_rows(tmp_path):
    """The project's sample test split, read as it was written: seven paragraphs. A model whose
    *_reported outputs catch the reported paragraphs is better on them, but seven paragraphs cannot
    show it beyond noise, so promotion says so and keeps the champion."""
    from classifier.articles import Scorer
    from classifier.labels import LABELS, REPORTED_COLUMNS
    from data import build
    from training import promote
    from training.metrics import judgement, stance_metrics

    assert build.main(["--sample", "--out", str(tmp_path)]) == 0
    test = pd.read_parquet(tmp_path / "paragraphs.parquet").query("split == 'test'").reset_index(drop=True)
    assert test["gold"].all() and len(test) == 7
    columns = [*LABELS, *REPORTED_COLUMNS]
    scorer = Scorer(None, columns, dict.fromkeys(columns, 0.5))
    voiced = np.column_stack([np.where(test[f"{label}_stance"] == "voiced", 0.9, 0.1) for label in LABELS])
    reported = np.column_stack([np.where(test[f"{label}_stance"] == "reported", 0.9, 0.1) for label in LABELS])
    blind = np.column_stack([voiced, np.full((len(test), 2), 0.1)])
    seeing = np.column_stack([voiced, reported])
    has_reported = [label for label in LABELS if (test[f"{label}_stance"] == "reported").any()]
    assert has_reported

    metrics, confusions = stance_metrics(test, seeing, columns, scorer.thresholds, "gold")
    for label in has_reported:
        assert metrics[f"gold/{label}/stance_reported_f1"] == 1.0 and metrics[f"gold/{label}/reported_as_voiced"] == 0.0
    for label in LABELS:
        assert sum(map(sum, confusions[label]["matrix"])) == len(test)

    def figures(probs):
        intervals, replicates = judgement(test, probs, columns, scorer.thresholds)
        return {"test": promote.macro_f1(scorer, test, probs), "intervals": intervals, "replicates": replicates}

    champion, candidate = figures(blind), figures(seeing)
    assert candidate["intervals"]["voiced_macro_f1"].value == champion["intervals"]["voiced_macro_f1"].value == 1.0
    assert candidate["intervals"]["reported_macro_f1"].value > champion["intervals"]["reported_macro_f1"].value
    won, reason = promote.decide(candidate, champion)
    assert not won and "within noise" in reason


def test_promotion_prints_the_paired_hard_negative_difference():
    from training.metrics import judgement
    from training.promote import hard_negatives_compared

    frame = _read_frame(600)
    none = (frame["conspiracy_framing_stance"] == "none") & (frame["anti_foreign_rhetoric_stance"] == "none")
    frame.loc[none, "text"] = "NATO ministers met in Brussels"  # on topic, read none: hard negatives
    columns, probs = _probs(frame, 0.0, 0.0)
    flagging = probs.copy()
    flagging[none.to_numpy(), 0] = 0.9  # calls every hard negative voiced for conspiracy framing

    def figures(p):
        intervals, replicates = judgement(frame, p, columns, dict.fromkeys(columns, 0.5))
        return {"intervals": intervals, "replicates": replicates}

    line = hard_negatives_compared(figures(probs), figures(flagging))
    assert line.startswith("; hard negatives called voiced 0.000 [0.000, 0.000] vs champion 1.000")
    assert "difference -1.000 [-1.000, -1.000]" in line
    unread = _read_frame(50)  # no paragraph on the framings' subjects: nothing to compare
    columns, probs = _probs(unread, 0.0, 0.0)
    intervals, replicates = judgement(unread, probs, columns, dict.fromkeys(columns, 0.5))
    assert hard_negatives_compared({"intervals": intervals, "replicates": replicates}, None) == ""
