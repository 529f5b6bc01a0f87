"""Move the ``champion`` alias to the ``candidate`` version when it beats the champion.

    python -m training.promote [--version N] [--force]

Rule: both versions are scored afresh on the current training table. With a gold test split (annotated
paragraphs), the candidate wins when its macro-F1 over the two labels is higher than the champion's on
the gold test split and no more than ``MAPPED_TOLERANCE`` lower on the mapped test split; on a tie in
that gold figure (the same voiced outputs, e.g. a model that adds or improves only its ``*_reported``
outputs), it wins when it calls fewer gold-``reported`` paragraphs ``voiced`` (mean over the labels of
``reported_as_voiced``, stances by ``classifier.stance``), same mapped-test tolerance. Without gold,
it wins when its macro-F1 on the mapped test split is higher. With no champion, the candidate becomes
champion. The decision and the reasons are printed either way, and stored as tags on the candidate.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from classifier.articles import Scorer
from classifier.labels import LABELS
from training import tracking
from training.config import DataConfig
from training.dataset import load_splits
from training.metrics import evaluate, stance_metrics

MAPPED_TOLERANCE = 0.01
TIE = 1e-9


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def macro_f1(scorer: Scorer, frame, probs: np.ndarray) -> float | None:
    """Macro-F1 over the labels on ``frame`` (scored ``probs``, in ``scorer.columns`` order) at the
    model's own thresholds; None without rows or positives."""
    if frame.empty:
        return None
    voiced = probs[:, [scorer.columns.index(label) for label in LABELS]]
    metrics = evaluate(frame, voiced, LABELS, {label: scorer.thresholds[label] for label in LABELS}, "x")
    return metrics.get("x/macro_f1")


def reported_as_voiced(scorer: Scorer, frame, probs: np.ndarray) -> float | None:
    """Mean over the labels of the share of gold-``reported`` paragraphs whose stance comes out ``voiced``."""
    if frame.empty:
        return None
    metrics, _ = stance_metrics(frame, probs, scorer.columns, scorer.thresholds, "x")
    rates = [metrics[f"x/{label}/reported_as_voiced"] for label in LABELS if f"x/{label}/reported_as_voiced" in metrics]
    return float(sum(rates) / len(rates)) if rates else None


def scores(uri: str, data: DataConfig) -> dict[str, float | None]:
    """The promotion figures of one version: the test split is scored once; the gold test split is
    its gold rows."""
    test = load_splits(data).test
    scorer = Scorer.from_mlflow(uri)
    probs = (
        scorer.predict_frame(test[["text"]])[scorer.columns].to_numpy(dtype=float)
        if len(test)
        else np.empty((0, len(scorer.columns)))
    )
    gold = test["gold"].to_numpy(dtype=bool)
    return {
        "test": macro_f1(scorer, test, probs),
        "gold": macro_f1(scorer, test[gold], probs[gold]),
        "reported_as_voiced": reported_as_voiced(scorer, test[gold], probs[gold]),
    }


def decide(candidate: dict[str, float | None], champion: dict[str, float | None] | None) -> tuple[bool, str]:
    if champion is None:
        return True, "there is no champion yet"
    if candidate["gold"] is not None and champion["gold"] is not None:
        gold_better = candidate["gold"] > champion["gold"] + TIE
        mapped_ok = (candidate["test"] or 0.0) >= (champion["test"] or 0.0) - MAPPED_TOLERANCE
        reason = (
            f"gold test macro-F1 {candidate['gold']:.4f} vs champion {champion['gold']:.4f}; "
            f"mapped test macro-F1 {candidate['test']:.4f} vs {champion['test']:.4f} (tolerance {MAPPED_TOLERANCE})"
        )
        stance_better = False
        if abs(candidate["gold"] - champion["gold"]) <= TIE:
            ours, theirs = candidate.get("reported_as_voiced"), champion.get("reported_as_voiced")
            stance_better = ours is not None and (theirs is None or ours < theirs)
            reason += f"; tie on gold: reported paragraphs called voiced {_rate(ours)} vs champion {_rate(theirs)}"
        return (gold_better or stance_better) and mapped_ok, reason
    better = (candidate["test"] or 0.0) > (champion["test"] or 0.0)
    return (
        better,
        f"mapped test macro-F1 {candidate['test']:.4f} vs champion {champion['test']:.4f} (no gold test split)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", help="registered version to consider (default: the 'candidate' alias)")
    parser.add_argument("--table", default=DataConfig.table, help="training table whose test splits decide")
    parser.add_argument("--force", action="store_true", help="promote without comparing")
    args = parser.parse_args(argv)

    tracking.configure()
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    name = tracking.REGISTERED_MODEL
    candidate = (
        client.get_model_version(name, args.version)
        if args.version
        else client.get_model_version_by_alias(name, tracking.CANDIDATE)
    )
    try:
        champion = client.get_model_version_by_alias(name, tracking.CHAMPION)
    except mlflow.exceptions.MlflowException:
        champion = None
    if champion is not None and champion.version == candidate.version:
        print(f"Version {candidate.version} is already the champion.")
        return 0

    data = DataConfig(table=args.table)
    candidate_scores = scores(f"models:/{name}/{candidate.version}", data)
    champion_scores = None if champion is None else scores(f"models:/{name}/{champion.version}", data)
    promote, reason = (True, "forced") if args.force else decide(candidate_scores, champion_scores)
    against = "none" if champion is None else f"version {champion.version}"
    client.set_model_version_tag(
        name, candidate.version, "promotion", json.dumps({"promoted": promote, "against": against, "reason": reason})
    )
    if promote:
        client.set_registered_model_alias(name, tracking.CHAMPION, candidate.version)
        print(
            f"Promoted version {candidate.version} ({candidate.tags.get('model_kind')}) to champion over {against}: {reason}."
        )
    else:
        print(f"Kept {against} as champion; version {candidate.version} does not beat it: {reason}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
