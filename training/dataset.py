"""Read the training table for an experiment: filter, split, targets and weights."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.labels import LABELS, REPORTED_COLUMNS
from classifier.store import REPO_ROOT
from training.augment import counterfactual_pairs
from training.config import DataConfig
from training.metrics import hard_negatives


@dataclass
class Splits:
    train: pd.DataFrame
    dev: pd.DataFrame
    test: pd.DataFrame
    path: Path
    table_hash: str
    columns: tuple[str, ...]


def table_path(config: DataConfig) -> Path:
    path = Path(config.table)
    return path if path.is_absolute() else REPO_ROOT / path


def output_columns(config: DataConfig) -> tuple[str, ...]:
    return (*LABELS, *REPORTED_COLUMNS) if config.reported else LABELS


def load_splits(config: DataConfig) -> Splits:
    path = table_path(config)
    if not path.exists():
        raise FileNotFoundError(f"training table {path} not found: run `make data` first")
    frame = pd.read_parquet(path)
    meta_path = path.with_suffix(".json")
    table_hash = json.loads(meta_path.read_text())["hash"] if meta_path.exists() else "unknown"
    if config.sources:
        frame = frame[frame["source"].isin(config.sources)]
    if config.languages:
        frame = frame[frame["lang"].isin(config.languages)]
    if frame.empty:
        raise ValueError(f"no rows left in {path} after the experiment's source and language filters")
    parts = {name: frame[frame["split"] == name].reset_index(drop=True) for name in ("train", "dev", "test")}
    for name in ("train", "dev"):
        parts[name] = training_rows(parts[name], config)
    if config.counterfactual or config.counterfactual_headlines:
        pairs = counterfactual_pairs(
            parts["train"], per_claim=config.counterfactual, headlines=config.counterfactual_headlines
        )
        parts["train"] = pd.concat([parts["train"], pairs], ignore_index=True)
    return Splits(**parts, path=path, table_hash=table_hash, columns=output_columns(config))


def training_rows(frame: pd.DataFrame, config: DataConfig) -> pd.DataFrame:
    """The rows and targets a model learns and is tuned from. ``read``: the paragraphs read against the
    guidelines, with their read labels. ``mapped``: every paragraph, with the labels mapped from the
    corpora (none of the reading). The test split is always judged on its read labels."""
    if config.labels == "read":
        return frame[frame["gold"]].reset_index(drop=True)
    mapped = frame.copy()
    for column in (*LABELS, *REPORTED_COLUMNS, "weak"):
        if f"mapped_{column}" in mapped.columns:
            mapped[column] = mapped[f"mapped_{column}"]
    mapped["gold"] = False
    return mapped


def targets(frame: pd.DataFrame, columns) -> np.ndarray:
    return frame[list(columns)].to_numpy(dtype=np.float64)


def weights(frame: pd.DataFrame, config: DataConfig) -> np.ndarray:
    """Sample weights: ``weak_weight`` for weakly labelled rows, ``gold_weight`` for read rows (times
    ``hard_negative_weight`` for those that are topic-matched hard negatives), ``counterfactual_weight``
    for counterfactual pairs, else 1."""
    weak = frame["weak"].to_numpy(dtype=bool)
    gold = frame["gold"].to_numpy(dtype=bool)
    counterfactual = frame["origin"].eq("counterfactual").to_numpy(dtype=bool)
    weight = np.where(gold, config.gold_weight, np.where(weak, config.weak_weight, 1.0))
    if config.hard_negative_weight != 1.0:
        weight = np.where(hard_negative_rows(frame), weight * config.hard_negative_weight, weight)
    return np.where(counterfactual, config.counterfactual_weight, weight)


def hard_negative_rows(frame: pd.DataFrame) -> np.ndarray:
    """The read rows of ``frame`` (not counterfactual ones) that are topic-matched hard negatives."""
    read = frame["gold"].to_numpy(dtype=bool) & ~frame["origin"].eq("counterfactual").to_numpy(dtype=bool)
    out = np.zeros(len(frame), dtype=bool)
    out[read] = hard_negatives(frame[read])
    return out
