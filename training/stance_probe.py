"""How a model reads attribution: real dev claims, as written and inside reporting frames it never saw.

    python -m training.stance_probe [--versions 2 7 ...] [--model URI ...]

The probe takes the read paragraphs of the dev split that voice a framing and report none, in English
and of headline length (mostly EUvsDisinfo claim titles), and scores each three ways: as written
(``bare``: it should stay ``voiced``), in a headline that gives it to a speaker without distance
(``speaker``: "claim, says X" voices it too), in a headline that names it as a narrative, a myth or an
allegation (``headline``), and in a sentence that attributes it with distance (``attribution``); the
last two should come out ``reported`` (guidelines, rules 4, 10 and 49). Per label, it prints the share of each
set called voiced and called reported at the model's own thresholds.

The frames are written for this project and share no template with the training frames of
``training.augment``; the claims are dev text, which no model trains on. A diagnostic of one skill on
short claims, not a figure of the gold test split.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from classifier.labels import LABELS
from classifier.stance import REPORTED, VOICED
from training.augment import MAX_HEADLINE_CLAIM_CHARS, claim_fills, voiced_claims
from training.metrics import predicted_stances

HEADLINE_PROBES = (
    'Propaganda outlets amplify "{claim}" narrative',
    'Why the "{claim}" myth persists',
    'State media renew "{claim}" allegations',
    'Moscow revives the old "{claim}" narrative',
)
ATTRIBUTION_PROBES = (
    "Russian state television on Sunday accused others of this: {claim}. Analysts called it a familiar "
    "disinformation narrative.",
    "The ministry repeated the allegation that {claim}, without offering any evidence.",
    "The story that {claim} has circulated on pro-Kremlin channels for years and has been repeatedly debunked.",
)
# Headlines that attribute without distance voice the claim (rule 49: "claim, says X", "X: claim"): a
# model that learnt "a quoted claim in a short line is reported" fails here.
SPEAKER_PROBES = (
    'Foreign minister: "{Claim}"',
    '"{Claim}", says defence ministry spokesman',
    "{Claim}, Kremlin aide says",
)
SETS = {
    "bare": ("{Claim}",),
    "speaker": SPEAKER_PROBES,
    "headline": HEADLINE_PROBES,
    "attribution": ATTRIBUTION_PROBES,
}


def probe_claims(dev: pd.DataFrame) -> pd.DataFrame:
    """The read dev paragraphs the probe wraps: English, headline length, voicing a framing, reporting none."""
    return voiced_claims(dev, MAX_HEADLINE_CLAIM_CHARS).reset_index(drop=True)


def probe_texts(claims: pd.DataFrame) -> pd.DataFrame:
    """One row per claim and frame: ``set``, ``text`` and, per label, whether the claim voices it."""
    rows = []
    for row in claims.itertuples(index=False):
        fills = claim_fills(row.text)
        if fills is None:
            continue
        voices = {label: getattr(row, f"{label}_stance") == VOICED for label in LABELS}
        for name, frames in SETS.items():
            rows.extend({"set": name, "text": frame.format(**fills), **voices} for frame in frames)
    return pd.DataFrame(rows, columns=["set", "text", *LABELS])


def probe(scorer, texts: pd.DataFrame) -> pd.DataFrame:
    """Per set and label, the share of the claims voicing that label that ``scorer`` calls voiced and
    reported (at its thresholds), and how many there are."""
    scores = scorer.predict_frame(texts[["text"]])[scorer.columns].to_numpy(dtype=float)
    stances = predicted_stances(scores, scorer.columns, scorer.thresholds)
    rows = []
    for name in SETS:
        in_set = texts["set"].eq(name).to_numpy()
        for label in LABELS:
            chosen = in_set & texts[label].to_numpy(dtype=bool)
            called = stances[label][chosen]
            rows.append(
                {
                    "set": name,
                    "label": label,
                    "n": int(chosen.sum()),
                    "voiced": float(np.mean(called == VOICED)) if len(called) else float("nan"),
                    "reported": float(np.mean(called == REPORTED)) if len(called) else float("nan"),
                }
            )
    return pd.DataFrame(rows)


def markdown(results: dict[str, pd.DataFrame]) -> str:
    header = ["model"] + [f"{name} {label.split('_')[0]}: voiced / reported" for name in SETS for label in LABELS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model, frame in results.items():
        cells = [f"{r.voiced:.2f} / {r.reported:.2f}" for r in frame.itertuples(index=False)]
        lines.append("| " + " | ".join([model, *cells]) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", nargs="*", default=[], help="registered versions of narrative-classifier")
    parser.add_argument("--model", nargs="*", default=[], help="model URIs (default: the champion)")
    parser.add_argument("--table", default=None, help="the training table (default: build/paragraphs.parquet)")
    args = parser.parse_args(argv)

    from classifier.articles import Scorer
    from classifier.store import DEFAULT_MODEL_URI, quiet_mlflow
    from training import tracking
    from training.config import DataConfig
    from training.dataset import table_path

    quiet_mlflow()
    tracking.configure()
    path = table_path(DataConfig(table=args.table) if args.table else DataConfig())
    if not path.exists():
        print(f"training table {path} not found: run `make data` first", file=sys.stderr)
        return 2
    table = pd.read_parquet(path)
    texts = probe_texts(probe_claims(table[table["split"].eq("dev")]))
    if texts.empty:
        print("no read, voiced, headline-length English claim in the dev split: nothing to probe", file=sys.stderr)
        return 2
    uris = [f"models:/{tracking.REGISTERED_MODEL}/{v}" for v in args.versions] + list(args.model)
    uris = uris or [DEFAULT_MODEL_URI]
    bare = texts[texts["set"].eq("bare")]
    print(
        f"{len(bare):,} dev claims ({', '.join(f'{int(bare[label].sum()):,} voicing {label}' for label in LABELS)}); "
        f"each bare, in {len(SPEAKER_PROBES)} speaker, {len(HEADLINE_PROBES)} headline and "
        f"{len(ATTRIBUTION_PROBES)} attribution frames. "
        "Share called voiced / reported:"
    )
    results = {uri.removeprefix("models:/"): probe(Scorer.from_mlflow(uri), texts) for uri in uris}
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
