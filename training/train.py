"""Train one experiment, evaluate it, log everything to MLflow and register the model.

python -m training.train --exp baseline
"""

from __future__ import annotations

import argparse
import dataclasses
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
from classifier.store import REPO_ROOT, quiet_mlflow
from training import progress, tracking
from training.config import ConfigError, ExperimentConfig, flat_params, load_config
from training.dataset import Splits, hard_negative_rows, load_splits, targets, weights
from training.distil import ROLE, mix_read_labels, pinned_teacher_uri, teacher_targets
from training.languages import language_support
from training.members import load_members
from training.metrics import (
    choose_threshold,
    errors_markdown,
    evaluate,
    figures,
    judgement,
    judgement_metrics,
    stance_metrics,
    worst_errors,
)
from training.modelcard import model_card

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


def build(config: ExperimentConfig, columns) -> object:
    """The experiment's estimator, unfitted; an ensemble's members are loaded from their models here."""
    params = dict(config.model.params)
    if config.model.kind == "ensemble":
        params["members"] = load_members(params.get("members", ()))
    estimator = model_class(config.model.kind)(targets=columns, **params)
    if hasattr(estimator, "random_state") and "random_state" not in params:
        estimator.set_params(random_state=config.seed)
    return estimator


def fit(config: ExperimentConfig, splits: Splits) -> tuple[object, np.ndarray]:
    """Fit the experiment's model on train and calibrate it on dev; returns the model and its
    (calibrated) dev probabilities, scored once."""
    estimator = build(config, splits.columns)
    dev_texts, dev_y = splits.dev["text"].tolist(), targets(splits.dev, splits.columns)
    texts, y, sample_weight = splits.train["text"].tolist(), targets(splits.train, splits.columns), None
    if config.teacher:  # a student: the teacher's probabilities over the distillation pool
        texts, soft, sample_weight = teacher_targets(config.teacher, splits)
        y = mix_read_labels(soft, y, config.data.read_label_mix)
    fit_kwargs = {"sample_weight": weights(splits.train, config.data) if sample_weight is None else sample_weight}
    if getattr(estimator, "uses_dev", False):
        fit_kwargs["dev"] = (dev_texts, dev_y)
    estimator.fit(texts, y, **fit_kwargs)
    dev_scores = estimator.predict_proba(dev_texts)
    if config.calibration == "none":
        return estimator, dev_scores
    model = Calibrated(estimator, method=config.calibration).fit_scores(dev_scores, dev_y)
    return model, model.calibrate(dev_scores)


def thresholds_on_dev(dev_probs: np.ndarray, splits: Splits, min_precision: float) -> dict[str, float]:
    y = targets(splits.dev, splits.columns)
    return {
        column: choose_threshold(y[:, j], dev_probs[:, j], min_precision) for j, column in enumerate(splits.columns)
    }


def save_model(model, directory: Path, config: ExperimentConfig, columns) -> dict[str, str]:
    """The artifacts of the logged model; its thresholds go in the model's metadata (``MLmodel``) only."""
    meta = {"kind": config.model.kind, "columns": list(columns), "experiment": config.name}
    model_path = save_estimator(model, config.model.kind, directory / "model")
    meta_path = directory / "meta.json"
    meta_path.write_text(json.dumps(meta, indent=2))
    return {MODEL_ARTIFACT: str(model_path), META_ARTIFACT: str(meta_path)}


def log_evaluation(frame: pd.DataFrame, probs: np.ndarray, columns, thresholds, prefix: str) -> dict[str, float]:
    """Metrics, figures and the worst errors of ``probs`` (scored on ``frame``) under ``prefix``."""
    import mlflow

    if frame.empty:
        return {}
    metrics = evaluate(frame, probs, columns, thresholds, prefix)
    if frame["gold"].all():
        stance, confusions = stance_metrics(frame, probs, columns, thresholds, prefix)
        metrics |= stance
        mlflow.log_dict(confusions, f"stance/{prefix}_confusion.json")
        if prefix == "gold":  # the read rows of the test split (all of it, once every paragraph is read)
            intervals, _ = judgement(frame, probs, columns, thresholds)
            metrics |= judgement_metrics(intervals, prefix)
    tracking.log_metrics(metrics)
    import matplotlib.pyplot as plt

    for name, figure in figures(frame, probs, columns, thresholds, prefix).items():
        mlflow.log_figure(figure, f"figures/{prefix}/{name}")
        plt.close(figure)
    errors = worst_errors(frame, probs, columns, thresholds)
    mlflow.log_table(errors, f"errors/{prefix}_worst.json")
    mlflow.log_text(errors_markdown(errors, prefix), f"errors/{prefix}_worst.md")
    return metrics


def print_judgement(metrics: dict[str, float], prefix: str) -> None:
    """The judgement figures of the read test split, with their 95% intervals."""
    names = sorted(
        {key.removesuffix("_low").removesuffix("_high") for key in metrics if key.startswith(f"{prefix}/judgement/")}
    )
    if not names:
        return
    print(
        f"Read test split ({int(metrics.get(f'{prefix}/judgement/hard_negatives', 0)):,} hard negatives), 95% intervals:"
    )
    for key in names:
        if key.endswith("hard_negatives"):
            continue
        low, high = metrics.get(f"{key}_low"), metrics.get(f"{key}_high")
        span = f" [{low:.3f}, {high:.3f}]" if low is not None else ""
        print(f"  {key.split('/judgement/')[1]:44s} {metrics[key]:.3f}{span}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--exp", default="baseline", help="experiment name (experiments/<name>.yaml) or path")
    parser.add_argument("--teacher", help="distil: fit on this model's probabilities (see training.distil)")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("classifier").setLevel(logging.INFO)
    logging.getLogger("training").setLevel(logging.INFO)

    quiet_mlflow()
    import mlflow
    from mlflow.models import infer_signature

    try:
        config = load_config(args.exp)
        if args.teacher:
            config = dataclasses.replace(config, teacher=args.teacher)
        splits = load_splits(config.data)
    except (ConfigError, FileNotFoundError, ValueError) as error:
        print(f"train: {error}", file=sys.stderr)
        return 2
    np.random.seed(config.seed)
    tracking.configure()
    commit = tracking.git_commit()
    with mlflow.start_run(run_name=config.name) as run:
        mlflow.set_tags(
            {
                "model_kind": config.model.kind,
                "experiment": config.name,
                "git_commit": commit,
                "table_hash": splits.table_hash,
                "mlflow.note.content": config.description,  # the run's description in the MLflow UI
            }
        )
        mlflow.log_params(flat_params(config))
        dataset = mlflow.data.from_pandas(
            splits.train.drop(columns=["text"]), source=str(splits.path), name="paragraphs", digest=splits.table_hash
        )
        mlflow.log_input(dataset, context="training")

        started = time.perf_counter()
        with progress.during("fitting"):
            model, dev_probs = fit(config, splits)
        train_seconds = time.perf_counter() - started
        thresholds = thresholds_on_dev(dev_probs, splits, config.min_precision)
        tracking.log_metrics({"train_seconds": train_seconds})
        runtime = getattr(getattr(model, "estimator", model), "runtime", None)
        if runtime:  # a transformer scores its dev and test splits with the runtime the logged model uses
            mlflow.set_tag("scoring_runtime", runtime)
        if config.model.kind == "ensemble":
            mlflow.set_tag(
                "ensemble_members", json.dumps([name for name, _ in getattr(model, "estimator", model).members])
            )
        for point in (
            getattr(getattr(model, "estimator", model), "history_", None) or []
        ):  # evaluations during fine-tuning
            tracking.log_metrics({"train/loss": point["loss"], "train/dev_map": point["dev_map"]}, step=point["step"])

        started = time.perf_counter()
        with progress.during("scoring the test split"):
            test_probs = model.predict_proba(splits.test["text"].tolist())  # the gold test rows are a subset
        seconds = time.perf_counter() - started
        gold = splits.test["gold"].to_numpy(dtype=bool)
        metrics = log_evaluation(splits.test, test_probs, splits.columns, thresholds, "test")
        metrics |= log_evaluation(splits.test[gold], test_probs[gold], splits.columns, thresholds, "gold")
        if len(splits.test):
            metrics["test/paragraphs_per_second"] = len(splits.test) / max(seconds, 1e-9)
            tracking.log_metrics({"test/paragraphs_per_second": metrics["test/paragraphs_per_second"]})
        sources = sorted(splits.test["source"].unique())
        counts = {"train": len(splits.train), "dev": len(splits.dev), "test": len(splits.test)}
        counts["counterfactual"] = int(splits.train["origin"].eq("counterfactual").sum())
        if config.data.hard_negative_weight != 1.0:
            counts["hard_negatives"] = int(hard_negative_rows(splits.train).sum())
        card = model_card(
            config,
            metrics=metrics,
            thresholds=thresholds,
            columns=splits.columns,
            table_hash=splits.table_hash,
            counts=counts,
            sources=sources,
            commit=commit,
            train_seconds=train_seconds,
        )
        mlflow.log_text(card, "model_card.md")

        with tempfile.TemporaryDirectory() as tmp:
            artifacts = save_model(model, Path(tmp), config, splits.columns)
            example_output = score_frame(model, splits.columns, INPUT_EXAMPLE)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(REPO_ROOT / "classifier" / "mlflow_model.py"),
                artifacts=artifacts,
                code_paths=[str(REPO_ROOT / "classifier")],
                signature=infer_signature(INPUT_EXAMPLE, example_output),
                input_example=INPUT_EXAMPLE,
                pip_requirements=tracking.model_requirements(config.model.kind),
                metadata={
                    "columns": list(splits.columns),
                    "thresholds": thresholds,
                    "model_kind": config.model.kind,
                    "languages": language_support(splits.test, test_probs, splits.columns, thresholds),
                },
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
                    "test_macro_f1": f"{metrics.get('test/macro_f1', float('nan')):.4f}",
                    "gold_macro_f1": f"{metrics.get('gold/macro_f1', float('nan')):.4f}",
                    **({"role": ROLE, "teacher": pinned_teacher_uri(config.teacher)} if config.teacher else {}),
                },
            )

    print(f"Run {run.info.run_id} ({config.name}) in {tracking.tracking_uri()}; trained in {train_seconds:.1f} s")
    for column in splits.columns:
        line = f"  {column:32s} threshold {thresholds[column]:.3f}"
        for prefix in ("test", "gold"):
            if f"{prefix}/{column}/f1" in metrics:
                line += (
                    f"  {prefix} F1 {metrics[f'{prefix}/{column}/f1']:.3f} MCC {metrics[f'{prefix}/{column}/mcc']:.3f}"
                )
        print(line)
    print_judgement(metrics, "gold")
    if version:
        print(f"Registered {tracking.REGISTERED_MODEL} version {version} with alias '{tracking.CANDIDATE}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
