"""Compare the experiment runs in MLflow side by side: one column per run, one row per figure.

    python -m training.compare [--metric f1] [--latest] [--runs NAME ...] [--versions N ...] [--readme]

Rows: registered version and model kind, training time (``train_seconds``), scoring speed
(``test/paragraphs_per_second``, measured inside the run while scoring the test split), macro-F1 and
the per-label ``--metric`` overall (``test/...``), on the read paragraphs of the test split
(``gold/...``) and per source (``test/<source>/...``); the judgement figures of the read test split
(voiced and reported stance F1, reported paragraphs called voiced, topic-matched hard negatives called
voiced) with their bootstrap 95% intervals. Two runs whose intervals overlap may not differ: the
paired comparison of ``make promote`` says whether they do. Reads the store only.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from classifier.labels import LABELS
from training import tracking

if TYPE_CHECKING:
    from mlflow import MlflowClient


def finished_runs(client: MlflowClient, names: list[str], latest: bool) -> list:
    experiment = client.get_experiment_by_name(tracking.EXPERIMENT)
    if experiment is None:
        return []
    runs = client.search_runs(
        [experiment.experiment_id],
        "attributes.status = 'FINISHED'",
        order_by=["attributes.start_time ASC"],
        max_results=1000,
    )
    if names:
        runs = [r for r in runs if r.info.run_name in names]
    if latest:
        by_name = {r.info.run_name: r for r in runs}  # ascending start time: the last one wins
        runs = sorted(by_name.values(), key=lambda r: r.info.start_time)
    return runs


def versions_by_run(client: MlflowClient) -> dict[str, list[str]]:
    from mlflow.exceptions import MlflowException

    out: dict[str, list[str]] = {}
    try:
        versions = client.search_model_versions(f"name='{tracking.REGISTERED_MODEL}'")
    except MlflowException:
        return out
    aliases_of: dict[str, list[str]] = {}
    for alias, number in client.get_registered_model(tracking.REGISTERED_MODEL).aliases.items():
        aliases_of.setdefault(str(number), []).append(alias)  # search results leave aliases out
    for version in sorted(versions, key=lambda v: int(v.version)):
        names = sorted(aliases_of.get(str(version.version), []))
        aliases = f" ({', '.join(names)})" if names else ""
        out.setdefault(version.run_id, []).append(f"v{version.version}{aliases}")
    return out


JUDGEMENT_ROWS = (
    "voiced_macro_f1",
    "reported_macro_f1",
    *(f"{label}/{figure}" for label in LABELS for figure in ("voiced_f1", "reported_f1", "reported_as_voiced")),
    "hard_negative_fpr",
)


def interval(run, key: str) -> str:
    """``value [low, high]`` of a logged figure and its interval, blank when the run lacks it."""
    value, low, high = (run.data.metrics.get(k) for k in (key, f"{key}_low", f"{key}_high"))
    if value is None:
        return ""
    return f"{value:.3f} [{low:.3f}, {high:.3f}]" if low is not None and high is not None else f"{value:.3f}"


def table(runs, versions: dict[str, list[str]], metric: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the comparison (rows are figures, columns are runs)."""
    header = ["", *(f"{r.info.run_name} ({r.info.run_id[:8]})" for r in runs)]
    sources = sorted(
        {key.split("/")[1] for r in runs for key in r.data.metrics if key.startswith("test/") and key.count("/") == 3}
    )

    def number(run, key: str, fmt: str = "{:.3f}") -> str:
        value = run.data.metrics.get(key)
        return "" if value is None else fmt.format(value)

    rows = [
        ["registered version", *(", ".join(versions.get(r.info.run_id, [])) or "-" for r in runs)],
        ["model kind", *(r.data.tags.get("model_kind", "?") for r in runs)],
        ["train_seconds", *(number(r, "train_seconds", "{:,.0f}") for r in runs)],
        ["test/paragraphs_per_second", *(number(r, "test/paragraphs_per_second", "{:,.0f}") for r in runs)],
    ]
    for scope in ("test", "gold", *(f"test/{s}" for s in sources)):
        rows.append([f"{scope}/macro_f1", *(number(r, f"{scope}/macro_f1") for r in runs)])
        for label in LABELS:
            rows.append([f"{scope}/{label}/{metric}", *(number(r, f"{scope}/{label}/{metric}") for r in runs)])
    # The judgement figures on the read test split, with article-grouped bootstrap 95% intervals.
    for name in JUDGEMENT_ROWS:
        rows.append([f"gold/judgement/{name}", *(interval(r, f"gold/judgement/{name}") for r in runs)])
    # Voiced or reported, on the gold test split (blank for a model without *_reported outputs).
    rows.append(["gold/reported_macro_f1", *(number(r, "gold/reported_macro_f1") for r in runs)])
    for label in LABELS:
        for key in (f"gold/{label}_reported/{metric}", f"gold/{label}/reported_as_voiced"):
            rows.append([key, *(number(r, key) for r in runs)])
    return header, rows


def markdown(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(line[i])) for line in [header, *rows]) for i in range(len(header))]

    def fmt(line):
        return (
            "| "
            + " | ".join(
                str(cell).ljust(w) if i == 0 else str(cell).rjust(w) for i, (cell, w) in enumerate(zip(line, widths))
            )
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in rows)])


README_BLOCK = "judgement"
README_COLUMNS = (
    ("voiced macro-F1", "voiced_macro_f1"),
    ("reported macro-F1", "reported_macro_f1"),
    ("conspiracy voiced F1", "conspiracy_framing/voiced_f1"),
    ("anti-foreign voiced F1", "anti_foreign_rhetoric/voiced_f1"),
    ("conspiracy reported F1", "conspiracy_framing/reported_f1"),
    ("anti-foreign reported F1", "anti_foreign_rhetoric/reported_f1"),
    (
        "reported called voiced (c / a)",
        ("conspiracy_framing/reported_as_voiced", "anti_foreign_rhetoric/reported_as_voiced"),
    ),
    ("hard negatives called voiced", "hard_negative_fpr"),
)


def judgement_markdown(
    runs,
    versions: dict[str, list[str]],
    uri: str,
    when: str,
    command: str = "python -m training.compare --latest --readme",
) -> str:
    """The judgement figures of ``runs`` (one row each) as the README's table, with where and when."""
    head = ["experiment", "version", "kind", *(name for name, _ in README_COLUMNS)]
    rows = []
    for run in runs:
        cells = [
            run.info.run_name,
            ", ".join(versions.get(run.info.run_id, [])) or "-",
            run.data.tags.get("model_kind", "?"),
        ]
        for _, key in README_COLUMNS:
            if isinstance(key, tuple):
                cells.append(" / ".join(interval(run, f"gold/judgement/{k}") or "–" for k in key))
            else:
                cells.append(interval(run, f"gold/judgement/{key}") or "–")
        rows.append(cells)
    n = next(
        (
            int(r.data.metrics.get("gold/conspiracy_framing/n", 0))
            for r in runs
            if "gold/conspiracy_framing/n" in r.data.metrics
        ),
        0,
    )
    negatives = next(
        (
            int(r.data.metrics["gold/judgement/hard_negatives"])
            for r in runs
            if "gold/judgement/hard_negatives" in r.data.metrics
        ),
        0,
    )
    hashes = sorted({r.data.tags.get("table_hash", "?") for r in runs})
    by_source = source_markdown(runs, versions)
    lines = [
        f"Frozen read test split: {n:,} paragraphs ({negatives:,} topic-matched hard negatives), table "
        f"{', '.join(f'`{h}`' for h in hashes)}; store `{uri}`, written {when} by `{command}`. Each figure: "
        "value [95% interval, article-grouped bootstrap].",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(cells) + " |" for cells in rows),
        *(["", by_source] if by_source else []),
    ]
    return "\n".join(lines)


SOURCES = (
    ("EUvsDisinfo", "euvsdisinfo"),
    ("news (SemEval-2023)", "semeval2023"),
    ("news (SemEval-2025)", "semeval2025"),
    ("Telegram (PAN 2024)", "pan2024"),
)


def source_markdown(runs, versions: dict[str, list[str]]) -> str:
    """Per source of the read test split, the F1 of each output at the run's threshold (voiced
    conspiracy / anti-foreign, then reported), no interval: where a model's figures come from."""
    present = [
        (name, key) for name, key in SOURCES if any(f"gold/{key}/{LABELS[0]}/f1" in r.data.metrics for r in runs)
    ]
    if not present:
        return ""

    def f1(run, key: str) -> str:
        value, positives = run.data.metrics.get(f"{key}/f1"), run.data.metrics.get(f"{key}/positives")
        return "–" if value is None or not positives else f"{value:.2f}"

    head = ["experiment", "version", *(f"{name}: voiced c / a, reported c / a" for name, _ in present)]
    rows = []
    for run in runs:
        cells = [run.info.run_name, ", ".join(versions.get(run.info.run_id, [])) or "-"]
        for _, source in present:
            voiced = " / ".join(f1(run, f"gold/{source}/{label}") for label in LABELS)
            reported = " / ".join(f1(run, f"gold/{source}/{label}_reported") for label in LABELS)
            cells.append(f"{voiced}, {reported}")
        rows.append(cells)
    counts = []
    for name, source in present:
        metrics = next(r.data.metrics for r in runs if f"gold/{source}/{LABELS[0]}/n" in r.data.metrics)
        counts.append(f"{name} {int(metrics[f'gold/{source}/{LABELS[0]}/n']):,}")
    return "\n".join(
        [
            "By source (paragraphs: " + ", ".join(counts) + "): the F1 of each output at the model's threshold, "
            "without intervals; – where the source holds no such paragraph.",
            "",
            "| " + " | ".join(head) + " |",
            "|" + "---|" * len(head),
            *("| " + " | ".join(cells) + " |" for cells in rows),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--metric",
        default="f1",
        choices=("f1", "precision", "recall", "mcc", "pr_auc", "brier"),
        help="per-label metric (default f1)",
    )
    parser.add_argument("--latest", action="store_true", help="only the latest finished run of each experiment")
    parser.add_argument("--runs", nargs="*", default=[], help="only these experiment (run) names")
    parser.add_argument(
        "--versions", nargs="*", type=int, default=[], help="only the runs behind these registered versions"
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="write the judgement figures of these runs into README.md (between the judgement markers)",
    )
    args = parser.parse_args(argv)

    tracking.configure()
    from mlflow import MlflowClient

    client = MlflowClient()
    runs = finished_runs(client, args.runs, args.latest)
    versions = versions_by_run(client)
    if args.versions:
        wanted = {f"v{number}" for number in args.versions}
        runs = [r for r in runs if wanted & {v.split(" ")[0] for v in versions.get(r.info.run_id, [])}]
    if not runs:
        behind = f" behind versions {', '.join(map(str, args.versions))}" if args.versions else ""
        print(f"No finished runs{behind} in {tracking.tracking_uri()}: train one with `make train EXP=...`.")
        return 1
    if args.readme:
        import datetime

        from classifier.store import REPO_ROOT
        from data.build import replace_block

        readme = REPO_ROOT / "README.md"
        command = " ".join(["python -m training.compare", *(sys.argv[1:] if argv is None else argv)])
        body = judgement_markdown(runs, versions, tracking.tracking_uri(), datetime.date.today().isoformat(), command)
        readme.write_text(replace_block(readme.read_text(), README_BLOCK, body))
        print(body)
        return 0
    print(f"Runs in {tracking.tracking_uri()} (experiment {tracking.EXPERIMENT!r}); thresholds tuned on dev per run.\n")
    print(markdown(*table(runs, versions, args.metric)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
