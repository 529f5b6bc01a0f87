"""What a model loses on EUvsDisinfo claims from years it was not trained on.

    python -m training.drift [--exp baseline] [--since 2019] [--draws 2] [--corpora DIR]

The test split draws its EUvsDisinfo cases from the same years as training, so its figures do not show
how a model holds up on state-media claims from later years. This refits an experiment on the training
table several ways and judges each on the same rows: the test split's EUvsDisinfo paragraphs of cases
dated ``--since`` or later (dates from the corpus's ``claim_titles.csv``).

- ``every year``: the experiment as it is;
- ``before <since>``: without the training and dev paragraphs of those cases (their counterfactual
  rows too), so the model never sees those years;
- ``random <n>`` (``--draws`` times): without as many EUvsDisinfo training paragraphs drawn at random
  from the earlier years, so that the difference to ``before`` is the cost of time itself, not of the
  smaller table.

Each is calibrated and thresholded on dev without the later cases, as training does. Prints the
voiced macro-F1 and per-label voiced F1 (and the reported macro-F1 when the judged rows hold at least
``MIN_REPORTED`` read-reported paragraphs: the later cases have titles only, no disproofs) with
article-grouped bootstrap intervals, and the paired differences of the macro-F1s. A
diagnostic: it registers nothing and logs nothing to MLflow. Refits are of the experiment's kind; for
the baseline, about a minute each on 2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.labels import LABELS
from data.corpora import corpora_root
from data.sources import require
from data.sources.euvsdisinfo import NAME as EUVSDISINFO
from training.config import load_config
from training.dataset import Splits, load_splits
from training.intervals import difference_interval
from training.metrics import judgement
from training.train import fit, thresholds_on_dev

MIN_REPORTED = 20  # fewer read-reported paragraphs than this in the judged rows: no reported figure


def case_years(corpora: Path) -> dict[str, int]:
    """Case URL (the table's ``doc_id`` of an EUvsDisinfo paragraph) -> the year of the case."""
    path = require(Path(corpora) / EUVSDISINFO / "claim_titles.csv", "EUvsDisinfo claim_titles.csv (the cases' dates)")
    claims = pd.read_csv(path, usecols=["date", "id"])
    years = pd.to_datetime(claims["date"], errors="coerce").dt.year
    known = years.notna()
    return dict(zip(claims.loc[known, "id"], years[known].astype(int)))


def later_rows(frame: pd.DataFrame, years: dict[str, int], since: int) -> np.ndarray:
    """The EUvsDisinfo rows of ``frame`` whose case is dated ``since`` or later (a case without a date
    is not)."""
    year = frame["doc_id"].map(years)
    return (frame["source"].eq(EUVSDISINFO) & year.ge(since)).to_numpy()


def random_rows(frame: pd.DataFrame, excluded: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` EUvsDisinfo rows of ``frame`` outside ``excluded``, drawn at random (a mask)."""
    pool = np.flatnonzero(frame["source"].eq(EUVSDISINFO).to_numpy() & ~excluded)
    if n > len(pool):
        raise ValueError(f"cannot draw {n} EUvsDisinfo rows from the other years: there are {len(pool)}")
    out = np.zeros(len(frame), dtype=bool)
    out[np.random.RandomState(seed).choice(pool, size=n, replace=False)] = True
    return out


def refit_and_judge(config, splits: Splits, drop: np.ndarray, test: pd.DataFrame):
    """Fit the experiment without the training rows in ``drop``; judge it on ``test``."""
    train = splits.train[~drop].reset_index(drop=True)
    variant = dataclasses.replace(splits, train=train)
    model, dev_probs = fit(config, variant)
    thresholds = thresholds_on_dev(dev_probs, variant, config.min_precision)
    probs = model.predict_proba(test["text"].tolist())
    intervals, replicates = judgement(test, probs, splits.columns, thresholds)
    return len(train), intervals, replicates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--exp", default="baseline", help="experiment name or YAML path (default: baseline)")
    parser.add_argument("--since", type=int, default=2019, help="the first held-out year (default: 2019)")
    parser.add_argument("--draws", type=int, default=2, help="random draws of the size control (default: 2)")
    parser.add_argument("--corpora", help="the corpora directory (default: as `make data`)")
    args = parser.parse_args(argv)

    config = load_config(args.exp)
    if config.model.kind == "ensemble" or config.teacher:
        parser.error("refits one model: an ensemble's members or a student's teacher are not refitted")
    years = case_years(corpora_root(args.corpora))
    splits = load_splits(config.data)
    test = splits.test[later_rows(splits.test, years, args.since)].reset_index(drop=True)
    if test.empty:
        print(f"no EUvsDisinfo test paragraph of a case dated {args.since} or later", file=sys.stderr)
        return 2
    splits = dataclasses.replace(
        splits, dev=splits.dev[~later_rows(splits.dev, years, args.since)].reset_index(drop=True)
    )
    later = later_rows(splits.train, years, args.since)
    n_later, held_out_name = int(later.sum()), f"before {args.since}"
    print(
        f"{args.exp}: judged on {len(test):,} EUvsDisinfo test paragraphs of cases dated {args.since} or "
        f"later; {n_later:,} training rows are of those cases"
    )
    variants = {"every year": np.zeros(len(splits.train), dtype=bool), held_out_name: later}
    for seed in range(args.draws):
        variants[f"random {n_later:,} ({seed + 1})"] = random_rows(splits.train, later, n_later, seed)
    reported = sum(int(test[f"{label}_stance"].eq("reported").sum()) for label in LABELS)
    figures = ["voiced_macro_f1", *(f"{label}/voiced_f1" for label in LABELS)]
    paired = ["voiced_macro_f1"]
    if reported >= MIN_REPORTED:
        figures.insert(1, "reported_macro_f1")
        paired.append("reported_macro_f1")
    else:
        print(f"  ({reported} of them read as reporting a framing: too few for a reported figure)")
    results = {}
    for name, drop in variants.items():
        rows, intervals, replicates = refit_and_judge(config, splits, drop, test)
        results[name] = replicates
        shown = ", ".join(f"{figure} {intervals[figure]}" for figure in figures if figure in intervals)
        print(f"  {name:<22} {rows:>7,} training rows: {shown}", flush=True)
    held_out = results[held_out_name]
    for name, replicates in results.items():
        if name == held_out_name:
            continue
        differences = ", ".join(
            f"{figure} {difference_interval(held_out[figure], replicates[figure])}" for figure in paired
        )
        print(f"  {held_out_name} minus {name}: {differences}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
