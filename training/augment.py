"""Counterfactual stance pairs: a real claim as it was voiced, and the same claim wrapped in reporting frames.

Reported framing is rare in the corpora outside EUvsDisinfo's rebuttals, so a model can learn that
`reported` means "looks like a disproof". Pairs built from the training split's own read-voiced claims
teach what makes the difference: the claim's words are the same in both rows (the claim itself is the
voiced row); only attribution with distance ("state media claimed that ...", "a narrative for which no
evidence was given") changes. Claims of headline length are also set in headlines that name them as a
claim, a story or a narrative ("Fact check: ..."), which report them too (models trained without them
call such headlines voiced: ``python -m training.stance_probe``). Only train rows are used, so no dev or test text leaks into training; each
pair stays in its claim's article group. ``data.counterfactual_weight`` sets the rows' sample weight.
"""

from __future__ import annotations

import random
import re

import pandas as pd

from classifier.labels import LABELS

# Frames that report: attribution with distance, a rebuttal, or the word "narrative"/"claim".
REPORTING_FRAMES = (
    "State media claimed that {claim}, a claim for which no evidence was offered.",
    "Pro-Kremlin outlets have pushed the narrative that {claim}.",
    "According to a report on state television, {claim}; fact-checkers found no basis for it.",
    "Analysts describe the claim that {claim} as a recurring disinformation narrative.",
    '"{Claim}", the outlet wrote, repeating a claim that has been debunked many times.',
    "The government-controlled channel alleged that {claim}. It gave no evidence.",
    "Researchers who track propaganda say the story that {claim} spread across state-backed sites this week.",
    "Officials dismissed the allegation that {claim} as a conspiracy theory.",
    'A headline on the state broadcaster\'s website, "{Claim}", revived a familiar narrative.',
    "Critics say the accusation that {claim} is being used to rally support at home; no proof was given.",
)
# Headlines that name a claim as a narrative, a claim or a theory report it (guidelines, rule 49); a
# headline that only attributes ("claim, says X") voices it, so every frame here takes a distance.
HEADLINE_FRAMES = (
    'Kremlin media push "{claim}" claim',
    'Fact check: "{Claim}" is false',
    'Pro-government outlets recycle the "{claim}" story',
    'How the "{claim}" narrative spread on Telegram',
    'Officials dismiss "{claim}" theory',
    "The conspiracy theory that {claim}, explained",
    "Debunked: {claim}",
    "Russian TV airs unfounded claim that {claim}",
    'Disinformation watch: the "{claim}" myth returns',
    "State broadcaster repeats baseless allegation that {claim}",
)
MAX_CLAIM_CHARS = 220
MAX_HEADLINE_CLAIM_CHARS = 110
_SENTENCE_END = re.compile(r"[.!?…]+$")


def _lower_first(text: str) -> str:
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[1:].islower():
        return text[0].lower() + text[1:]
    return text


def _claim(text: str) -> str:
    return _SENTENCE_END.sub("", text.strip().strip('"“”')).strip()


def voiced_claims(frame: pd.DataFrame, max_chars: int) -> pd.DataFrame:
    """The read English paragraphs of ``frame`` of at most ``max_chars`` characters that voice a framing
    and report none: the claims the frames are built around."""
    stance_columns = [f"{label}_stance" for label in LABELS]
    read = frame[frame["gold"].astype(bool) & frame["lang"].eq("en")].dropna(subset=stance_columns)
    stances = read[stance_columns]
    voiced = stances.eq("voiced").any(axis=1) & ~stances.eq("reported").any(axis=1)
    return read[voiced & read["text"].str.len().le(max_chars)]


def claim_fills(text: str) -> dict[str, str] | None:
    """A claim's text to fill a frame with: ``{claim}`` mid-sentence, ``{Claim}`` at its start; None for
    a claim too short to stand as one (under 20 characters once its end punctuation is stripped)."""
    claim = _claim(text)
    if len(claim) < 20:
        return None
    return {"claim": _lower_first(claim), "Claim": claim[0].upper() + claim[1:]}


def counterfactual_pairs(train: pd.DataFrame, per_claim: int = 1, seed: int = 0, headlines: int = 0) -> pd.DataFrame:
    """Rows for each short, English, read-voiced claim of ``train``: ``per_claim`` reporting frames, in
    which its voiced labels become reported, and, for claims of headline length
    (``MAX_HEADLINE_CLAIM_CHARS``), ``headlines`` headline frames that name the claim as a claim or a
    narrative. Labels the claim does not voice stay none. Returns rows with the table's columns, origin
    ``counterfactual``."""
    claims = voiced_claims(train, MAX_CLAIM_CHARS)
    rng = random.Random(seed)
    rows = []
    for row in claims.itertuples(index=False):
        fills = claim_fills(row.text)
        if fills is None:
            continue
        stances = {label: getattr(row, f"{label}_stance") for label in LABELS}
        reported = {k: "reported" if v == "voiced" else "none" for k, v in stances.items()}
        for number, frame in enumerate(rng.sample(REPORTING_FRAMES, per_claim)):
            rows.append(_row(row, frame.format(**fills), reported, f"r{number}"))
        if headlines and len(fills["Claim"]) <= MAX_HEADLINE_CLAIM_CHARS:
            for number, frame in enumerate(rng.sample(HEADLINE_FRAMES, headlines)):
                rows.append(_row(row, frame.format(**fills), reported, f"h{number}"))
    return pd.DataFrame(rows, columns=train.columns) if rows else train.iloc[:0]


def _row(row, text: str, stances: dict[str, str], tag: str) -> dict:
    record = row._asdict()
    record.update(
        uid=f"{row.uid}:cf-{tag}",
        text=text,
        origin="counterfactual",
        start=-1,
        end=-1,
        weak=False,
        gold=True,
    )
    for label, stance in stances.items():
        record[label] = float(stance == "voiced")
        record[f"{label}_reported"] = float(stance == "reported")
        record[f"{label}_stance"] = stance
    return record
