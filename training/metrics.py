"""Metrics, decision thresholds, figures and error tables for per-label binary outputs.

Rows whose label is unknown (NaN) are left out of that label's figures.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from classifier.labels import REPORTED_COLUMNS
from classifier.models.targets import f1_by_threshold

DEFAULT_THRESHOLD = 0.5


def choose_threshold(y: np.ndarray, p: np.ndarray, min_precision: float = 0.0) -> float:
    """Threshold rule: the score that maximises F1 on dev, among thresholds whose dev precision is at
    least ``min_precision``; ties go to the higher threshold (fewer flags). With no positive or no
    negative on dev, 0.5."""
    known = ~np.isnan(y)
    y, p = y[known].astype(int), p[known]
    if len(np.unique(y)) < 2:
        return DEFAULT_THRESHOLD
    precision, f1, thresholds = f1_by_threshold(y, p)
    f1 = np.where(precision >= min_precision, f1, -1.0)
    best = np.flatnonzero(f1 == f1.max())
    return float(thresholds[best[-1]])


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    known = ~np.isnan(y)
    y, p = y[known].astype(int), p[known]
    result = {"n": float(len(y)), "positives": float(y.sum())}
    if len(y) == 0:
        return result
    flags = (p >= threshold).astype(int)
    result.update(
        precision=precision_score(y, flags, zero_division=0.0),
        recall=recall_score(y, flags, zero_division=0.0),
        f1=f1_score(y, flags, zero_division=0.0),
        mcc=matthews_corrcoef(y, flags) if len(np.unique(y)) > 1 or len(np.unique(flags)) > 1 else 0.0,
        brier=brier_score_loss(y, p, pos_label=1) if len(np.unique(y)) > 1 else float(np.mean((p - y) ** 2)),
    )
    if len(np.unique(y)) > 1:
        result["pr_auc"] = average_precision_score(y, p)
    return {key: float(value) for key, value in result.items()}


def evaluate(
    frame: pd.DataFrame, probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float], prefix: str
) -> dict[str, float]:
    """Flat metrics: ``{prefix}/{column}/{metric}``, per source ``{prefix}/{source}/{column}/{metric}``,
    ``{prefix}/macro_f1``, the mean F1 over the voiced label columns that have positives (the two
    labels, so that models with and without ``*_reported`` outputs compare on one figure), and
    ``{prefix}/reported_macro_f1``, the same over the ``*_reported`` columns."""

    out: dict[str, float] = {}
    groups = [(None, np.ones(len(frame), dtype=bool))] + [
        (source, (frame["source"] == source).to_numpy()) for source in sorted(frame["source"].unique())
    ]
    for source, mask in groups:
        base = prefix if source is None else f"{prefix}/{source}"
        f1s, reported_f1s = [], []
        for j, column in enumerate(columns):
            y = frame[column].to_numpy(dtype=float)[mask]
            if np.isnan(y).all():
                continue
            values = binary_metrics(y, probs[mask, j], thresholds[column])
            for name, value in values.items():
                out[f"{base}/{column}/{name}"] = value
            if values.get("positives", 0) > 0:
                (reported_f1s if column in REPORTED_COLUMNS else f1s).append(values["f1"])
        if f1s:
            out[f"{base}/macro_f1"] = float(np.mean(f1s))
        if reported_f1s:
            out[f"{base}/reported_macro_f1"] = float(np.mean(reported_f1s))
    return out


def worst_errors(
    frame: pd.DataFrame, probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float], k: int = 25
) -> pd.DataFrame:
    """Per column, the k most confident false positives and false negatives: the paragraph's whole text
    first (the MLflow UI shows a table's columns in order and the text is what a reader checks), then
    what went wrong."""
    rows = []
    for j, column in enumerate(columns):
        y = frame[column].to_numpy(dtype=float)
        p = probs[:, j]
        for kind, mask, order in (
            ("false_positive", (y == 0) & (p >= thresholds[column]), -p),
            ("false_negative", (y == 1) & (p < thresholds[column]), p),
        ):
            index = np.flatnonzero(mask)
            for i in index[np.argsort(order[index], kind="stable")][:k]:
                record = frame.iloc[i]
                rows.append(
                    {
                        "text": record["text"],
                        "label": column,
                        "error": kind,
                        "probability": round(float(p[i]), 4),
                        "threshold": round(thresholds[column], 4),
                        "source": record["source"],
                        "uid": record["uid"],
                        "weak": bool(record.get("weak", False)),
                    }
                )
    return pd.DataFrame(rows, columns=["text", "label", "error", "probability", "threshold", "source", "uid", "weak"])


SPLIT_NAMES = {"test": "test split", "gold": "read test split"}
MARKDOWN_SPECIALS = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#~"})


def errors_markdown(table: pd.DataFrame, split: str) -> str:
    """The error table of ``worst_errors`` as Markdown, every paragraph's text whole: the MLflow UI
    renders a ``.md`` artifact with its text wrapped, where its table view of the ``.json`` cuts each
    cell to the column's width. One section per output and kind of error, most confident first."""
    name = SPLIT_NAMES.get(split, split)
    lines = [
        f"# Most confident errors, {name}",
        "",
        f"Per output, the most confident false positives and false negatives on the {name}, each with its "
        f"probability, the output's threshold, its source and id; the same rows as `{split}_worst.json`.",
    ]
    for (label, kind), rows in table.groupby(["label", "error"], sort=False):
        threshold = rows["threshold"].iloc[0]
        lines += ["", f"## {label}: {kind.replace('_', ' ')}s (threshold {threshold:.4f})", ""]
        for number, row in enumerate(rows.itertuples(index=False), 1):
            text = " ".join(str(row.text).split()).translate(MARKDOWN_SPECIALS)
            weak = ", weak label" if row.weak else ""
            lines.append(f"{number}. **{row.probability:.4f}** {row.source}, `{row.uid}`{weak}  ")
            lines.append(f"    {text}")
    if table.empty:
        lines += ["", "No errors."]
    return "\n".join(lines) + "\n"


def figures(
    frame: pd.DataFrame, probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float], title: str
) -> dict[str, object]:
    """Per column, drawn with scikit-learn's display classes: the precision-recall curve (all rows, then
    per source), the calibration curve and the confusion matrix at the column's threshold; the split
    (``title``: ``test``, ``gold`` = the read test split) named in every title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import ConfusionMatrixDisplay, PrecisionRecallDisplay

    split = SPLIT_NAMES.get(title, title)
    out = {}
    for j, column in enumerate(columns):
        y_all = frame[column].to_numpy(dtype=float)
        known = ~np.isnan(y_all)
        y, p = y_all[known].astype(int), probs[known, j]
        if len(np.unique(y)) < 2:
            continue
        sources = frame.loc[known, "source"].to_numpy()
        name = column.replace("_", " ")

        fig, ax = plt.subplots(figsize=(6.5, 5))
        PrecisionRecallDisplay.from_predictions(y, p, name="all", ax=ax, linewidth=2, plot_chance_level=True)
        for source in sorted(set(sources)):
            m = sources == source
            if len(np.unique(y[m])) > 1:
                PrecisionRecallDisplay.from_predictions(y[m], p[m], name=str(source), ax=ax, linewidth=1)
        ax.set(xlim=(0, 1), ylim=(0, 1.02), title=f"{name}: precision-recall, {split}")
        ax.legend(fontsize=7, loc="lower left")
        out[f"pr_curve_{column}.png"] = fig

        fig, ax = plt.subplots(figsize=(5.5, 5))
        CalibrationDisplay.from_predictions(y, p, n_bins=10, strategy="quantile", name=name, ax=ax)
        ax.set(title=f"{name}: calibration, {split}")
        out[f"calibration_{column}.png"] = fig

        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        display_labels = [f"not {name}", name]
        ConfusionMatrixDisplay.from_predictions(
            y,
            (p >= thresholds[column]).astype(int),
            labels=[0, 1],
            display_labels=display_labels,
            cmap="Blues",  # the display writes white on dark cells and black on light ones
            colorbar=False,
            values_format=",d",
            ax=ax,
        )
        ax.set(xlabel="predicted", ylabel="read / labelled")
        ax.set_title(f"{name}, {split}\nthreshold {thresholds[column]:.3f}, {len(y):,} paragraphs", fontsize=9)
        ax.tick_params(axis="both", labelsize=8)
        fig.tight_layout()
        out[f"confusion_{column}.png"] = fig
    return out


def stance_metrics(
    frame: pd.DataFrame, probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float], prefix: str
) -> tuple[dict[str, float], dict[str, dict]]:
    """Voiced versus reported on annotated paragraphs (``{label}_stance`` columns).

    Per label: F1 of the predicted ``voiced`` and ``reported`` stances against the gold stance, the
    share of gold-``reported`` paragraphs predicted ``voiced`` (``reported_as_voiced``), and the 3x3
    confusion of gold (rows) against predicted (columns) stances.
    """
    from classifier.labels import LABELS, STANCES
    from classifier.stance import paragraph_stances

    metrics: dict[str, float] = {}
    confusions: dict[str, dict] = {}
    score_rows = [dict(zip(columns, row)) for row in probs.tolist()]
    predicted = [paragraph_stances(scores, thresholds) for scores in score_rows]
    for label in LABELS:
        gold = frame[f"{label}_stance"].to_numpy()
        known = np.array([g in STANCES for g in gold])
        if not known.any():
            continue
        truth = gold[known]
        guess = np.array([p[label] for p in predicted])[known]
        for stance in ("voiced", "reported"):
            metrics[f"{prefix}/{label}/stance_{stance}_f1"] = float(
                f1_score(truth == stance, guess == stance, zero_division=0.0)
            )
        reported = truth == "reported"
        if reported.any():
            metrics[f"{prefix}/{label}/reported_as_voiced"] = float(np.mean(guess[reported] == "voiced"))
        matrix = confusion_matrix(truth, guess, labels=list(STANCES))
        confusions[label] = {"rows_gold_columns_predicted": list(STANCES), "matrix": matrix.tolist()}
    return metrics, confusions


def predicted_stances(probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float]) -> dict[str, np.ndarray]:
    """Per label, each paragraph's stance (``classifier.stance``) from ``probs`` at ``thresholds``."""
    from classifier.labels import LABELS
    from classifier.stance import paragraph_stances

    predicted = [paragraph_stances(dict(zip(columns, row)), thresholds) for row in probs.tolist()]
    return {label: np.array([p[label] for p in predicted], dtype=object) for label in LABELS}


def hard_negatives(frame: pd.DataFrame) -> np.ndarray:
    """Topic-matched hard negatives: read paragraphs that voice and report neither framing but are about
    the subjects the framings feed on (migration, NATO, the EU, sanctions, foreign interference,
    elections, vaccines, ...; ``data.reading.TOPIC``, a rule that names the stratum, not a label)."""
    from classifier.labels import LABELS
    from data.reading import topic_hard_negatives

    return topic_hard_negatives([frame[f"{label}_stance"] for label in LABELS], frame["text"])


def judgement(
    frame: pd.DataFrame, probs: np.ndarray, columns: Sequence[str], thresholds: dict[str, float], seed: int = 0
):
    """The figures the product is judged by, on read paragraphs, each with an article-grouped bootstrap
    95% interval (``training.intervals``): per label the F1 of the ``voiced`` and ``reported`` stances,
    the share of read-``reported`` paragraphs called ``voiced``, and the share of topic-matched hard
    negatives called ``voiced``; their means over the labels. Returns ``(intervals, replicates)``: the
    replicates of the two macro-F1s and of the hard-negative rate, for paired comparisons of models on
    the same rows and draws."""
    from classifier.labels import LABELS
    from training.intervals import draws, f1_replicates, mean_interval, rate_interval, rate_replicates

    weights = draws(frame["source"].astype(str) + ":" + frame["group"].astype(str), seed=seed)
    stances = predicted_stances(probs, columns, thresholds)
    negatives = hard_negatives(frame)
    out, voiced_parts, reported_parts = {}, [], []
    any_voiced = np.zeros(len(frame), dtype=bool)
    for label in LABELS:
        truth, guess = frame[f"{label}_stance"].to_numpy(), stances[label]
        voiced = f1_replicates(truth == "voiced", guess == "voiced", weights)
        voiced_parts.append(voiced)
        out[f"{label}/voiced_f1"] = mean_interval([voiced])
        if f"{label}_reported" in columns:
            reported = f1_replicates(truth == "reported", guess == "reported", weights)
            reported_parts.append(reported)
            out[f"{label}/reported_f1"] = mean_interval([reported])
        if (truth == "reported").any():
            out[f"{label}/reported_as_voiced"] = rate_interval(guess == "voiced", weights, truth == "reported")
        if negatives.any():
            out[f"{label}/hard_negative_fpr"] = rate_interval(guess == "voiced", weights, negatives)
        any_voiced |= guess == "voiced"
    out["voiced_macro_f1"] = mean_interval(voiced_parts)
    if reported_parts:
        out["reported_macro_f1"] = mean_interval(reported_parts)
    replicates = {
        "voiced_macro_f1": _mean_replicates(voiced_parts),
        "reported_macro_f1": _mean_replicates(reported_parts),
        "hard_negative_fpr": rate_replicates(any_voiced, weights, negatives) if negatives.any() else None,
    }
    if replicates["hard_negative_fpr"] is not None:
        out["hard_negative_fpr"] = mean_interval([replicates["hard_negative_fpr"]])
    out["hard_negatives"] = int(negatives.sum())
    return out, replicates


def _mean_replicates(parts):
    if not parts:
        return None
    return float(np.mean([p for p, _ in parts])), np.mean([r for _, r in parts], axis=0)


def judgement_metrics(intervals: dict, prefix: str) -> dict[str, float]:
    """Flat MLflow metrics of ``judgement``: ``{prefix}/judgement/<figure>`` and ``..._low``/``_high``."""
    out = {}
    for name, value in intervals.items():
        key = f"{prefix}/judgement/{name}"
        if isinstance(value, int):
            out[key] = float(value)
            continue
        out[key], out[f"{key}_low"], out[f"{key}_high"] = value.value, value.low, value.high
    return out
