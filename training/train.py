"""Train one experiment, evaluate it, log everything to MLflow and register the model.

    python -m training.train --exp baseline
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.calibration import Calibrated
from classifier.models.registry import model_class, save_estimator
from classifier.pyfunc import META_ARTIFACT, MODEL_ARTIFACT, score_frame
from training import tracking
from training.config import REPO_ROOT, ExperimentConfig, flat_params, load_config
from training.dataset import Splits, load_splits, targets, weights
from training.metrics import choose_threshold, evaluate, figures, stance_metrics, worst_errors
from training.modelcard import model_card

import mlflow  # noqa: E402  (tracking sets the telemetry switch before MLflow loads)
from mlflow.models import infer_signature  # noqa: E402

# Written for this project (not corpus text): the input example stored with every model.
INPUT_EXAMPLE = pd.DataFrame(
    {
        "text": [
            "The protests were secretly planned by foreign-funded NGOs preparing a colour revolution.",
            "The city council approved a new tram line after two years of debate.",
            "State media accused Western embassies of meddling, a claim fact-checkers found no evidence for.",
        ]
    }
)


def fit(config: ExperimentConfig, splits: Splits):
    """Fit the experiment's model on train and calibrate it on dev."""
    estimator = model_class(config.model.kind)(targets=splits.columns, **config.model.params)
    if hasattr(estimator, "random_state") and "random_state" not in config.model.params:
        estimator.set_params(random_state=config.seed)
    fit_kwargs = {"sample_weight": weights(splits.train, config.data)}
    if getattr(estimator, "uses_dev", False):
        fit_kwargs["dev"] = (splits.dev["text"].tolist(), targets(splits.dev, splits.columns))
    estimator.fit(splits.train["text"].tolist(), targets(splits.train, splits.columns), **fit_kwargs)
    if config.calibration == "none":
        return estimator
    return Calibrated(estimator, method=config.calibration).fit(splits.dev["text"].tolist(), targets(splits.dev, splits.columns))


def thresholds_on_dev(model, splits: Splits, min_precision: float) -> dict[str, float]:
    probs = model.predict_proba(splits.dev["text"].tolist())
    y = targets(splits.dev, splits.columns)
    return {column: choose_threshold(y[:, j], probs[:, j], min_precision) for j, column in enumerate(splits.columns)}


def save_model(model, directory: Path, config: ExperimentConfig, columns, thresholds) -> dict[str, str]:
    meta = {"kind": config.model.kind, "columns": list(columns), "thresholds": thresholds, "experiment": config.name}
    model_path = save_estimator(model, config.model.kind, directory / "model")
    meta_path = directory / "meta.json"
    meta_path.write_text(json.dumps(meta, indent=2))
    return {MODEL_ARTIFACT: str(model_path), META_ARTIFACT: str(meta_path)}


def log_evaluation(model, frame: pd.DataFrame, columns, thresholds, prefix: str) -> dict[str, float]:
    if frame.empty:
        return {}
    started = time.perf_counter()
    probs = model.predict_proba(frame["text"].tolist())
    seconds = time.perf_counter() - started
    metrics = evaluate(frame, probs, columns, thresholds, prefix)
    metrics[f"{prefix}/paragraphs_per_second"] = len(frame) / max(seconds, 1e-9)
    if frame["gold"].all():
        stance, confusions = stance_metrics(frame, probs, columns, thresholds, prefix)
        metrics |= stance
        mlflow.log_dict(confusions, f"stance/{prefix}_confusion.json")
    mlflow.log_metrics(metrics)
    import matplotlib.pyplot as plt

    for name, figure in figures(frame, probs, columns, thresholds, prefix).items():
        mlflow.log_figure(figure, f"figures/{prefix}/{name}")
        plt.close(figure)
    mlflow.log_table(worst_errors(frame, probs, columns, thresholds), f"errors/{prefix}_worst.json")
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", default="baseline", help="experiment name (experiments/<name>.yaml) or path")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("classifier").setLevel(logging.INFO)

    config = load_config(args.exp)
    splits = load_splits(config.data)
    np.random.seed(config.seed)
    tracking.configure()
    commit = tracking.git_commit()
    with mlflow.start_run(run_name=config.name) as run:
        mlflow.set_tags({"model_kind": config.model.kind, "experiment": config.name, "git_commit": commit, "table_hash": splits.table_hash})
        mlflow.log_params(flat_params(config))
        dataset = mlflow.data.from_pandas(splits.train.drop(columns=["text"]), source=str(splits.path), name="paragraphs", digest=splits.table_hash)
        mlflow.log_input(dataset, context="training")

        started = time.perf_counter()
        model = fit(config, splits)
        train_seconds = time.perf_counter() - started
        thresholds = thresholds_on_dev(model, splits, config.min_precision)
        mlflow.log_metric("train_seconds", train_seconds)
        for point in getattr(getattr(model, "estimator", model), "history_", None) or []:  # evaluations during fine-tuning
            mlflow.log_metrics({"train/loss": point["loss"], "train/dev_map": point["dev_map"]}, step=point["step"])
        mlflow.log_dict(thresholds, "thresholds.json")

        metrics = log_evaluation(model, splits.test, splits.columns, thresholds, "test")
        metrics |= log_evaluation(model, splits.gold_test, splits.columns, thresholds, "gold")
        sources = sorted(splits.test["source"].unique())
        counts = {"train": len(splits.train), "dev": len(splits.dev), "test": len(splits.test)}
        card = model_card(
            config, metrics=metrics, thresholds=thresholds, columns=splits.columns, table_hash=splits.table_hash,
            counts=counts, sources=sources, commit=commit, train_seconds=train_seconds,
        )
        mlflow.log_text(card, "model_card.md")

        with tempfile.TemporaryDirectory() as tmp:
            artifacts = save_model(model, Path(tmp), config, splits.columns, thresholds)
            example_output = score_frame(model, splits.columns, INPUT_EXAMPLE)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(REPO_ROOT / "classifier" / "mlflow_model.py"),
                artifacts=artifacts,
                code_paths=[str(REPO_ROOT / "classifier")],
                signature=infer_signature(INPUT_EXAMPLE, example_output),
                input_example=INPUT_EXAMPLE,
                pip_requirements=tracking.model_requirements(config.model.kind),
                metadata={"columns": list(splits.columns), "thresholds": thresholds, "model_kind": config.model.kind},
            )
        version = None
        if config.register:
            version = tracking.register(
                run.info.run_id,
                info.model_uri,
                {
                    "model_kind": config.model.kind,
                    "experiment": config.name,
                    "table_hash": splits.table_hash,
                    "git_commit": commit,
                    "thresholds": json.dumps(thresholds),
                    "test_macro_f1": f"{metrics.get('test/macro_f1', float('nan')):.4f}",
                    "gold_macro_f1": f"{metrics.get('gold/macro_f1', float('nan')):.4f}",
                },
            )

    print(f"Run {run.info.run_id} ({config.name}) in {tracking.tracking_uri()}; trained in {train_seconds:.1f} s")
    for column in splits.columns:
        line = f"  {column:32s} threshold {thresholds[column]:.3f}"
        for prefix in ("test", "gold"):
            if f"{prefix}/{column}/f1" in metrics:
                line += f"  {prefix} F1 {metrics[f'{prefix}/{column}/f1']:.3f} MCC {metrics[f'{prefix}/{column}/mcc']:.3f}"
        print(line)
    if version:
        print(f"Registered {tracking.REGISTERED_MODEL} version {version} with alias '{tracking.CANDIDATE}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
