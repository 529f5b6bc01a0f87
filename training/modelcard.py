"""Model card generated from a training run: data, metrics, thresholds, intended use, failure modes."""

from __future__ import annotations

from classifier.labels import LABEL_SPECS
from training.config import ExperimentConfig

METRIC_ORDER = ("precision", "recall", "f1", "mcc", "pr_auc", "brier", "positives", "n")


def metric_table(metrics: dict[str, float], prefix: str, columns, sources=()) -> str:
    lines = ["| scope | output | " + " | ".join(METRIC_ORDER) + " |", "|---|---|" + "---|" * len(METRIC_ORDER)]
    for scope in ("all", *sources):
        base = prefix if scope == "all" else f"{prefix}/{scope}"
        for column in columns:
            values = [metrics.get(f"{base}/{column}/{name}") for name in METRIC_ORDER]
            if all(value is None for value in values):
                continue
            cells = [
                "" if v is None else (f"{int(v):,}" if name in ("n", "positives") else f"{v:.3f}")
                for name, v in zip(METRIC_ORDER, values)
            ]
            lines.append(f"| {scope} | {column} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stance_table(metrics: dict[str, float]) -> str:
    lines = ["| label | voiced F1 | reported F1 | reported_as_voiced |", "|---|---|---|---|"]
    for spec in LABEL_SPECS:
        values = [
            metrics.get(f"gold/{spec.name}/{name}")
            for name in ("stance_voiced_f1", "stance_reported_f1", "reported_as_voiced")
        ]
        if any(v is not None for v in values):
            lines.append(f"| {spec.name} | " + " | ".join("" if v is None else f"{v:.3f}" for v in values) + " |")
    return "\n".join(lines) if len(lines) > 2 else "No annotated stances in this run's test split."


def model_card(
    config: ExperimentConfig,
    *,
    metrics: dict[str, float],
    thresholds: dict[str, float],
    columns,
    table_hash: str,
    counts: dict[str, int],
    sources,
    commit: str,
    train_seconds: float,
) -> str:
    definitions = "\n".join(f"- `{label.name}`: {label.definition}" for label in LABEL_SPECS)
    threshold_lines = "\n".join(f"- `{column}`: {thresholds[column]:.4f}" for column in columns)
    gold = metric_table(metrics, "gold", columns)
    counterfactual = counts.get("counterfactual", 0)
    augmented = (
        f"\n- Counterfactual rows (read-voiced claims in reporting frames and headlines, `training/augment.py`): "
        f"{counterfactual:,} of the train rows, weighted {config.data.counterfactual_weight}"
        if counterfactual
        else ""
    )
    if counts.get("hard_negatives"):
        augmented += (
            f"\n- Topic-matched hard negatives (read paragraphs voicing and reporting neither framing on the "
            f"framings' subjects, `training.metrics.hard_negatives`): {counts['hard_negatives']:,} of the train "
            f"rows, weighted {config.data.hard_negative_weight}"
        )
    return f"""# Model card: {config.name}

{config.description}

- Model kind: `{config.model.kind}`; parameters: `{config.model.params}`
- Training table hash: `{table_hash}`; rows: train {counts["train"]:,}, dev {counts["dev"]:,}, test {counts["test"]:,}
- Sources: {", ".join(sources)}; weak rows weighted {config.data.weak_weight}{augmented}
- Git commit: `{commit}`; training time: {train_seconds:.0f} s

## What it outputs
Per paragraph and per output column, a probability. For a label, the probability that the paragraph
*voices* the framing (its author or a quoted source asserts it); for a `*_reported` column, that it
reports on the framing from a distance.

{definitions}

## Intended use
Triage of news and social-media text for analysts: rank and flag paragraphs and articles that may voice
these narratives, with the paragraphs as evidence, for a person to read. Not for automated decisions
about people, outlets or accounts, and not a fact-check: a flag says how a text frames events, not
whether it is true.

## Decision thresholds (chosen on dev)
Rule: the threshold that maximises F1 on the dev split, among thresholds with dev precision of at least
{config.min_precision}; ties go to the higher threshold. Probabilities are calibrated on dev
(`{config.calibration}`).

{threshold_lines}

## Test split (labels mapped from the corpora)
Mapped labels are partly weak: SemEval-2025 paragraphs inherit their article's narratives, and
untagged EUvsDisinfo claims count as negatives. Scores against them understate and distort what the
model does on paragraphs; the gold split below is the cleaner measure.

{metric_table(metrics, "test", columns, sources)}

## Gold test split (paragraphs annotated by reading, see data/GUIDELINES.md)

{gold if gold.count(chr(10)) > 1 else "No gold test paragraphs in this run."}

## Voiced versus reported (gold test split)
Predicted stance per paragraph by the rule in `classifier/stance.py`. `reported_as_voiced`: the share
of paragraphs annotated `reported` that the model calls `voiced` (lower is better).

{stance_table(metrics)}

## Known failure modes
- Reported versus voiced: a paragraph that describes a narrative from a distance shares its
  vocabulary; unless `*_reported` outputs are trained, such paragraphs are often flagged as voicing it.
- Criticism versus conspiracy: harsh criticism of governments (PAN's CRITICAL class) can score high
  for conspiracy framing.
- Language: trained mostly on English; other languages come from SemEval (narratives: BG, PT, RU, HI;
  techniques: FR, DE, IT, PL, RU) and PAN (ES) and are weaker; other scripts and languages are untested.
- Domain: news about the war in Ukraine and climate change, EUvsDisinfo's pro-Kremlin claims, and
  COVID-era Telegram; other topics and periods drift.
- Quotations of officials in neutral news count as voiced by definition: an accurate news report of
  a minister's conspiracy claim is flagged.
"""
