"""Move the ``champion`` alias to the ``candidate`` version when it beats the champion beyond noise.

    python -m training.promote [--version N] [--force]

Rule: both versions are scored afresh on the read paragraphs of the frozen test split (``gold``).
The candidate wins when its voiced macro-F1 (the F1 of the ``voiced`` stance, mean over the two labels)
is higher than the champion's by at least ``MIN_GAIN`` and the paired, article-grouped bootstrap 95%
interval of the difference lies above 0. When it is not (the two are the same within noise, or the
gain is too small to be worth a change of champion), it wins only if its reported macro-F1 is higher in
the same way and its voiced macro-F1 is not lower beyond noise. Otherwise the champion stays. Without read test paragraphs, the candidate wins when its
macro-F1 on the test split is higher. With no champion, the candidate becomes champion. A dump-scorer
student (tag ``role=dump-scorer``) is not compared: it is scored as its own version. The decision,
the figures and their intervals are printed either way, and stored as a tag on the candidate, with
the share of topic-matched hard negatives each version calls voiced and their paired difference (not
part of the rule).
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
from training.distil import ROLE as DUMP_SCORER
from training.intervals import difference_interval
from training.metrics import evaluate, judgement

MIN_GAIN = 0.01  # a smaller gain, even beyond noise, does not change the champion


def macro_f1(scorer: Scorer, frame, probs: np.ndarray) -> float | None:
    """Macro-F1 over the labels on ``frame`` (scored ``probs``, in ``scorer.columns`` order) at the
    model's own thresholds; None without rows or positives."""
    if frame.empty:
        return None
    voiced = probs[:, [scorer.columns.index(label) for label in LABELS]]
    metrics = evaluate(frame, voiced, LABELS, {label: scorer.thresholds[label] for label in LABELS}, "x")
    return metrics.get("x/macro_f1")


def scores(uri: str, data: DataConfig) -> dict:
    """The promotion figures of one version: the test split is scored once; the judgement figures come
    from its read rows, with the bootstrap replicates used for paired differences."""
    test = load_splits(data).test
    scorer = Scorer.from_mlflow(uri)
    probs = (
        scorer.predict_frame(test[["text"]])[scorer.columns].to_numpy(dtype=float)
        if len(test)
        else np.empty((0, len(scorer.columns)))
    )
    gold = test["gold"].to_numpy(dtype=bool)
    out = {"test": macro_f1(scorer, test, probs), "intervals": None, "replicates": None}
    if gold.any():
        out["intervals"], out["replicates"] = judgement(test[gold], probs[gold], scorer.columns, scorer.thresholds)
    return out


def decide(candidate: dict, champion: dict | None) -> tuple[bool, str]:
    if champion is None:
        return True, "there is no champion yet"
    if candidate.get("replicates") and champion.get("replicates"):
        voiced = difference_interval(
            candidate["replicates"]["voiced_macro_f1"], champion["replicates"]["voiced_macro_f1"]
        )
        reason = (
            f"read test voiced macro-F1 {candidate['intervals']['voiced_macro_f1']} vs champion "
            f"{champion['intervals']['voiced_macro_f1']}; difference {voiced}"
        )
        if voiced.low > 0 and voiced.value >= MIN_GAIN:
            return True, reason + " (better beyond noise)"
        if voiced.high < 0:
            return False, reason + " (worse beyond noise)"
        ours, theirs = candidate["replicates"]["reported_macro_f1"], champion["replicates"]["reported_macro_f1"]
        reason += " (within noise)" if voiced.low <= 0 else f" (a gain under {MIN_GAIN})"
        if ours is None:
            return False, reason + "; the candidate has no reported outputs"
        if theirs is None:
            return True, reason + "; the champion has no reported outputs, the candidate has"
        reported = difference_interval(ours, theirs)
        reason += f"; reported macro-F1 difference {reported}"
        better = reported.low > 0 and reported.value >= MIN_GAIN
        return better, reason + (" (better beyond noise)" if better else " (not better by enough)")
    better = (candidate["test"] or 0.0) > (champion["test"] or 0.0)
    return (
        better,
        f"test macro-F1 {candidate['test']:.4f} vs champion {champion['test']:.4f} (no read test paragraphs)",
    )


def hard_negatives_compared(candidate: dict, champion: dict | None) -> str:
    """The share of topic-matched hard negatives each calls voiced and the paired difference; not part of
    the rule (a model that flags less is not better for that alone), printed so the trade is seen."""
    ours = (candidate.get("replicates") or {}).get("hard_negative_fpr")
    theirs = ((champion or {}).get("replicates") or {}).get("hard_negative_fpr")
    if ours is None or theirs is None:
        return ""
    return (
        f"; hard negatives called voiced {candidate['intervals']['hard_negative_fpr']} vs champion "
        f"{champion['intervals']['hard_negative_fpr']}, difference {difference_interval(ours, theirs)}"
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
    if candidate.tags.get("role") == DUMP_SCORER and not args.force:
        print(
            f"Version {candidate.version} is a {DUMP_SCORER} (distilled from {candidate.tags.get('teacher', 'a teacher')}): "
            f"score dumps with it as models:/{name}/{candidate.version}; it is not compared for champion "
            "(--force promotes it anyway)."
        )
        return 0
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
    reason += hard_negatives_compared(candidate_scores, champion_scores)
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
