"""How each corpus's own labels map onto the two narrative labels.

Each source labels something else: SemEval-2025 labels whole articles with narratives, EUvsDisinfo tags
claims, PAN 2024 classes Telegram messages, SemEval-2023 marks persuasion techniques. The sets below say
which of those count as evidence that a paragraph voices a label; the data card (``data/README.md``)
explains the choices. ``None`` means the source says nothing about a label (the row is not used for it).
"""

from __future__ import annotations

from classifier.labels import ANTI_FOREIGN, CONSPIRACY

# SemEval-2025 Task 10. A narrative counts whole, or only through the listed subnarratives where the
# narrative is broader than the label (most of "Discrediting Ukraine" is not about foreigners).
SEMEVAL2025_NARRATIVES: dict[str, frozenset[str]] = {
    CONSPIRACY.name: frozenset(
        {
            "URW: Hidden plots by secret schemes of powerful groups",
            "CC: Hidden plots by secret schemes of powerful groups",
        }
    ),
    ANTI_FOREIGN.name: frozenset(
        {
            "URW: Discrediting the West, Diplomacy",
            "CC: Green policies are geopolitical instruments",
        }
    ),
}
SEMEVAL2025_SUBNARRATIVES: dict[str, frozenset[str]] = {
    CONSPIRACY.name: frozenset(),
    ANTI_FOREIGN.name: frozenset(
        {
            "URW: Blaming the war on others rather than the invader: The West are the aggressors",
            "URW: Distrust towards Media: Western media is an instrument of propaganda",
            "URW: Russia is the Victim: The West is russophobic",
            "URW: Discrediting Ukraine: Ukraine is a puppet of the West",
        }
    ),
}

# EUvsDisinfo analysts' keywords (claim_titles.csv joins them with '+', case_summaries.csv with ',').
# Compared case-insensitively.
EUVSDISINFO_TAGS: dict[str, frozenset[str]] = {
    CONSPIRACY.name: frozenset(
        {
            "conspiracy theory",
            "conspiracy",
            "secret elites / global elites",
            "george soros",
            "biological weapons",
            "deep state",
            "lugar laboratory",
            "false flag",
            "illuminati",
            "freemasons",
            "new world order",
        }
    ),
    ANTI_FOREIGN.name: frozenset(
        {
            "colour revolutions",
            "election meddling",
            "anti-russian",
            "russophobia",
            "puppets",
            "ngo",
            "coup",
            "information war",
            "encircling russia",
            "destabilising russia",
            "warmongering",
            "imperialism/colonialism",
            "foreign agents",
            "west",
            "the west",
        }
    ),
}

# PAN 2024: the message class speaks to conspiracy framing only.
PAN_CATEGORIES: dict[str, dict[str, float | None]] = {
    "CONSPIRACY": {CONSPIRACY.name: 1.0, ANTI_FOREIGN.name: None},
    "CRITICAL": {CONSPIRACY.name: 0.0, ANTI_FOREIGN.name: None},
}


def semeval2025_labels(narratives: set[str], subnarratives: set[str]) -> dict[str, float]:
    """Article-level labels of a SemEval-2025 article from its narratives and subnarratives."""
    return {
        label: float(
            bool(narratives & SEMEVAL2025_NARRATIVES[label] or subnarratives & SEMEVAL2025_SUBNARRATIVES[label])
        )
        for label in SEMEVAL2025_NARRATIVES
    }


def euvsdisinfo_labels(keywords: set[str]) -> dict[str, float]:
    """Labels of an EUvsDisinfo claim from its keywords: 1 where a tag of the label is present."""
    folded = {keyword.strip().casefold() for keyword in keywords}
    return {label: float(bool(folded & tags)) for label, tags in EUVSDISINFO_TAGS.items()}


def pan_labels(category: str) -> dict[str, float | None]:
    try:
        return dict(PAN_CATEGORIES[category])
    except KeyError:
        raise ValueError(f"unknown PAN category {category!r}; expected one of {sorted(PAN_CATEGORIES)}") from None
