"""Build the training table: corpora -> paragraphs with mapped labels -> grouped splits -> Parquet.

python -m data.build [--corpora DIR] [--out build/] [--sample] [--strict] [--update-card]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from classifier.labels import LABELS, REPORTED_COLUMNS
from classifier.text import normalise
from data import sample
from data.corpora import CORPORA, REPO_ROOT, corpora_root
from data.gold import ANNOTATIONS_DIR, STANCE_COLUMNS, AnnotationMismatch, apply_annotations, read_annotations
from data.sources import CorpusMissing, Row, euvsdisinfo, pan2024, semeval2023, semeval2025
from data.split import SPLITS, assign_split, corpus_split, read_test_groups

DEFAULT_OUT = REPO_ROOT / "build"
TABLE_NAME = "paragraphs.parquet"
LOADERS: dict[str, Callable[[Path], Iterator[Row]]] = {
    semeval2023.NAME: semeval2023.load,
    semeval2025.NAME: semeval2025.load,
    euvsdisinfo.NAME: euvsdisinfo.load,
    pan2024.NAME: pan2024.load,
}
DEV_REPORTING_FRACTIONS = (0.75, 0.25, 0.0)
SPLIT_PRIORITY = {"test": 0, "dev": 1, "train": 2}
COLUMNS = [
    "uid",
    "source",
    "lang",
    "doc_id",
    "group",
    "index",
    "start",
    "end",
    "origin",
    "split",
    "weak",
    "text",
    *LABELS,
    *REPORTED_COLUMNS,
]
# The corpora's own labels, mapped (``data/mapping.py``), kept beside the read labels that replace them,
# so that an experiment can still train on the proxies for comparison (``data.labels: mapped``).
MAPPED_COLUMNS = [f"mapped_{column}" for column in (*LABELS, *REPORTED_COLUMNS)] + ["mapped_weak"]
TABLE_COLUMNS = [*COLUMNS, "gold", *STANCE_COLUMNS, *MAPPED_COLUMNS]


def collect(root: Path) -> tuple[list[Row], dict[str, str]]:
    """Rows of every corpus found under ``root``, and a message per corpus that is missing."""
    rows: list[Row] = []
    missing: dict[str, str] = {}
    for name, load in LOADERS.items():
        try:
            rows.extend(load(root))
        except CorpusMissing as error:
            missing[name] = str(error)
    return rows, missing


def to_frame(rows: Iterable[Row], test_groups: frozenset[tuple[str, str]] = frozenset()) -> pd.DataFrame:
    records = []
    for row in rows:
        record = asdict(row)
        labels, reported = record.pop("labels"), record.pop("reported")
        for label in LABELS:
            record[label] = labels.get(label)
            record[label + "_reported"] = reported.get(label)
        record["uid"] = f"{row.source}:{row.doc_id}:{row.index}"
        record["split"] = (
            sample.split_of(row.doc_id)
            if row.source == sample.NAME
            else corpus_split(row.source, row.group, test_groups)
        )
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=COLUMNS)
    for column in (*LABELS, *REPORTED_COLUMNS):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    if test_groups:
        frame = reporting_dev(frame)
    return frame


def reporting_dev(frame: pd.DataFrame) -> pd.DataFrame:
    """Dev takes a hashed quarter of the training groups that hold a disproof or a paragraph with a
    reporting cue (``data.reading.cue``), so the `reported` thresholds are tuned on more than a handful
    of paragraphs (the frozen test split took most such groups). Chosen from ids and text cues, not labels."""
    from data.reading import cue

    frame = frame.copy()
    reporting = frame["origin"].eq("disproof") | frame["text"].map(cue)
    groups = frame.loc[reporting & frame["split"].eq("train"), ["source", "group"]].drop_duplicates()
    moved = {
        (source, group)
        for source, group in groups.itertuples(index=False)
        if assign_split(source, group, DEV_REPORTING_FRACTIONS, salt="dev-reporting") == "dev"
    }
    move = [(source, group) in moved for source, group in zip(frame["source"], frame["group"])]
    frame.loc[move, "split"] = "dev"
    return frame


def deduplicate(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep one row per near-exact text (same ``normalise`` key).

    A gold (annotated) copy wins; otherwise the copy kept is in the split that is evaluated first (test,
    then dev, then train), so no text is both trained on and evaluated on; among copies in one split, a
    strongly labelled row wins over a weak one, then the first in corpus order.
    """
    key = frame["text"].map(normalise)
    keep = key.str.len() > 0
    ranked = frame.assign(
        _key=key,
        _gold=(~frame["gold"]).astype(int),
        _split=frame["split"].map(SPLIT_PRIORITY),
        _weak=frame["weak"].astype(int),
        _order=range(len(frame)),
    )[keep]
    ranked = ranked.sort_values(["_key", "_gold", "_split", "_weak", "_order"], kind="stable")
    first = ~ranked["_key"].duplicated()
    kept = ranked[first].sort_values("_order")
    dropped = ranked[~first]
    cross_split = dropped["split"].ne(kept.set_index("_key").loc[dropped["_key"], "split"].to_numpy())
    stats = {
        "empty": int((~keep).sum()),
        "duplicate_within_split": int((~cross_split).sum()),
        "duplicate_across_splits": int(cross_split.sum()),
    }
    return kept[[c for c in TABLE_COLUMNS if c in kept.columns]].reset_index(drop=True), stats


def table_hash(frame: pd.DataFrame) -> str:
    """Content hash of the table: the same rows and values give the same hash on any machine."""
    digest = hashlib.sha256()
    digest.update(",".join(frame.columns).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Per source and split: paragraphs, articles, and positives / negatives per label."""
    rows = []
    for (source, split), part in frame.groupby(["source", "split"], sort=True):
        row = {"source": source, "split": split, "paragraphs": len(part), "articles": part["group"].nunique()}
        for label in LABELS:
            row[f"{label}=1"] = int((part[label] == 1).sum())
            row[f"{label}=0"] = int((part[label] == 0).sum())
        for column in REPORTED_COLUMNS:
            row[f"{column}=1"] = int((part[column] == 1).sum())
        row["gold"] = int(part["gold"].sum())
        rows.append(row)
    table = pd.DataFrame(rows)
    table["split"] = pd.Categorical(table["split"], SPLITS, ordered=True)
    return table.sort_values(["source", "split"]).reset_index(drop=True)


def markdown(table: pd.DataFrame) -> str:
    columns = list(table.columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in table.iterrows():
        lines.append(
            "| " + " | ".join(f"{row[c]:,}" if isinstance(row[c], int) else str(row[c]) for c in columns) + " |"
        )
    return "\n".join(lines)


def build(
    root: Path, *, use_sample: bool = False, strict: bool = False, annotations_dir: Path = ANNOTATIONS_DIR
) -> tuple[pd.DataFrame, dict]:
    if use_sample:
        rows, missing = sample.load(), {}
    else:
        rows, missing = collect(root)
        if missing and strict:
            raise CorpusMissing(_missing_message(root, missing))
        if missing:
            print(_missing_message(root, missing), file=sys.stderr)
        if not rows:
            print(
                "No corpus found: building the project's own sample instead (never used to report accuracy).",
                file=sys.stderr,
            )
            rows = sample.load()
    frame = to_frame(rows, read_test_groups())
    annotations = read_annotations(annotations_dir)
    skipped = ~annotations["source"].isin(frame["source"].unique())
    if skipped.any():
        print(f"{int(skipped.sum())} annotations skipped: their corpus is missing.", file=sys.stderr)
    for column in (*LABELS, *REPORTED_COLUMNS, "weak"):
        frame[f"mapped_{column}"] = frame[column]
    frame = apply_annotations(frame, annotations[~skipped])
    frame = sample.as_read(frame)
    frame, dropped = deduplicate(frame)
    meta = {
        "hash": table_hash(frame),
        "rows": len(frame),
        "corpora": str(root),
        "sources": sorted(frame["source"].unique()),
        "missing": sorted(missing),
        "dropped": dropped,
        "gold": int(frame["gold"].sum()),
    }
    return frame, meta


def _missing_message(root: Path, missing: dict[str, str]) -> str:
    lines = [f"Corpora missing under {root} (set --corpora or $NARRATIVE_CORPORA):"]
    for corpus in CORPORA:
        if corpus.name in missing:
            lines.append(f"  - {corpus.title}: {missing[corpus.name]}\n    obtain: {corpus.obtain}")
    return "\n".join(lines)


def write(frame: pd.DataFrame, meta: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / TABLE_NAME
    frame.to_parquet(path, index=False)
    (out / "paragraphs.json").write_text(json.dumps(meta, indent=2) + "\n")
    return path


def _stance_cells(part: pd.DataFrame, stances=("voiced", "reported", "none"), columns=LABELS) -> str:
    return " | ".join(f"{int((part[column] == stance).sum()):,}" for column in columns for stance in stances)


def gold_markdown(frame: pd.DataFrame, annotations_dir: Path = ANNOTATIONS_DIR) -> str:
    """Read paragraphs per source, language and stance; those kept in the table per split; the
    topic-matched hard negatives of the test split; and the agreement of the readings."""
    from data.reading import (
        REVIEW_DIR,
        SECOND_DIR,
        calibration_agreement,
        hard_negative_crossover,
        second_agreement,
        topic_hard_negatives,
    )

    annotations = read_annotations(annotations_dir)
    stance_header = " | ".join(f"{label} {stance}" for label in LABELS for stance in ("voiced", "reported", "none"))
    lines = [
        f"{len(annotations):,} read paragraphs.",
        "",
        f"| source | paragraphs | {stance_header} |",
        "|---|---|" + "---|" * 6,
    ]
    for source, part in [*sorted(annotations.groupby("source")), ("all", annotations)]:
        lines.append(f"| {source} | {len(part):,} | {_stance_cells(part)} |")
    gold = frame[frame["gold"]]
    stance_columns = [f"{label}_stance" for label in LABELS]
    lines += [
        "",
        "Per language (in the table):",
        "",
        f"| language | paragraphs | {stance_header} |",
        "|---|---|" + "---|" * 6,
    ]
    for lang, part in sorted(gold.groupby("lang")):
        lines.append(f"| {lang} | {len(part):,} | {_stance_cells(part, columns=stance_columns)} |")
    lines += [
        "",
        f"In the table after de-duplication: {len(gold):,} (a paragraph whose text also appears elsewhere is kept once).",
        "",
        "| split | paragraphs | articles | "
        + " | ".join(f"{label} {stance}" for label in LABELS for stance in ("voiced", "reported"))
        + " |",
        "|---|---|---|" + "---|" * 4,
    ]
    for split in SPLITS:
        part = gold[gold["split"] == split]
        cells = _stance_cells(part, ("voiced", "reported"), stance_columns)
        lines.append(f"| {split} | {len(part):,} | {part['group'].nunique():,} | {cells} |")
    test = gold[gold["split"] == "test"]
    if len(test):
        negatives = int(topic_hard_negatives([test[column] for column in stance_columns], test["text"]).sum())
        lines += [
            "",
            f"Topic-matched hard negatives in the test split (read `none` for both labels, about migration, NATO, the "
            f"EU, sanctions, foreign interference, elections, vaccines, ...: `data.reading.TOPIC`): {negatives:,}.",
        ]
    calibration = calibration_agreement(annotations_dir / "calibration")
    if calibration is not None:
        lines += [
            "",
            f"Calibration: {calibration['readers']} readers labelled the same {calibration['paragraphs']} paragraphs before "
            "the bulk reading (Cohen's kappa over the three stances, every pair of readers):",
            "",
            "| label | mean kappa | lowest | highest |",
            "|---|---|---|---|",
        ]
        for label in LABELS:
            kappas = calibration[label]
            lines.append(f"| {label} | {np.mean(kappas):.3f} | {min(kappas):.3f} | {max(kappas):.3f} |")
    for folder, about in (
        (SECOND_DIR, "Independent second reading of a random sample stratified by source and language"),
        (
            REVIEW_DIR,
            "Independent second reading of the news paragraphs of train and dev (SemEval-2023 and -2025; every "
            "paragraph the first reading called voiced or reported, and as many others, a random sample per "
            "language: `python -m data.reading review`); the disagreements were adjudicated into the labels",
        ),
        (
            REVIEW_DIR.parent / "review_test",
            "The same independent second reading of the test split's news paragraphs, by the same rule "
            "(`python -m data.reading review --splits test`); the disagreements were adjudicated into the labels",
        ),
    ):
        second = second_agreement(annotations_dir, folder)
        if second is None:
            continue
        lines += [
            "",
            f"{about} (Cohen's kappa over the three stances, and raw agreement, against the first reading):",
            "",
            "| group | paragraphs | " + " | ".join(f"{label} kappa | {label} agreement" for label in LABELS) + " |",
            "|---|---|" + "---|" * 4,
        ]
        for row in second.itertuples(index=False):
            values = row._asdict()
            cells = " | ".join(
                f"{values[f'{label}_kappa']:.3f} | {values[f'{label}_agreement']:.3f}".replace("nan", "–")
                for label in LABELS
            )
            lines.append(f"| {values['group']} | {values['paragraphs']:,} | {cells} |")
        crossover = hard_negative_crossover(folder, frame)
        if crossover:
            (first_n, first_v), (second_n, second_v) = crossover
            lines += [
                "",
                f"Topic-matched hard negatives of one reading called voiced (either label) by the other: "
                f"{first_v} of the first reading's {first_n} ({first_v / max(first_n, 1):.1%}) by the second, "
                f"{second_v} of the second reading's {second_n} ({second_v / max(second_n, 1):.1%}) by the first.",
            ]
    first, second_pass = (
        annotations_dir / "agreement" / "first_pass.csv",
        annotations_dir / "agreement" / "second_pass.csv",
    )
    if first.exists() and second_pass.exists():
        from data.annotate import agreement

        lines += [
            "",
            "Agreement of the first annotated set's independent second pass (200 paragraphs, 2026-11; Cohen's kappa):",
            "",
            "| label | paragraphs | kappa, 3 stances | kappa, voiced vs not | raw agreement |",
            "|---|---|---|---|---|",
        ]
        for label, values in agreement(first, second_pass).items():
            lines.append(
                f"| {label} | {int(values['paragraphs'])} | {values['kappa_stance']:.3f} | "
                f"{values['kappa_voiced']:.3f} | {values['raw_agreement']:.3f} |"
            )
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str) -> str:
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    if begin not in text or end not in text:
        raise ValueError(f"no {begin} ... {end} block")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def update_card(card: Path, table_md: str, gold_md: str, meta: dict) -> None:
    text = replace_block(
        card.read_text(), "counts", f"Table hash `{meta['hash']}`, {meta['rows']:,} paragraphs.\n\n{table_md}"
    )
    card.write_text(replace_block(text, "gold", gold_md))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", help="corpora directory (default: $NARRATIVE_CORPORA or ../shared/data)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: build/)")
    parser.add_argument("--sample", action="store_true", help="build the project's own sample, not the corpora")
    parser.add_argument("--strict", action="store_true", help="fail when any corpus is missing")
    parser.add_argument("--update-card", action="store_true", help="write the counts into data/README.md")
    args = parser.parse_args(argv)

    root = corpora_root(args.corpora)
    if not args.sample and not collect(root)[0]:  # a mistyped CORPORA must not replace the table with the sample
        print(
            f"No corpus found in {root}: check CORPORA, or pass --sample to build the project's own sample.",
            file=sys.stderr,
        )
        return 2
    try:
        frame, meta = build(root, use_sample=args.sample, strict=args.strict)
    except (CorpusMissing, AnnotationMismatch) as error:
        print(error, file=sys.stderr)
        return 2
    path = write(frame, meta, args.out)
    table_md = markdown(counts(frame))
    print(f"Training table: {path} ({meta['rows']:,} paragraphs, hash {meta['hash']})")
    print(f"Dropped: {meta['dropped']}")
    print(table_md)
    gold_md = gold_markdown(frame)
    print(gold_md)
    if args.update_card:
        update_card(REPO_ROOT / "data" / "README.md", table_md, gold_md, meta)
        print("Counts written to data/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
